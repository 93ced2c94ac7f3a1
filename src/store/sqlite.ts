/**
 * The SQLite store (better-sqlite3, WAL). better-sqlite3 is synchronous, so the async surface is a
 * queue: one statement or transaction at a time on this connection. Writes use `BEGIN IMMEDIATE`,
 * which takes the database write lock at once — that is the vault-level and audit-head lock across
 * processes. `busy_timeout` bounds the wait; past it, `StoreUnavailable`.
 * The instance lock is a file next to the database created with `wx`, holding pid, host and start.
 * The database, its -wal and -shm (SQLite gives them the database file's mode), the lock and the head
 * are private to the service's user: files 0600, created directories 0700.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { databaseIdentity, resolveAnchorFile } from './anchor.ts';
import { UniqueViolation, type AcquiredLock, type InstanceLockInfo, type LockName, type Row, type SqlConn, type SqlEngine, type SqlValue } from './engine.ts';
import { InstanceLocked, StoreUnavailable } from './errors.ts';
import { migrate, SqlStore, type SqlStoreOptions } from './sql-store.ts';

export const DEFAULT_SQLITE_PATH = './data/backstop.db';

export interface SqliteOptions extends SqlStoreOptions {
  /** Database file (created with its directories), or `:memory:`. */
  readonly path: string;
  /** How long a write waits for another writer before `StoreUnavailable`. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Refuse to create a missing database (read-only commands). */
  readonly mustExist?: boolean;
  /** The audit anchor file (default `AUDIT_ANCHOR_FILE`, else one under the state dir for this database). */
  readonly anchorFile?: string;
  /** A token from `takeInstanceLock` on this database: the store adopts that lock instead of refusing it. */
  readonly instanceLockToken?: string;
}

/** Rewrites `$n` placeholders to `?`: the SQL text and, in order, the index of the parameter each `?` takes. */
function positional(sql: string): { sql: string; order: number[] } {
  const order: number[] = [];
  const text = sql.replace(/\$(\d+)/g, (_m, n: string) => {
    order.push(Number(n) - 1);
    return '?';
  });
  return { sql: text, order };
}

/** Prepared statements kept per connection; the store's SQL is a fixed set, this only bounds a surprise. */
const STATEMENT_CACHE_SIZE = 256;

interface Prepared {
  readonly stmt: Database.Statement;
  readonly order: readonly number[];
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
  /** Lets a store of the same process adopt a lock taken before it was opened (the sandbox). */
  token?: string;
}

/** Files of the database that hold its data: the file itself, its WAL and shared memory. */
const DATA_FILES = ['', '-wal', '-shm'] as const;

/** Creates a missing database file 0600 (its -wal and -shm follow its mode) and tightens loose ones. */
function makePrivate(location: string, warn: (m: string) => void): void {
  mkdirSync(dirname(location), { recursive: true, mode: 0o700 });
  closeSync(openSync(location, 'a', 0o600));
  for (const suffix of DATA_FILES) {
    const f = `${location}${suffix}`;
    try {
      if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (err) {
      warn(`${f} stays readable by others: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; run: chmod 600 ${f}`);
    }
  }
}

function readLockFile(lockPath: string): LockFile | null {
  try {
    return JSON.parse(readFileSync(lockPath, 'utf8')) as LockFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // A half-written or garbled lock file still means someone may hold it.
    return { pid: -1, host: 'unknown', startedAt: 'unknown' };
  }
}

const describeLock = (l: LockFile): InstanceLockInfo => ({ holder: `pid ${l.pid} on ${l.host} since ${l.startedAt}`, pid: l.pid, host: l.host });

/**
 * Creates the lock file `<database>.lock` for this process, taking over one whose process on this host
 * is gone. Throws `InstanceLocked` (with `holder` naming the live holder) when another process holds it.
 */
function createLockFile(lockPath: string, location: string, token?: string): AcquiredLock {
  let tookOverFrom: InstanceLockInfo | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      try {
        const content: LockFile = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...(token ? { token } : {}) };
        writeSync(fd, JSON.stringify(content));
      } finally {
        closeSync(fd);
      }
      return { tookOverFrom };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreUnavailable(`cannot create lock file ${lockPath}: ${(err as Error).message}`);
    }
    const held = readLockFile(lockPath);
    if (held === null) continue;
    // Only a lock of this host whose process is gone is stale; another host's pid cannot be checked.
    if (held.host === hostname() && held.pid > 0 && !pidAlive(held.pid)) {
      tookOverFrom = describeLock(held);
      try {
        unlinkSync(lockPath);
      } catch {
        // Another starter removed it first; retry the create.
      }
      continue;
    }
    throw new InstanceLocked(`${describeLock(held).holder}, lock file ${lockPath}`, location);
  }
  throw new InstanceLocked(`lock file ${lockPath} keeps changing`, location);
}

/** A SQLite instance lock taken before the store is opened; hand `token` to `openStore` to keep it. */
export interface EarlyInstanceLock extends AcquiredLock {
  readonly token: string;
  /** Removes the lock file if this process still holds it under this token (start-up failed). */
  release(): void;
}

/**
 * Takes the instance lock of the SQLite database at `path` before anything touches its files (the
 * sandbox wipes its data dir only while holding it). Throws `InstanceLocked` when a live process holds it.
 */
export function takeInstanceLock(path: string): EarlyInstanceLock {
  const location = resolve(path);
  const lockPath = `${location}.lock`;
  mkdirSync(dirname(location), { recursive: true, mode: 0o700 });
  const token = randomBytes(16).toString('hex');
  const acquired = createLockFile(lockPath, location, token);
  return {
    ...acquired,
    token,
    release() {
      const held = readLockFile(lockPath);
      if (held?.pid === process.pid && held.token === token) unlinkSync(lockPath);
    },
  };
}

/** Who holds the instance lock of the SQLite database at `path` (a live process), or null. */
export function instanceLockHolder(path: string): InstanceLockInfo | null {
  const held = readLockFile(`${resolve(path)}.lock`);
  if (held === null) return null;
  if (held.host === hostname() && held.pid > 0 && !pidAlive(held.pid)) return null;
  return describeLock(held);
}

/** The SqlEngine over one better-sqlite3 connection. */
export class SqliteEngine implements SqlEngine {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  readonly read: SqlConn;
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly lockPath: string | null;
  private readonly lockToken: string | undefined;
  private holdsLock = false;
  private readonly statements = new Map<string, Prepared>();

  constructor(options: { path: string; busyTimeoutMs?: number; mustExist?: boolean; instanceLockToken?: string; onWarning?: (message: string) => void }) {
    const memory = options.path === ':memory:';
    this.location = memory ? ':memory:' : resolve(options.path);
    this.lockPath = memory ? null : `${this.location}.lock`;
    this.lockToken = options.instanceLockToken;
    const warn = options.onWarning ?? ((m: string) => process.stderr.write(`backstop store: ${m}\n`));
    try {
      if (!memory && !options.mustExist) makePrivate(this.location, warn);
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

  /** The statement for `sql` ($n placeholders), prepared once: preparing costs more than running these. */
  private prepared(sql: string): Prepared {
    let p = this.statements.get(sql);
    if (p === undefined) {
      const { sql: text, order } = positional(sql);
      p = { stmt: this.db.prepare(text), order };
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value as string);
      this.statements.set(sql, p);
    }
    return p;
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
    const bind = (order: readonly number[], params: readonly SqlValue[]): SqlValue[] => order.map((i) => params[i] ?? null);
    return {
      all: (sql, params = []) =>
        wrap(() => {
          const { stmt, order } = this.prepared(sql);
          const values = bind(order, params);
          return stmt.reader ? (stmt.all(...values) as Row[]) : (stmt.run(...values), []);
        }),
      run: (sql, params = []) =>
        wrap(() => {
          const { stmt, order } = this.prepared(sql);
          const values = bind(order, params);
          if (stmt.reader) return stmt.all(...values).length;
          return stmt.run(...values).changes;
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
    return this.lockPath === null ? null : readLockFile(this.lockPath);
  }

  async acquireInstanceLock(): Promise<AcquiredLock> {
    if (this.lockPath === null || this.holdsLock) return { tookOverFrom: null };
    const held = this.readLock();
    if (this.lockToken !== undefined && held !== null && held.token === this.lockToken && held.pid === process.pid && held.host === hostname()) {
      this.holdsLock = true; // taken by this process before the store was opened (takeInstanceLock)
      return { tookOverFrom: null };
    }
    const acquired = createLockFile(this.lockPath, this.location, this.lockToken);
    this.holdsLock = true;
    return acquired;
  }

  async ensureInstanceLock(): Promise<void> {
    if (this.lockPath === null || !this.holdsLock) return;
    const held = this.readLock();
    if (held !== null && held.pid === process.pid && held.host === hostname()) return;
    this.holdsLock = false; // the lock file was removed or replaced: take it again, or learn who has it
    await this.acquireInstanceLock();
  }

  async isInstanceLocked(): Promise<InstanceLockInfo | null> {
    return this.lockPath === null ? null : instanceLockHolder(this.location);
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

/**
 * Opens (creating if needed) and migrates a SQLite store. The head file defaults to `<file>.head`; a
 * writing store (with an audit key) keeps the anchor too (`anchor.ts`).
 */
export async function openSqliteStore(options: SqliteOptions): Promise<SqlStore> {
  const engine = new SqliteEngine(options);
  let anchor: { file: string; database: string } | undefined;
  try {
    await migrate(engine);
    if (engine.location !== ':memory:' && options.auditKey !== undefined) {
      anchor = { file: resolveAnchorFile(engine.location, options.anchorFile), database: databaseIdentity(engine.location) };
    }
  } catch (err) {
    await engine.close();
    throw err;
  }
  const headFile = options.headFile ?? (engine.location === ':memory:' ? undefined : `${engine.location}.head`);
  return new SqlStore(engine, { ...options, headFile, ...(anchor ? { anchor } : {}) });
}
