/** The audit log as a repository: standalone entries, reads, the head, and the verified chain (docs/audit.md). */
import { readAnchor, type AuditAnchorRecord } from './anchor.ts';
import { verifyAudit, type AuditEntry, type AuditHead, type JsonInput, type JsonValue } from './audit.ts';
import type { AuditedWriter } from './audited-writer.ts';
import type { Row } from './engine.ts';
import { AuditChainBroken, ReadOnlyStore } from './errors.ts';
import { iso, num } from './rows.ts';

export interface AuditRepository {
  /** Appends a standalone audit entry (refused presses, refused requests, alerts). */
  appendAudit(type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry>;
  /** Entries in seq order, from `sinceSeq` (inclusive) or `sinceTime`. */
  auditEntries(filter?: { sinceSeq?: number; sinceTime?: Date }): Promise<AuditEntry[]>;
  /** The last entry as a head (seq, hash, signature), or null when the log is empty. */
  auditHead(): Promise<AuditHead | null>;
  /** Every entry, after verifying the whole chain with this store's audit key; `AuditChainBroken` otherwise. */
  verifiedAuditEntries(): Promise<AuditEntry[]>;
}

export class SqlAuditLog implements AuditRepository {
  constructor(private readonly w: AuditedWriter) {}

  appendAudit(type: string, payload: { readonly [key: string]: JsonInput }): Promise<AuditEntry> {
    return this.w.appendAlone(type, payload);
  }

  async auditEntries(filter: { sinceSeq?: number; sinceTime?: Date } = {}): Promise<AuditEntry[]> {
    const rows = await this.w.engine.read.all('SELECT * FROM audit_log WHERE seq >= $1 AND at >= $2 ORDER BY seq', [
      filter.sinceSeq ?? 0, filter.sinceTime === undefined ? '' : iso(filter.sinceTime),
    ]);
    return rows.map(toAuditEntry);
  }

  async verifiedAuditEntries(): Promise<AuditEntry[]> {
    if (this.w.signer === undefined) throw new ReadOnlyStore();
    const entries = await this.auditEntries();
    // Held to the anchor outside the database: a log cut at its tail, or an older head put back, signs nothing.
    let anchor: AuditAnchorRecord | null = null;
    try {
      anchor = this.w.anchor ? readAnchor(this.w.anchor.file) : null;
    } catch (err) {
      throw new AuditChainBroken(0, (err as Error).message);
    }
    if (anchor?.diverged) {
      throw new AuditChainBroken(anchor.diverged.seq, `a head that forks from the anchor at entry ${anchor.seq} was written (${anchor.diverged.at}): the log was cut and rewritten`);
    }
    const verdict = verifyAudit({ entries, publicKey: this.w.signer.publicKeyBytes, ...(anchor ? { head: anchor } : {}) });
    if (!verdict.ok) throw new AuditChainBroken(verdict.seq, verdict.message);
    return entries;
  }

  async auditHead(): Promise<AuditHead | null> {
    const [row] = await this.w.engine.read.all('SELECT seq, hash, signature FROM audit_log ORDER BY seq DESC LIMIT 1');
    return row === undefined ? null : { seq: num(row.seq), hash: String(row.hash), signature: String(row.signature) };
  }
}

function toAuditEntry(r: Row): AuditEntry {
  return {
    seq: num(r.seq),
    at: String(r.at),
    type: String(r.type),
    payload: JSON.parse(String(r.payload)) as JsonValue,
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
    signature: String(r.signature),
  };
}
