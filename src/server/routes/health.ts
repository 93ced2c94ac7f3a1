/**
 * Unauthenticated operational routes (docs/api.md): GET /healthz (the process answers), GET /readyz
 * (the supplied checks: store, RPC, Telegram, fee balance), GET /metrics (Prometheus) and
 * GET /openapi.json.
 */
import type { Router } from 'express';
import type { Registry } from 'prom-client';
import { RETRY_AFTER_SECONDS } from '../errors.ts';
import { jsonText, sendJsonText } from '../pipeline.ts';
import { runReadiness, type Readiness } from '../readiness.ts';

export function registerHealthRoutes(router: Router, deps: { readiness: Readiness; registry: Registry; openapi: () => object }): void {
  const openapiText = jsonText(deps.openapi());

  router.get('/healthz', (_req, res) => {
    sendJsonText(res, 200, jsonText({ ok: true }));
  });

  router.get('/readyz', async (_req, res) => {
    const report = await runReadiness(deps.readiness);
    if (!report.ready) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    sendJsonText(res, report.ready ? 200 : 503, jsonText(report));
  });

  router.get('/metrics', async (_req, res) => {
    res.status(200).type(deps.registry.contentType).send(await deps.registry.metrics());
  });

  router.get('/openapi.json', (_req, res) => {
    sendJsonText(res, 200, openapiText);
  });
}
