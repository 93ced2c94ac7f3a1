/**
 * Compensation plans (issue 15 §3): a signed POST /v1/loss-events/:id/plan builds the loss event's
 * plan from the chain at the loss slot, stores it (one audit entry) and answers its summary (201);
 * GET /v1/loss-events/:id/plan (read token) serves the newest stored plan as `backstop compensation
 * plan --json` prints it. A plan the chain cannot prove is refused 422 saying why; an RPC outage is 503.
 */
import type { Address } from '@solana/kit';
import type { Router } from 'express';
import { z } from 'zod';
import { ChainUnavailable } from '../../chain/errors.ts';
import type { HistoryChain } from '../../chain/history.ts';
import type { Store } from '../../store/types.ts';
import { storeLossEventPlan } from '../../workflow/compensation.ts';
import type { Workflow } from '../../workflow/workflow.ts';
import { HttpError } from '../errors.ts';
import { jsonText, sendJsonText, type SignedPipeline } from '../pipeline.ts';
import { CloseLossRequest } from '../schemas.ts';

const dec = (what: string) => z.string().regex(/^(0|[1-9][0-9]*)$/).describe(`${what}: kToken base units as a decimal string`);
const hex = z.string().regex(/^[0-9a-f]{64}$/);

/** POST body: the vault (the source must be allowed `loss-events` on it) and an optional amount in whole kTokens. */
export const PlanRequest = CloseLossRequest.extend({
  amount: z
    .string()
    .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, { message: 'amount must be a decimal kToken amount like "1234.5"' })
    .optional()
    .meta({ description: "kTokens to distribute (default: the event's remaining compensable value at today's price, capped by the affected holders' loss)" }),
});

/** The stored plan's summary (POST answer, OpenAPI `PlanSummary`). */
export const PlanSummary = z.object({
  id: z.number().int(),
  lossEventId: z.string(),
  lossSlot: dec('the loss slot'),
  sharesMint: z.string(),
  root: hex.describe('the merkle root the distributor must hold'),
  total: dec('max_total_claim'),
  amount: dec('amount distributed'),
  remainder: dec('amount − total'),
  claimants: z.number().int(),
  planSha256: hex.describe('sha256 of the plan JSON GET serves'),
  createdAt: z.string(),
  createdBy: z.string(),
});

/** The whole plan (GET answer, OpenAPI `Plan`): `backstop compensation plan --json`. */
export const PlanJson = z.object({
  lossEventId: z.string(),
  lossSlot: dec('slot'),
  sharesMint: z.string(),
  totalShares: dec('shares issued at the loss'),
  excludedShares: dec('excluded shares'),
  affectedShares: dec('affected shares'),
  amount: dec('amount'),
  total: dec('total'),
  remainder: dec('remainder'),
  root: hex,
  entries: z.array(z.object({ claimant: z.string(), shares: dec('shares'), amountUnlocked: dec('claim'), amountLocked: dec('always 0'), proof: z.array(hex) })),
  manualReview: z.array(z.object({ owner: z.string(), shares: dec('shares') })),
  dust: z.array(z.object({ claimant: z.string(), shares: dec('shares') })),
});

const hasHistory = (chain: unknown): chain is HistoryChain => typeof (chain as { readBatch?: unknown }).readBatch === 'function';

export function registerPlanRoutes(router: Router, deps: { pipeline: SignedPipeline; workflow: Workflow; store: Store }): void {
  const { pipeline, workflow, store } = deps;

  router.post(
    '/v1/loss-events/:id/plan',
    pipeline.route({
      action: 'loss-events',
      schema: () => PlanRequest,
      target: (input) => ({ vault: input.vault }),
      handle: async (input, { caller, params }) => {
        const id = params['id'] ?? '';
        const event = await store.getLossEvent(id);
        if (!event || event.vault !== input.vault) throw new HttpError(404, 'not-found', `no loss event ${id} for vault ${input.vault}`);
        const chain = workflow.chain;
        if (!hasHistory(chain)) throw new ChainUnavailable('the configured chain reader cannot list program accounts; plans need ChainReader');
        const { stored } = await storeLossEventPlan(
          { chain, store, plans: store, policyFor: (v: Address) => workflow.policies.forVault(v)?.policy },
          { lossEventId: id, createdBy: caller.source, ...(input.amount !== undefined ? { amount: input.amount } : {}) },
        );
        workflow.log.info({ lossEvent: id, root: stored.root, total: stored.total.toString(), claimants: stored.claimants }, 'compensation plan stored');
        return { status: 201, body: JSON.parse(jsonText(stored)) as unknown };
      },
    }),
  );

  router.get('/v1/loss-events/:id/plan', async (req, res) => {
    const json = await store.latestPlanJson(req.params.id);
    if (json === null) throw new HttpError(404, 'not-found', `loss event ${req.params.id} has no stored plan: POST /v1/loss-events/${req.params.id}/plan builds one`);
    sendJsonText(res, 200, json);
  });
}
