/**
 * The store's logic, written once over `SqlEngine` so SQLite and PostgreSQL run the same statements.
 * Every mutating method goes through `mutate`, which appends exactly one audit entry in the same
 * transaction (or none when nothing changed) and replaces the head file after the commit.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Address } from '@solana/kit';
import type { Decision } from '../policy/decision.ts';
import { summaryFromJson, summaryToJson, type DecisionSummary } from '../policy/summary.ts';
import type { StoredTransaction } from '../policy/facts.ts';
import { canonicalize, sha256Hex } from '../policy/jcs.ts';
import { planReservation, type ReservableEvent } from '../policy/reservation.ts';
import { makeAuditEntry, toJsonValue, verifyAudit, writeAuditHead, type AuditEntry, type AuditHead, type AuditSigner, type JsonValue } from './audit.ts';
import { advanceAnchor } from './anchor.ts';
import { UniqueViolation, type LockName, type Row, type SqlConn, type SqlEngine, type SqlValue } from './engine.ts';
import { AlreadyDone, AuditChainBroken, Conflict, InvalidTransition, NotFound, ReadOnlyStore, SchemaTooNew, StaleState } from './errors.ts';
import { CURRENT_SCHEMA_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, migrationSql } from './migrations.ts';
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

export interface SqlStoreOptions {
  /** Signs audit entries; without it the store is read-only. */
  readonly auditKey?: AuditSigner;
  /** Where the head is written after each commit; none = not written. */
  readonly headFile?: string;
  /** The anchor outside the database's directory, advanced after each commit (SPEC §8); none = not kept. */
  readonly anchor?: { readonly file: string; readonly database: string };
  readonly now?: () => Date;
  /** Non-fatal problems (a head file that could not be written). Default: stderr. */
  readonly onWarning?: (message: string) => void;
}

type Audit = { readonly type: string; readonly payload: { readonly [key: string]: JsonInput } } | null;

const iso = (d: Date): string => d.toISOString();
const date = (v: unknown): Date => new Date(String(v));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(String(v)));
const num = (v: unknown): number => Number(v);
const big = (v: unknown): bigint => BigInt(String(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Uint8Array);
const jsonText = (v: JsonInput): string => canonicalize(toJsonValue(v));

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
  private readonly signer: AuditSigner | undefined;
  private readonly headFile: string | undefined;
  private readonly anchor: { readonly file: string; readonly database: string } | undefined;
  private readonly now: () => Date;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly engine: SqlEngine,
    options: SqlStoreOptions,
  ) {
    this.kind = engine.dialect;
    this.location = engine.location;
    this.signer = options.auditKey;
    this.headFile = options.headFile;
    this.anchor = options.anchor;
    this.now = options.now ?? (() => new Date());
    this.warn = options.onWarning ?? ((m) => process.stderr.write(`backstop store: ${m}\n`));
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

  close(): Promise<void> {
    return this.engine.close();
  }

  // ---- the audited transaction ----

  private async mutate<T>(fn: (tx: SqlConn) => Promise<{ value: T; audit: Audit }>, locks?: readonly LockName[]): Promise<T> {
    const signer = this.signer;
    if (signer === undefined) throw new ReadOnlyStore();
    let entry: AuditEntry | null = null;
    const value = await this.engine.transaction(async (tx) => {
      const r = await fn(tx);
      if (r.audit !== null) entry = await this.append(tx, signer, r.audit.type, r.audit.payload);
      return r.value;
    }, locks);
    if (entry !== null) this.writeHead(entry);
    return value;
  }

  private async append(tx: SqlConn, signer: AuditSigner, type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry> {
    await this.engine.lock(tx, 'audit');
    const [last] = await tx.all('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    const entry = makeAuditEntry({
      prev: last === undefined ? null : { seq: num(last.seq), hash: String(last.hash) },
      at: this.now(),
      type,
      payload: toJsonValue(payload),
      signer,
    });
    await tx.run('INSERT INTO audit_log (seq, at, type, payload, prev_hash, hash, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      entry.seq, entry.at, entry.type, canonicalize(entry.payload), entry.prevHash, entry.hash, entry.signature,
    ]);
    return entry;
  }

  private writeHead(entry: AuditEntry): void {
    if (this.headFile !== undefined) {
      try {
        writeAuditHead(this.headFile, { seq: entry.seq, hash: entry.hash, signature: entry.signature });
      } catch (err) {
        this.warn(`audit head file ${this.headFile} not written: ${(err as Error).message}`);
      }
    }
    if (this.anchor !== undefined) {
      try {
        const r = advanceAnchor(this.anchor.file, entry, this.anchor.database, this.now());
        if (!r.written && r.warning !== null) this.warn(r.warning);
      } catch (err) {
        this.warn(`audit anchor ${this.anchor.file} not written: ${(err as Error).message}`);
      }
    }
  }

  // ---- loss events ----

  async recordLossEvent(input: NewLossEvent): Promise<StoredLossEvent> {
    const id = `le-${randomBytes(8).toString('hex')}`;
    const at = this.now();
    const txJson = JSON.stringify(input.transaction);
    try {
      return await this.mutate(async (tx) => {
        await tx.run(
          `INSERT INTO loss_events (id, vault, reserve, signature, vault_loss, state, vault_ctokens, reserve_ctoken_supply, read_at_slot,
             recorded_loss, forgiven, block_time, slot, note, transaction_json, recorded_at, recorded_by)
           VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
          [
            id, input.vault, input.reserve, input.signature, input.vaultLoss.toString(), input.evidence.vaultCTokens.toString(),
            input.evidence.reserveCTokenSupply.toString(), input.evidence.readAtSlot.toString(), input.recordedLoss.toString(),
            input.forgiven.toString(), input.blockTime, input.slot.toString(), input.note ?? null, txJson, iso(at), input.recordedBy,
          ],
        );
        const [row] = await tx.all('SELECT * FROM loss_events WHERE id = $1', [id]);
        return {
          value: toLossEvent(row!),
          audit: {
            type: 'loss-event.recorded',
            payload: {
              id, vault: input.vault, reserve: input.reserve, signature: input.signature, vaultLoss: input.vaultLoss,
              recordedLoss: input.recordedLoss, forgiven: input.forgiven, evidence: { ...input.evidence }, blockTime: input.blockTime,
              slot: input.slot, note: input.note, recordedBy: input.recordedBy, transactionSha256: sha256Hex(txJson),
            },
          },
        };
      });
    } catch (err) {
      if (!(err instanceof UniqueViolation)) throw err;
      const [existing] = await this.engine.read.all('SELECT id FROM loss_events WHERE vault = $1 AND signature = $2 AND reserve = $3', [
        input.vault, input.signature, input.reserve,
      ]);
      const existingId = strOrNull(existing?.id) ?? undefined;
      throw new Conflict(`a loss event for vault ${input.vault}, signature ${input.signature} and reserve ${input.reserve} exists (${existingId ?? '?'})`, existingId);
    }
  }

  async getLossEvent(id: string): Promise<StoredLossEvent | null> {
    const [row] = await this.engine.read.all('SELECT * FROM loss_events WHERE id = $1', [id]);
    return row === undefined ? null : toLossEvent(row);
  }

  async listLossEvents(filter: { vault?: Address; state?: 'open' | 'closed' } = {}): Promise<StoredLossEvent[]> {
    const rows = await this.engine.read.all(
      'SELECT * FROM loss_events WHERE (CAST($1 AS TEXT) IS NULL OR vault = $1) AND (CAST($2 AS TEXT) IS NULL OR state = $2) ORDER BY recorded_at, id',
      [filter.vault ?? null, filter.state ?? null],
    );
    return rows.map(toLossEvent);
  }

  lossEventsForVault(vault: Address): Promise<StoredLossEvent[]> {
    return this.listLossEvents({ vault });
  }

  async lossTransaction(signature: string): Promise<StoredTransaction | undefined> {
    const [row] = await this.engine.read.all('SELECT transaction_json FROM loss_events WHERE signature = $1 LIMIT 1', [signature]);
    return row === undefined ? undefined : { kind: 'found', result: JSON.parse(String(row.transaction_json)) };
  }

  async closeLossEvent(id: string, note?: AuditNote): Promise<{ event: StoredLossEvent; released: LedgerEntry[] }> {
    const before = await this.getLossEvent(id);
    if (before === null) throw new NotFound(`no loss event ${id}`);
    // The vault lock keeps a concurrent reservation from landing on an event being closed.
    return this.mutate(
      async (tx) => {
        const at = iso(this.now());
        const changed = await tx.run(`UPDATE loss_events SET state = 'closed', closed_at = $1 WHERE id = $2 AND state = 'open'`, [at, id]);
        if (changed === 0) throw new AlreadyDone(`loss event ${id} is already closed`);
        // A proposal that is signing or signed may still execute: its reservation stays until the chain says so.
        const released = (
          await tx.all(
            `UPDATE ledger SET state = 'released', updated_at = $1 WHERE loss_event_id = $2 AND state = 'reserved'
               AND proposal NOT IN (SELECT id FROM proposals WHERE state IN ('signing', 'signed', 'executed'))
             RETURNING *`,
            [at, id],
          )
        ).map(toLedger);
        const [row] = await tx.all('SELECT * FROM loss_events WHERE id = $1', [id]);
        return {
          value: { event: toLossEvent(row!), released },
          audit: {
            type: note?.type ?? 'loss-event.closed',
            payload: { ...note?.payload, id, vault: before.vault, released: released.map((r) => ({ id: r.id, proposal: r.proposal, amount: r.amount })) },
          },
        };
      },
      [`vault:${before.vault}`],
    );
  }

  // ---- proposals ----

  async insertProposal(input: NewProposal): Promise<{ created: boolean; proposal: ProposalRecord }> {
    const id = `${input.multisig}:${input.transactionIndex}`;
    return this.mutate<{ created: boolean; proposal: ProposalRecord }>(async (tx) => {
      const at = iso(this.now());
      const inserted = await tx.all(
        `INSERT INTO proposals (id, multisig, transaction_index, vault, state, epoch, claim, loss_event_id, mode, received_at, deadline, updated_at)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $9) ON CONFLICT (id) DO NOTHING RETURNING row_id`,
        [
          id, input.multisig, input.transactionIndex.toString(), input.vault, input.state ?? 'received', input.claim ?? null,
          input.lossEventId ?? null, input.mode, at, input.deadline === undefined ? null : iso(input.deadline),
        ],
      );
      const [row] = await tx.all('SELECT * FROM proposals WHERE id = $1', [id]);
      const proposal = toProposal(row!);
      if (inserted.length === 0) return { value: { created: false, proposal }, audit: null };
      return {
        value: { created: true, proposal },
        audit: {
          type: 'proposal.received',
          payload: { rowId: proposal.rowId, id, vault: input.vault, mode: input.mode, state: proposal.state, claim: input.claim, lossEventId: input.lossEventId, deadline: input.deadline },
        },
      };
    });
  }

  async getProposal(id: string): Promise<ProposalRecord | null> {
    const [row] = await this.engine.read.all('SELECT * FROM proposals WHERE id = $1', [id]);
    return row === undefined ? null : toProposal(row);
  }

  async getProposalByRowId(rowId: number): Promise<ProposalRecord | null> {
    const [row] = await this.engine.read.all('SELECT * FROM proposals WHERE row_id = $1', [rowId]);
    return row === undefined ? null : toProposal(row);
  }

  async listProposals(filter: { state?: ProposalState; vault?: Address } = {}): Promise<ProposalRecord[]> {
    const rows = await this.engine.read.all('SELECT * FROM proposals WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) AND (CAST($2 AS TEXT) IS NULL OR vault = $2) ORDER BY row_id', [
      filter.state ?? null, filter.vault ?? null,
    ]);
    return rows.map(toProposal);
  }

  async updateProposal(rowId: number, patch: ProposalPatch): Promise<ProposalRecord> {
    return this.mutate(async (tx) => {
      const [row] = await tx.all('SELECT * FROM proposals WHERE row_id = $1', [rowId]);
      if (row === undefined) throw new NotFound(`no proposal row ${rowId}`);
      const cur = toProposal(row);
      const next = {
        digest: patch.digest === undefined ? cur.digest : patch.digest,
        policyRevision: patch.policyRevision === undefined ? cur.policyRevision : patch.policyRevision,
        deadline: patch.deadline === undefined ? cur.deadline : patch.deadline,
        lossEventId: patch.lossEventId === undefined ? cur.lossEventId : patch.lossEventId,
      };
      const [updated] = await tx.all(
        'UPDATE proposals SET digest = $1, policy_revision = $2, deadline = $3, loss_event_id = $4, updated_at = $5 WHERE row_id = $6 RETURNING *',
        [next.digest, next.policyRevision, next.deadline === null ? null : iso(next.deadline), next.lossEventId, iso(this.now()), rowId],
      );
      return { value: toProposal(updated!), audit: { type: 'proposal.updated', payload: { rowId, id: cur.id, ...patch } } };
    });
  }

  async transitionProposal(input: TransitionInput): Promise<ProposalRecord> {
    const refusal = input.validate?.(input.from, input.to, input.cause) ?? null;
    if (refusal !== null) {
      await this.appendAudit('proposal.transition-refused', {
        rowId: input.rowId, from: input.from, to: input.to, cause: input.cause, reason: refusal, detail: input.detail,
      });
      throw new InvalidTransition(input.rowId, input.from, input.to, refusal);
    }
    return this.mutate(async (tx) => {
      const at = iso(this.now());
      const changed = await tx.run('UPDATE proposals SET state = $1, updated_at = $2 WHERE row_id = $3 AND state = $4', [input.to, at, input.rowId, input.from]);
      const [row] = await tx.all('SELECT * FROM proposals WHERE row_id = $1', [input.rowId]);
      if (row === undefined) throw new NotFound(`no proposal row ${input.rowId}`);
      const proposal = toProposal(row);
      if (changed === 0) throw new StaleState(input.rowId, input.from, proposal.state);
      await tx.run('INSERT INTO transitions (proposal_row_id, from_state, to_state, cause, detail, epoch, at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        input.rowId, input.from, input.to, input.cause, input.detail === undefined ? null : jsonText(input.detail), proposal.epoch, at,
      ]);
      return {
        value: proposal,
        audit: {
          type: 'proposal.transition',
          payload: { rowId: input.rowId, id: proposal.id, from: input.from, to: input.to, cause: input.cause, epoch: proposal.epoch, detail: input.detail },
        },
      };
    });
  }

  async transitions(rowId: number): Promise<TransitionRecord[]> {
    const rows = await this.engine.read.all('SELECT * FROM transitions WHERE proposal_row_id = $1 ORDER BY id', [rowId]);
    return rows.map((r) => ({
      id: num(r.id),
      proposalRowId: num(r.proposal_row_id),
      from: r.from_state,
      to: r.to_state,
      cause: r.cause,
      detail: r.detail === null ? null : JSON.parse(String(r.detail)),
      epoch: num(r.epoch),
      at: date(r.at),
    }));
  }

  async bumpEpoch(rowId: number, note?: AuditNote): Promise<number> {
    return this.mutate(async (tx) => {
      const [row] = await tx.all('UPDATE proposals SET epoch = epoch + 1, updated_at = $1 WHERE row_id = $2 RETURNING id, epoch', [iso(this.now()), rowId]);
      if (row === undefined) throw new NotFound(`no proposal row ${rowId}`);
      const epoch = num(row.epoch);
      return { value: epoch, audit: { type: note?.type ?? 'proposal.epoch', payload: { ...note?.payload, rowId, id: String(row.id), epoch } } };
    });
  }

  // ---- decisions ----

  async recordDecision(input: { proposalRowId: number; decision: Decision; summary?: DecisionSummary; snapshot: unknown }): Promise<void> {
    const { decision } = input;
    const snapshotGz = gzipSync(JSON.stringify(toJsonValue(input.snapshot as JsonInput)));
    await this.mutate(async (tx) => {
      await tx.run(
        `INSERT INTO decisions (proposal_row_id, decision_id, allowed, digest, policy_revision, decision_json, snapshot_gz, stored_at, summary_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          input.proposalRowId, decision.id, decision.allowed ? 1 : 0, decision.digest, decision.policyRevision, JSON.stringify(decision), snapshotGz, iso(this.now()),
          input.summary === undefined ? null : JSON.stringify(summaryToJson(input.summary)),
        ],
      );
      return {
        value: undefined,
        audit: {
          type: 'decision.recorded',
          payload: {
            rowId: input.proposalRowId, decisionId: decision.id, allowed: decision.allowed, digest: decision.digest, policyRevision: decision.policyRevision,
            outcomes: decision.rules.map((r) => `${r.id}:${r.outcome}`),
          },
        },
      };
    });
  }

  async latestDecision(rowId: number): Promise<StoredDecision | null> {
    const [row] = await this.engine.read.all('SELECT * FROM decisions WHERE proposal_row_id = $1 ORDER BY id DESC LIMIT 1', [rowId]);
    return row === undefined ? null : toDecision(row);
  }

  async decisions(rowId: number): Promise<StoredDecision[]> {
    return (await this.engine.read.all('SELECT * FROM decisions WHERE proposal_row_id = $1 ORDER BY id', [rowId])).map(toDecision);
  }

  // ---- votes ----

  async recordVote(input: NewVote): Promise<VoteResult> {
    return this.mutate(async (tx) => {
      const inserted = await tx.all(
        `INSERT INTO votes (proposal_row_id, telegram_id, name, role, vote, digest, policy_revision, epoch, at, channel)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (proposal_row_id, telegram_id, epoch) DO NOTHING RETURNING *`,
        [input.proposalRowId, input.telegramId, input.name, input.role, input.vote, input.digest, input.policyRevision, input.epoch, iso(input.at ?? this.now()), input.channel],
      );
      if (inserted.length === 0) {
        const [existing] = await tx.all('SELECT * FROM votes WHERE proposal_row_id = $1 AND telegram_id = $2 AND epoch = $3', [input.proposalRowId, input.telegramId, input.epoch]);
        return { value: { kind: 'duplicate', existing: toVote(existing!) } as VoteResult, audit: null };
      }
      const vote = toVote(inserted[0]!);
      return {
        value: { kind: 'recorded', vote } as VoteResult,
        audit: {
          type: 'vote.recorded',
          payload: {
            rowId: input.proposalRowId, telegramId: input.telegramId, name: input.name, role: input.role, vote: input.vote,
            digest: input.digest, policyRevision: input.policyRevision, epoch: input.epoch, channel: input.channel,
          },
        },
      };
    });
  }

  async votes(rowId: number, epoch?: number): Promise<VoteRecord[]> {
    const rows = await this.engine.read.all('SELECT * FROM votes WHERE proposal_row_id = $1 AND (CAST($2 AS INTEGER) IS NULL OR epoch = $2) ORDER BY id', [rowId, epoch ?? null]);
    return rows.map(toVote);
  }

  async attachReason(input: { proposalRowId: number; telegramId: number; epoch: number; reason: string }): Promise<VoteRecord> {
    return this.mutate(async (tx) => {
      const [row] = await tx.all('UPDATE votes SET reason = $1 WHERE proposal_row_id = $2 AND telegram_id = $3 AND epoch = $4 RETURNING *', [
        input.reason, input.proposalRowId, input.telegramId, input.epoch,
      ]);
      if (row === undefined) throw new NotFound(`no vote by ${input.telegramId} on proposal row ${input.proposalRowId} in epoch ${input.epoch}`);
      return { value: toVote(row), audit: { type: 'vote.reason', payload: { ...input } } };
    });
  }

  // ---- ledger ----

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    return this.mutate(
      async (tx) => {
        const events = (await tx.all('SELECT * FROM loss_events WHERE vault = $1', [input.vault])).map(toLossEvent);
        const ledger = (await tx.all('SELECT * FROM ledger WHERE vault = $1 ORDER BY id', [input.vault])).map(toLedger);
        // Reserving the same value again (the signing-time check) keeps the rows it already holds on open events.
        const own = ledger.filter((r) => r.proposal === input.proposal && r.state === 'reserved');
        const openIds = new Set(events.filter((e) => e.state === 'open').map((e) => e.id));
        if (own.length > 0 && own.reduce((sum, r) => sum + r.amount, 0n) === input.value && own.every((r) => openIds.has(r.lossEventId))) {
          return { value: { ok: true, rows: own } as ReserveResult, audit: null };
        }
        const plan = planReservation({
          events: events.map((e): ReservableEvent => ({ id: e.id, vault: e.vault, recordedLoss: e.recordedLoss, blockTime: e.blockTime, state: e.state })),
          ledger,
          proposal: input.proposal,
          value: input.value,
          boundEventId: input.boundEventId,
          windowStartMs: input.windowStart.getTime(),
          maxPerWindow: input.maxPerWindow,
        });
        if (!plan.ok) return { value: { ok: false, reason: plan.reason } as ReserveResult, audit: null };
        const at = iso(this.now());
        const released = await tx.all(`UPDATE ledger SET state = 'released', updated_at = $1 WHERE proposal = $2 AND state = 'reserved' RETURNING id`, [at, input.proposal]);
        const rows: LedgerEntry[] = [];
        for (const r of plan.rows) {
          const [row] = await tx.all(
            `INSERT INTO ledger (loss_event_id, vault, proposal, amount, state, at, updated_at) VALUES ($1, $2, $3, $4, 'reserved', $5, $5) RETURNING *`,
            [r.lossEventId, input.vault, input.proposal, r.amount.toString(), at],
          );
          rows.push(toLedger(row!));
        }
        return {
          value: { ok: true, rows } as ReserveResult,
          audit: {
            type: 'ledger.reserved',
            payload: {
              vault: input.vault, proposal: input.proposal, value: input.value, boundEventId: input.boundEventId,
              rows: rows.map((r) => ({ id: r.id, lossEventId: r.lossEventId, amount: r.amount })), released: released.map((r) => num(r.id)),
            },
          },
        };
      },
      [`vault:${input.vault}`],
    );
  }

  private setLedgerState(proposal: string, to: 'released' | 'compensated', note: AuditNote | undefined): Promise<LedgerEntry[]> {
    return this.mutate(async (tx) => {
      const rows = (
        await tx.all(`UPDATE ledger SET state = $1, updated_at = $2 WHERE proposal = $3 AND state = 'reserved' RETURNING *`, [to, iso(this.now()), proposal])
      ).map(toLedger);
      if (rows.length === 0) return { value: rows, audit: null };
      return {
        value: rows,
        audit: { type: note?.type ?? `ledger.${to}`, payload: { ...note?.payload, proposal, rows: rows.map((r) => ({ id: r.id, lossEventId: r.lossEventId, amount: r.amount })) } },
      };
    });
  }

  releaseReservation(proposal: string, note?: AuditNote): Promise<LedgerEntry[]> {
    return this.setLedgerState(proposal, 'released', note);
  }

  compensateReservation(proposal: string, note?: AuditNote): Promise<LedgerEntry[]> {
    return this.setLedgerState(proposal, 'compensated', note);
  }

  async ledgerForVault(vault: Address): Promise<LedgerEntry[]> {
    return (await this.engine.read.all('SELECT * FROM ledger WHERE vault = $1 ORDER BY id', [vault])).map(toLedger);
  }

  async ledgerForProposal(proposal: string): Promise<LedgerEntry[]> {
    return (await this.engine.read.all('SELECT * FROM ledger WHERE proposal = $1 ORDER BY id', [proposal])).map(toLedger);
  }

  // ---- intents ----

  async recordIntent(input: NewIntent): Promise<IntentRecord> {
    return this.mutate(async (tx) => {
      const at = iso(this.now());
      const [row] = await tx.all(
        `INSERT INTO intents (proposal, kind, transaction_bytes, signature, blockhash, last_valid_block_height, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
        [input.proposal, input.kind, Buffer.from(input.transaction), input.signature, input.blockhash, input.lastValidBlockHeight.toString(), input.status ?? 'sent', at],
      );
      const intent = toIntent(row!);
      return {
        value: intent,
        audit: {
          type: 'intent.recorded',
          payload: {
            id: intent.id, proposal: input.proposal, kind: input.kind, signature: input.signature, blockhash: input.blockhash,
            lastValidBlockHeight: input.lastValidBlockHeight, status: intent.status, transactionSha256: sha256Hex(input.transaction),
          },
        },
      };
    });
  }

  async latestIntent(proposal: string): Promise<IntentRecord | null> {
    const [row] = await this.engine.read.all('SELECT * FROM intents WHERE proposal = $1 ORDER BY id DESC LIMIT 1', [proposal]);
    return row === undefined ? null : toIntent(row);
  }

  async updateIntentStatus(id: number, status: IntentStatus): Promise<IntentRecord> {
    return this.mutate(async (tx) => {
      const [row] = await tx.all('UPDATE intents SET status = $1, updated_at = $2 WHERE id = $3 RETURNING *', [status, iso(this.now()), id]);
      if (row === undefined) throw new NotFound(`no intent ${id}`);
      const intent = toIntent(row);
      return { value: intent, audit: { type: 'intent.status', payload: { id, proposal: intent.proposal, signature: intent.signature, status } } };
    });
  }

  // ---- webhooks ----

  /**
   * Stores a final answer for its Idempotency-Key. Not audited on its own: the request's own audit
   * entry (webhook.accepted / webhook.refused, which names the key) records it, so an authenticated
   * refusal stays one audit entry and one replay record (SPEC §6).
   */
  async storeDelivery(input: WebhookDelivery): Promise<void> {
    await this.mutate(async (tx) => {
      await tx.run(
        `INSERT INTO webhook_deliveries (source, idempotency_key, body_hash, status_code, response_body, at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (source, idempotency_key) DO NOTHING`,
        [input.source, input.idempotencyKey, input.bodyHash, input.statusCode, input.responseBody, iso(input.at)],
      );
      return { value: undefined, audit: null };
    });
  }

  async getDelivery(source: string, idempotencyKey: string): Promise<WebhookDelivery | null> {
    const [r] = await this.engine.read.all('SELECT * FROM webhook_deliveries WHERE source = $1 AND idempotency_key = $2', [source, idempotencyKey]);
    if (r === undefined) return null;
    return { source: r.source, idempotencyKey: r.idempotency_key, bodyHash: r.body_hash, statusCode: num(r.status_code), responseBody: r.response_body, at: date(r.at) };
  }

  async rememberSignature(input: { signature: string; at: Date; note?: AuditNote }): Promise<RememberResult> {
    return this.mutate(async (tx) => {
      const n = await tx.run('INSERT INTO replayed_signatures (signature, at) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING', [input.signature, iso(input.at)]);
      if (n === 0) return { value: 'replayed' as RememberResult, audit: null };
      return { value: 'new' as RememberResult, audit: { type: input.note?.type ?? 'webhook.signature', payload: { ...input.note?.payload, signature: input.signature } } };
    });
  }

  async isSignatureRemembered(signature: string): Promise<boolean> {
    return (await this.engine.read.all('SELECT 1 AS x FROM replayed_signatures WHERE signature = $1', [signature])).length > 0;
  }

  async pruneWebhookState(input: { deliveriesBefore: Date; signaturesBefore: Date }): Promise<{ deliveries: number; signatures: number }> {
    return this.mutate(async (tx) => {
      const deliveries = await tx.run('DELETE FROM webhook_deliveries WHERE at <= $1', [iso(input.deliveriesBefore)]);
      const signatures = await tx.run('DELETE FROM replayed_signatures WHERE at <= $1', [iso(input.signaturesBefore)]);
      const value = { deliveries, signatures };
      return { value, audit: deliveries + signatures === 0 ? null : { type: 'webhook.pruned', payload: { ...value, ...input } } };
    });
  }

  // ---- cards ----

  async upsertCard(input: { proposalRowId: number; chatId: number; messageId: number; lastRenderedHash: string | null; pendingRender: boolean }): Promise<CardRecord> {
    return this.mutate(async (tx) => {
      const [row] = await tx.all(
        `INSERT INTO telegram_cards (proposal_row_id, chat_id, message_id, last_rendered_hash, pending_render, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (proposal_row_id) DO UPDATE SET chat_id = excluded.chat_id, message_id = excluded.message_id,
           last_rendered_hash = excluded.last_rendered_hash, pending_render = excluded.pending_render, updated_at = excluded.updated_at
         RETURNING *`,
        [input.proposalRowId, input.chatId, input.messageId, input.lastRenderedHash, input.pendingRender ? 1 : 0, iso(this.now())],
      );
      return { value: toCard(row!), audit: { type: 'card.stored', payload: { ...input } } };
    });
  }

  async getCard(proposalRowId: number): Promise<CardRecord | null> {
    const [row] = await this.engine.read.all('SELECT * FROM telegram_cards WHERE proposal_row_id = $1', [proposalRowId]);
    return row === undefined ? null : toCard(row);
  }

  async setCardRender(input: { proposalRowId: number; lastRenderedHash?: string | null; pendingRender: boolean }): Promise<CardRecord> {
    return this.mutate(async (tx) => {
      const [cur] = await tx.all('SELECT * FROM telegram_cards WHERE proposal_row_id = $1', [input.proposalRowId]);
      if (cur === undefined) throw new NotFound(`no card for proposal row ${input.proposalRowId}`);
      const hash = input.lastRenderedHash === undefined ? strOrNull(cur.last_rendered_hash) : input.lastRenderedHash;
      const [row] = await tx.all('UPDATE telegram_cards SET last_rendered_hash = $1, pending_render = $2, updated_at = $3 WHERE proposal_row_id = $4 RETURNING *', [
        hash, input.pendingRender ? 1 : 0, iso(this.now()), input.proposalRowId,
      ]);
      return { value: toCard(row!), audit: { type: 'card.render', payload: { proposalRowId: input.proposalRowId, lastRenderedHash: hash, pendingRender: input.pendingRender } } };
    });
  }

  async pendingCards(): Promise<CardRecord[]> {
    return (await this.engine.read.all('SELECT * FROM telegram_cards WHERE pending_render = 1 ORDER BY proposal_row_id')).map(toCard);
  }

  // ---- timers ----

  async addTimer(input: NewTimer): Promise<TimerRecord> {
    return this.mutate(async (tx) => {
      const [row] = await tx.all('INSERT INTO timers (kind, proposal_row_id, due_at, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
        input.kind, input.proposalRowId, iso(input.dueAt), input.payload === undefined ? null : jsonText(input.payload), iso(this.now()),
      ]);
      const timer = toTimer(row!);
      return { value: timer, audit: { type: 'timer.added', payload: { id: timer.id, kind: input.kind, proposalRowId: input.proposalRowId, dueAt: input.dueAt } } };
    });
  }

  async dueTimers(now: Date): Promise<TimerRecord[]> {
    return (await this.engine.read.all('SELECT * FROM timers WHERE due_at <= $1 ORDER BY due_at, id', [iso(now)])).map(toTimer);
  }

  async timersFor(proposalRowId: number): Promise<TimerRecord[]> {
    return (await this.engine.read.all('SELECT * FROM timers WHERE proposal_row_id = $1 ORDER BY due_at, id', [proposalRowId])).map(toTimer);
  }

  async deleteTimer(id: number): Promise<boolean> {
    return this.mutate(async (tx) => {
      const [row] = await tx.all('DELETE FROM timers WHERE id = $1 RETURNING *', [id]);
      if (row === undefined) return { value: false, audit: null };
      return { value: true, audit: { type: 'timer.deleted', payload: { id, kind: String(row.kind), proposalRowId: row.proposal_row_id === null ? null : num(row.proposal_row_id) } } };
    });
  }

  // ---- audit ----

  async appendAudit(type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry> {
    const signer = this.signer;
    if (signer === undefined) throw new ReadOnlyStore();
    let entry: AuditEntry | null = null;
    await this.engine.transaction(async (tx) => {
      entry = await this.append(tx, signer, type, payload);
    });
    this.writeHead(entry!);
    return entry!;
  }

  async auditEntries(filter: { sinceSeq?: number; sinceTime?: Date } = {}): Promise<AuditEntry[]> {
    const rows = await this.engine.read.all('SELECT * FROM audit_log WHERE seq >= $1 AND at >= $2 ORDER BY seq', [
      filter.sinceSeq ?? 0, filter.sinceTime === undefined ? '' : iso(filter.sinceTime),
    ]);
    return rows.map(toAuditEntry);
  }

  async verifiedAuditEntries(): Promise<AuditEntry[]> {
    if (this.signer === undefined) throw new ReadOnlyStore();
    const entries = await this.auditEntries();
    const verdict = verifyAudit({ entries, publicKey: this.signer.publicKeyBytes });
    if (!verdict.ok) throw new AuditChainBroken(verdict.seq, verdict.message);
    return entries;
  }

  async auditHead(): Promise<AuditHead | null> {
    const [row] = await this.engine.read.all('SELECT seq, hash, signature FROM audit_log ORDER BY seq DESC LIMIT 1');
    return row === undefined ? null : { seq: num(row.seq), hash: String(row.hash), signature: String(row.signature) };
  }
}

// ---- row converters ----

function toLossEvent(r: Row): StoredLossEvent {
  return {
    id: r.id,
    vault: r.vault,
    reserve: r.reserve,
    signature: r.signature,
    vaultLoss: big(r.vault_loss),
    state: r.state,
    evidence: { vaultCTokens: big(r.vault_ctokens), reserveCTokenSupply: big(r.reserve_ctoken_supply), readAtSlot: big(r.read_at_slot) },
    recordedLoss: big(r.recorded_loss),
    forgiven: big(r.forgiven),
    blockTime: r.block_time === null ? null : num(r.block_time),
    slot: big(r.slot),
    note: strOrNull(r.note),
    transaction: JSON.parse(String(r.transaction_json)),
    recordedAt: date(r.recorded_at),
    recordedBy: r.recorded_by,
    closedAt: dateOrNull(r.closed_at),
  };
}

function toProposal(r: Row): ProposalRecord {
  return {
    rowId: num(r.row_id),
    id: r.id,
    multisig: r.multisig,
    transactionIndex: big(r.transaction_index),
    vault: r.vault,
    state: r.state,
    epoch: num(r.epoch),
    digest: strOrNull(r.digest),
    policyRevision: strOrNull(r.policy_revision),
    claim: strOrNull(r.claim),
    lossEventId: strOrNull(r.loss_event_id),
    mode: r.mode,
    receivedAt: date(r.received_at),
    deadline: dateOrNull(r.deadline),
    updatedAt: date(r.updated_at),
  };
}

function toDecision(r: Row): StoredDecision {
  return {
    proposalRowId: num(r.proposal_row_id),
    decision: JSON.parse(String(r.decision_json)) as Decision,
    summary: r.summary_json === null || r.summary_json === undefined ? null : summaryFromJson(JSON.parse(String(r.summary_json))),
    snapshot: JSON.parse(gunzipSync(bytes(r.snapshot_gz)).toString('utf8')),
    storedAt: date(r.stored_at),
  };
}

function toVote(r: Row): VoteRecord {
  return {
    id: num(r.id),
    proposalRowId: num(r.proposal_row_id),
    telegramId: num(r.telegram_id),
    name: r.name,
    role: r.role,
    vote: r.vote,
    digest: strOrNull(r.digest),
    policyRevision: r.policy_revision,
    epoch: num(r.epoch),
    at: date(r.at),
    channel: r.channel,
    reason: strOrNull(r.reason),
  };
}

function toLedger(r: Row): LedgerEntry {
  return {
    id: num(r.id),
    lossEventId: r.loss_event_id,
    vault: r.vault,
    proposal: r.proposal,
    amount: big(r.amount),
    state: r.state,
    at: date(r.at),
    updatedAt: date(r.updated_at),
  };
}

function toIntent(r: Row): IntentRecord {
  return {
    id: num(r.id),
    proposal: r.proposal,
    kind: r.kind,
    transaction: bytes(r.transaction_bytes),
    signature: r.signature,
    blockhash: r.blockhash,
    lastValidBlockHeight: big(r.last_valid_block_height),
    status: r.status,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

function toCard(r: Row): CardRecord {
  return {
    proposalRowId: num(r.proposal_row_id),
    chatId: num(r.chat_id),
    messageId: num(r.message_id),
    lastRenderedHash: strOrNull(r.last_rendered_hash),
    pendingRender: num(r.pending_render) === 1,
    updatedAt: date(r.updated_at),
  };
}

function toTimer(r: Row): TimerRecord {
  return {
    id: num(r.id),
    kind: r.kind,
    proposalRowId: r.proposal_row_id === null ? null : num(r.proposal_row_id),
    dueAt: date(r.due_at),
    payload: r.payload === null ? null : JSON.parse(String(r.payload)),
  };
}

function toAuditEntry(r: Row): AuditEntry {
  return {
    seq: num(r.seq),
    at: String(r.at),
    type: String(r.type),
    payload: JSON.parse(String(r.payload)) as JsonValue,
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
    signature: String(r.signature),
  };
}

export type { SqlValue };
