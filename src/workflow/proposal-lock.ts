/**
 * What a workflow step may do to one proposal while it holds that proposal's lock. The Workflow hands
 * one to the callback of `withProposal` and voids it when the lock is released: the state changes
 * that need the lock (transition, invalidate, reserve) cannot be reached without holding it.
 */
import type { DecisionSummary } from '../policy/summary.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import type { JsonInput, ProposalRecord, TransitionCause } from '../store/types.ts';
import type { ProposalState } from './states.ts';

export interface ProposalLock {
  /** The proposal whose lock this is. */
  readonly rowId: number;
  /** The proposal as stored now; `NotFound` if it is gone. */
  current(): Promise<ProposalRecord>;
  /** Moves the proposal through the state table (docs/flow.md), applying step 7 to its ledger rows. */
  transition(row: ProposalRecord, to: ProposalState, cause: TransitionCause, detail: { readonly [k: string]: JsonInput }): Promise<ProposalRecord>;
  /** Voids collected approvals (new epoch) and decides again; only `awaiting-approval` and `approved` change. */
  invalidate(row: ProposalRecord, reason: string, cause: TransitionCause): Promise<ProposalRecord>;
  /** Reserves the decided value (the decision's summary) under the vault lock, replacing the proposal's own reserved rows; a refusal reason or null. */
  reserve(row: ProposalRecord, loaded: LoadedPolicy, summary: DecisionSummary, now: Date): Promise<string | null>;
}

/** A lock used after its step ended, or on another proposal's row: a programming error, refused before anything changes. */
export class ProposalLockMisused extends Error {
  override readonly name = 'ProposalLockMisused';
}
