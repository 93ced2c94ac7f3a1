/**
 * The small SQL surface both engines provide to the shared store logic: queries with `$1…$n`
 * placeholders, transactions, named exclusive locks, and the instance lock. Engines translate their
 * driver's failures into `StoreUnavailable` (unreachable, dropped, busy) or `UniqueViolation`.
 */
import type { Dialect } from './migrations.ts';

export interface InstanceLockInfo {
  /** Human-readable holder, e.g. `pid 123 on host-a since 2026-…`. */
  readonly holder: string;
  readonly pid: number | null;
  readonly host: string | null;
}

export interface AcquiredLock {
  /** Set when a stale lock (its pid no longer alive) was taken over. */
  readonly tookOverFrom: InstanceLockInfo | null;
}

/** How long a lease lasts without renewal, and how often the active instance renews it. */
export interface LeaseTimings {
  /** Lifetime of one renewal; a standby takes over once it has passed. Default 10 s. */
  readonly ttlMs: number;
  /** The active instance renews this often. Default 3 s. */
  readonly renewMs: number;
}

/** The lease row as stored, and whether it is current on the database's clock. */
export interface LeaseRow {
  readonly holder: string;
  readonly token: string;
  readonly expiresAt: string;
  readonly live: boolean;
}

/** What the service needs to run as active or standby (PostgreSQL only). */
export interface LeaseControl {
  readonly timings: LeaseTimings;
  /** This instance's holder text (pid, host, a random id). */
  readonly holder: string;
  /** The token this instance holds, or null. */
  readonly token: string | null;
  /** Refuse every write until `tryActivate` succeeds. */
  standby(): void;
  /** Takes the lease if it is free or expired (renewing it from then on); null when another instance holds it. */
  tryActivate(): Promise<AcquiredLock | null>;
  /** Called once when the lease is found taken over (a renewal or a write saw another token). */
  onLost(listener: (detail: string) => void): void;
  /** The current holder, if the lease is live. */
  current(): Promise<LeaseRow | null>;
}

export type SqlValue = string | number | bigint | null | Uint8Array;
// Rows are read through the typed converters of the store; columns are whatever the driver returns.
export type Row = Record<string, any>;

/** A unique constraint refused an insert (the store turns it into a domain error). */
export class UniqueViolation extends Error {
  override readonly name = 'UniqueViolation';
}

export interface SqlConn {
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Returns the number of changed rows. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs several statements without parameters. */
  exec(sql: string): Promise<void>;
}

/**
 * `audit`: serialises audit appends; `migrations`: serialises schema upgrades; `vault:<address>`:
 * the vault-level reservation lock. Held until the transaction ends.
 */
export type LockName = 'audit' | 'migrations' | `vault:${string}`;

export interface SqlEngine {
  readonly dialect: Dialect;
  readonly location: string;
  /** Queries outside a transaction. */
  readonly read: SqlConn;
  /** Runs `fn` in one transaction that writes (SQLite: BEGIN IMMEDIATE), taking `locks` first. */
  transaction<T>(fn: (tx: SqlConn) => Promise<T>, locks?: readonly LockName[]): Promise<T>;
  /** Takes a named exclusive lock inside `tx` (a no-op where the transaction already excludes writers). */
  lock(tx: SqlConn, name: LockName): Promise<void>;
  acquireInstanceLock(): Promise<AcquiredLock>;
  /** Re-takes the instance lock if it was lost (a dropped connection, a removed lock file); throws InstanceLocked if another holds it. */
  ensureInstanceLock(): Promise<void>;
  isInstanceLocked(): Promise<InstanceLockInfo | null>;
  /** PostgreSQL's active-instance lease (lease.ts); absent on SQLite, which refuses a second instance. */
  readonly lease?: LeaseControl;
  close(): Promise<void>;
}
