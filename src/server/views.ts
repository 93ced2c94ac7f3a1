/**
 * Stored records as the API shows them (docs/api.md): bigints as decimal strings, times as RFC 3339,
 * transactions as base64. The proposal view joins the latest decision, the current epoch's
 * approvals and the latest intent.
 */
import type { Store, StoredLossEvent, ProposalRecord } from '../store/types.ts';
import type { z } from 'zod';
import type { LossEventView, ProposalView } from './schemas.ts';
import { proposalView as workflowProposalView, type ProposalView as WorkflowProposalView } from '../workflow/views.ts';

export function lossEventView(e: StoredLossEvent): z.input<typeof LossEventView> {
  return {
    id: e.id,
    vault: e.vault,
    reserve: e.reserve,
    signature: e.signature,
    vaultLoss: e.vaultLoss.toString(),
    recordedLoss: e.recordedLoss.toString(),
    forgiven: e.forgiven.toString(),
    state: e.state,
    evidence: {
      vaultCTokens: e.evidence.vaultCTokens.toString(),
      reserveCTokenSupply: e.evidence.reserveCTokenSupply.toString(),
      readAtSlot: e.evidence.readAtSlot.toString(),
    },
    slot: e.slot.toString(),
    blockTime: e.blockTime,
    note: e.note,
    recordedAt: e.recordedAt.toISOString(),
    recordedBy: e.recordedBy,
    closedAt: e.closedAt?.toISOString() ?? null,
  };
}

/** The API's proposal (docs/api.md), rendered from the workflow's read model. */
export function apiProposal(v: WorkflowProposalView): z.input<typeof ProposalView> {
  return {
    id: v.id,
    multisig: v.multisig,
    transactionIndex: v.transactionIndex.toString(),
    vault: v.vault,
    state: v.state,
    epoch: v.epoch,
    digest: v.digest,
    policyRevision: v.policyRevision,
    claim: v.claim,
    lossEventId: v.lossEventId,
    mode: v.mode,
    receivedAt: v.receivedAt.toISOString(),
    deadline: v.deadline?.toISOString() ?? null,
    decision: v.decision ? (v.decision as z.input<typeof ProposalView>['decision']) : null,
    approvals: v.approvals.map((a) => ({ telegramId: a.telegramId, name: a.name, role: a.role, vote: a.vote, at: a.at.toISOString() })),
    intent: v.intent ? { signature: v.intent.signature, transaction: Buffer.from(v.intent.transaction).toString('base64'), status: v.intent.status } : null,
  };
}

/** Builds the read model of `p` and renders it for the API (the API shows no tally, so no policy is needed). */
export async function proposalView(store: Store, p: ProposalRecord): Promise<z.input<typeof ProposalView>> {
  return apiProposal(await workflowProposalView({ store, policyFor: () => undefined }, p, new Date()));
}
