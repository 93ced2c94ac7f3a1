/**
 * What a state transition does to the proposal's ledger rows (docs/flow.md step 7): execution turns the
 * reservation into compensated; before `signing` a rejection, expiry or denial releases it; from
 * `signing` on only an on-chain Rejected/Cancelled proposal or an approval that provably never landed
 * releases it. The reservation itself is made by an allowed decision under the vault lock (the store's
 * job), not by a transition, so no transition answers "reserve".
 */
import { checkTransition, type Cause, type ProposalState } from './states.ts';

/** `keep`: leave the rows as they are; `release`: reserved → released; `compensate`: reserved → compensated. */
export type LedgerEffect = 'keep' | 'release' | 'compensate';

/** What the transition is stored with; needed to tell an on-chain rejection from a human one. */
export interface LedgerEffectContext {
  cause: Cause;
}

/** Thrown for a transition {@link checkTransition} refuses: its ledger effect is undefined. */
export class ImpossibleTransition extends Error {
  override readonly name = 'ImpossibleTransition';
  constructor(reason: string) {
    super(`${reason}; the ledger is left unchanged`);
  }
}

// States from which the co-signer's transaction may be on its way or on-chain.
const AFTER_SIGNING: readonly ProposalState[] = ['signing', 'signed'];

/**
 * The ledger effect of `from` → `to` by `context.cause`. Throws {@link ImpossibleTransition} for a move
 * the state machine refuses, so a bug cannot free or spend reserved loss capacity.
 *
 * `invalidated` keeps the reservation: the proposal is re-decided on the same row, and the re-decision
 * either keeps it (→ `awaiting-approval`, its rows never count against itself) or releases it
 * (→ `denied`). A move to `denied` releases even when the proposal held no reservation; releasing
 * only touches `reserved` rows, so that is harmless.
 */
export function ledgerEffect(from: ProposalState, to: ProposalState, context: LedgerEffectContext): LedgerEffect {
  const check = checkTransition(from, to, context.cause);
  if (!check.ok) throw new ImpossibleTransition(check.reason);
  if (to === 'executed') return 'compensate';
  if (AFTER_SIGNING.includes(from)) {
    // Only the chain can end a proposal whose approval may have landed.
    if (to === 'rejected' && context.cause === 'chain') return 'release';
    if (to === 'failed') return 'release';
    return 'keep';
  }
  if (to === 'rejected' || to === 'expired' || to === 'denied') return 'release';
  return 'keep';
}
