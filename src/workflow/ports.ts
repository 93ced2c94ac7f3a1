/**
 * What the workflow needs from the outside world, as small interfaces: the chain, the humans'
 * channel (Telegram), the co-signer, and a logger. Implementations live in src/chain,
 * src/telegram, src/workflow/cosign and are swapped for in-process ones in tests.
 */
import type { Address } from '@solana/kit';
import type { SignatureStatus } from '@solana/web3.js';
import type { SignaturesForAddressResult, SimulationResult, TransactionJsonResult } from '../chain/reader.ts';
import type { AccountSource } from '../chain/types.ts';
import type { Log } from '../log.ts';
import type { Decision } from '../policy/decision.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import type { IntentRecord, ProposalRecord } from '../store/types.ts';

/** The chain as the workflow uses it: batched reads, loss transactions, and sending (ChainReader). */
export interface WorkflowChain extends AccountSource {
  getTransactionJson(signature: string, o: { commitment: 'finalized' | 'confirmed' }): Promise<TransactionJsonResult>;
  /** One page of an address's history, newest first (loss evidence: the vault's cToken account at the loss). */
  getSignaturesForAddress(
    address: Address,
    o: { before?: string; until?: string; limit?: number; commitment: 'confirmed' | 'finalized' },
  ): Promise<SignaturesForAddressResult>;
  getSlot(): Promise<number>;
  getLatestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: number }>;
  sendRawTransaction(bytes: Uint8Array): Promise<string>;
  /** Simulates unsigned transaction bytes (no signature check) and answers the `accounts` as they would be after. */
  simulateTransaction(bytes: Uint8Array, o: { accounts: readonly Address[] }): Promise<SimulationResult>;
  getSignatureStatuses(signatures: readonly string[]): Promise<(SignatureStatus | null)[]>;
  getBlockHeight(): Promise<number>;
  isBlockhashValid(blockhash: string): Promise<boolean>;
  getBalance(address: Address): Promise<bigint>;
}

/** The humans' channel. Implementations never throw: what cannot be sent is retried from the store. */
export interface Notifier {
  /** The proposal's card must show its current state (post it, or edit it in place). */
  proposalChanged(rowId: number): Promise<void>;
  /** A reminder naming who has not approved yet. */
  remind(rowId: number, missing: readonly string[]): Promise<void>;
  /** An operator alert (invalid policy file, chain outage) to a policy chat. */
  alert(chatId: number, text: string): Promise<void>;
}

/** Where a sent approval stands on-chain (docs/flow.md step 6). */
export type ApprovalStatus =
  | { readonly kind: 'executed'; readonly signature: string }
  | { readonly kind: 'approved-not-executed' }
  | { readonly kind: 'pending' }
  /** Landed with an error: atomic, so nothing changed on-chain; retrying would fail the same way. */
  | { readonly kind: 'failed-on-chain'; readonly error: string }
  /** Provably not landed and cannot land any more (blockhash expired, no co-signer vote on-chain). */
  | { readonly kind: 'expired' };

/**
 * The co-signer (docs/flow.md steps 6–7): builds, signs and stores an intent BEFORE anything is sent,
 * sends only stored bytes, and reports where a sent approval stands.
 */
export interface CoSigner {
  /** The co-signer's public key. */
  readonly address: Address;
  /** Builds and signs the approval (with execution when the policy says so) and stores the intent. */
  prepareApproval(input: { row: ProposalRecord; policy: LoadedPolicy; decision: Decision; summary: DecisionSummary }): Promise<IntentRecord>;
  /** Sends (or resends) a stored intent's exact bytes; never signs anything new. */
  send(intent: IntentRecord): Promise<void>;
  /** Where the proposal's latest approval intent stands on-chain. */
  approvalStatus(row: ProposalRecord, intent: IntentRecord): Promise<ApprovalStatus>;
  /** Casts the co-signer's `proposal_reject` (execution.rejectOnChain). */
  reject(input: { row: ProposalRecord; policy: LoadedPolicy }): Promise<void>;
}

/** Create mode of POST /v1/proposals (docs/flow.md step 2): backstop builds the proposal itself. */
export interface ProposalCreator {
  /**
   * Creates the Squads vault transaction + proposal of exactly the allowed shape at
   * `transaction_index + 1` (retrying a lost race) and returns where it landed. Throws
   * WorkflowRefusal('unavailable', 'programs-unavailable') in recorded mode.
   */
  create(input: { policy: LoadedPolicy; lossEventId: string; amount: bigint; escrow: Address }): Promise<{ multisig: Address; transactionIndex: bigint }>;
}

/**
 * Publishes the audit head outside the database (docs/audit.md anchor): called after every signing step so a
 * truncated or rolled-back log is caught by `audit verify --expect-seq/--expect-hash`. Never throws.
 */
export interface AuditAnchor {
  publish(reason: string): Promise<void>;
}

/** pino-compatible logging (defined at the bottom layer, with the logger). */
export type { Log };

/** A Notifier that does nothing (no Telegram configured). */
export const SILENT_NOTIFIER: Notifier = {
  proposalChanged: async () => {},
  remind: async () => {},
  alert: async () => {},
};

/** A logger that drops everything (tests). */
export const SILENT_LOG: Log = { info() {}, warn() {}, error() {}, debug() {} };
