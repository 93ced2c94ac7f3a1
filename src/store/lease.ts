/**
 * The active instance's lease on PostgreSQL (docs/storage.md, issue 13 §3). Exactly one instance is active:
 * the one whose row `lease (name 'active', holder, token, expires_at)` is current. It is renewed
 * every few seconds on the database's clock (`clock_timestamp()`); once it has expired another
 * instance takes it over and the token goes up by one. Every write transaction first reads the
 * token `FOR SHARE` and aborts unless it is still this instance's, so a paused or partitioned old
 * leader can never write after a takeover (the takeover waits for its in-flight transactions, and
 * they see the new token after it). A session advisory lock is not a lease: a dead host keeps it
 * until TCP keepalive gives up.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import type { AcquiredLock, InstanceLockInfo, LeaseControl, LeaseRow, LeaseTimings, SqlConn } from './engine.ts';
import { StoreUnavailable } from './errors.ts';

export type { LeaseControl, LeaseRow, LeaseTimings } from './engine.ts';

export const DEFAULT_LEASE: LeaseTimings = { ttlMs: 10_000, renewMs: 3_000 };

/** Lease timings from the environment (`BACKSTOP_LEASE_TTL_MS`, `BACKSTOP_LEASE_RENEW_MS`), else the defaults. */
export function leaseTimings(over: Partial<LeaseTimings> = {}, env: NodeJS.ProcessEnv = process.env): LeaseTimings {
  const read = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v.trim() === '') return undefined;
    if (!/^[0-9]+$/.test(v.trim()) || Number(v) < 50) throw new Error(`${name} must be a number of milliseconds ≥ 50, got "${v}"`);
    return Number(v);
  };
  const ttlMs = over.ttlMs ?? read('BACKSTOP_LEASE_TTL_MS') ?? DEFAULT_LEASE.ttlMs;
  const renewMs = over.renewMs ?? read('BACKSTOP_LEASE_RENEW_MS') ?? Math.min(DEFAULT_LEASE.renewMs, Math.floor(ttlMs / 3));
  if (renewMs * 2 > ttlMs) throw new Error(`the lease must be renewed at least twice per lifetime (renew ${renewMs} ms, lifetime ${ttlMs} ms)`);
  return { ttlMs, renewMs };
}

/** This instance no longer holds the lease: another took it over. Nothing was written. */
export class LeaseLost extends StoreUnavailable {
  readonly leaseLost = true;
  constructor(detail: string) {
    super(`this backstop instance is no longer the active one (${detail}); nothing was written — the active instance carries on`);
  }
}

/** A write was asked of a standby instance: only the active one writes. Nothing was written. */
export class StandbyRefusal extends StoreUnavailable {
  readonly standby = true;
  constructor() {
    super('this backstop instance is a standby: only the active instance writes; send the request to it, or retry once this one has taken over');
  }
}

/** `pid=… host=… id=…` → who, for messages. */
export function lockInfo(row: LeaseRow): InstanceLockInfo {
  const m = /pid=(\d+) host=(\S+)/.exec(row.holder);
  const pid = m ? Number(m[1]) : null;
  const host = m ? m[2]! : null;
  return { holder: `${m ? `pid ${pid} on ${host}` : row.holder}, lease token ${row.token}, valid until ${row.expiresAt}`, pid, host };
}

const SELECT_ROW = `SELECT holder, token::text AS token, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at,
  expires_at > clock_timestamp() AS live FROM lease WHERE name = 'active'`;

const toRow = (r: Record<string, unknown>): LeaseRow => ({ holder: String(r['holder']), token: String(r['token']), expiresAt: String(r['expires_at']), live: r['live'] === true });

/** The lease of one PostgreSQL engine: taking, renewing, fencing, releasing. */
export class PgLease implements LeaseControl {
  readonly holder = `backstop pid=${process.pid} host=${hostname()} id=${randomBytes(4).toString('hex')}`;
  private held: string | null = null;
  private mode: 'free' | 'standby' | 'active' = 'free';
  private timer: ReturnType<typeof setInterval> | null = null;
  private lost: string | null = null;
  private readonly listeners: ((detail: string) => void)[] = [];

  constructor(
    /** A small pool of its own, so renewals never queue behind the store's transactions. */
    private readonly pool: pg.Pool,
    readonly timings: LeaseTimings,
    private readonly translate: (err: unknown) => unknown,
  ) {}

  get token(): string | null {
    return this.held;
  }

  /** Whether this instance holds the lease now (until a takeover is noticed). */
  get active(): boolean {
    return this.mode === 'active' && this.lost === null;
  }

  standby(): void {
    if (this.mode !== 'active') this.mode = 'standby';
  }

  onLost(listener: (detail: string) => void): void {
    this.listeners.push(listener);
    if (this.lost !== null) listener(this.lost);
  }

  async current(): Promise<LeaseRow | null> {
    const rows = await this.query(SELECT_ROW);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /**
   * Takes the lease when there is none or it has expired on the database's clock (token + 1). A
   * live lease is seen without locking anything (standbys ask often); the takeover itself waits
   * for an old leader's open write transaction under a short lock timeout, never for good.
   */
  async tryActivate(): Promise<AcquiredLock | null> {
    if (this.active) return { tookOverFrom: null };
    const previous = await this.current();
    if (previous?.live) return null;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(err);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = '${Math.max(100, Math.floor(this.timings.ttlMs / 2))}ms'`);
      const { rows } = await client.query(
        `INSERT INTO lease (name, holder, token, expires_at) VALUES ('active', $1, 1, clock_timestamp() + $2 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, token = lease.token + 1, expires_at = EXCLUDED.expires_at
         WHERE lease.expires_at <= clock_timestamp()
         RETURNING token::text AS token`,
        [this.holder, this.timings.ttlMs],
      );
      await client.query('COMMIT');
      if (rows.length === 0) return null; // renewed, or taken by another standby, meanwhile
      this.held = String(rows[0]!.token);
      this.mode = 'active';
      this.lost = null;
      this.startRenewing();
      return { tookOverFrom: previous && previous.holder !== this.holder && !previous.expiresAt.startsWith('1970-01-01T00:00:00.000') ? lockInfo(previous) : null };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      // An old leader's open write transaction (or another takeover) holds the row: not this round.
      if ((err as { code?: unknown }).code === '55P03') return null;
      broken = broken || this.translate(err) instanceof StoreUnavailable;
      throw this.translate(err);
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  /** Extends the lease; false (and the listeners told) when another instance took it over. */
  async renew(): Promise<boolean> {
    if (this.held === null || this.lost !== null) return false;
    const rows = await this.query(
      `UPDATE lease SET expires_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE name = 'active' AND token = $1 AND holder = $2 RETURNING token`,
      [this.held, this.holder, this.timings.ttlMs],
    );
    if (rows.length > 0) return true;
    const now = await this.current().catch(() => null);
    this.markLost(now ? `the lease is now ${lockInfo(now).holder}` : 'the lease row is gone');
    return false;
  }

  /**
   * The fence, first in every write transaction of the active instance: the token must still be
   * ours, read FOR SHARE so a takeover waits until this transaction ends. A standby writes nothing.
   */
  async fence(tx: SqlConn): Promise<void> {
    if (this.mode === 'standby') throw new StandbyRefusal();
    if (this.mode !== 'active') return; // a store that never took the lease (tools, tests) writes as before
    if (this.lost !== null) throw new LeaseLost(this.lost);
    const [row] = await tx.all(`SELECT token::text AS token, holder FROM lease WHERE name = 'active' FOR SHARE`);
    if (row === undefined || String(row['token']) !== this.held || row['holder'] !== this.holder) {
      const detail = row === undefined ? 'the lease row is gone' : `token ${String(row['token'])} is held by ${String(row['holder'])}`;
      this.markLost(detail);
      throw new LeaseLost(detail);
    }
  }

  /** Refused before the transaction starts: a standby, or a leader that already knows it lost. */
  refuseEarly(): void {
    if (this.mode === 'standby') throw new StandbyRefusal();
    if (this.mode === 'active' && this.lost !== null) throw new LeaseLost(this.lost);
  }

  /** Gives the lease up (it expires now), so a standby takes over at once. Best effort. */
  async release(): Promise<void> {
    this.stopRenewing();
    if (this.held === null || this.lost !== null) return;
    // Released leases end at the epoch: the next holder knows it took over from a clean stop, not a crash.
    await this.query(`UPDATE lease SET expires_at = 'epoch' WHERE name = 'active' AND token = $1 AND holder = $2`, [this.held, this.holder]).catch(() => undefined);
    this.lost = 'this instance released the lease'; // not a loss to report: the instance is stopping
  }

  stopRenewing(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private startRenewing(): void {
    this.stopRenewing();
    // An outage fails renewals: the lease may expire meanwhile, and the fence decides what may still be written.
    this.timer = setInterval(() => void this.renew().catch(() => undefined), this.timings.renewMs);
    this.timer.unref();
  }

  private markLost(detail: string): void {
    if (this.lost !== null) return;
    this.lost = detail;
    this.stopRenewing();
    for (const l of this.listeners) l(detail);
  }

  private async query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    try {
      return (await this.pool.query(sql, params)).rows as Record<string, unknown>[];
    } catch (err) {
      throw this.translate(err);
    }
  }
}
