/** Timers (docs/flow.md, docs/telegram.md) are rows, so expiries, reminders and holds survive a restart. */
import type { JsonInput } from './audit.ts';
import type { AuditedWriter } from './audited-writer.ts';
import type { Row } from './engine.ts';
import { date, iso, jsonText, num } from './rows.ts';

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

export interface TimerRepository {
  addTimer(input: NewTimer): Promise<TimerRecord>;
  dueTimers(now: Date): Promise<TimerRecord[]>;
  timersFor(proposalRowId: number): Promise<TimerRecord[]>;
  /** True when the timer existed. */
  deleteTimer(id: number): Promise<boolean>;
}

export class SqlTimers implements TimerRepository {
  constructor(private readonly w: AuditedWriter) {}

  async addTimer(input: NewTimer): Promise<TimerRecord> {
    return this.w.mutate(async (tx) => {
      const [row] = await tx.all('INSERT INTO timers (kind, proposal_row_id, due_at, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
        input.kind, input.proposalRowId, iso(input.dueAt), input.payload === undefined ? null : jsonText(input.payload), iso(this.w.now()),
      ]);
      const timer = toTimer(row!);
      return { value: timer, audit: { type: 'timer.added', payload: { id: timer.id, kind: input.kind, proposalRowId: input.proposalRowId, dueAt: input.dueAt } } };
    });
  }

  async dueTimers(now: Date): Promise<TimerRecord[]> {
    return (await this.w.engine.read.all('SELECT * FROM timers WHERE due_at <= $1 ORDER BY due_at, id', [iso(now)])).map(toTimer);
  }

  async timersFor(proposalRowId: number): Promise<TimerRecord[]> {
    return (await this.w.engine.read.all('SELECT * FROM timers WHERE proposal_row_id = $1 ORDER BY due_at, id', [proposalRowId])).map(toTimer);
  }

  async deleteTimer(id: number): Promise<boolean> {
    return this.w.mutate(async (tx) => {
      const [row] = await tx.all('DELETE FROM timers WHERE id = $1 RETURNING *', [id]);
      if (row === undefined) return { value: false, audit: null };
      return { value: true, audit: { type: 'timer.deleted', payload: { id, kind: String(row.kind), proposalRowId: row.proposal_row_id === null ? null : num(row.proposal_row_id) } } };
    });
  }
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
