/**
 * The PostgreSQL store (pg Pool). Named locks are transaction-scoped advisory locks:
 * `pg_advisory_xact_lock(LOCKS, hashtext(name))` — the vault-level reservation lock, the audit head
 * lock and the migration lock. The instance lock is a session advisory lock on a dedicated client
 * held for the process lifetime; its `application_name` says which pid and host hold it.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { UniqueViolation, type AcquiredLock, type InstanceLockInfo, type LockName, type Row, type SqlConn, type SqlEngine, type SqlValue } from './engine.ts';
import { InstanceLocked, StoreUnavailable } from './errors.ts';
import { migrate, SqlStore, type SqlStoreOptions } from './sql-store.ts';

/** Advisory lock namespaces (first key of the two-int form). */
const INSTANCE_NS = 0x62616b01;
const LOCK_NS = 0x62616b02;

export interface PostgresOptions extends SqlStoreOptions {
  readonly url: string;
  /** Pool size. Default 5. */
  readonly max?: number;
  /** Connection timeout. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
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
  private lockClient: pg.Client | null = null;
  /** Set when the connection holding the instance lock dropped: the lock is gone. */
  instanceLockLost = false;

  constructor(private readonly options: { url: string; max?: number; connectTimeoutMs?: number }) {
    this.location = redactUrl(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 5,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: 'backstop',
    });
    // An idle client's error (server restart, terminated backend) must not crash the process;
    // the pool drops that client and the next query reconnects or fails as StoreUnavailable.
    this.pool.on('error', () => undefined);
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
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err);
    }
    const tx = clientConn(client);
    let broken = false;
    try {
      await tx.exec('BEGIN');
      for (const name of [...locks].sort()) await this.lock(tx, name);
      const value = await fn(tx);
      await tx.exec('COMMIT');
      return value;
    } catch (err) {
      const t = translate(err);
      broken = t instanceof StoreUnavailable;
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      throw t;
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  async lock(tx: SqlConn, name: LockName): Promise<void> {
    await tx.all('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NS, name]);
  }

  async acquireInstanceLock(): Promise<AcquiredLock> {
    if (this.lockClient !== null) return { tookOverFrom: null };
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000,
      application_name: `backstop pid=${process.pid} host=${hostname()}`.slice(0, 63),
    });
    client.on('error', () => {
      this.instanceLockLost = true;
    });
    client.on('end', () => {
      if (this.lockClient === client) this.instanceLockLost = true;
    });
    try {
      await client.connect();
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1, 1) AS ok', [INSTANCE_NS]);
      if (rows[0]?.ok !== true) {
        const holder = await this.isInstanceLocked();
        await client.end();
        throw new InstanceLocked(holder?.holder ?? 'unknown holder', this.location);
      }
    } catch (err) {
      if (err instanceof InstanceLocked) throw err;
      await client.end().catch(() => undefined);
      throw translate(err);
    }
    this.lockClient = client;
    return { tookOverFrom: null };
  }

  async ensureInstanceLock(): Promise<void> {
    if (this.lockClient === null || !this.instanceLockLost) return;
    // The session that held the advisory lock is gone, and the lock with it: take it again.
    await this.lockClient.end().catch(() => undefined);
    this.lockClient = null;
    this.instanceLockLost = false;
    await this.acquireInstanceLock();
  }

  async isInstanceLocked(): Promise<InstanceLockInfo | null> {
    const rows = await this.read.all(
      `SELECT a.pid, a.application_name, a.client_addr::text AS addr, a.backend_start::text AS since
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = 1 AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [INSTANCE_NS],
    );
    const r = rows[0];
    if (r === undefined) return null;
    const app = String(r.application_name ?? '');
    const m = /pid=(\d+) host=(\S+)/.exec(app);
    const pid = m ? Number(m[1]) : null;
    const host = m ? m[2]! : (r.addr as string | null);
    return { holder: `${m ? `pid ${pid} on ${host}` : `server backend ${r.pid}${host ? ` from ${host}` : ''}`} since ${r.since}`, pid, host };
  }

  async close(): Promise<void> {
    if (this.lockClient !== null) {
      await this.lockClient.end().catch(() => undefined);
      this.lockClient = null;
    }
    await this.pool.end().catch(() => undefined);
  }
}

/** Opens and migrates a PostgreSQL store. `headFile` is required by the CLI and service (SPEC §8). */
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
