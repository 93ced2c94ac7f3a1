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

/** Signs and POSTs (or sends with `method`) `body` to `baseUrl` + `path`. Throws only when the server cannot be reached. */
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
}): Promise<SignedResponse> {
  const method = input.method ?? 'POST';
  const signed = signRequest({ source: input.source, key: input.key, method, path: input.path, body: input.body });
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
