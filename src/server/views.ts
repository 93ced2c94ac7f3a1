/**
 * Stored records as the API shows them (SPEC §6): bigints as decimal strings, times as RFC 3339,
 * transactions as base64. The proposal view joins the latest decision, the current epoch's
 * approvals and the latest intent.
 */
import type { Store, StoredLossEvent, ProposalRecord } from '../store/types.ts';
import type { z } from 'zod';
import type { LossEventView, ProposalView } from './schemas.ts';

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

export async function proposalView(store: Store, p: ProposalRecord): Promise<z.input<typeof ProposalView>> {
  const [decision, votes, intent] = await Promise.all([store.latestDecision(p.rowId), store.votes(p.rowId, p.epoch), store.latestIntent(p.id)]);
  return {
    id: p.id,
    multisig: p.multisig,
    transactionIndex: p.transactionIndex.toString(),
    vault: p.vault,
    state: p.state,
    epoch: p.epoch,
    digest: p.digest,
    policyRevision: p.policyRevision,
    claim: p.claim,
    lossEventId: p.lossEventId,
    mode: p.mode,
    receivedAt: p.receivedAt.toISOString(),
    deadline: p.deadline?.toISOString() ?? null,
    decision: decision ? (decision.decision as z.input<typeof ProposalView>['decision']) : null,
    approvals: votes.map((v) => ({ telegramId: v.telegramId, name: v.name, role: v.role, vote: v.vote, at: v.at.toISOString() })),
    intent: intent ? { signature: intent.signature, transaction: Buffer.from(intent.transaction).toString('base64'), status: intent.status } : null,
  };
}
