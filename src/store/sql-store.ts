/**
 * The store on either engine: the repositories of `types.ts`, each written once over `SqlEngine` so
 * SQLite and PostgreSQL run the same statements, all writing through one `AuditedWriter` (exactly
 * one audit entry per change, in the change's transaction). `SqlStore` composes them into `Store`.
 */
import type { Address } from '@solana/kit';
import type { Decision } from '../policy/decision.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import type { StoredTransaction } from '../policy/facts.ts';
import type { AuditEntry, AuditHead } from './audit.ts';
import { SqlAuditLog } from './audit-log.ts';
import { AuditedWriter, type AuditedWriterOptions } from './audited-writer.ts';
import { SqlCards } from './cards.ts';
import type { LeaseControl, SqlEngine } from './engine.ts';
import { SchemaTooNew } from './errors.ts';
import { SqlIntents } from './intents.ts';
import { SqlLossLedger } from './loss-ledger.ts';
import { CURRENT_SCHEMA_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, migrationSql } from './migrations.ts';
import { SqlPlans, type NewPlan, type StoredPlan } from './plans.ts';
import { SqlProposals } from './proposals.ts';
import { iso, num } from './rows.ts';
import { SqlTimers } from './timers.ts';
import type {
  AcquiredLock,
  AuditNote,
  CardRecord,
  InstanceLockInfo,
  IntentRecord,
  IntentStatus,
  JsonInput,
  LedgerEntry,
  NewIntent,
  NewLossEvent,
  NewProposal,
  NewTimer,
  NewVote,
  ProposalPatch,
  ProposalRecord,
  ProposalState,
  RememberResult,
  ReserveInput,
  ReserveResult,
  Store,
  StoredDecision,
  StoredLossEvent,
  TimerRecord,
  TransitionInput,
  TransitionRecord,
  VoteRecord,
  VoteResult,
  WebhookDelivery,
} from './types.ts';
import { SqlWebhookState } from './webhook-state.ts';

/** What a store is opened with: its audit key, head file, anchor, clock and warning sink. */
export type SqlStoreOptions = AuditedWriterOptions;

/** Applies pending migrations in one transaction; refuses a database newer than this code. */
export async function migrate(engine: SqlEngine): Promise<number> {
  return engine.transaction(async (tx) => {
    await engine.lock(tx, 'migrations');
    await tx.exec(SCHEMA_MIGRATIONS_TABLE);
    const [row] = await tx.all('SELECT MAX(version) AS v FROM schema_migrations');
    const current = row?.v === null || row?.v === undefined ? 0 : num(row.v);
    if (current > CURRENT_SCHEMA_VERSION) throw new SchemaTooNew(current, CURRENT_SCHEMA_VERSION);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await tx.exec(migrationSql(m, engine.dialect));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, iso(new Date())]);
    }
    return CURRENT_SCHEMA_VERSION;
  });
}

export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly location: string;
  private readonly proposals: SqlProposals;
  private readonly lossLedger: SqlLossLedger;
  private readonly intents: SqlIntents;
  private readonly cards: SqlCards;
  private readonly timers: SqlTimers;
  private readonly webhookState: SqlWebhookState;
  private readonly auditLog: SqlAuditLog;
  private readonly writer: AuditedWriter;
  private readonly plans: SqlPlans;

  constructor(
    private readonly engine: SqlEngine,
    options: SqlStoreOptions,
  ) {
    this.kind = engine.dialect;
    this.location = engine.location;
    const writer = (this.writer = new AuditedWriter(engine, options));
    this.proposals = new SqlProposals(writer);
    this.lossLedger = new SqlLossLedger(writer);
    this.intents = new SqlIntents(writer);
    this.cards = new SqlCards(writer);
    this.timers = new SqlTimers(writer);
    this.webhookState = new SqlWebhookState(writer);
    this.auditLog = new SqlAuditLog(writer);
    this.plans = new SqlPlans(writer);
  }

  /** PostgreSQL's active-instance lease (the service runs active or standby by it); null on SQLite. */
  get lease(): LeaseControl | null {
    return this.engine.lease ?? null;
  }

  /** The engine underneath (tests and tools that need raw SQL). */
  get sql(): SqlEngine {
    return this.engine;
  }

  async schemaVersion(): Promise<number> {
    const [row] = await this.engine.read.all('SELECT MAX(version) AS v FROM schema_migrations');
    return row?.v === null || row?.v === undefined ? 0 : num(row.v);
  }

  acquireInstanceLock(): Promise<AcquiredLock> {
    return this.engine.acquireInstanceLock();
  }

  ensureInstanceLock(): Promise<void> {
    return this.engine.ensureInstanceLock();
  }

  isInstanceLocked(): Promise<InstanceLockInfo | null> {
    return this.engine.isInstanceLocked();
  }

  /** Closes the engine once the head file and anchor hold every committed entry (they follow group commits). */
  async close(): Promise<void> {
    await this.writer.headsWritten();
    await this.engine.close();
  }

  // ---- proposals, transitions, epochs, decisions, votes ----

  insertProposal(input: NewProposal): Promise<{ created: boolean; proposal: ProposalRecord }> {
    return this.proposals.insertProposal(input);
  }

  getProposal(id: string): Promise<ProposalRecord | null> {
    return this.proposals.getProposal(id);
  }

  getProposalByRowId(rowId: number): Promise<ProposalRecord | null> {
    return this.proposals.getProposalByRowId(rowId);
  }

  listProposals(filter?: { state?: ProposalState; vault?: Address }): Promise<ProposalRecord[]> {
    return this.proposals.listProposals(filter);
  }

  updateProposal(rowId: number, patch: ProposalPatch): Promise<ProposalRecord> {
    return this.proposals.updateProposal(rowId, patch);
  }

  transitionProposal(input: TransitionInput): Promise<ProposalRecord> {
    return this.proposals.transitionProposal(input);
  }

  transitions(rowId: number): Promise<TransitionRecord[]> {
    return this.proposals.transitions(rowId);
  }

  bumpEpoch(rowId: number, note?: AuditNote): Promise<number> {
    return this.proposals.bumpEpoch(rowId, note);
  }

  recordDecision(input: { proposalRowId: number; decision: Decision; summary?: DecisionSummary; snapshot: unknown }): Promise<void> {
    return this.proposals.recordDecision(input);
  }

  latestDecision(rowId: number): Promise<StoredDecision | null> {
    return this.proposals.latestDecision(rowId);
  }

  decisions(rowId: number): Promise<StoredDecision[]> {
    return this.proposals.decisions(rowId);
  }

  recordVote(input: NewVote): Promise<VoteResult> {
    return this.proposals.recordVote(input);
  }

  votes(rowId: number, epoch?: number): Promise<VoteRecord[]> {
    return this.proposals.votes(rowId, epoch);
  }

  attachReason(input: { proposalRowId: number; telegramId: number; epoch: number; reason: string }): Promise<VoteRecord> {
    return this.proposals.attachReason(input);
  }

  // ---- compensation plans ----

  recordPlan(input: NewPlan): Promise<StoredPlan> {
    return this.plans.recordPlan(input);
  }

  latestPlan(lossEventId: string): Promise<StoredPlan | null> {
    return this.plans.latestPlan(lossEventId);
  }

  latestPlanJson(lossEventId: string): Promise<string | null> {
    return this.plans.latestPlanJson(lossEventId);
  }

  latestPlansForVault(vault: Address): Promise<ReadonlyMap<string, StoredPlan>> {
    return this.plans.latestPlansForVault(vault);
  }

  // ---- loss events and the ledger ----

  recordLossEvent(input: NewLossEvent): Promise<StoredLossEvent> {
    return this.lossLedger.recordLossEvent(input);
  }

  getLossEvent(id: string): Promise<StoredLossEvent | null> {
    return this.lossLedger.getLossEvent(id);
  }

  listLossEvents(filter?: { vault?: Address; state?: 'open' | 'closed' }): Promise<StoredLossEvent[]> {
    return this.lossLedger.listLossEvents(filter);
  }

  lossEventsForVault(vault: Address): Promise<StoredLossEvent[]> {
    return this.lossLedger.lossEventsForVault(vault);
  }

  lossTransaction(signature: string): Promise<StoredTransaction | undefined> {
    return this.lossLedger.lossTransaction(signature);
  }

  closeLossEvent(id: string, note?: AuditNote): Promise<{ event: StoredLossEvent; released: LedgerEntry[] }> {
    return this.lossLedger.closeLossEvent(id, note);
  }

  reserve(input: ReserveInput): Promise<ReserveResult> {
    return this.lossLedger.reserve(input);
  }

  releaseReservation(proposal: string, note?: AuditNote): Promise<LedgerEntry[]> {
    return this.lossLedger.releaseReservation(proposal, note);
  }

  compensateReservation(proposal: string, note?: AuditNote): Promise<LedgerEntry[]> {
    return this.lossLedger.compensateReservation(proposal, note);
  }

  ledgerForVault(vault: Address): Promise<LedgerEntry[]> {
    return this.lossLedger.ledgerForVault(vault);
  }

  ledgerForProposal(proposal: string): Promise<LedgerEntry[]> {
    return this.lossLedger.ledgerForProposal(proposal);
  }

  // ---- outbound intents ----

  recordIntent(input: NewIntent): Promise<IntentRecord> {
    return this.intents.recordIntent(input);
  }

  latestIntent(proposal: string): Promise<IntentRecord | null> {
    return this.intents.latestIntent(proposal);
  }

  updateIntentStatus(id: number, status: IntentStatus): Promise<IntentRecord> {
    return this.intents.updateIntentStatus(id, status);
  }

  // ---- Telegram cards ----

  upsertCard(input: { proposalRowId: number; chatId: number; messageId: number; lastRenderedHash: string | null; pendingRender: boolean }): Promise<CardRecord> {
    return this.cards.upsertCard(input);
  }

  getCard(proposalRowId: number): Promise<CardRecord | null> {
    return this.cards.getCard(proposalRowId);
  }

  setCardRender(input: { proposalRowId: number; lastRenderedHash?: string | null; pendingRender: boolean }): Promise<CardRecord> {
    return this.cards.setCardRender(input);
  }

  pendingCards(): Promise<CardRecord[]> {
    return this.cards.pendingCards();
  }

  // ---- timers ----

  addTimer(input: NewTimer): Promise<TimerRecord> {
    return this.timers.addTimer(input);
  }

  dueTimers(now: Date): Promise<TimerRecord[]> {
    return this.timers.dueTimers(now);
  }

  timersFor(proposalRowId: number): Promise<TimerRecord[]> {
    return this.timers.timersFor(proposalRowId);
  }

  deleteTimer(id: number): Promise<boolean> {
    return this.timers.deleteTimer(id);
  }

  // ---- webhook deliveries and remembered signatures ----

  storeDelivery(input: WebhookDelivery): Promise<void> {
    return this.webhookState.storeDelivery(input);
  }

  getDelivery(source: string, idempotencyKey: string): Promise<WebhookDelivery | null> {
    return this.webhookState.getDelivery(source, idempotencyKey);
  }

  rememberSignature(input: { signature: string; at: Date; note?: AuditNote }): Promise<RememberResult> {
    return this.webhookState.rememberSignature(input);
  }

  isSignatureRemembered(signature: string): Promise<boolean> {
    return this.webhookState.isSignatureRemembered(signature);
  }

  pruneWebhookState(input: { deliveriesBefore: Date; signaturesBefore: Date }): Promise<{ deliveries: number; signatures: number }> {
    return this.webhookState.pruneWebhookState(input);
  }

  // ---- the audit log ----

  appendAudit(type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry> {
    return this.auditLog.appendAudit(type, payload);
  }

  auditEntries(filter?: { sinceSeq?: number; sinceTime?: Date }): Promise<AuditEntry[]> {
    return this.auditLog.auditEntries(filter);
  }

  auditHead(): Promise<AuditHead | null> {
    return this.auditLog.auditHead();
  }

  verifiedAuditEntries(): Promise<AuditEntry[]> {
    return this.auditLog.verifiedAuditEntries();
  }
}
