/**
 * The one audited transaction every repository writes through (SPEC §8): a mutation and exactly one
 * audit entry commit together in one database transaction (or no entry when nothing changed), and
 * the head file and the anchor are written after the commit. Without an audit key nothing is written.
 */
import { canonicalize } from '../policy/jcs.ts';
import { advanceAnchor } from './anchor.ts';
import { makeAuditEntry, toJsonValue, writeAuditHead, type AuditEntry, type AuditSigner, type JsonInput } from './audit.ts';
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

export interface AuditedWriterOptions {
  /** Signs audit entries; without it the store is read-only. */
  readonly auditKey?: AuditSigner;
  /** Where the head is written after each commit; none = not written. */
  readonly headFile?: string;
  /** The anchor outside the database's directory, advanced after each commit (SPEC §8); none = not kept. */
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
  private readonly anchor: { readonly file: string; readonly database: string } | undefined;
  private readonly warn: (message: string) => void;

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
    if (entry !== null) this.writeHead(entry);
    return value;
  }

  /** Appends a standalone audit entry in its own transaction (refusals, alerts). */
  async appendAlone(type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry> {
    const signer = this.signer;
    if (signer === undefined) throw new ReadOnlyStore();
    let entry: AuditEntry | null = null;
    await this.engine.transaction(async (tx) => {
      entry = await this.append(tx, signer, type, payload);
    });
    this.writeHead(entry!);
    return entry!;
  }

  private async append(tx: SqlConn, signer: AuditSigner, type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry> {
    await this.engine.lock(tx, 'audit');
    const [last] = await tx.all('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    const entry = makeAuditEntry({
      prev: last === undefined ? null : { seq: num(last.seq), hash: String(last.hash) },
      at: this.now(),
      type,
      payload: toJsonValue(payload),
      signer,
    });
    await tx.run('INSERT INTO audit_log (seq, at, type, payload, prev_hash, hash, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      entry.seq, entry.at, entry.type, canonicalize(entry.payload), entry.prevHash, entry.hash, entry.signature,
    ]);
    return entry;
  }

  private writeHead(entry: AuditEntry): void {
    if (this.headFile !== undefined) {
      try {
        writeAuditHead(this.headFile, { seq: entry.seq, hash: entry.hash, signature: entry.signature });
      } catch (err) {
        this.warn(`audit head file ${this.headFile} not written: ${(err as Error).message}`);
      }
    }
    if (this.anchor !== undefined) {
      try {
        const r = advanceAnchor(this.anchor.file, entry, this.anchor.database, this.now());
        if (!r.written && r.warning !== null) this.warn(r.warning);
      } catch (err) {
        this.warn(`audit anchor ${this.anchor.file} not written: ${(err as Error).message}`);
      }
    }
  }
}
