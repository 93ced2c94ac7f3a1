/**
 * Which loss events back a proposal and how much loss remains uncompensated (docs/rules.md#how-the-numbers-are-computed:
 * "Forgiven", "Recorded loss", "Remaining loss", "Several events", "Ledger rows"). Pure.
 */
import type { Address } from '@solana/kit';
import { floorDiv, maxBig, minBig } from './amounts.ts';
import type { Outcome } from './decision.ts';
import type { Facts, LossEvent } from './facts.ts';
import { verifyLossTransaction } from './loss-transaction.ts';

export interface EventAssessment {
  readonly id: string;
  readonly reserve: Address;
  readonly signature: string;
  readonly outcome: Outcome;
  readonly reason: string;
  readonly forgiven: bigint | null;
  readonly declaredLoss: bigint;
  readonly recordedLoss: bigint | null;
  readonly compensated: bigint;
  readonly reservedByOthers: bigint;
  /** max(0, recorded − compensated − reserved by other proposals), for verified events. */
  readonly remaining: bigint | null;
  readonly blockTime: number | null;
}

export interface LossAssessment {
  /** The event the decision is bound to (create mode or a snapshot's `lossEventId`), else null. */
  readonly boundEventId: string | null;
  /** This vault's open events (or the bound event alone), each judged. */
  readonly events: readonly EventAssessment[];
  /** Outcome of the `loss-event` rule. */
  readonly outcome: Outcome;
  readonly reason: string;
  /** Remaining loss over the verified events considered (the bound one alone when bound). */
  readonly remaining: bigint;
}

/** Judges one loss event: is its stored transaction a verified loss on its reserve, and how much. */
export function assessEvent(event: LossEvent, facts: Facts, proposalId: string): EventAssessment {
  let compensated = 0n;
  let reservedByOthers = 0n;
  for (const row of facts.ledger) {
    if (row.lossEventId !== event.id || row.proposal === proposalId) continue; // own rows never count
    if (row.state === 'compensated') compensated += row.amount;
    else if (row.state === 'reserved') reservedByOthers += row.amount;
  }
  const base = { id: event.id, reserve: event.reserve, signature: event.signature, declaredLoss: event.vaultLoss, compensated, reservedByOthers };
  const judged = (outcome: Outcome, reason: string, extra: Partial<EventAssessment> = {}): EventAssessment => ({
    ...base, outcome, reason, forgiven: null, recordedLoss: null, remaining: null, blockTime: null, ...extra,
  });

  const stored = facts.transactions.get(event.signature);
  if (!stored) return judged('unknown', `the stored loss transaction ${event.signature} is not available`);
  if (stored.kind === 'unavailable') return judged('unknown', `the loss transaction could not be read: ${stored.error}`);
  const verdict = verifyLossTransaction(stored.result, event.reserve);
  if (verdict.outcome !== 'pass') return judged(verdict.outcome, verdict.reason);
  const blockTime = verdict.blockTime;
  if (event.evidence.vaultCTokens === 0n) {
    return judged('fail', `the vault held no cTokens of reserve ${event.reserve} when the loss was recorded`, { forgiven: verdict.forgiven, blockTime });
  }
  if (event.evidence.reserveCTokenSupply === 0n) {
    return judged('unknown', `the evidence shows a zero cToken supply for reserve ${event.reserve}`, { forgiven: verdict.forgiven, blockTime });
  }
  const bound = floorDiv(verdict.forgiven * event.evidence.vaultCTokens, event.evidence.reserveCTokenSupply);
  const recordedLoss = minBig(event.vaultLoss, bound);
  const remaining = maxBig(0n, recordedLoss - compensated - reservedByOthers);
  return {
    ...base,
    outcome: 'pass',
    reason: `forgave ${verdict.forgiven} on the reserve; the vault's share is ${bound}, recorded loss ${recordedLoss}`,
    forgiven: verdict.forgiven,
    recordedLoss,
    remaining,
    blockTime,
  };
}

/** Judges the vault's open loss events (or the bound one) for the proposal `proposalId`. */
export function assessLosses(input: { facts: Facts; vault: Address; proposalId: string; boundEventId?: string }): LossAssessment {
  const { facts, vault, proposalId } = input;
  const boundEventId = input.boundEventId ?? null;
  if (boundEventId !== null) {
    const event = facts.lossEvents.find((e) => e.id === boundEventId);
    const refuse = (reason: string): LossAssessment => ({ boundEventId, events: [], outcome: 'fail', reason, remaining: 0n });
    if (!event) return refuse(`loss event ${boundEventId} is not recorded`);
    if (event.vault !== vault) return refuse(`loss event ${boundEventId} belongs to another vault (${event.vault})`);
    if (event.state !== 'open') return refuse(`loss event ${boundEventId} is closed`);
    const assessed = assessEvent(event, facts, proposalId);
    return {
      boundEventId,
      events: [assessed],
      outcome: assessed.outcome,
      reason: assessed.outcome === 'pass' ? `loss event ${event.id} is verified: ${assessed.reason}` : `loss event ${event.id}: ${assessed.reason}`,
      remaining: assessed.remaining ?? 0n,
    };
  }

  const events = facts.lossEvents.filter((e) => e.vault === vault && e.state === 'open').map((e) => assessEvent(e, facts, proposalId));
  const verified = events.filter((e) => e.outcome === 'pass');
  const remaining = verified.reduce((sum, e) => sum + (e.remaining ?? 0n), 0n);
  if (verified.length > 0) {
    const left = events.length - verified.length;
    return {
      boundEventId, events, outcome: 'pass', remaining,
      reason: `${verified.length} open loss event(s) verified (${verified.map((e) => e.id).join(', ')})${left ? `; ${left} left out as unverified` : ''}`,
    };
  }
  if (events.length === 0) return { boundEventId, events, outcome: 'fail', reason: 'the vault has no open loss event', remaining: 0n };
  const unknown = events.find((e) => e.outcome === 'unknown');
  if (unknown) return { boundEventId, events, outcome: 'unknown', reason: `no open loss event could be verified; ${unknown.id}: ${unknown.reason}`, remaining: 0n };
  return { boundEventId, events, outcome: 'fail', reason: `no open loss event verifies; ${events.map((e) => `${e.id}: ${e.reason}`).join('; ')}`, remaining: 0n };
}
