/**
 * The webhook signature of docs/api.md, in one place for both sides: the signed message is
 * `"<timestamp>.<METHOD> <path>.<raw body>"` (path as sent, query string included) and the
 * signature is base64 ed25519 over those bytes. The server verifies with `signedMessage`; senders
 * (the CLI, tests, the demo, the sandbox) sign with `signRequest`.
 */

/** Header names of a signed request. */
export const SIGNATURE_HEADERS = {
  source: 'x-backstop-source',
  timestamp: 'x-backstop-timestamp',
  signature: 'x-backstop-signature',
} as const;

/** Anything that signs ed25519 (`Ed25519Keypair` from src/store/keys.ts). */
export interface RequestSigner {
  sign(message: Uint8Array): Uint8Array;
}

/** The bytes a request signature covers. */
export function signedMessage(timestamp: string, method: string, path: string, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.${method.toUpperCase()} ${path}.`, 'utf8'), body]);
}

/** The signed request's headers (and its body bytes, as signed). */
export interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Signs a request for the HTTP API. `body` is sent exactly as given (a string is UTF-8 encoded, an
 * object is JSON-serialised once); `timestamp` defaults to now in unix seconds.
 */
export function signRequest(input: {
  readonly source: string;
  readonly key: RequestSigner;
  readonly method: string;
  readonly path: string;
  readonly body: Uint8Array | string | object;
  readonly timestamp?: number | string;
}): SignedRequest {
  const body = toBody(input.body);
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = Buffer.from(input.key.sign(signedMessage(timestamp, input.method, input.path, body))).toString('base64');
  return {
    body,
    headers: {
      [SIGNATURE_HEADERS.source]: input.source,
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.signature]: signature,
    },
  };
}

function toBody(body: Uint8Array | string | object): Buffer {
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), 'utf8');
}
