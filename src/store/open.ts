/**
 * Opens the store a `--database` value or `DATABASE_URL` names (docs/storage.md): a `postgres://` or
 * `postgresql://` URL is PostgreSQL, anything else a SQLite path (default `./data/backstop.db`).
 */
import { databaseIdentity, resolveAnchorFile } from './anchor.ts';
import type { AuditSigner } from './audit.ts';
import type { LeaseTimings } from './engine.ts';
import { openPostgresStore } from './postgres.ts';
import { DEFAULT_SQLITE_PATH, openSqliteStore } from './sqlite.ts';
import type { SqlStore } from './sql-store.ts';

export interface OpenStoreOptions {
  /** SQLite path or PostgreSQL URL; default `DATABASE_URL`, else `./data/backstop.db`. */
  readonly database?: string;
  /** Signs audit entries; without it the store is read-only. */
  readonly auditKey?: AuditSigner;
  /** `AUDIT_HEAD_FILE`; default `<sqlite file>.head`; required with PostgreSQL when writing. */
  readonly headFile?: string;
  /** `AUDIT_ANCHOR_FILE`; default a 0600 file under `$XDG_STATE_HOME/backstop/` keyed by the database (writing stores only). */
  readonly anchorFile?: string;
  /** Adopt the SQLite instance lock `takeInstanceLock` returned this token for (the sandbox). */
  readonly instanceLockToken?: string;
  /** Do not create a missing SQLite file (read-only commands). */
  readonly mustExist?: boolean;
  readonly busyTimeoutMs?: number;
  /** PostgreSQL: the active-instance lease's lifetime and renewal (tests shorten them). */
  readonly lease?: Partial<LeaseTimings>;
  readonly now?: () => Date;
  readonly onWarning?: (message: string) => void;
}

/** True for a PostgreSQL connection URL. */
export const isPostgresUrl = (database: string): boolean => /^postgres(ql)?:\/\//i.test(database);

/** The database a command uses: the flag, else `DATABASE_URL`, else the default SQLite file. */
export function resolveDatabase(database?: string): string {
  return database ?? process.env.DATABASE_URL ?? DEFAULT_SQLITE_PATH;
}

/** Opens, creating and migrating as needed, the store `database` names. */
export async function openStore(options: OpenStoreOptions = {}): Promise<SqlStore> {
  const database = resolveDatabase(options.database);
  const headFile = options.headFile ?? process.env.AUDIT_HEAD_FILE;
  if (isPostgresUrl(database)) {
    if (options.auditKey !== undefined && headFile === undefined) {
      throw new Error('AUDIT_HEAD_FILE is required with PostgreSQL (the audit head is kept outside the database)');
    }
    const anchor = options.auditKey === undefined ? undefined : { file: resolveAnchorFile(database, options.anchorFile), database: databaseIdentity(database) };
    return openPostgresStore({ ...options, url: database, headFile, ...(anchor ? { anchor } : {}) });
  }
  return openSqliteStore({ ...options, path: database, headFile });
}
