/**
 * Loss events and the ledger of one vault (docs/flow.md steps 1 and 7): recorded losses with their
 * evidence, and the reserved / released / compensated rows that spend them. Reservations are planned
 * and written under the vault lock, so two proposals never spend the same loss.
 */
import { randomBytes } from 'node:crypto';
import type { Address } from '@solana/kit';
import type { LedgerRow, LossEvent, StoredTransaction } from '../policy/facts.ts';
import { sha256Hex } from '../policy/jcs.ts';
import type { TransactionJson } from '../policy/loss-transaction.ts';
import { planReservation, type ReservableEvent } from '../policy/reservation.ts';
import type { AuditedWriter, AuditNote } from './audited-writer.ts';
import { UniqueViolation, type Row } from './engine.ts';
import { AlreadyDone, Conflict, NotFound } from './errors.ts';
import { big, date, dateOrNull, iso, num, strOrNull } from './rows.ts';

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

export interface LossLedgerRepository {
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

  /** Under the vault lock: re-reads events and ledger, plans, and inserts — or refuses, changing nothing. */
  reserve(input: ReserveInput): Promise<ReserveResult>;
  releaseReservation(proposal: string, note?: AuditNote): Promise<LedgerEntry[]>;
  compensateReservation(proposal: string, note?: AuditNote): Promise<LedgerEntry[]>;
  ledgerForVault(vault: Address): Promise<LedgerEntry[]>;
  ledgerForProposal(proposal: string): Promise<LedgerEntry[]>;
}

export class SqlLossLedger implements LossLedgerRepository {
  constructor(private readonly w: AuditedWriter) {}

  // ---- loss events ----

  async recordLossEvent(input: NewLossEvent): Promise<StoredLossEvent> {
    const id = `le-${randomBytes(8).toString('hex')}`;
    const at = this.w.now();
    const txJson = JSON.stringify(input.transaction);
    try {
      return await this.w.mutate(async (tx) => {
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
      const [existing] = await this.w.engine.read.all('SELECT id FROM loss_events WHERE vault = $1 AND signature = $2 AND reserve = $3', [
        input.vault, input.signature, input.reserve,
      ]);
      const existingId = strOrNull(existing?.id) ?? undefined;
      throw new Conflict(`a loss event for vault ${input.vault}, signature ${input.signature} and reserve ${input.reserve} exists (${existingId ?? '?'})`, existingId);
    }
  }

  async getLossEvent(id: string): Promise<StoredLossEvent | null> {
    const [row] = await this.w.engine.read.all('SELECT * FROM loss_events WHERE id = $1', [id]);
    return row === undefined ? null : toLossEvent(row);
  }

  async listLossEvents(filter: { vault?: Address; state?: 'open' | 'closed' } = {}): Promise<StoredLossEvent[]> {
    const rows = await this.w.engine.read.all(
      'SELECT * FROM loss_events WHERE (CAST($1 AS TEXT) IS NULL OR vault = $1) AND (CAST($2 AS TEXT) IS NULL OR state = $2) ORDER BY recorded_at, id',
      [filter.vault ?? null, filter.state ?? null],
    );
    return rows.map(toLossEvent);
  }

  lossEventsForVault(vault: Address): Promise<StoredLossEvent[]> {
    return this.listLossEvents({ vault });
  }

  async lossTransaction(signature: string): Promise<StoredTransaction | undefined> {
    const [row] = await this.w.engine.read.all('SELECT transaction_json FROM loss_events WHERE signature = $1 LIMIT 1', [signature]);
    return row === undefined ? undefined : { kind: 'found', result: JSON.parse(String(row.transaction_json)) };
  }

  async closeLossEvent(id: string, note?: AuditNote): Promise<{ event: StoredLossEvent; released: LedgerEntry[] }> {
    const before = await this.getLossEvent(id);
    if (before === null) throw new NotFound(`no loss event ${id}`);
    // The vault lock keeps a concurrent reservation from landing on an event being closed.
    return this.w.mutate(
      async (tx) => {
        const at = iso(this.w.now());
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

  // ---- ledger ----

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    return this.w.mutate(
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
        const at = iso(this.w.now());
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
    return this.w.mutate(async (tx) => {
      const rows = (
        await tx.all(`UPDATE ledger SET state = $1, updated_at = $2 WHERE proposal = $3 AND state = 'reserved' RETURNING *`, [to, iso(this.w.now()), proposal])
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
    return (await this.w.engine.read.all('SELECT * FROM ledger WHERE vault = $1 ORDER BY id', [vault])).map(toLedger);
  }

  async ledgerForProposal(proposal: string): Promise<LedgerEntry[]> {
    return (await this.w.engine.read.all('SELECT * FROM ledger WHERE proposal = $1 ORDER BY id', [proposal])).map(toLedger);
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
