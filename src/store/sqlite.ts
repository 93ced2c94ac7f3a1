/**
 * The SQLite store (better-sqlite3, WAL). better-sqlite3 is synchronous, so the async surface is a
 * queue: one statement or transaction at a time on this connection. Writes use `BEGIN IMMEDIATE`,
 * which takes the database write lock at once — that is the vault-level and audit-head lock across
 * processes. `busy_timeout` bounds the wait; past it, `StoreUnavailable`.
 * The instance lock is a file next to the database created with `wx`, holding pid, host and start.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { UniqueViolation, type LockName, type Row, type SqlConn, type SqlEngine, type SqlValue } from './engine.ts';
import { InstanceLocked, StoreUnavailable } from './errors.ts';
import { migrate, SqlStore, type SqlStoreOptions } from './sql-store.ts';
import type { AcquiredLock, InstanceLockInfo } from './types.ts';

export const DEFAULT_SQLITE_PATH = './data/backstop.db';

export interface SqliteOptions extends SqlStoreOptions {
  /** Database file (created with its directories), or `:memory:`. */
  readonly path: string;
  /** How long a write waits for another writer before `StoreUnavailable`. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Refuse to create a missing database (read-only commands). */
  readonly mustExist?: boolean;
}

/** Rewrites `$n` placeholders to `?` and orders the parameters to match. */
function positional(sql: string, params: readonly SqlValue[]): { sql: string; params: SqlValue[] } {
  const out: SqlValue[] = [];
  const text = sql.replace(/\$(\d+)/g, (_m, n: string) => {
    out.push(params[Number(n) - 1] ?? null);
    return '?';
  });
  return { sql: text, params: out };
}

function translate(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new UniqueViolation((err as Error).message);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return new StoreUnavailable('the SQLite database stayed locked by another writer; retry later', code);
    }
    if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_FULL' || code === 'SQLITE_READONLY' || code.startsWith('SQLITE_CORRUPT')) {
      return new StoreUnavailable(`the SQLite database cannot be used (${code})`, code);
    }
  }
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) return new StoreUnavailable('the SQLite database is closed');
  return err;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockFile {
  pid: number;
  host: string;
  startedAt: string;
}

/** The SqlEngine over one better-sqlite3 connection. */
export class SqliteEngine implements SqlEngine {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  readonly read: SqlConn;
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly lockPath: string | null;
  private holdsLock = false;

  constructor(options: { path: string; busyTimeoutMs?: number; mustExist?: boolean }) {
    const memory = options.path === ':memory:';
    this.location = memory ? ':memory:' : resolve(options.path);
    this.lockPath = memory ? null : `${this.location}.lock`;
    try {
      if (!memory && !options.mustExist) mkdirSync(dirname(this.location), { recursive: true });
      this.db = new Database(this.location, { fileMustExist: options.mustExist === true && !memory, timeout: options.busyTimeoutMs ?? 5000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('synchronous = FULL');
    } catch (err) {
      const t = translate(err);
      if (t instanceof StoreUnavailable) throw t;
      throw new StoreUnavailable(`cannot open SQLite database ${this.location}: ${(err as Error).message}`);
    }
    const conn = this.conn();
    this.read = {
      all: (sql, params) => this.serial(() => conn.all(sql, params)),
      run: (sql, params) => this.serial(() => conn.run(sql, params)),
      exec: (sql) => this.serial(() => conn.exec(sql)),
    };
  }

  private conn(): SqlConn {
    const db = this.db;
    const wrap = <T>(f: () => T): Promise<T> => {
      try {
        return Promise.resolve(f());
      } catch (err) {
        return Promise.reject(translate(err));
      }
    };
    return {
      all: (sql, params = []) =>
        wrap(() => {
          const p = positional(sql, params);
          const stmt = db.prepare(p.sql);
          return stmt.reader ? (stmt.all(...p.params) as Row[]) : (stmt.run(...p.params), []);
        }),
      run: (sql, params = []) =>
        wrap(() => {
          const p = positional(sql, params);
          const stmt = db.prepare(p.sql);
          if (stmt.reader) return stmt.all(...p.params).length;
          return stmt.run(...p.params).changes;
        }),
      exec: (sql) => wrap(() => void db.exec(sql)),
    };
  }

  /** Runs `f` after everything queued before it: one user of the connection at a time. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  transaction<T>(fn: (tx: SqlConn) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const tx = this.conn();
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (err) {
        throw translate(err);
      }
      try {
        const value = await fn(tx);
        this.db.exec('COMMIT');
        return value;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw translate(err);
      }
    });
  }

  /** BEGIN IMMEDIATE already excludes every other writer: no finer lock is needed. */
  async lock(_tx: SqlConn, _name: LockName): Promise<void> {}

  private readLock(): LockFile | null {
    if (this.lockPath === null) return null;
    try {
      const parsed = JSON.parse(readFileSync(this.lockPath, 'utf8')) as LockFile;
      return parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      // A half-written or garbled lock file still means someone may hold it.
      return { pid: -1, host: 'unknown', startedAt: 'unknown' };
    }
  }

  private static describe(l: LockFile): InstanceLockInfo {
    return { holder: `pid ${l.pid} on ${l.host} since ${l.startedAt}`, pid: l.pid, host: l.host };
  }

  async acquireInstanceLock(): Promise<AcquiredLock> {
    if (this.lockPath === null || this.holdsLock) return { tookOverFrom: null };
    let tookOverFrom: InstanceLockInfo | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx', 0o644);
        try {
          writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() } satisfies LockFile));
        } finally {
          closeSync(fd);
        }
        this.holdsLock = true;
        return { tookOverFrom };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreUnavailable(`cannot create lock file ${this.lockPath}: ${(err as Error).message}`);
      }
      const held = this.readLock();
      if (held === null) continue;
      // Only a lock of this host whose process is gone is stale; another host's pid cannot be checked.
      if (held.host === hostname() && held.pid > 0 && !pidAlive(held.pid)) {
        tookOverFrom = SqliteEngine.describe(held);
        try {
          unlinkSync(this.lockPath);
        } catch {
          // Another starter removed it first; retry the create.
        }
        continue;
      }
      throw new InstanceLocked(`${SqliteEngine.describe(held).holder}, lock file ${this.lockPath}`, this.location);
    }
    throw new InstanceLocked(`lock file ${this.lockPath} keeps changing`, this.location);
  }

  async ensureInstanceLock(): Promise<void> {
    if (this.lockPath === null || !this.holdsLock) return;
    const held = this.readLock();
    if (held !== null && held.pid === process.pid && held.host === hostname()) return;
    this.holdsLock = false; // the lock file was removed or replaced: take it again, or learn who has it
    await this.acquireInstanceLock();
  }

  async isInstanceLocked(): Promise<InstanceLockInfo | null> {
    const held = this.readLock();
    if (held === null) return null;
    if (held.host === hostname() && held.pid > 0 && !pidAlive(held.pid)) return null;
    return SqliteEngine.describe(held);
  }

  async close(): Promise<void> {
    await this.serial(async () => undefined);
    if (this.holdsLock && this.lockPath !== null) {
      try {
        const held = this.readLock();
        if (held?.pid === process.pid) unlinkSync(this.lockPath);
      } catch {
        // Already gone.
      }
      this.holdsLock = false;
    }
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating if needed) and migrates a SQLite store. The head file defaults to `<file>.head`. */
export async function openSqliteStore(options: SqliteOptions): Promise<SqlStore> {
  const engine = new SqliteEngine(options);
  try {
    await migrate(engine);
  } catch (err) {
    await engine.close();
    throw err;
  }
  const headFile = options.headFile ?? (engine.location === ':memory:' ? undefined : `${engine.location}.head`);
  return new SqlStore(engine, { ...options, headFile });
}
