/**
 * Errors as HTTP answers (docs/api.md): every refusal is `{ error: { code, message, details? } }`.
 * Domain refusals keep their code and get the status of their kind; outages are 503 with
 * `Retry-After`; anything unexpected is a 500 that names only the request id (the log has the rest,
 * never secrets).
 */
import { ChainUnavailable, RpcRejected } from '../chain/errors.ts';
import { LossUnverifiable } from '../policy/loss-recording.ts';
import { AlreadyDone, Conflict, InvalidTransition, NotFound, StaleState, StoreUnavailable } from '../store/errors.ts';
import { WorkflowRefusal, type RefusalKind } from '../workflow/errors.ts';

/** Seconds a client should wait after a 503 for an outage. */
export const RETRY_AFTER_SECONDS = 5;

/** An answer that is a refusal or an outage. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds for the `Retry-After` header (429, 503). */
    readonly retryAfter?: number,
  ) {
    // An expected answer, not a bug: no stack trace (capturing one made a forged request slower than a valid one).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** The JSON error body. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

export function errorBody(err: HttpError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } };
}

/** The status of each kind of workflow refusal (docs/api.md): bad input is a 4xx, never a 5xx. */
export const REFUSAL_STATUS: Readonly<Record<RefusalKind, number>> = {
  'not-found': 404,
  conflict: 409,
  unprocessable: 422,
  'invalid-input': 422,
  unavailable: 503,
  'not-implemented': 501,
};

/** A workflow refusal as an answer; one naming the caller's input carries it as `details`, like the schema's own 422. */
function refusalAnswer(err: WorkflowRefusal): HttpError {
  const details = err.input === undefined ? undefined : [{ path: err.input, message: err.message }];
  return new HttpError(REFUSAL_STATUS[err.kind], err.code, err.message, details);
}

/**
 * Maps anything thrown while answering to an HttpError; `unexpected` is set for the 500 case.
 * An RPC refusal (`RpcRejected`) is the node failing a request backstop built: the caller's inputs
 * that reach the chain are checked first (the schemas, then the workflow's `invalid-input`).
 */
export function toHttpError(err: unknown, requestId: string): { error: HttpError; unexpected: boolean } {
  if (err instanceof HttpError) return { error: err, unexpected: false };
  if (err instanceof WorkflowRefusal) return { error: refusalAnswer(err), unexpected: false };
  if (err instanceof LossUnverifiable) return { error: new HttpError(422, 'loss-unverifiable', err.message), unexpected: false };
  if (err instanceof ChainUnavailable || err instanceof RpcRejected) {
    return { error: new HttpError(503, 'chain-unavailable', 'the Solana RPC node could not be read; retry later', undefined, RETRY_AFTER_SECONDS), unexpected: false };
  }
  if (err instanceof StoreUnavailable) {
    return { error: new HttpError(503, 'store-unavailable', 'the database is unavailable; retry later', undefined, RETRY_AFTER_SECONDS), unexpected: false };
  }
  if (err instanceof Conflict) return { error: new HttpError(409, 'conflict', err.message), unexpected: false };
  if (err instanceof AlreadyDone) return { error: new HttpError(409, 'already-done', err.message), unexpected: false };
  if (err instanceof StaleState || err instanceof InvalidTransition) return { error: new HttpError(409, 'state-changed', err.message), unexpected: false };
  if (err instanceof NotFound) return { error: new HttpError(404, 'not-found', err.message), unexpected: false };
  const client = clientError(err);
  if (client) return { error: client, unexpected: false };
  return { error: new HttpError(500, 'internal', `internal error; quote request id ${requestId} to the operator`), unexpected: true };
}

/** What express, its router and body parsers answer for a client's mistake (their `status`), by status. */
const CLIENT_ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  400: ['bad-request', 'the request could not be read (malformed URL, header or body)'],
  413: ['payload-too-large', 'the request body is too large'],
  415: ['unsupported-media-type', 'send the body as Content-Type: application/json'],
};

/**
 * A failure the client caused, raised by express or a library below it (an http-errors 4xx, or a
 * URIError from decoding the URL): that 4xx with our own words, never the
 * library's message (it quotes the client's bytes).
 */
function clientError(err: unknown): HttpError | undefined {
  if (err instanceof URIError) return new HttpError(400, 'invalid-path', 'the URL holds a malformed percent-escape (%XX)');
  if (typeof err !== 'object' || err === null) return undefined;
  // http-errors (express's body parsers) marks client errors `expose: true`; a bare `status` elsewhere may be our own upstream's.
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  if (expose !== true || typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499) return undefined;
  const [code, message] = CLIENT_ERRORS[status] ?? ['client-error', `the request was refused (HTTP ${status})`];
  return new HttpError(status, code, message);
}

/** A 2xx or a 4xx other than 429: an answer that is stored for idempotency and remembered as a replay. */
export function isFinal(status: number): boolean {
  return (status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 429);
}
