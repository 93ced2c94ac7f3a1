/**
 * What `decide` is given: everything read from the chain and the store, and nothing else.
 * The same shape is saved as a snapshot (docs/rules.md#snapshots-replaying-a-decision) so a decision can be replayed offline.
 */
import type { Address } from '@solana/kit';
import type { AccountMap } from '../chain/types.ts';
import type { TransactionJson } from './loss-transaction.ts';

/** A recorded loss event with the evidence read when it was recorded (docs/flow.md step 1). */
export interface LossEvent {
  readonly id: string;
  readonly vault: Address;
  readonly reserve: Address;
  readonly signature: string;
  /** Declared loss of the vault, underlying base units. */
  readonly vaultLoss: bigint;
  readonly state: 'open' | 'closed';
  readonly evidence: {
    readonly vaultCTokens: bigint;
    readonly reserveCTokenSupply: bigint;
    readonly readAtSlot: bigint;
  };
  /** The stored compensation plan (issue 15): its merkle root (64 hex) and total (kToken base units). */
  readonly plan?: { readonly root: string; readonly total: bigint };
}

/** A reservation against a loss event (docs/rules.md#how-the-numbers-are-computed "Ledger rows"). */
export interface LedgerRow {
  readonly lossEventId: string;
  /** `<multisig>:<transactionIndex>` */
  readonly proposal: string;
  /** Underlying base units. */
  readonly amount: bigint;
  readonly state: 'reserved' | 'compensated' | 'released';
  /** Reservation time; absent rows always count in the limits window. */
  readonly at?: Date;
}

/** The stored `getTransaction` result of a loss event, or why it is not available. */
export type StoredTransaction = { readonly kind: 'found'; readonly result: TransactionJson } | { readonly kind: 'unavailable'; readonly error: string };

export interface ProposalRef {
  readonly multisig: Address;
  readonly transactionIndex: bigint;
  /** Binds the decision to one loss event (create mode, or a snapshot's `proposal.lossEventId`). */
  readonly lossEventId?: string;
}

export interface Facts {
  readonly proposal: ProposalRef;
  /** Every account read; an address absent from the map does not exist (docs/rules.md#how-the-numbers-are-computed). */
  readonly accounts: AccountMap;
  /** Loss transactions by signature. */
  readonly transactions: ReadonlyMap<string, StoredTransaction>;
  readonly lossEvents: readonly LossEvent[];
  readonly ledger: readonly LedgerRow[];
}

/** `<multisig>:<transactionIndex>`, the proposal id of docs/flow.md. */
export const proposalId = (ref: { multisig: string; transactionIndex: bigint }): string => `${ref.multisig}:${ref.transactionIndex}`;
