/**
 * Loss events (docs/api.md): POST /v1/loss-events records one (201 with its evidence), POST
 * /v1/loss-events/:id/close closes one (200), GET /v1/loss-events[/:id] reads them.
 */
import type { Router } from 'express';
import type { Store } from '../../store/types.ts';
import type { Workflow } from '../../workflow/workflow.ts';
import { HttpError } from '../errors.ts';
import { jsonText, sendJsonText, type SignedPipeline } from '../pipeline.ts';
import { CloseLossRequest, LossEventRequest } from '../schemas.ts';
import { lossEventView } from '../views.ts';

export function registerLossEventRoutes(router: Router, deps: { pipeline: SignedPipeline; workflow: Workflow; store: Store }): void {
  const { pipeline, workflow, store } = deps;

  router.post(
    '/v1/loss-events',
    pipeline.route({
      action: 'loss-events',
      schema: () => LossEventRequest,
      target: (input) => ({ vault: input.vault }),
      handle: async (input, { caller }) => {
        const event = await workflow.recordLoss({
          vault: input.vault,
          reserve: input.reserve,
          signature: input.signature,
          vaultLoss: input.vaultLoss,
          recordedBy: caller.source,
          ...(input.note !== undefined ? { note: input.note } : {}),
        });
        return { status: 201, body: lossEventView(event) };
      },
    }),
  );

  router.post(
    '/v1/loss-events/:id/close',
    pipeline.route({
      action: 'loss-events',
      schema: () => CloseLossRequest,
      target: (input) => ({ vault: input.vault }),
      handle: async (input, { params }) => {
        const id = params['id'] ?? '';
        const event = await workflow.closeLoss({ id, vault: input.vault });
        return { status: 200, body: lossEventView(event) };
      },
    }),
  );

  router.get('/v1/loss-events', async (_req, res) => {
    const events = await store.listLossEvents();
    sendJsonText(res, 200, jsonText({ lossEvents: events.map(lossEventView) }));
  });

  router.get('/v1/loss-events/:id', async (req, res) => {
    const event = await store.getLossEvent(req.params.id);
    if (!event) throw new HttpError(404, 'not-found', `no loss event ${req.params.id}`);
    sendJsonText(res, 200, jsonText(lossEventView(event)));
  });
}
