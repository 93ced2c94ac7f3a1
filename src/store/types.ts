/**
 * The durable store's interface (docs/storage.md): one async API, implemented on SQLite and PostgreSQL,
 * made of one repository per aggregate — proposals and votes, loss events and ledger, intents,
 * Telegram cards, timers, webhook state, the audit log. New code takes the narrow repository it
 * needs; `Store` is their composition. Amounts are `bigint` (stored as decimal TEXT, since u64
 * exceeds a signed 64-bit column), times are `Date` (stored as RFC 3339 UTC strings with
 * milliseconds). Every mutating method appends exactly one audit entry in the same database
 * transaction as the change (`audited-writer.ts`).
 */
import type { JsonInput } from './audit.ts';
import type { AuditRepository } from './audit-log.ts';
import type { CardRepository } from './cards.ts';
import type { AcquiredLock, InstanceLockInfo } from './engine.ts';
import type { IntentRepository } from './intents.ts';
import type { LossLedgerRepository } from './loss-ledger.ts';
import type { PlanRepository } from './plans.ts';
import type { ProposalRepository } from './proposals.ts';
import type { TimerRepository } from './timers.ts';
import type { WebhookStateRepository } from './webhook-state.ts';

/** Proposal states of docs/flow.md (the state table lives in the workflow). */
export { PROPOSAL_STATES, type ProposalState, type TransitionCause } from './proposal-states.ts';

/** JSON a caller may attach to a record or an audit entry (defined with the audit log, which hashes it). */
export type { JsonInput };

export type { AuditRepository } from './audit-log.ts';
export type { AuditNote } from './audited-writer.ts';
export type { CardRecord, CardRepository } from './cards.ts';
export type { AcquiredLock, InstanceLockInfo } from './engine.ts';
export type { IntentKind, IntentRecord, IntentRepository, IntentStatus, NewIntent } from './intents.ts';
export type { LedgerEntry, LossLedgerRepository, NewLossEvent, ReserveInput, ReserveResult, StoredLossEvent } from './loss-ledger.ts';
export type {
  NewProposal,
  NewVote,
  ProposalPatch,
  ProposalRecord,
  ProposalRepository,
  StoredDecision,
  TransitionInput,
  TransitionRecord,
  TransitionValidator,
  VoteRecord,
  VoteResult,
} from './proposals.ts';
export type { NewPlan, PlanRepository, StoredPlan } from './plans.ts';
export type { NewTimer, TimerKind, TimerRecord, TimerRepository } from './timers.ts';
export type { RememberResult, WebhookDelivery, WebhookStateRepository } from './webhook-state.ts';

/** The database itself: where it is, its schema, the instance lock (docs/storage.md), closing. */
export interface StoreHandle {
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
}

/** The whole store. Read-only commands open it without an audit key and never take the instance lock. */
export interface Store
  extends StoreHandle,
    ProposalRepository,
    LossLedgerRepository,
    IntentRepository,
    CardRepository,
    TimerRepository,
    WebhookStateRepository,
    AuditRepository,
    PlanRepository {}
