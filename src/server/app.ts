/**
 * The HTTP API's express app (docs/api.md), assembled from its parts: request ids and access logs,
 * the signed-request pipeline for POSTs, the bearer-token read API, the operational routes, and
 * JSON errors everywhere; beside them the read-only page (/page) and the Mini App (/miniapp) as HTML.
 * `createApp` does not listen; `startHttpServer` (listen.ts) does.
 */
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { PolicyRegistry } from '../policy/registry.ts';
import type { Store } from '../store/types.ts';
import type { Log } from '../workflow/ports.ts';
import type { Workflow } from '../workflow/workflow.ts';
import { bearerMatches, SourceDirectory } from './auth.ts';
import { BODY_LIMIT_BYTES } from './body.ts';
import { HttpError, toHttpError } from './errors.ts';
import { IdempotencyStore } from './idempotency.ts';
import type { Metrics } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { checkPathParameters, routePatterns } from './path-params.ts';
import { SignedPipeline, sendError, unexpectedErrorLog } from './pipeline.ts';
import { RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import type { Readiness } from './readiness.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerLossEventRoutes } from './routes/loss-events.ts';
import { registerPlanRoutes } from './routes/plans.ts';
import { registerProposalRoutes } from './routes/proposals.ts';
import { registerPoolCheckRoutes } from './routes/pool-check.ts';
import { registerMiniAppRoutes } from './miniapp/routes.ts';
import { registerPageRoutes } from './page/routes.ts';
import { registerPoolCheckMetrics } from './metrics.ts';
import { latestPoolChecks } from '../workflow/guardian.ts';

export interface AppOptions {
  readonly workflow: Workflow;
  /** Default `workflow.store`. */
  readonly store?: Store;
  /** Default `workflow.policies`. */
  readonly policies?: PolicyRegistry;
  /** API_READ_TOKEN; unset or empty refuses every read. */
  readonly apiReadToken: string | undefined;
  /** GET /readyz checks (see readiness.ts for the helpers). */
  readonly readiness: Readiness;
  readonly metrics: Metrics;
  readonly log: Log;
  /** TELEGRAM_BOT_TOKEN: checks the Mini App's `initData` (docs/approvals.md); absent, the Mini App refuses everyone. */
  readonly telegramBotToken?: string;
  /** Timestamps, idempotency window, replay records, page sessions, `initData` age. Default: the system clock. */
  readonly clock?: () => Date;
  readonly limits?: {
    /** Default 64 KiB (docs/api.md). */
    readonly bodyBytes?: number;
    /** Per-source token bucket. Default burst 60, 10/s. */
    readonly rate?: RateLimitOptions;
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Creates the express app (no listen). */
export function createApp(options: AppOptions): express.Express {
  const store = options.store ?? options.workflow.store;
  const policies = options.policies ?? options.workflow.policies;
  const clock = options.clock ?? (() => new Date());
  const log = options.log;
  const pipeline = new SignedPipeline({
    store,
    policies,
    directory: new SourceDirectory(policies),
    limiter: new RateLimiter(options.limits?.rate),
    idempotency: new IdempotencyStore(store, clock),
    clock,
    log,
    bodyLimit: options.limits?.bodyBytes ?? BODY_LIMIT_BYTES,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(options.metrics, log));

  const router = express.Router();
  router.use('/v1', readToken(options.apiReadToken));
  registerHealthRoutes(router, { readiness: options.readiness, registry: options.metrics.registry, openapi: buildOpenApi });
  registerLossEventRoutes(router, { pipeline, workflow: options.workflow, store });
  registerPlanRoutes(router, { pipeline, workflow: options.workflow, store });
  registerProposalRoutes(router, { pipeline, workflow: options.workflow, store });
  registerPoolCheckRoutes(router, { workflow: options.workflow });
  registerPoolCheckMetrics(options.metrics.registry, () => latestPoolChecks(options.workflow));
  app.use(checkPathParameters(routePatterns(router)));
  app.use(router);
  // The read-only page and the Mini App: HTML, their own auth (read token or session; Telegram initData).
  const pages = express.Router();
  registerPageRoutes(pages, { workflow: options.workflow, apiReadToken: options.apiReadToken, log, clock });
  registerMiniAppRoutes(pages, { workflow: options.workflow, botToken: options.telegramBotToken, log, clock });
  app.use(pages);

  app.use((_req, _res, next) => next(new HttpError(404, 'not-found', 'no such route')));
  app.use(errorHandler(log));
  return app;
}

/** A request id per request (a sane incoming X-Request-Id is kept), echoed; one access log line and metric per answer. */
function requestContext(metrics: Metrics, log: Log): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals['requestId'] = requestId;
    res.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.http.observe({ route, method: req.method, status: res.statusCode, seconds });
      // Never the body, the signature, the token or other headers.
      log.info(
        { requestId, method: req.method, route, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10, source: res.locals['source'] },
        'http',
      );
    });
    next();
  };
}

/** GETs under /v1 need `Authorization: Bearer <API_READ_TOKEN>`. */
function readToken(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!bearerMatches(req.get('authorization'), token)) {
      return next(new HttpError(401, 'unauthenticated', 'reads need Authorization: Bearer <API_READ_TOKEN>'));
    }
    next();
  };
}

function errorHandler(log: Log): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = String(res.locals['requestId']);
    const mapped = toHttpError(err, requestId);
    if (mapped.unexpected) log.error({ requestId, ...unexpectedErrorLog(req, err) }, 'unexpected error');
    if (res.headersSent) return;
    sendError(res, mapped.error);
  };
}
