/**
 * A signed request to the HTTP API, sent with fetch: what `backstop webhook send`, the demo and
 * the sandbox's drivers use, so signing and sending exist once.
 */
import { signRequest, type RequestSigner } from './signing.ts';

/** The server's answer (the body as text; `json` when it parses). */
export interface SignedResponse {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
  readonly headers: Headers;
}

/**
 * Signs and POSTs (or sends with `method`) `body` to `baseUrl` + `path`. Throws only when the server cannot be reached.
 * ed25519 is deterministic and the timestamp counts seconds, so the same request sent twice within one second
 * carries the same signature and the second is refused as `replayed`: this call signed it anew, so it waits
 * for the next second and signs once more (a retry of an earlier call's request is what `idempotencyKey` is for).
 */
export async function sendSigned(input: {
  readonly baseUrl: string;
  readonly path: string;
  readonly source: string;
  readonly key: RequestSigner;
  readonly body: Uint8Array | string | object;
  readonly method?: string;
  readonly idempotencyKey?: string;
  readonly contentType?: string;
  readonly timeoutMs?: number;
  /** Unix seconds; now by default. */
  readonly timestamp?: number;
}): Promise<SignedResponse> {
  const first = await sendOnce(input);
  if (input.timestamp !== undefined || !isReplayed(first)) return first;
  const next = Math.floor(Date.now() / 1000) + 1;
  await new Promise((r) => setTimeout(r, next * 1000 - Date.now()));
  return sendOnce({ ...input, timestamp: Math.max(next, Math.floor(Date.now() / 1000)) });
}

/** The server's 409 for a signature it already received (docs/api.md). */
function isReplayed(res: SignedResponse): boolean {
  return res.status === 409 && (res.json as { error?: { code?: unknown } } | undefined)?.error?.code === 'replayed';
}

async function sendOnce(input: Parameters<typeof sendSigned>[0]): Promise<SignedResponse> {
  const method = input.method ?? 'POST';
  const signed = signRequest({ source: input.source, key: input.key, method, path: input.path, body: input.body, ...(input.timestamp !== undefined ? { timestamp: input.timestamp } : {}) });
  const headers: Record<string, string> = { ...signed.headers, 'content-type': input.contentType ?? 'application/json' };
  if (input.idempotencyKey !== undefined) headers['idempotency-key'] = input.idempotencyKey;
  const res = await fetch(new URL(input.path, input.baseUrl), {
    method,
    headers,
    body: new Uint8Array(signed.body),
    signal: AbortSignal.timeout(input.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the caller prints the text.
  }
  return { status: res.status, text, json, headers: res.headers };
}
