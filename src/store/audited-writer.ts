/**
 * The one audited transaction every repository writes through (docs/audit.md): a mutation and exactly one
 * audit entry commit together in one database transaction (or no entry when nothing changed), and
 * the head file and the anchor are written after the commit. Without an audit key nothing is written.
 */
import { advanceAnchorAsync } from './anchor.ts';
import { nextAuditEntry, signAuditHash, toJsonValue, writeAuditHeadAsync, type AuditEntry, type AuditSigner, type JsonInput } from './audit.ts';
import type { LockName, SqlConn, SqlEngine } from './engine.ts';
import { ReadOnlyStore } from './errors.ts';
import { num } from './rows.ts';

/** What an audited mutation may add: a caller's own audit type and payload fields. */
export interface AuditNote {
  readonly type?: string;
  readonly payload?: { readonly [key: string]: JsonInput };
}

/** The entry a mutation appends, or null when it changed nothing. */
export type AuditedChange = { readonly type: string; readonly payload: { readonly [key: string]: JsonInput } } | null;

/** A grouped mutation waiting for the next batch. */
interface Grouped {
  readonly fn: (tx: SqlConn) => Promise<{ value: unknown; audit: AuditedChange }>;
  /** Settle only once the head file and anchor hold the entry (else once it is committed). */
  readonly awaitHead: boolean;
  readonly resolve: (outcome: { value: unknown; entry: AuditEntry | null }) => void;
  readonly reject: (err: unknown) => void;
}

/** At most this many grouped mutations share one transaction. */
const MAX_BATCH = 256;
/**
 * Turns of the event loop a batch waits before it commits. Idle, a turn takes microseconds; under load each
 * turn reads and verifies more requests, so a burst shares fewer commits, fsyncs and head writes (16
 * concurrent refusals: about 8 a batch after 2 turns, 15 after 6).
 */
const BATCH_TURNS = 6;
/**
 * Least time between two head writes that nobody waits for (batches of grouped writes): during a burst
 * of refusals the head file and the anchor trail the log by at most this, instead of being rewritten
 * (two atomic file replacements) after every batch. A write a caller waits for is never delayed.
 */
const LAZY_HEAD_MS = 50;

export interface AuditedWriterOptions {
  /** Signs audit entries; without it the store is read-only. */
  readonly auditKey?: AuditSigner;
  /** Where the head is written after each commit; none = not written. */
  readonly headFile?: string;
  /** The anchor outside the database's directory, advanced after each commit (docs/audit.md); none = not kept. */
  readonly anchor?: { readonly file: string; readonly database: string };
  readonly now?: () => Date;
  /** Non-fatal problems (a head file that could not be written). Default: stderr. */
  readonly onWarning?: (message: string) => void;
}

export class AuditedWriter {
  /** The audit key's signer; undefined for a read-only store. */
  readonly signer: AuditSigner | undefined;
  readonly now: () => Date;
  private readonly headFile: string | undefined;
  /** Public so the audit repository can hold the log to its anchor before anything is signed. */
  readonly anchor: { readonly file: string; readonly database: string } | undefined;
  private readonly warn: (message: string) => void;
  private readonly queued: Grouped[] = [];
  private batching = false;
  /** The newest entry the head file and anchor hold (0: none written by this writer yet). */
  private headWritten = 0;
  /** The newest entry offered to the head file. */
  private headNewest: AuditEntry | null = null;
  /** The newest committed entry waiting for its head write. */
  private headTarget: AuditEntry | null = null;
  private headWaiters: { seq: number; resolve: () => void }[] = [];
  private headWriting = false;
  /** When the last head write started (performance.now()), for LAZY_HEAD_MS. */
  private headWriteStartedAt = -Infinity;
  /** A lazy head write waiting for LAZY_HEAD_MS to pass. */
  private lazyHeadTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly engine: SqlEngine,
    options: AuditedWriterOptions,
  ) {
    this.signer = options.auditKey;
    this.headFile = options.headFile;
    this.anchor = options.anchor;
    this.now = options.now ?? (() => new Date());
    this.warn = options.onWarning ?? ((m) => process.stderr.write(`backstop store: ${m}\n`));
  }

  /** Runs `fn` in one transaction (taking `locks` first) and appends the audit entry it returns in that same transaction. */
  async mutate<T>(fn: (tx: SqlConn) => Promise<{ value: T; audit: AuditedChange }>, locks?: readonly LockName[]): Promise<T> {
    const signer = this.signer;
    if (signer === undefined) throw new ReadOnlyStore();
    let entry: AuditEntry | null = null;
    const value = await this.engine.transaction(async (tx) => {
      const r = await fn(tx);
      if (r.audit !== null) entry = await this.append(tx, signer, r.audit.type, r.audit.payload);
      return r.value;
    }, locks);
    if (entry !== null) await this.writeHead(entry);
    return value;
  }

  /**
   * As `mutate` (no locks), but group-committed: the mutations queued while a batch commits share the
   * next transaction, each in a savepoint with its entry appended in queue order, so many requests
   * pay for one commit. Each resolves once its batch is committed (durable); the head file and the
   * anchor follow, coalesced (`headsWritten`). When the batch fails, every mutation in it is
   * rejected and none of them is written; one that fails on its own is rolled back to its savepoint
   * and rejected alone.
   */
  mutateGrouped<T>(fn: (tx: SqlConn) => Promise<{ value: T; audit: AuditedChange }>): Promise<T> {
    return this.enqueue(fn, false).then((r) => r.value as T);
  }

  /** Appends a standalone audit entry (refusals, alerts), group-committed with others; resolves once the head holds it, as `mutate`. */
  async appendAlone(type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry> {
    const r = await this.enqueue(async () => ({ value: undefined, audit: { type, payload } }), true);
    return r.entry!;
  }

  /** Resolves once the head file and anchor hold every entry committed so far (a clean stop waits for it). */
  headsWritten(): Promise<void> {
    if (this.lazyHeadTimer !== null) clearTimeout(this.lazyHeadTimer);
    this.lazyHeadTimer = null;
    return this.headNewest === null ? Promise.resolve() : this.writeHead(this.headNewest);
  }

  private enqueue(fn: Grouped['fn'], awaitHead: boolean): Promise<{ value: unknown; entry: AuditEntry | null }> {
    if (this.signer === undefined) return Promise.reject(new ReadOnlyStore());
    return new Promise((resolve, reject) => {
      this.queued.push({ fn, awaitHead, resolve, reject });
      if (!this.batching) this.startBatches();
    });
  }

  private startBatches(): void {
    this.batching = true;
    // BATCH_TURNS turns of the event loop later, so the requests read and verified meanwhile join this batch.
    let turns = 0;
    const commitLater = (): void => {
      if (++turns < BATCH_TURNS) {
        setImmediate(commitLater);
        return;
      }
      const batch = this.queued.splice(0, MAX_BATCH);
      void this.commitBatch(batch)
        .catch((err: unknown) => batch.forEach((m) => m.reject(err))) // settles any left unsettled by a bug
        .finally(() => {
          this.batching = false;
          if (this.queued.length > 0) this.startBatches();
        });
    };
    setImmediate(commitLater);
  }

  /** Commits `batch`; each call settles once committed, or once the head holds it (`awaitHead`); the next batch may commit meanwhile. */
  private async commitBatch(batch: readonly Grouped[]): Promise<void> {
    const signer = this.signer!;
    const outcomes: ({ ok: true; value: unknown; entry: AuditEntry | null } | { ok: false; err: unknown })[] = [];
    try {
      await this.engine.transaction(async (tx) => {
        outcomes.length = 0;
        let last: AuditEntry | null = null;
        for (const m of batch) {
          await tx.exec('SAVEPOINT grouped');
          try {
            const r = await m.fn(tx);
            const entry: AuditEntry | null = r.audit === null ? null : await this.append(tx, signer, r.audit.type, r.audit.payload, last);
            await tx.exec('RELEASE SAVEPOINT grouped');
            if (entry !== null) last = entry;
            outcomes.push({ ok: true, value: r.value, entry });
          } catch (err) {
            await tx.exec('ROLLBACK TO SAVEPOINT grouped');
            await tx.exec('RELEASE SAVEPOINT grouped');
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      for (const m of batch) m.reject(err);
      return;
    }
    const head = outcomes.reduce<AuditEntry | null>((last, o) => (o.ok && o.entry !== null ? o.entry : last), null);
    // Not awaited: the next batch may commit while the files are written (in commit order, coalesced).
    // Written at once when a call of the batch waits for it; otherwise lazily (LAZY_HEAD_MS).
    let headWritten = Promise.resolve();
    if (head !== null && batch.some((m) => m.awaitHead)) headWritten = this.writeHead(head);
    else if (head !== null) this.offerHead(head);
    batch.forEach((m, i) => {
      const o = outcomes[i]!;
      if (!o.ok) m.reject(o.err);
      else if (m.awaitHead) void headWritten.then(() => m.resolve({ value: o.value, entry: o.entry }));
      else m.resolve({ value: o.value, entry: o.entry });
    });
  }

  /** Appends after the log's last entry, or after `after` (the entry this transaction appended last, so already locked and read). */
  private async append(tx: SqlConn, signer: AuditSigner, type: string, payload: { readonly [key: string]: JsonInput }, after: AuditEntry | null = null): Promise<AuditEntry> {
    let prev: { seq: number; hash: string } | null = after;
    if (prev === null) {
      await this.engine.lock(tx, 'audit');
      const [last] = await tx.all('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
      prev = last === undefined ? null : { seq: num(last.seq), hash: String(last.hash) };
    }
    // Signed here, synchronously: awaiting the thread pool would hold the connection (and every read queued behind it) longer.
    const { payloadText, ...unsigned } = nextAuditEntry({ prev, at: this.now(), type, payload: toJsonValue(payload) });
    const entry: AuditEntry = { ...unsigned, signature: signAuditHash(unsigned.hash, signer) };
    await tx.run('INSERT INTO audit_log (seq, at, type, payload, prev_hash, hash, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      entry.seq, entry.at, entry.type, payloadText, entry.prevHash, entry.hash, entry.signature,
    ]);
    return entry;
  }

  /** Records `entry` as the newest committed one if it is; false when the files already hold it. */
  private noteCommitted(entry: AuditEntry): boolean {
    if (entry.seq <= this.headWritten) return false;
    if (this.headNewest === null || entry.seq > this.headNewest.seq) this.headNewest = entry;
    return true;
  }

  /**
   * Offers a committed entry nobody waits for to the head file and anchor: written at once when no
   * head write started within LAZY_HEAD_MS, else by a timer when that time has passed (the newest
   * entry offered by then), unless a write a caller waits for takes it along first.
   */
  private offerHead(entry: AuditEntry): void {
    if (!this.noteCommitted(entry) || this.lazyHeadTimer !== null) return;
    const wait = this.headWriteStartedAt + LAZY_HEAD_MS - performance.now();
    if (wait <= 0 && !this.headWriting) {
      void this.writeHead(entry);
      return;
    }
    this.lazyHeadTimer = setTimeout(() => {
      this.lazyHeadTimer = null;
      if (this.headNewest !== null) void this.writeHead(this.headNewest);
    }, Math.max(wait, 1));
    // A stop writes the newest head itself (headsWritten); the timer alone keeps no process alive.
    this.lazyHeadTimer.unref();
  }

  /**
   * Writes the head file and advances the anchor to `entry` (or to a later entry committed
   * meanwhile: writes are coalesced, one at a time, in commit order, each reading the file it
   * replaces), with the disk syncs on the thread pool so requests keep being read. Resolves once
   * the files hold `entry` or later; never rejects: a file that cannot be written is a warning.
   */
  private writeHead(committed: AuditEntry): Promise<void> {
    if (!this.noteCommitted(committed)) return Promise.resolve();
    // The newest committed entry, which may be a lazily offered one after `committed`.
    const entry = this.headNewest!;
    if (this.headTarget === null || entry.seq > this.headTarget.seq) this.headTarget = entry;
    const done = new Promise<void>((resolve) => this.headWaiters.push({ seq: entry.seq, resolve }));
    if (!this.headWriting) {
      this.headWriting = true;
      void this.writeHeads();
    }
    return done;
  }

  private async writeHeads(): Promise<void> {
    try {
      while (this.headTarget !== null) {
        const entry = this.headTarget;
        this.headTarget = null;
        this.headWriteStartedAt = performance.now();
        await this.writeHeadFiles(entry);
        this.headWritten = Math.max(this.headWritten, entry.seq);
        const waiting = this.headWaiters;
        this.headWaiters = waiting.filter((w) => w.seq > this.headWritten);
        for (const w of waiting) if (w.seq <= this.headWritten) w.resolve();
      }
    } finally {
      this.headWriting = false;
    }
  }

  private async writeHeadFiles(entry: AuditEntry): Promise<void> {
    if (this.headFile !== undefined) {
      try {
        await writeAuditHeadAsync(this.headFile, { seq: entry.seq, hash: entry.hash, signature: entry.signature });
      } catch (err) {
        this.warn(`audit head file ${this.headFile} not written: ${(err as Error).message}`);
      }
    }
    if (this.anchor !== undefined) {
      try {
        const r = await advanceAnchorAsync(this.anchor.file, entry, this.anchor.database, this.now());
        if (!r.written && r.warning !== null) this.warn(r.warning);
      } catch (err) {
        this.warn(`audit anchor ${this.anchor.file} not written: ${(err as Error).message}`);
      }
    }
  }
}
