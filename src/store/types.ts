/**
 * The durable store's interface (SPEC §8): one async API, implemented on SQLite and PostgreSQL.
 * Amounts are `bigint` (stored as decimal TEXT, since u64 exceeds a signed 64-bit column), times are
 * `Date` (stored as RFC 3339 UTC strings with milliseconds). Every mutating method appends exactly
 * one audit entry in the same database transaction as the change.
 */
import type { Address } from '@solana/kit';
import type { Decision } from '../policy/decision.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import type { LedgerRow, LossEvent, StoredTransaction } from '../policy/facts.ts';
import type { TransactionJson } from '../policy/loss-transaction.ts';
import type { AuditEntry, AuditHead, JsonInput } from './audit.ts';

/** Proposal states of SPEC §2 (the state table lives in the workflow). */
export { PROPOSAL_STATES, type ProposalState, type TransitionCause } from './proposal-states.ts';
import type { ProposalState, TransitionCause } from './proposal-states.ts';

/** JSON a caller may attach to a record or an audit entry (defined with the audit log, which hashes it). */
export type { JsonInput };

// ---- loss events ----

export interface NewLossEvent {
  readonly vault: Address;
  readonly reserve: Address;
  readonly signature: string;
  readonly vaultLoss: bigint;
  readonly evidence: LossEvent['evidence'];
  /** The verified bound: min(vaultLoss, forgiven × vaultCTokens / reserveCTokenSupply). */
  readonly recordedLoss: bigint;
  readonly forgiven: bigint;
  readonly blockTime: number | null;
  readonly slot: bigint;
  readonly note?: string;
  readonly transaction: TransactionJson;
  /** Who recorded it: a webhook source id, `cli`, `sandbox`. */
  readonly recordedBy: string;
}

export interface StoredLossEvent extends LossEvent {
  readonly recordedLoss: bigint;
  readonly forgiven: bigint;
  readonly blockTime: number | null;
  readonly slot: bigint;
  readonly note: string | null;
  readonly transaction: TransactionJson;
  readonly recordedAt: Date;
  readonly recordedBy: string;
  readonly closedAt: Date | null;
}

// ---- proposals ----

export interface NewProposal {
  readonly multisig: Address;
  readonly transactionIndex: bigint;
  readonly vault: Address;
  readonly mode: 'register' | 'create';
  readonly claim?: string;
  readonly lossEventId?: string;
  readonly deadline?: Date;
  readonly state?: ProposalState;
}

export interface ProposalRecord {
  /** Numeric row id, used in Telegram callback data. */
  readonly rowId: number;
  /** `<multisig>:<transactionIndex>` */
  readonly id: string;
  readonly multisig: Address;
  readonly transactionIndex: bigint;
  readonly vault: Address;
  readonly state: ProposalState;
  /** Starts at 1; bumped when approvals are voided. */
  readonly epoch: number;
  readonly digest: string | null;
  readonly policyRevision: string | null;
  readonly claim: string | null;
  readonly lossEventId: string | null;
  readonly mode: 'register' | 'create';
  readonly receivedAt: Date;
  readonly deadline: Date | null;
  readonly updatedAt: Date;
}

export interface ProposalPatch {
  readonly digest?: string | null;
  readonly policyRevision?: string | null;
  readonly deadline?: Date | null;
  readonly lossEventId?: string | null;
}

/** Returns a reason to refuse the transition, or null to allow it (the workflow's state table). */
export type TransitionValidator = (from: ProposalState, to: ProposalState, cause: TransitionCause) => string | null;

export interface TransitionInput {
  readonly rowId: number;
  readonly from: ProposalState;
  readonly to: ProposalState;
  readonly cause: TransitionCause;
  readonly detail?: JsonInput;
  readonly validate?: TransitionValidator;
}

export interface TransitionRecord {
  readonly id: number;
  readonly proposalRowId: number;
  readonly from: ProposalState;
  readonly to: ProposalState;
  readonly cause: TransitionCause;
  readonly detail: unknown;
  readonly epoch: number;
  readonly at: Date;
}

// ---- decisions ----

export interface StoredDecision {
  readonly proposalRowId: number;
  readonly decision: Decision;
  /** The numbers it was made on; null for decisions stored before summaries were kept. */
  readonly summary: DecisionSummary | null;
  /** The snapshot JSON the decision was made from (stored gzip-compressed). */
  readonly snapshot: unknown;
  readonly storedAt: Date;
}

// ---- approvals ----

export interface NewVote {
  readonly proposalRowId: number;
  readonly telegramId: number;
  readonly name: string;
  readonly role: 'curator' | 'council';
  readonly vote: 'approve' | 'reject';
  readonly digest: string | null;
  readonly policyRevision: string;
  readonly epoch: number;
  readonly at?: Date;
  /** Where the vote came from, e.g. `telegram`. */
  readonly channel: string;
}

export interface VoteRecord extends Required<Omit<NewVote, 'at'>> {
  readonly id: number;
  readonly at: Date;
  readonly reason: string | null;
}

/** A person counts once per epoch: a second press returns the stored vote instead of a new row. */
export type VoteResult = { readonly kind: 'recorded'; readonly vote: VoteRecord } | { readonly kind: 'duplicate'; readonly existing: VoteRecord };

// ---- ledger ----

export interface LedgerEntry extends LedgerRow {
  readonly id: number;
  readonly vault: Address;
  readonly at: Date;
  readonly updatedAt: Date;
}

export interface ReserveInput {
  readonly vault: Address;
  /** `<multisig>:<transactionIndex>` */
  readonly proposal: string;
  /** Underlying base units. */
  readonly value: bigint;
  readonly boundEventId?: string;
  readonly windowStart: Date;
  readonly maxPerWindow: bigint;
}

export type ReserveResult = { readonly ok: true; readonly rows: readonly LedgerEntry[] } | { readonly ok: false; readonly reason: string };

// ---- outbound intents ----

export type IntentKind = 'approve' | 'approve-execute' | 'reject' | 'create' | 'ata';
export type IntentStatus = 'sent' | 'recorded' | 'landed' | 'expired' | 'failed';

export interface NewIntent {
  readonly proposal: string;
  readonly kind: IntentKind;
  readonly transaction: Uint8Array;
  readonly signature: string;
  readonly blockhash: string;
  readonly lastValidBlockHeight: bigint;
  readonly status?: IntentStatus;
}

export interface IntentRecord extends Required<NewIntent> {
  readonly id: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

// ---- webhooks ----

export interface WebhookDelivery {
  readonly source: string;
  readonly idempotencyKey: string;
  readonly bodyHash: string;
  readonly statusCode: number;
  readonly responseBody: string;
  readonly at: Date;
}

/** `replayed` when the signature was already remembered (nothing is written then). */
export type RememberResult = 'new' | 'replayed';

// ---- Telegram cards ----

export interface CardRecord {
  readonly proposalRowId: number;
  readonly chatId: number;
  readonly messageId: number;
  readonly lastRenderedHash: string | null;
  /** An edit that could not be sent; retried later. */
  readonly pendingRender: boolean;
  readonly updatedAt: Date;
}

// ---- timers ----

export type TimerKind = 'remind' | 'expire' | 'redecide' | 'hold-expiry' | 'poll';

export interface NewTimer {
  readonly kind: TimerKind;
  readonly proposalRowId: number | null;
  readonly dueAt: Date;
  readonly payload?: JsonInput;
}

export interface TimerRecord {
  readonly id: number;
  readonly kind: TimerKind;
  readonly proposalRowId: number | null;
  readonly dueAt: Date;
  readonly payload: unknown;
}

// ---- instance lock ----

export interface InstanceLockInfo {
  /** Human-readable holder, e.g. `pid 123 on host-a since 2026-…`. */
  readonly holder: string;
  readonly pid: number | null;
  readonly host: string | null;
}

export interface AcquiredLock {
  /** Set when a stale lock (its pid no longer alive) was taken over. */
  readonly tookOverFrom: InstanceLockInfo | null;
}

/** What an audited mutation may add: a caller's own audit type and payload fields. */
export interface AuditNote {
  readonly type?: string;
  readonly payload?: { readonly [key: string]: JsonInput };
}

/** The store. Read-only commands open it without an audit key and never take the instance lock. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it lives (a file path, or the URL without password). */
  readonly location: string;
  /** Applied schema version. */
  schemaVersion(): Promise<number>;

  acquireInstanceLock(): Promise<AcquiredLock>;
  /** A running instance checks it still holds the lock (re-taking a lost one); InstanceLocked if another took it. */
  ensureInstanceLock(): Promise<void>;
  /** Who holds the instance lock, or null (does not take it). */
  isInstanceLocked(): Promise<InstanceLockInfo | null>;
  close(): Promise<void>;

  // loss events
  recordLossEvent(input: NewLossEvent): Promise<StoredLossEvent>;
  getLossEvent(id: string): Promise<StoredLossEvent | null>;
  listLossEvents(filter?: { vault?: Address; state?: 'open' | 'closed' }): Promise<StoredLossEvent[]>;
  /** Every loss event of the vault, open and closed (the policy engine's `LossRecords.lossEvents`). */
  lossEventsForVault(vault: Address): Promise<StoredLossEvent[]>;
  lossTransaction(signature: string): Promise<StoredTransaction | undefined>;
  /**
   * Closes the event and releases its `reserved` rows of proposals that have not reached `signing`
   * (from `signing` on, only the chain releases them); `AlreadyDone` if closed, `NotFound` if absent.
   */
  closeLossEvent(id: string, note?: AuditNote): Promise<{ event: StoredLossEvent; released: LedgerEntry[] }>;

  // proposals
  /** Inserts a proposal, or returns the existing one with the same id (`created: false`). */
  insertProposal(input: NewProposal): Promise<{ created: boolean; proposal: ProposalRecord }>;
  getProposal(id: string): Promise<ProposalRecord | null>;
  getProposalByRowId(rowId: number): Promise<ProposalRecord | null>;
  listProposals(filter?: { state?: ProposalState; vault?: Address }): Promise<ProposalRecord[]>;
  updateProposal(rowId: number, patch: ProposalPatch): Promise<ProposalRecord>;
  /** Compare-and-set: `StaleState` if the proposal is not in `from`; records a transition row. */
  transitionProposal(input: TransitionInput): Promise<ProposalRecord>;
  transitions(rowId: number): Promise<TransitionRecord[]>;
  /** Starts a new approval epoch; returns the new epoch. */
  bumpEpoch(rowId: number, note?: AuditNote): Promise<number>;

  // decisions
  recordDecision(input: { proposalRowId: number; decision: Decision; summary?: DecisionSummary; snapshot: unknown }): Promise<void>;
  latestDecision(rowId: number): Promise<StoredDecision | null>;
  decisions(rowId: number): Promise<StoredDecision[]>;

  // approvals and rejections
  recordVote(input: NewVote): Promise<VoteResult>;
  votes(rowId: number, epoch?: number): Promise<VoteRecord[]>;
  /** Attaches a rejection reason to a stored vote; `NotFound` if there is none. */
  attachReason(input: { proposalRowId: number; telegramId: number; epoch: number; reason: string }): Promise<VoteRecord>;

  // ledger
  /** Under the vault lock: re-reads events and ledger, plans, and inserts — or refuses, changing nothing. */
  reserve(input: ReserveInput): Promise<ReserveResult>;
  releaseReservation(proposal: string, note?: AuditNote): Promise<LedgerEntry[]>;
  compensateReservation(proposal: string, note?: AuditNote): Promise<LedgerEntry[]>;
  ledgerForVault(vault: Address): Promise<LedgerEntry[]>;
  ledgerForProposal(proposal: string): Promise<LedgerEntry[]>;

  // outbound intents
  recordIntent(input: NewIntent): Promise<IntentRecord>;
  latestIntent(proposal: string): Promise<IntentRecord | null>;
  updateIntentStatus(id: number, status: IntentStatus): Promise<IntentRecord>;

  // webhooks
  storeDelivery(input: WebhookDelivery): Promise<void>;
  getDelivery(source: string, idempotencyKey: string): Promise<WebhookDelivery | null>;
  /** Remembers a request signature; `note` lets a refusal's audit entry be this one entry. */
  rememberSignature(input: { signature: string; at: Date; note?: AuditNote }): Promise<RememberResult>;
  isSignatureRemembered(signature: string): Promise<boolean>;
  /** Deletes deliveries at or before `deliveriesBefore` and signatures at or before `signaturesBefore`. */
  pruneWebhookState(input: { deliveriesBefore: Date; signaturesBefore: Date }): Promise<{ deliveries: number; signatures: number }>;

  // Telegram cards
  upsertCard(input: { proposalRowId: number; chatId: number; messageId: number; lastRenderedHash: string | null; pendingRender: boolean }): Promise<CardRecord>;
  getCard(proposalRowId: number): Promise<CardRecord | null>;
  setCardRender(input: { proposalRowId: number; lastRenderedHash?: string | null; pendingRender: boolean }): Promise<CardRecord>;
  pendingCards(): Promise<CardRecord[]>;

  // timers
  addTimer(input: NewTimer): Promise<TimerRecord>;
  dueTimers(now: Date): Promise<TimerRecord[]>;
  timersFor(proposalRowId: number): Promise<TimerRecord[]>;
  /** True when the timer existed. */
  deleteTimer(id: number): Promise<boolean>;

  // audit
  /** Appends a standalone audit entry (refused presses, refused requests, alerts). */
  appendAudit(type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry>;
  /** Entries in seq order, from `sinceSeq` (inclusive) or `sinceTime`. */
  auditEntries(filter?: { sinceSeq?: number; sinceTime?: Date }): Promise<AuditEntry[]>;
  /** The last entry as a head (seq, hash, signature), or null when the log is empty. */
  auditHead(): Promise<AuditHead | null>;
  /** Every entry, after verifying the whole chain with this store's audit key; `AuditChainBroken` otherwise. */
  verifiedAuditEntries(): Promise<AuditEntry[]>;
}
