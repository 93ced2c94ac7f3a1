/**
 * The signed, hash-chained audit log (docs/audit.md).
 *
 * entry hash = sha256(JCS({seq, at, type, payload, prevHash})), `seq` from 1, the first `prevHash`
 * 64 zeros, `at` RFC 3339 UTC with milliseconds. The signature is ed25519 (the audit key) over the
 * **raw 32 bytes** of that hash (not its hex text), stored as 128 hex characters. The head
 * (seq, hash, signature) is written after each commit to `AUDIT_HEAD_FILE` as JSON, atomically, and
 * to the anchor outside the database's directory (`anchor.ts`).
 */
import { createPublicKey, verify as edVerify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getBase58Encoder } from '@solana/kit';
import { canonicalize, sha256Hex } from '../policy/jcs.ts';
import { writePrivateFileAtomic, writePrivateFileAtomicAsync } from '../util/files.ts';

/** JSON a caller may attach to a record or an audit entry; bigints and Dates are converted to strings. */
export type JsonInput = string | number | boolean | null | bigint | Date | undefined | readonly JsonInput[] | { readonly [key: string]: JsonInput };

export const GENESIS_PREV_HASH = '0'.repeat(64);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One stored audit entry. */
export interface AuditEntry {
  readonly seq: number;
  /** RFC 3339 UTC with milliseconds, exactly as hashed. */
  readonly at: string;
  readonly type: string;
  readonly payload: JsonValue;
  readonly prevHash: string;
  /** Lower-case hex sha256. */
  readonly hash: string;
  /** Hex ed25519 signature over the hash's 32 raw bytes. */
  readonly signature: string;
}

/** The last entry's anchor, kept outside the database. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
  readonly signature: string;
}

/** What signs audit entries (an `Ed25519Keypair`). */
export interface AuditSigner {
  readonly publicKeyBytes: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Converts bigints and Dates to strings, Uint8Arrays to base64, drops undefined: plain JSON for hashing. */
export function toJsonValue(value: JsonInput | Uint8Array): JsonValue {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v as JsonInput));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v as JsonInput);
    return out;
  }
  return value as JsonValue;
}

/** sha256(JCS({seq, at, type, payload, prevHash})) in hex. */
export function auditEntryHash(e: { seq: number; at: string; type: string; payload: JsonValue; prevHash: string }): string {
  return sha256Hex(canonicalize({ seq: e.seq, at: e.at, type: e.type, payload: e.payload, prevHash: e.prevHash }));
}

/** An entry before its signature, with its payload's JCS text (the column the store writes). */
export interface UnsignedAuditEntry extends Omit<AuditEntry, 'signature'> {
  readonly payloadText: string;
}

/**
 * The entry that follows `prev` (null for the first), hashed but not signed. The payload is
 * canonicalised once: the hashed text is the JCS object {at, payload, prevHash, seq, type} (keys
 * in that, their sorted, order) around it, byte for byte `auditEntryHash`'s input (tested).
 */
export function nextAuditEntry(input: { prev: { seq: number; hash: string } | null; at: Date; type: string; payload: JsonValue }): UnsignedAuditEntry {
  const seq = input.prev === null ? 1 : input.prev.seq + 1;
  const prevHash = input.prev === null ? GENESIS_PREV_HASH : input.prev.hash;
  const at = input.at.toISOString();
  const payloadText = canonicalize(input.payload);
  const hashed = `{"at":${canonicalize(at)},"payload":${payloadText},"prevHash":${canonicalize(prevHash)},"seq":${canonicalize(seq)},"type":${canonicalize(input.type)}}`;
  return { seq, at, type: input.type, payload: input.payload, prevHash, hash: sha256Hex(hashed), payloadText };
}

/** The hex signature of an entry: the audit key over the raw 32 bytes of its hash. */
export function signAuditHash(hash: string, signer: AuditSigner): string {
  return Buffer.from(signer.sign(Buffer.from(hash, 'hex'))).toString('hex');
}

/** Builds and signs the entry that follows `prev` (null for the first). */
export function makeAuditEntry(input: { prev: { seq: number; hash: string } | null; at: Date; type: string; payload: JsonValue; signer: AuditSigner }): AuditEntry {
  const { payloadText: _text, ...entry } = nextAuditEntry(input);
  return { ...entry, signature: signAuditHash(entry.hash, input.signer) };
}

/** Why verification stopped. */
export type AuditBreak =
  | 'edited' // hash mismatch: the content changed
  | 'deleted' // seq gap
  | 'swapped' // entries out of order
  | 'forged' // hash right, signature invalid
  | 'broken-link' // prevHash differs from the previous entry's hash
  | 'truncated' // fewer entries than the head, or a different hash at the head's seq
  | 'malformed';

export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly lastSeq: number; readonly anchoredSeq: number | null; readonly unanchored: number }
  | { readonly ok: false; readonly seq: number; readonly reason: AuditBreak; readonly message: string };

/** A base58 string, raw 32 bytes, or a KeyObject. */
export type PublicKeyInput = string | Uint8Array | KeyObject;

/** An ed25519 public KeyObject from base58, raw bytes or a KeyObject. */
export function ed25519PublicKey(key: PublicKeyInput): KeyObject {
  if (typeof key !== 'string' && !(key instanceof Uint8Array)) return key;
  const raw = typeof key === 'string' ? getBase58Encoder().encode(key) : key;
  if (raw.length !== 32) throw new Error(`an ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

function signatureValid(hash: string, signature: string, key: KeyObject): boolean {
  if (!/^[0-9a-f]{128}$/.test(signature) || !/^[0-9a-f]{64}$/.test(hash)) return false;
  return edVerify(null, Buffer.from(hash, 'hex'), key, Buffer.from(signature, 'hex'));
}

/**
 * Verifies a chain of entries (in the order given) against the audit public key and, optionally,
 * the head, the anchor and an expected (seq, hash). Pure. Reports the first broken link; entries
 * after the furthest of those pass as "unanchored".
 */
export function verifyAudit(input: {
  entries: readonly AuditEntry[];
  publicKey: PublicKeyInput;
  head?: AuditHead | null;
  /** The anchor kept outside the database's directory (docs/audit.md). */
  anchor?: AuditHead | null;
  /** A head copied from a published anchor: the chain must reach `seq` and hold `hash` there. */
  expect?: { seq: number; hash: string } | null;
}): AuditVerification {
  const key = ed25519PublicKey(input.publicKey);
  const { entries } = input;
  const fail = (seq: number, reason: AuditBreak, message: string): AuditVerification => ({ ok: false, seq, reason, message });
  const presentSeqs = new Set(entries.map((e) => e.seq));
  let prev: AuditEntry | null = null;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const expected = prev === null ? 1 : prev.seq + 1;
    if (!Number.isSafeInteger(e.seq) || typeof e.at !== 'string' || typeof e.type !== 'string' || typeof e.hash !== 'string') {
      return fail(expected, 'malformed', `entry at position ${i + 1} is not an audit entry`);
    }
    if (e.seq !== expected) {
      if (e.seq < expected || presentSeqs.has(expected)) {
        return fail(expected, 'swapped', `entry ${e.seq} stands where entry ${expected} belongs: entries were reordered`);
      }
      return fail(expected, 'deleted', `entry ${expected} is missing (next is ${e.seq}): entries were deleted`);
    }
    let recomputed: string;
    try {
      recomputed = auditEntryHash(e);
    } catch {
      return fail(e.seq, 'malformed', `entry ${e.seq} has a payload that is not JSON`);
    }
    if (recomputed !== e.hash) {
      // Content that hashes correctly under another seq was moved here: a swap, not an edit.
      for (const other of presentSeqs) {
        if (other !== e.seq && auditEntryHash({ ...e, seq: other }) === e.hash && signatureValid(e.hash, e.signature, key)) {
          return fail(e.seq, 'swapped', `entry ${e.seq} holds the content of entry ${other}: entries were swapped`);
        }
      }
      return fail(e.seq, 'edited', `entry ${e.seq} does not match its hash: its content was edited`);
    }
    if (!signatureValid(e.hash, e.signature, key)) {
      return fail(e.seq, 'forged', `entry ${e.seq}'s signature does not verify with the audit key: forged or re-signed`);
    }
    const prevHash = prev === null ? GENESIS_PREV_HASH : prev.hash;
    if (e.prevHash !== prevHash) {
      return fail(e.seq, 'broken-link', `entry ${e.seq}'s prevHash is not entry ${expected - 1}'s hash: the chain was relinked`);
    }
    prev = e;
  }
  const lastSeq = prev?.seq ?? 0;
  // Each point (head file, anchor, an expectation copied from a published anchor) must be in the chain.
  const points: { what: string; seq: number; hash: string; signature?: string }[] = [];
  if (input.head) points.push({ what: 'the head', ...input.head });
  if (input.anchor) points.push({ what: 'the anchor', ...input.anchor });
  if (input.expect) points.push({ what: '--expect-seq/--expect-hash', seq: input.expect.seq, hash: input.expect.hash });
  let anchoredSeq: number | null = null;
  for (const p of points) {
    if (p.signature !== undefined && !signatureValid(p.hash, p.signature, key)) {
      return fail(p.seq, 'forged', `${p.what}'s signature does not verify with the audit key`);
    }
    if (lastSeq < p.seq) {
      return fail(p.seq, 'truncated', `the log ends at entry ${lastSeq} but ${p.what} anchors entry ${p.seq}: entries were removed from the end`);
    }
    const anchored = entries.find((e) => e.seq === p.seq);
    if (anchored === undefined || anchored.hash !== p.hash) {
      return fail(p.seq, 'truncated', `entry ${p.seq} differs from ${p.what}: the log was cut and rewritten`);
    }
    anchoredSeq = Math.max(anchoredSeq ?? 0, p.seq);
  }
  return { ok: true, entries: entries.length, lastSeq, anchoredSeq, unanchored: anchoredSeq === null ? 0 : lastSeq - anchoredSeq };
}

/** Reads a head file; null when it does not exist. Throws on unreadable content. */
export function readAuditHead(path: string): AuditHead | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<AuditHead>;
  if (!Number.isSafeInteger(parsed.seq) || typeof parsed.hash !== 'string' || typeof parsed.signature !== 'string') {
    throw new Error(`audit head file ${path} is not {seq, hash, signature}`);
  }
  return { seq: parsed.seq!, hash: parsed.hash, signature: parsed.signature };
}

/**
 * Replaces the head file atomically (mode 0600): temp file, fsync, rename, fsync of the directory. A
 * head whose seq is not above the file's current one is not written (another writer got further).
 */
export function writeAuditHead(path: string, head: AuditHead): void {
  if (headIsBehind(path, head)) writePrivateFileAtomic(path, `${JSON.stringify({ seq: head.seq, hash: head.hash, signature: head.signature })}\n`);
}

/** `writeAuditHead` with the file synced on the thread pool (the audited writer's path: the event loop keeps serving). */
export async function writeAuditHeadAsync(path: string, head: AuditHead): Promise<void> {
  if (headIsBehind(path, head)) await writePrivateFileAtomicAsync(path, `${JSON.stringify({ seq: head.seq, hash: head.hash, signature: head.signature })}\n`);
}

/** True unless the file's head is already at or past `head` (another writer got further). */
function headIsBehind(path: string, head: AuditHead): boolean {
  try {
    const current = readAuditHead(path);
    return current === null || current.seq < head.seq;
  } catch {
    return true; // an unreadable head is replaced
  }
}
