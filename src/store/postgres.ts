/**
 * The PostgreSQL store (pg Pool). Named locks are transaction-scoped advisory locks:
 * `pg_advisory_xact_lock(LOCKS, hashtext(name))` — the vault-level reservation lock, the audit head
 * lock and the migration lock. The instance lock is the active-instance lease (lease.ts): taken,
 * renewed on the database's clock, and checked first in every write transaction.
 */
import pg from 'pg';
import { UniqueViolation, type AcquiredLock, type InstanceLockInfo, type LockName, type Row, type SqlConn, type SqlEngine, type SqlValue } from './engine.ts';
import { InstanceLocked, StoreUnavailable } from './errors.ts';
import { LeaseLost, leaseTimings, lockInfo, PgLease, type LeaseTimings } from './lease.ts';
import { migrate, SqlStore, type SqlStoreOptions } from './sql-store.ts';

/** Advisory lock namespace (first key of the two-int form). */
const LOCK_NS = 0x62616b02;

export interface PostgresOptions extends SqlStoreOptions {
  readonly url: string;
  /** Pool size. Default 5. */
  readonly max?: number;
  /** Connection timeout. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Lease lifetime and renewal (default 10 s / 3 s, or BACKSTOP_LEASE_TTL_MS / BACKSTOP_LEASE_RENEW_MS). */
  readonly lease?: Partial<LeaseTimings>;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300', '3D000']);

function translate(err: unknown): unknown {
  if (err instanceof StoreUnavailable || err instanceof UniqueViolation) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code === '23505') return new UniqueViolation(message);
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('53')) {
    return new StoreUnavailable(`PostgreSQL is unavailable (${code}): ${message}`, code);
  }
  if (/Connection terminated|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end|timeout exceeded when trying to connect|not queryable/i.test(message)) {
    return new StoreUnavailable(`PostgreSQL is unavailable: ${message}`);
  }
  return err;
}

function clientConn(client: pg.ClientBase): SqlConn {
  return {
    all: async (sql: string, params: readonly SqlValue[] = []) => {
      try {
        return (await client.query(sql, params as unknown[])).rows as Row[];
      } catch (err) {
        throw translate(err);
      }
    },
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      try {
        return (await client.query(sql, params as unknown[])).rowCount ?? 0;
      } catch (err) {
        throw translate(err);
      }
    },
    exec: async (sql: string) => {
      try {
        await client.query(sql);
      } catch (err) {
        throw translate(err);
      }
    },
  };
}

/** The SqlEngine over a pg Pool. */
export class PostgresEngine implements SqlEngine {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly read: SqlConn;
  private readonly pool: pg.Pool;
  private readonly leasePool: pg.Pool;
  /** The active-instance lease (docs/storage.md): taken by `acquireInstanceLock`, or by the service's standby loop. */
  readonly lease: PgLease;

  constructor(options: { url: string; max?: number; connectTimeoutMs?: number; lease?: Partial<LeaseTimings> }) {
    this.location = redactUrl(options.url);
    const timings = leaseTimings(options.lease);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 5,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: 'backstop',
      // A leader paused inside a transaction holds the lease row FOR SHARE: the server ends that session, so a takeover waits at most this.
      idle_in_transaction_session_timeout: Math.max(1000, Math.min(timings.ttlMs, 10_000)),
    });
    this.leasePool = new pg.Pool({
      connectionString: options.url,
      max: 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: 'backstop lease',
    });
    // An idle client's error (server restart, terminated backend) must not crash the process;
    // the pool drops that client and the next query reconnects or fails as StoreUnavailable.
    this.pool.on('error', () => undefined);
    this.leasePool.on('error', () => undefined);
    this.lease = new PgLease(this.leasePool, timings, translate);
    const pool = this.pool;
    this.read = {
      all: async (sql, params = []) => {
        try {
          return (await pool.query(sql, params as unknown[])).rows as Row[];
        } catch (err) {
          throw translate(err);
        }
      },
      run: async (sql, params = []) => {
        try {
          return (await pool.query(sql, params as unknown[])).rowCount ?? 0;
        } catch (err) {
          throw translate(err);
        }
      },
      exec: async (sql) => {
        try {
          await pool.query(sql);
        } catch (err) {
          throw translate(err);
        }
      },
    };
  }

  async transaction<T>(fn: (tx: SqlConn) => Promise<T>, locks: readonly LockName[] = []): Promise<T> {
    this.lease.refuseEarly();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err);
    }
    const tx = clientConn(client);
    let broken = false;
    // The server may end a checked-out session (idle in transaction too long): the failed query says so; no crash.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await tx.exec('BEGIN');
      await this.lease.fence(tx); // every write checks that this instance is still the active one
      for (const name of [...locks].sort()) await this.lock(tx, name);
      const value = await fn(tx);
      await tx.exec('COMMIT');
      return value;
    } catch (err) {
      const t = translate(err);
      broken = t instanceof StoreUnavailable && !(t instanceof LeaseLost);
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      throw t;
    } finally {
      client.off('error', onError);
      client.release(broken ? true : undefined);
    }
  }

  async lock(tx: SqlConn, name: LockName): Promise<void> {
    await tx.all('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NS, name]);
  }

  /** Takes the lease (renewed from then on) or throws InstanceLocked naming the active instance. */
  async acquireInstanceLock(): Promise<AcquiredLock> {
    const got = await this.lease.tryActivate();
    if (got !== null) return got;
    const holder = await this.isInstanceLocked();
    throw new InstanceLocked(holder?.holder ?? 'an instance whose lease is being taken over', this.location);
  }

  /** Renews the lease now; InstanceLocked when another instance took it over. */
  async ensureInstanceLock(): Promise<void> {
    if (this.lease.token === null) return;
    if (await this.lease.renew()) return;
    const holder = await this.isInstanceLocked().catch(() => null);
    throw new InstanceLocked(holder?.holder ?? 'another instance', this.location);
  }

  /** The instance whose lease is current on the database's clock, or null. */
  async isInstanceLocked(): Promise<InstanceLockInfo | null> {
    const row = await this.lease.current();
    return row?.live ? lockInfo(row) : null;
  }

  async close(): Promise<void> {
    await this.lease.release();
    await Promise.all([this.pool.end().catch(() => undefined), this.leasePool.end().catch(() => undefined)]);
  }
}

/** Opens and migrates a PostgreSQL store. `headFile` is required by the CLI and service (docs/storage.md). */
export async function openPostgresStore(options: PostgresOptions): Promise<SqlStore> {
  const engine = new PostgresEngine(options);
  try {
    await migrate(engine);
  } catch (err) {
    await engine.close();
    throw err;
  }
  return new SqlStore(engine, options);
}
