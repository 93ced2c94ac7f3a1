/**
 * The signed-request pipeline of docs/api.md, in its order: 413 size → 401 signature, timestamp,
 * source → 429 rate → the stored answer for a repeated `Idempotency-Key` → 409 replayed signature
 * → 415 content type / 400 JSON / 400 schema → 403 source not allowed for that vault or action →
 * the route (404 / 409 / 422). An unavailable store or chain answers 503 with `Retry-After` at the
 * first step that needs it. Final answers of authenticated requests (2xx, 4xx other than 429) are
 * remembered as replays (one audit entry each) and stored under their idempotency key.
 */
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { PolicyRegistry } from '../policy/registry.ts';
import type { Store } from '../store/types.ts';
import { forLog } from '../util/text.ts';
import type { Log } from '../workflow/ports.ts';
import { authenticate, authorize, targetPolicy, type Caller, type SourceDirectory, type WebhookAction } from './auth.ts';
import { readRawBody } from './body.ts';
import { errorBody, HttpError, isFinal, RETRY_AFTER_SECONDS, toHttpError } from './errors.ts';
import { idempotencyKeyOf, requestHash, type IdempotencyStore } from './idempotency.ts';
import type { RateLimiter } from './rate-limit.ts';

/** A route's successful answer. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** What a signed route declares: its action, body schema, target vault or multisig, and handler. */
export interface SignedRoute<T> {
  readonly action: WebhookAction;
  /** The schema for this body (may depend on its shape, e.g. register vs create). */
  readonly schema: (json: unknown) => z.ZodType<T>;
  readonly target: (input: T) => { readonly vault?: string; readonly multisig?: string };
  readonly handle: (input: T, ctx: { readonly caller: Caller; readonly params: Record<string, string>; readonly requestId: string }) => Promise<Answer>;
}

export interface PipelineDeps {
  readonly store: Store;
  readonly policies: PolicyRegistry;
  readonly directory: SourceDirectory;
  readonly limiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
  readonly clock: () => Date;
  readonly log: Log;
  readonly bodyLimit: number;
}

/** JSON text with bigints as decimal strings. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Sends a JSON answer (already serialised). */
export function sendJsonText(res: Response, status: number, text: string): void {
  res.status(status).type('application/json').send(text);
}

/** Sends an HttpError as `{ error: … }`, with `Retry-After` when it has one. */
export function sendError(res: Response, err: HttpError): void {
  if (err.retryAfter !== undefined) res.set('Retry-After', String(err.retryAfter));
  sendJsonText(res, err.status, jsonText(errorBody(err)));
}

/**
 * What the log keeps of one of our own bugs: the route pattern (not the path), the error's name, its
 * message shortened with invisible characters escaped (it may quote the request), and the stack's
 * frames only (their first line repeats the message).
 */
export function unexpectedErrorLog(req: Request, err: unknown): { route: string; err: { name: string; message: string; frames: string } } {
  const e = err instanceof Error ? err : new Error(typeof err);
  const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 12).map((l) => l.trim()).join('\n');
  return { route, err: { name: forLog(e.name, 60), message: forLog(e.message, 80), frames } };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** 415 unless `application/json` (charset, if any, utf-8) with no content encoding. */
function checkContentType(req: Request): void {
  const type = req.headers['content-type'];
  const [media, ...params] = (type ?? '').split(';').map((s) => s.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  const encoding = req.headers['content-encoding'];
  if (media !== 'application/json' || (charset !== undefined && charset !== 'utf-8') || (encoding !== undefined && encoding !== 'identity')) {
    throw new HttpError(415, 'unsupported-media-type', 'send the body as Content-Type: application/json (UTF-8, not encoded)');
  }
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(utf8.decode(raw));
  } catch {
    throw new HttpError(400, 'malformed-json', 'the body is not valid UTF-8 JSON');
  }
}

function validate<T>(schema: z.ZodType<T>, json: unknown): T {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  // Only when every problem is a value the schema marks unprocessable (a non-base58 signature): 422.
  const unprocessable = r.error.issues.every((i) => i.code === 'custom' && (i.params as { status?: number } | undefined)?.status === 422);
  if (unprocessable) throw new HttpError(422, 'invalid-value', z.prettifyError(r.error), details);
  throw new HttpError(400, 'invalid-request', z.prettifyError(r.error), details);
}

/** Builds express handlers for signed routes over shared deps (one replay memory per app). */
export class SignedPipeline {
  private readonly inFlightSignatures = new Set<string>();

  constructor(private readonly deps: PipelineDeps) {}

  route<T>(spec: SignedRoute<T>): RequestHandler {
    return async (req, res) => {
      await this.run(spec, req, res);
    };
  }

  private async run<T>(spec: SignedRoute<T>, req: Request, res: Response): Promise<void> {
    const d = this.deps;
    const requestId = String(res.locals['requestId']);
    const path = req.originalUrl;
    let caller: Caller | undefined;
    let claimedKey: { key: string; hash: string } | undefined;
    let replay = false;
    let signatureClaimed = false;
    let status: number;
    let text: string;
    let failure: HttpError | undefined;
    try {
      const raw = await readRawBody(req, d.bodyLimit);
      caller = await authenticate({ directory: d.directory, header: (n) => req.get(n), method: req.method, path, body: raw, now: d.clock() });
      res.locals['source'] = caller.source;
      const rate = d.limiter.take(caller.source);
      if (!rate.ok) throw new HttpError(429, 'rate-limited', `source ${caller.source} sent too many requests; retry later`, undefined, rate.retryAfterSeconds);

      const key = idempotencyKeyOf(req.get('idempotency-key'));
      if (key !== undefined) {
        const hash = requestHash(req.method, path, raw);
        const stored = await d.idempotency.lookup(caller.source, key, hash);
        if (stored) {
          res.set('Idempotent-Replayed', 'true');
          sendJsonText(res, stored.status, stored.body);
          return;
        }
        d.idempotency.claim(caller.source, key);
        claimedKey = { key, hash };
      }

      if (this.inFlightSignatures.has(caller.signature) || (await d.store.isSignatureRemembered(caller.signature))) {
        replay = true;
        throw new HttpError(409, 'replayed', 'this signed request was already received; sign each request anew');
      }
      this.inFlightSignatures.add(caller.signature);
      signatureClaimed = true;

      checkContentType(req);
      const json = parseJson(raw);
      const input = validate(spec.schema(json), json);
      authorize(targetPolicy(d.policies, spec.target(input)), caller, spec.action);

      const answer = await spec.handle(input, { caller, params: req.params as Record<string, string>, requestId });
      status = answer.status;
      text = jsonText(answer.body);
    } catch (err) {
      const mapped = toHttpError(err, requestId);
      if (mapped.unexpected) d.log.error({ requestId, ...unexpectedErrorLog(req, err) }, 'unexpected error answering a signed request');
      failure = mapped.error;
      status = failure.status;
      text = jsonText(errorBody(failure));
    }
    try {
      if (caller && isFinal(status)) await this.recordFinal({ caller, status, code: failure?.code ?? 'ok', path, method: req.method, requestId, replay, claimedKey, text });
    } catch (err) {
      // The answer's audit entry and replay record are not durable, so the answer is not given (docs/api.md: 503).
      d.log.warn({ requestId, source: caller?.source, status, err: (err as Error).name }, 'could not record a final answer in the audit log; answered 503');
      failure = new HttpError(503, 'store-unavailable', 'the database is unavailable; retry later', undefined, RETRY_AFTER_SECONDS);
      status = failure.status;
      text = jsonText(errorBody(failure));
    } finally {
      if (signatureClaimed && caller) this.inFlightSignatures.delete(caller.signature);
      if (claimedKey && caller) d.idempotency.release(caller.source, claimedKey.key);
    }
    // As sendError, with the text already serialised above.
    if (failure?.retryAfter !== undefined) res.set('Retry-After', String(failure.retryAfter));
    sendJsonText(res, status, text);
  }

  /** One audit entry and one replay record per final answer (throws when they cannot be written); the idempotency record when keyed. */
  private async recordFinal(input: {
    caller: Caller;
    status: number;
    code: string;
    path: string;
    method: string;
    requestId: string;
    replay: boolean;
    claimedKey: { key: string; hash: string } | undefined;
    text: string;
  }): Promise<void> {
    const { caller, status, code, requestId } = input;
    const payload = {
      source: caller.source, method: input.method, path: input.path.split('?')[0] ?? input.path, status, code, requestId,
      ...(input.claimedKey ? { idempotencyKey: input.claimedKey.key, bodyHash: input.claimedKey.hash } : {}),
    };
    const type = status < 300 ? 'webhook.accepted' : 'webhook.refused';
    if (input.replay) await this.deps.store.appendAudit(type, payload);
    else await this.deps.store.rememberSignature({ signature: caller.signature, at: this.deps.clock(), note: { type, payload } });
    try {
      if (input.claimedKey) {
        await this.deps.idempotency.save({ source: caller.source, key: input.claimedKey.key, hash: input.claimedKey.hash, answer: { status, body: input.text } });
      }
    } catch (err) {
      this.deps.log.warn({ requestId, source: caller.source, status, err: (err as Error).name }, 'could not store a final answer for its Idempotency-Key');
    }
  }
}
