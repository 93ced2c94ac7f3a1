/**
 * Watching the chain (docs/flow.md, issue "poller"): new proposals are registered without a webhook,
 * on-chain status changes drive the chain transitions, and an `approved` proposal is co-signed
 * only after the curator's key is in the Proposal's on-chain `approved` list — voting last.
 */
import type { Address } from '@solana/kit';
import { decodeMultisig, decodeProposalAccount, type ProposalAccount } from '../chain/accounts/squads.ts';
import { proposalPdaOf } from '../chain/pda.ts';
import { readAccount, type Read } from '../chain/types.ts';
import type { Decision } from '../policy/decision.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import { buildSnapshot } from '../policy/snapshot.ts';
import { AuditChainBroken } from '../store/errors.ts';
import type { IntentRecord, ProposalRecord } from '../store/types.ts';
import { auditedTally, type AuditedTally } from './audited-votes.ts';
import { guardPools } from './guardian.ts';
import { SigningRefused } from './errors.ts';
import type { ProposalLock } from './proposal-lock.ts';
import { activeHold } from './votes.ts';
import { isFinal } from './states.ts';
import type { Workflow } from './workflow.ts';

/** How often a proposal denied with an `unknown` rule is decided again. */
export const REDECIDE_UNKNOWN_EVERY_MS = 60_000;

/** How far below the multisig's latest transaction index the poller looks. */
export const FIRST_LOOK_BACK = 20n;

export interface PollReport {
  readonly registered: string[];
  readonly errors: string[];
  /** Seconds between now and the oldest unfinished poll target, for the lag metric. */
  readonly multisigs: number;
}

/** One pass over every policy's multisig. Never throws; errors are reported and retried next poll. */
export async function pollOnce(wf: Workflow): Promise<PollReport> {
  const report: PollReport = { registered: [], errors: [], multisigs: 0 };
  for (const loaded of wf.policies.all()) {
    const multisig = loaded.policy.insurancePool.multisig;
    try {
      await pollMultisig(wf, multisig, report);
      await wf.reconcileLedger(loaded.policy.vault);
      (report as { multisigs: number }).multisigs += 1;
    } catch (err) {
      report.errors.push(`${multisig}: ${(err as Error).message}`);
      wf.log.warn({ multisig, err: (err as Error).message }, 'poll failed; retrying next poll');
    }
  }
  await guardPools(wf); // one batched read for every vault's pool; never throws, alerts only
  return report;
}

async function pollMultisig(wf: Workflow, multisig: Address, report: PollReport): Promise<void> {
  const accounts = await wf.chain.getAccounts([multisig]);
  const ms = readAccount(accounts, multisig, decodeMultisig);
  if (ms.status !== 'ok') throw new Error(`multisig ${ms.status}${'error' in ms ? `: ${ms.error}` : ''}`);

  // The window the chain defines, (max(stale, latest − 20), latest]: a stored row (a webhook's index) never moves it.
  const latest = ms.value.transactionIndex;
  const floor = latest > FIRST_LOOK_BACK ? latest - FIRST_LOOK_BACK : 0n;
  const from = (ms.value.staleTransactionIndex > floor ? ms.value.staleTransactionIndex : floor) + 1n;
  for (let index = from; index <= latest; index++) {
    // Only ids not stored yet: registering a known denied id would decide it again on every poll.
    if (await wf.store.getProposal(`${multisig}:${index}`)) continue;
    await wf.registerProposal({ multisig, transactionIndex: index });
    report.registered.push(`${multisig}:${index}`);
  }

  // Live proposals: read their Proposal accounts in one batch.
  const live = (await wf.store.listProposals()).filter((r) => r.multisig === multisig && !isFinal(r.state));
  if (live.length === 0) return;
  const pdas = live.map((r) => proposalPdaOf(multisig, r.transactionIndex));
  const read = await wf.chain.getAccounts(pdas);
  for (const [i, row] of live.entries()) {
    const proposal = readAccount(read, pdas[i]!, decodeProposalAccount);
    try {
      await followProposal(wf, row, proposal);
    } catch (err) {
      report.errors.push(`${row.id}: ${(err as Error).message}`);
      wf.log.warn({ proposal: row.id, err: (err as Error).message }, 'could not follow the proposal; retrying next poll');
    }
  }
}

/** Applies what the chain says about one live proposal. */
async function followProposal(wf: Workflow, row: ProposalRecord, proposal: Read<ProposalAccount>): Promise<void> {
  if (proposal.status === 'ok') {
    const status = proposal.value.status.kind;
    if (status === 'Rejected' || status === 'Cancelled') {
      await wf.withProposal(row.rowId, async (lock) => {
        const current = await lock.current();
        if (!isFinal(current.state)) {
          await lock.transition(current, 'rejected', 'chain', { onChain: status });
          await wf.notifier.proposalChanged(row.rowId);
        }
      });
      return;
    }
    if (status === 'Executed' && row.state !== 'signing' && row.state !== 'signed') {
      wf.log.error({ proposal: row.id, state: row.state }, 'the proposal was executed on-chain without backstop’s approval');
      await wf.store.appendAudit('chain.executed-elsewhere', { proposal: row.id, state: row.state });
    }
  }
  switch (row.state) {
    case 'received':
    case 'invalidated':
      // A decision that did not complete (an outage mid-way) is taken up again here.
      await wf.decideProposal(row.rowId, 'policy', 'not decided yet');
      return;
    case 'denied': {
      // Re-decided while a rule is unknown, at most once a minute: each decision is stored with its snapshot and edits the card.
      const latest = await wf.store.latestDecision(row.rowId);
      const due = !latest || wf.now().getTime() - Date.parse(latest.decision.decidedAt) >= REDECIDE_UNKNOWN_EVERY_MS;
      if (latest?.decision.rules.some((r) => r.outcome === 'unknown') && due) await wf.decideProposal(row.rowId, 'policy', 'a rule was unknown');
      return;
    }
    case 'approved':
      if (proposal.status === 'ok') await signingStep(wf, row, proposal.value);
      return;
    case 'signing':
      await trackSigning(wf, row);
      return;
    case 'signed':
      if (proposal.status === 'ok' && proposal.value.status.kind === 'Executed') await trackSigning(wf, row);
      return;
    default:
      return;
  }
}

/** What the chain and the signed log say just before the co-signer signs (one check for first signing and re-signing). */
type SigningCheck =
  | { readonly kind: 'go'; readonly decision: Decision; readonly summary: DecisionSummary }
  /** An `unknown` and no `fail`: try again next poll. */
  | { readonly kind: 'wait' }
  /** A rule fails, or the re-valued withdrawal no longer fits the ledger. */
  | { readonly kind: 'deny'; readonly decision: Decision; readonly reason: string }
  /** What would execute, or the policy, changed since the humans approved. */
  | { readonly kind: 'changed'; readonly reason: string }
  /** The signed audit log does not prove the approvals (a forged row or vote), or cannot be verified. */
  | { readonly kind: 'unproven'; readonly reason: string };

/**
 * Decides again from the chain, recounts the approvals from the verified audit chain, and re-reserves
 * the re-valued withdrawal, so the ledger holds exactly what is signed. Runs under the proposal's lock.
 */
async function checkBeforeSigning(wf: Workflow, lock: ProposalLock, row: ProposalRecord, loaded: LoadedPolicy): Promise<SigningCheck> {
  const { facts, decision, summary, now } = await wf.freshDecision(row, loaded);
  await wf.store.recordDecision({ proposalRowId: row.rowId, decision, summary, snapshot: buildSnapshot({ facts, policy: loaded.policy, now }) });
  const failed = decision.rules.filter((r) => r.outcome === 'fail');
  if (failed.length > 0) return { kind: 'deny', decision, reason: failed.map((r) => `${r.id}: ${r.reason}`).join('; ') };
  if (!decision.allowed || decision.digest === null) return { kind: 'wait' };
  if (decision.digest !== row.digest) return { kind: 'changed', reason: 'the digest changed since approval' };
  if (decision.policyRevision !== row.policyRevision) return { kind: 'changed', reason: 'the policy revision changed since approval' };

  let audited: AuditedTally;
  try {
    const entries = await wf.store.verifiedAuditEntries();
    audited = auditedTally({ entries, policy: loaded.policy, rowId: row.rowId, digest: decision.digest, policyRevision: decision.policyRevision });
  } catch (err) {
    if (err instanceof AuditChainBroken) return { kind: 'unproven', reason: err.message };
    throw err;
  }
  if (audited.epoch !== row.epoch) {
    return { kind: 'unproven', reason: `the proposal's approval round is ${row.epoch} in the database but ${audited.epoch} in the signed audit log` };
  }
  if (!audited.tally.met) {
    const { curatorsNeeded, councilNeeded } = audited.tally;
    return { kind: 'unproven', reason: `the signed audit log does not hold the quorum for this digest and revision (curators still needed: ${curatorsNeeded}, council still needed: ${councilNeeded})` };
  }

  const refused = await lock.reserve(row, loaded, summary, now);
  if (refused !== null) return { kind: 'deny', decision, reason: `the withdrawal, valued again at signing, no longer fits: ${refused}` };
  return { kind: 'go', decision, summary };
}

/** Says once per proposal and reason (not every poll) why signing is refused: in the chat and the audit log. */
async function refuseSigning(wf: Workflow, row: ProposalRecord, loaded: LoadedPolicy, reason: string): Promise<void> {
  if (!wf.firstRefusal(row.rowId, reason)) return;
  wf.log.error({ proposal: row.id, reason }, 'signing refused');
  await wf.store.appendAudit('signing.refused', { rowId: row.rowId, id: row.id, state: row.state, reason });
  await wf.notifier.alert(loaded.policy.telegram.chatId, `⚠️ backstop did not sign ${row.id}: ${reason}. Nothing was sent. Check the proposal with /status ${row.id} and the audit log with \`backstop audit verify\`.`);
}

/** Signs and stores the intent; a co-signer refusal (e.g. the pre-sign simulation) is said once and signs nothing. */
async function prepareOrRefuse(wf: Workflow, row: ProposalRecord, loaded: LoadedPolicy, check: { decision: Decision; summary: DecisionSummary }): Promise<IntentRecord | null> {
  try {
    return await wf.cosigner.prepareApproval({ row, policy: loaded, decision: check.decision, summary: check.summary });
  } catch (err) {
    if (!(err instanceof SigningRefused)) throw err;
    await refuseSigning(wf, row, loaded, err.reason);
    return null;
  }
}

/**
 * `approved` → `signing` (docs/flow.md state table): only once the curator has voted on-chain, no Reject
 * hold is active, and a fresh decision allows it with the digest and revision the humans approved.
 */
export async function signingStep(wf: Workflow, row: ProposalRecord, onChain: ProposalAccount): Promise<void> {
  await wf.withProposal(row.rowId, async (lock) => {
    const current = await lock.current();
    if (current.state !== 'approved') return;
    const loaded = wf.policyFor(current);
    if (!loaded) return;
    if (onChain.status.kind !== 'Active') return; // Approved/Executed without us is reported by followProposal
    if (!onChain.approved.includes(loaded.policy.insurancePool.curatorMember)) return; // vote last: wait for the curator
    if (onChain.approved.includes(wf.cosigner.address)) {
      wf.log.warn({ proposal: current.id }, 'the co-signer already voted on-chain; not signing again');
      return;
    }
    if (activeHold(await wf.store.timersFor(current.rowId), wf.now())) return; // stays approved while a Reject hold is active

    // Decide again from the chain before anything is sent — also before resending a stored intent.
    const check = await checkBeforeSigning(wf, lock, current, loaded);
    switch (check.kind) {
      case 'wait':
        return;
      case 'unproven':
        return refuseSigning(wf, current, loaded, check.reason);
      case 'changed':
        await lock.invalidate(current, check.reason, 'chain');
        return;
      case 'deny':
        await lock.transition(current, 'denied', 'policy', { decision: check.decision.id, atSigning: true, reason: check.reason });
        await wf.notifier.proposalChanged(current.rowId);
        return;
      case 'go':
        break;
    }
    const { decision } = check;

    // A stored, unsettled approval means a crash came between storing it and the state change:
    // resend those bytes, never sign a second approval.
    const stored = await wf.store.latestIntent(current.id);
    if (stored && (stored.kind === 'approve' || stored.kind === 'approve-execute') && stored.status !== 'failed' && stored.status !== 'expired') {
      const next = await lock.transition(current, 'signing', 'chain', { decision: decision.id, intent: stored.signature, recovered: true });
      await wf.notifier.proposalChanged(next.rowId);
      await wf.cosigner.send(stored);
      return;
    }
    const intent = await prepareOrRefuse(wf, current, loaded, check);
    if (!intent) return;
    const next = await lock.transition(current, 'signing', 'chain', { decision: decision.id, intent: intent.signature, kind: intent.kind });
    await wf.anchor?.publish(`${current.id} signing`);
    await wf.notifier.proposalChanged(next.rowId);
    await wf.cosigner.send(intent);
  });
}

/** `signing` → `signed` / `executed` / `failed` by polling the chain; resends stored bytes meanwhile. */
export async function trackSigning(wf: Workflow, row: ProposalRecord): Promise<void> {
  await wf.withProposal(row.rowId, async (lock) => {
    const current = await lock.current();
    if (current.state !== 'signing' && current.state !== 'signed') return;
    const intent = await wf.store.latestIntent(current.id);
    if (!intent) {
      wf.log.error({ proposal: current.id }, 'signing without a stored intent');
      return;
    }
    const status = intent.status === 'expired' ? ({ kind: 'expired' } as const) : await wf.cosigner.approvalStatus(current, intent);
    switch (status.kind) {
      case 'executed':
        await wf.store.updateIntentStatus(intent.id, 'landed');
        await lock.transition(current, 'executed', 'chain', { signature: status.signature });
        await wf.notifier.proposalChanged(current.rowId);
        return;
      case 'approved-not-executed':
        if (intent.status !== 'landed') await wf.store.updateIntentStatus(intent.id, 'landed');
        if (current.state === 'signing') {
          await lock.transition(current, 'signed', 'chain', { signature: intent.signature });
          await wf.notifier.proposalChanged(current.rowId);
        }
        return;
      case 'expired':
        // Provably not landed and no co-signer vote on-chain: sign anew if the proposal can still pass.
        if (intent.status !== 'expired') await wf.store.updateIntentStatus(intent.id, 'expired');
        await resign(wf, lock, current);
        return;
      case 'failed-on-chain':
        await wf.store.updateIntentStatus(intent.id, 'failed');
        await lock.transition(current, 'failed', 'chain', { signature: intent.signature, reason: `the approval landed but failed: ${status.error}` });
        await wf.notifier.proposalChanged(current.rowId);
        return;
      case 'pending':
        if (current.state === 'signing') await wf.cosigner.send(intent); // same bytes, same signature
        return;
    }
  });
}

/**
 * After a stored approval provably expired: a new approval is signed only while the Proposal is
 * still Active with the curator's vote and without the co-signer's, and the check before signing
 * still passes with the approved digest and revision. Otherwise it cannot land: `failed`.
 */
async function resign(wf: Workflow, lock: ProposalLock, current: ProposalRecord): Promise<void> {
  const loaded = wf.policyFor(current);
  if (!loaded) return;
  const pda = proposalPdaOf(current.multisig, current.transactionIndex);
  const proposal = readAccount(await wf.chain.getAccounts([pda]), pda, decodeProposalAccount);
  if (proposal.status === 'unavailable') return; // could not tell: try again next poll
  const canLand =
    proposal.status === 'ok' &&
    proposal.value.status.kind === 'Active' &&
    proposal.value.approved.includes(loaded.policy.insurancePool.curatorMember) &&
    !proposal.value.approved.includes(wf.cosigner.address);
  const fail = async (reason: string) => {
    await lock.transition(current, 'failed', 'chain', { reason });
    await wf.notifier.proposalChanged(current.rowId);
  };
  if (!canLand) return fail('the approval expired and the proposal can no longer be approved');
  const check = await checkBeforeSigning(wf, lock, current, loaded);
  switch (check.kind) {
    case 'wait':
      return;
    case 'unproven':
      return refuseSigning(wf, current, loaded, check.reason);
    case 'deny':
      return fail(`the approval expired and the policy now denies it (${check.decision.id}: ${check.reason})`);
    case 'changed':
      return fail(`the approval expired and ${check.reason}`);
    case 'go':
      break;
  }
  const intent = await prepareOrRefuse(wf, current, loaded, check);
  if (!intent) return;
  await wf.anchor?.publish(`${current.id} signing again`);
  await wf.cosigner.send(intent);
}
