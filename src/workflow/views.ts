/**
 * The read model every screen renders (issue "one read model"): a `ProposalView` and a `LossEventView`
 * built once, here, from the store and the current policy. Telegram cards, the HTTP API, the CLI and
 * the demo render these; none of them reads rule facts by string id or joins store records itself.
 */
import type { Address } from '@solana/kit';
import type { Decision, Outcome } from '../policy/decision.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import type { IntentKind, IntentStatus, LedgerEntry, ProposalRecord, ProposalState, Store, StoredLossEvent, StoredPlan, TransitionCause } from '../store/types.ts';
import type { Member, Tally } from './quorum.ts';
import { holdEndsAt } from './timers.ts';
import { activeHold, currentTally, type PressAction } from './votes.ts';

/** One rule as screens show it. */
export interface RuleLine {
  readonly id: string;
  readonly outcome: Outcome;
  readonly reason: string;
}

/** The decision in one line: allowed, or the first rule that is not a pass (and how many are not). */
export interface Verdict {
  readonly allowed: boolean;
  readonly passed: number;
  readonly total: number;
  /** Rules that did not pass, in table order. */
  readonly problems: readonly RuleLine[];
}

/** A loss event with what is already used of it (underlying base units). */
export interface LossEventLine {
  readonly id: string;
  readonly reserve: Address;
  readonly state: 'open' | 'closed';
  readonly recordedLoss: bigint;
  readonly compensated: bigint;
  readonly reserved: bigint;
  /** max(0, recorded − compensated − reserved). */
  readonly remaining: bigint;
  /** When the loss happened (the loss transaction's block time), if known. */
  readonly at: Date | null;
}

/** A loss event's stored compensation plan (issue 15), as screens show it. */
export interface PlanLine {
  readonly lossEventId: string;
  /** 64 hex characters: what the distributor must hold. */
  readonly root: string;
  /** kToken base units: the distributor's max_total_claim. */
  readonly total: bigint;
  readonly claimants: number;
}

/** A vote of the current round, as stored. */
export interface ApprovalLine {
  readonly telegramId: number;
  readonly name: string;
  readonly role: 'curator' | 'council';
  readonly vote: 'approve' | 'reject';
  readonly at: Date;
}

/** Token names and decimals for amounts: the underlying and the vault's shares (kTokens). */
export interface Units {
  readonly underlying: { readonly symbol: string; readonly decimals: number | null };
  readonly shares: { readonly symbol: string; readonly decimals: number | null };
}

/** The proposal's stored record (all but `updatedAt`) and everything a screen shows with it. */
export interface ProposalView extends Omit<ProposalRecord, 'updatedAt'> {
  /** The policy's name for the vault; null when no policy covers the proposal any more. */
  readonly vaultName: string | null;
  /** The latest stored decision (docs/rules.md#the-decision shape), null before the first. */
  readonly decision: Decision | null;
  readonly rules: readonly RuleLine[];
  readonly verdict: Verdict | null;
  /** The numbers the latest decision was made on (null for decisions stored before summaries). */
  readonly summary: DecisionSummary | null;
  readonly units: Units;
  /** Where the withdrawal pays, and the registered escrow's name (null: not an escrow). */
  readonly destination: { readonly address: Address; readonly escrowName: string | null } | null;
  readonly lossEvents: readonly LossEventLine[];
  /** The stored plan of the loss event the withdrawal draws on, when it draws on one that has a plan. */
  readonly plan?: PlanLine | null;
  /** Votes of the current round (the API's `approvals`). */
  readonly approvals: readonly ApprovalLine[];
  /** The current round's tally against the current policy; null without a policy. */
  readonly tally: Tally | null;
  readonly required: { readonly curators: number; readonly council: number } | null;
  /** An active Reject hold: who holds it and until when. */
  readonly hold: { readonly by: number; readonly name: string; readonly until: Date } | null;
  /** The latest co-signer intent. `recorded` = sent to a chain that does not execute (sandbox recorded mode). */
  readonly intent: { readonly kind: IntentKind; readonly signature: string; readonly status: IntentStatus; readonly transaction: Uint8Array } | null;
  /** Why the proposal is where it is: the latest transition's cause and reason or signature. */
  readonly last: { readonly cause: TransitionCause; readonly at: Date; readonly reason: string | null; readonly signature: string | null } | null;
  /** The member who rejected it, and their reason (replied later). */
  readonly rejection: { readonly name: string; readonly reason: string | null } | null;
  /** The buttons a card carries in this state. */
  readonly actions: readonly PressAction[];
}

/** The loss event as the API and screens show it. */
export interface LossEventView extends LossEventLine {
  readonly vault: Address;
  readonly signature: string;
  readonly vaultLoss: bigint;
  readonly forgiven: bigint;
  readonly evidence: StoredLossEvent['evidence'];
  readonly slot: bigint;
  readonly blockTime: number | null;
  readonly note: string | null;
  readonly recordedAt: Date;
  readonly recordedBy: string;
  readonly closedAt: Date | null;
  /** Its newest stored compensation plan, null when none. */
  readonly plan: PlanLine | null;
}

/** What building a view needs: the store and the current policies. */
export interface ViewSources {
  readonly store: Store;
  readonly policyFor: (row: Pick<ProposalRecord, 'multisig'>) => LoadedPolicy | undefined;
}

/** A state as people read it, on the card, the page and the Mini App. */
export const STATE_TEXT: Readonly<Record<ProposalState, string>> = {
  received: '⏳ Received — deciding',
  denied: '⛔ Denied by policy',
  'awaiting-approval': '🗳 Awaiting approval',
  invalidated: '♻️ Voided — deciding again',
  approved: '✅ Approved — signs after the curator',
  signing: '✍️ Signing',
  signed: '✍️ Signed, not executed yet',
  executed: '🏁 Executed',
  rejected: '🚫 Rejected',
  expired: '⌛ Expired',
  failed: '💥 Failed',
};

/** Which buttons a card carries in `state` (docs/telegram.md). */
export function cardActions(state: ProposalState, holdActive: boolean): PressAction[] {
  const approve: PressAction[] = state === 'awaiting-approval' ? ['approve'] : [];
  const rejectable = state === 'denied' || state === 'awaiting-approval' || state === 'approved';
  if (!rejectable) return approve;
  return [...approve, ...(holdActive ? (['confirm-reject', 'cancel-reject'] as const) : (['reject'] as const))];
}

/** The verdict of a decision. */
export function verdictOf(decision: Decision): Verdict {
  const problems = decision.rules.filter((r) => r.outcome !== 'pass').map(({ id, outcome, reason }) => ({ id, outcome, reason }));
  return { allowed: decision.allowed, passed: decision.rules.length - problems.length, total: decision.rules.length, problems };
}

/** Token names for amounts: the policy's `symbol` for the underlying, `k` + it for the shares. */
export function unitsOf(loaded: LoadedPolicy | undefined, summary: DecisionSummary | null): Units {
  const symbol = loaded?.policy.symbol;
  return {
    underlying: { symbol: symbol ?? 'tokens', decimals: summary?.underlyingDecimals ?? null },
    shares: { symbol: symbol ? `k${symbol}` : 'kTokens', decimals: summary?.sharesDecimals ?? null },
  };
}

/** Sums a vault's ledger per loss event. */
export function lossEventLine(e: StoredLossEvent, ledger: readonly LedgerEntry[]): LossEventLine {
  const rows = ledger.filter((l) => l.lossEventId === e.id);
  const sum = (state: 'reserved' | 'compensated') => rows.filter((l) => l.state === state).reduce((a, l) => a + l.amount, 0n);
  const compensated = sum('compensated');
  const reserved = sum('reserved');
  const left = e.recordedLoss - compensated - reserved;
  return {
    id: e.id, reserve: e.reserve, state: e.state, recordedLoss: e.recordedLoss, compensated, reserved,
    remaining: left > 0n ? left : 0n, at: e.blockTime === null ? null : new Date(e.blockTime * 1000),
  };
}

/** The loss event view (with its newest stored plan, when given). */
export function lossEventView(e: StoredLossEvent, ledger: readonly LedgerEntry[], plan?: StoredPlan | null): LossEventView {
  return {
    ...lossEventLine(e, ledger),
    vault: e.vault, signature: e.signature, vaultLoss: e.vaultLoss, forgiven: e.forgiven, evidence: e.evidence, slot: e.slot,
    blockTime: e.blockTime, note: e.note, recordedAt: e.recordedAt, recordedBy: e.recordedBy, closedAt: e.closedAt,
    plan: plan ? planLine(plan) : null,
  };
}

/** A stored plan as screens show it. */
export function planLine(p: StoredPlan): PlanLine {
  return { lossEventId: p.lossEventId, root: p.root, total: p.total, claimants: p.claimants };
}

const detailOf = (detail: unknown): Record<string, unknown> => (detail !== null && typeof detail === 'object' ? (detail as Record<string, unknown>) : {});
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Builds the view of one proposal row as of `now` (Reject holds are judged against it). */
export async function proposalView(src: ViewSources, row: ProposalRecord, now: Date): Promise<ProposalView> {
  const { store } = src;
  const loaded = src.policyFor(row);
  const [stored, tally, timers, intent, transitions, votes, events, ledger, plans] = await Promise.all([
    store.latestDecision(row.rowId),
    currentTally({ store, policyFor: src.policyFor }, row),
    store.timersFor(row.rowId),
    store.latestIntent(row.id),
    store.transitions(row.rowId),
    store.votes(row.rowId),
    store.lossEventsForVault(row.vault),
    store.ledgerForVault(row.vault),
    store.latestPlansForVault?.(row.vault) ?? new Map<string, StoredPlan>(),
  ]);
  const decision = stored?.decision ?? null;
  const summary = stored?.summary ?? null;
  // The events the decision weighed, else the one the proposal is bound to, else the vault's open ones.
  const weighed = summary?.lossEventIds ?? [];
  const shown = weighed.length > 0
    ? events.filter((e) => weighed.includes(e.id))
    : row.lossEventId
      ? events.filter((e) => e.id === row.lossEventId)
      : events.filter((e) => e.state === 'open');
  const hold = activeHold(timers, now);
  const members: readonly Member[] = loaded ? [...loaded.policy.curators.members, ...loaded.policy.council.members] : [];
  const lastTransition = transitions.at(-1) ?? null;
  const detail = detailOf(lastTransition?.detail);
  const rejectVote = row.state === 'rejected' ? votes.filter((v) => v.vote === 'reject').at(-1) : undefined;
  const { updatedAt: _updatedAt, ...record } = row;
  return {
    ...record,
    vaultName: loaded?.policy.name ?? null,
    decision,
    rules: decision?.rules.map(({ id, outcome, reason }) => ({ id, outcome, reason })) ?? [],
    verdict: decision ? verdictOf(decision) : null,
    summary,
    units: unitsOf(loaded, summary),
    destination: summary?.destination ? { address: summary.destination, escrowName: summary.escrowName } : null,
    lossEvents: shown.map((e) => lossEventLine(e, ledger)),
    plan: shown.length === 1 && plans.has(shown[0]!.id) ? planLine(plans.get(shown[0]!.id)!) : null,
    approvals: votes.filter((v) => v.epoch === row.epoch).map((v) => ({ telegramId: v.telegramId, name: v.name, role: v.role, vote: v.vote, at: v.at })),
    tally,
    required: loaded ? { curators: loaded.policy.curators.required, council: loaded.policy.council.quorum } : null,
    hold: hold ? { by: hold.by, name: members.find((m) => m.telegramId === hold.by)?.name ?? String(hold.by), until: holdEndsAt(hold) } : null,
    intent: intent ? { kind: intent.kind, signature: intent.signature, status: intent.status, transaction: intent.transaction } : null,
    last: lastTransition && lastTransition.to === row.state
      ? { cause: lastTransition.cause, at: lastTransition.at, reason: text(detail['reason']), signature: text(detail['signature']) }
      : null,
    rejection: rejectVote ? { name: rejectVote.name, reason: rejectVote.reason } : null,
    actions: cardActions(row.state, hold !== null),
  };
}
