/**
 * Proposals (docs/api.md): POST /v1/proposals registers (`{ multisig, transactionIndex, claim? }`) or
 * creates (`{ vault, lossEventId, amount, escrow, claim? }`) one and answers 202 with it; GET
 * /v1/proposals[?state=] and GET /v1/proposals/:id read them with decision, approvals and intent.
 */
import type { Router } from 'express';
import type { Store } from '../../store/types.ts';
import type { Workflow } from '../../workflow/workflow.ts';
import { HttpError } from '../errors.ts';
import { jsonText, sendJsonText, type SignedPipeline } from '../pipeline.ts';
import { CreateProposalRequest, proposalSchemaFor, ProposalListQuery, RegisterProposalRequest } from '../schemas.ts';
import type { z } from 'zod';
import { proposalView } from '../views.ts';

type Register = z.output<typeof RegisterProposalRequest>;
type Create = z.output<typeof CreateProposalRequest>;

export function registerProposalRoutes(router: Router, deps: { pipeline: SignedPipeline; workflow: Workflow; store: Store }): void {
  const { pipeline, workflow, store } = deps;

  router.post(
    '/v1/proposals',
    pipeline.route<Register | Create>({
      action: 'proposals',
      schema: (json) => proposalSchemaFor(json),
      target: (input) => ('multisig' in input ? { multisig: input.multisig } : { vault: input.vault }),
      handle: async (input) => {
        const row =
          'multisig' in input
            ? await workflow.registerProposal({ multisig: input.multisig, transactionIndex: input.transactionIndex, ...(input.claim !== undefined ? { claim: input.claim } : {}) })
            : await workflow.createProposal({
                vault: input.vault,
                lossEventId: input.lossEventId,
                amount: input.amount,
                escrow: input.escrow,
                ...(input.claim !== undefined ? { claim: input.claim } : {}),
              });
        return { status: 202, body: await proposalView(store, row) };
      },
    }),
  );

  router.get('/v1/proposals', async (req, res) => {
    const query = ProposalListQuery.safeParse(req.query);
    if (!query.success) throw new HttpError(400, 'invalid-request', 'state must be one proposal state (docs/flow.md)');
    const rows = await store.listProposals(query.data.state ? { state: query.data.state } : {});
    const proposals = await Promise.all(rows.map((r) => proposalView(store, r)));
    sendJsonText(res, 200, jsonText({ proposals }));
  });

  router.get('/v1/proposals/:id', async (req, res) => {
    const row = await store.getProposal(req.params.id);
    if (!row) throw new HttpError(404, 'not-found', `no proposal ${req.params.id}`);
    sendJsonText(res, 200, jsonText(await proposalView(store, row)));
  });
}
