/**
 * The audit anchor (docs/audit.md): a copy of the latest signed head kept where the database's writer cannot
 * rewrite it, so `audit verify` catches a log cut at its tail or rolled back to an older head.
 *
 * By default a 0600 file `$XDG_STATE_HOME/backstop/anchor-<id>.json` (else `~/.local/state/backstop/`),
 * `<id>` a hash of the database's identity (a SQLite file's real path, PostgreSQL's host:port/name);
 * `AUDIT_ANCHOR_FILE` names another file. It is replaced atomically after every commit and never moves
 * backwards: a head below the anchor is refused, and a head that forks from it (a different hash at
 * its seq, or a next entry that does not link to it) freezes the anchor until an operator looks.
 * This module is pure file logic and message formatting; the publisher of copies lives with the service.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { envValue } from '../config.ts';
import { sha256Hex } from '../policy/jcs.ts';
import { writePrivateFileAtomic, writePrivateFileAtomicAsync } from '../util/files.ts';
import type { AuditHead } from './audit.ts';

/** What the anchor file holds. */
export interface AuditAnchorRecord extends AuditHead {
  /** The database identity the anchor belongs to (no password). */
  readonly database: string;
  /** When this head was anchored (RFC 3339). */
  readonly at: string;
  /** Set once a head that forks from this anchor was offered: the anchor stays frozen here. */
  readonly diverged?: { readonly seq: number; readonly hash: string; readonly at: string };
}

/** The anchor file cannot be read or is not an anchor; the message names the file and what to do. */
export class AnchorFileError extends Error {
  override readonly name = 'AnchorFileError';
}

/** `$XDG_STATE_HOME/backstop` (an absolute XDG_STATE_HOME only, as XDG says), else `~/.local/state/backstop`. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = envValue(env, 'XDG_STATE_HOME');
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state'), 'backstop');
}

/** True for a PostgreSQL connection URL. */
const isPostgres = (database: string): boolean => /^postgres(ql)?:\/\//i.test(database);

/**
 * Who the database is, independent of how it was named: a SQLite file's real path (symlinks and
 * relative paths resolved; a missing file by its directory's real path), or `postgres://host:port/db`.
 */
export function databaseIdentity(database: string): string {
  if (isPostgres(database)) {
    let url: URL;
    try {
      url = new URL(database);
    } catch {
      throw new AnchorFileError('DATABASE_URL is not a valid postgres:// URL');
    }
    const host = (url.hostname || url.searchParams.get('host') || 'localhost').toLowerCase();
    const port = url.port || url.searchParams.get('port') || '5432';
    const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
    return `postgres://${host}:${port}/${name}`;
  }
  const abs = resolve(database);
  if (existsSync(abs)) return realpathSync(abs);
  try {
    return join(realpathSync(dirname(abs)), basename(abs));
  } catch {
    return abs;
  }
}

/** The default anchor file of a database: `<state dir>/anchor-<sha256(identity)[0..32]>.json`. */
export function defaultAnchorFile(database: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), `anchor-${sha256Hex(databaseIdentity(database)).slice(0, 32)}.json`);
}

/** The anchor file to use: the one given, else `AUDIT_ANCHOR_FILE`, else the state dir's file for this database. */
export function resolveAnchorFile(database: string, given?: string, env: NodeJS.ProcessEnv = process.env): string {
  return given ?? envValue(env, 'AUDIT_ANCHOR_FILE') ?? defaultAnchorFile(database, env);
}

const isHex = (s: unknown, n: number): s is string => typeof s === 'string' && new RegExp(`^[0-9a-f]{${n}}$`).test(s);

/** Reads an anchor file; null when it does not exist. Throws `AnchorFileError` on anything else. */
export function readAnchor(path: string): AuditAnchorRecord | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AnchorFileError(`cannot read the audit anchor ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let p: Partial<AuditAnchorRecord>;
  try {
    p = JSON.parse(text) as Partial<AuditAnchorRecord>;
  } catch {
    throw new AnchorFileError(`the audit anchor ${path} is not JSON; restore it from a backup or a published anchor`);
  }
  const d = p.diverged;
  if (
    !Number.isSafeInteger(p.seq) || p.seq! < 1 || !isHex(p.hash, 64) || !isHex(p.signature, 128) || typeof p.database !== 'string' || typeof p.at !== 'string' ||
    (d !== undefined && (!Number.isSafeInteger(d.seq) || !isHex(d.hash, 64) || typeof d.at !== 'string'))
  ) {
    throw new AnchorFileError(`the audit anchor ${path} is not {seq, hash, signature, database, at}; restore it from a backup or a published anchor`);
  }
  return { seq: p.seq!, hash: p.hash!, signature: p.signature!, database: p.database, at: p.at, ...(d ? { diverged: { seq: d.seq, hash: d.hash, at: d.at } } : {}) };
}

function store(path: string, record: AuditAnchorRecord): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writePrivateFileAtomic(path, `${JSON.stringify(record)}\n`);
}

async function storeAsync(path: string, record: AuditAnchorRecord): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await writePrivateFileAtomicAsync(path, `${JSON.stringify(record)}\n`);
}

/** The outcome of offering a new head to the anchor. */
export type AnchorAdvance =
  | { readonly written: true }
  | { readonly written: false; readonly warning: string | null };

/**
 * Moves the anchor to `entry` (the entry just committed) unless that would move it backwards or onto
 * a fork. Throws `AnchorFileError` when the anchor is unreadable (it is then left as it is).
 */
export function advanceAnchor(path: string, entry: AuditHead & { readonly prevHash: string }, database: string, now: Date = new Date()): AnchorAdvance {
  const plan = planAnchor(path, readAnchor(path), entry, database, now);
  if (plan.write !== null) store(path, plan.write);
  return plan.result;
}

/** `advanceAnchor` with the file synced on the thread pool (the audited writer's path: the event loop keeps serving). */
export async function advanceAnchorAsync(path: string, entry: AuditHead & { readonly prevHash: string }, database: string, now: Date = new Date()): Promise<AnchorAdvance> {
  const plan = planAnchor(path, readAnchor(path), entry, database, now);
  if (plan.write !== null) await storeAsync(path, plan.write);
  return plan.result;
}

/** What offering `entry` to the `current` anchor writes, and its outcome. */
function planAnchor(
  path: string,
  current: AuditAnchorRecord | null,
  entry: AuditHead & { readonly prevHash: string },
  database: string,
  now: Date,
): { write: AuditAnchorRecord | null; result: AnchorAdvance } {
  const at = now.toISOString();
  const next: AuditAnchorRecord = { seq: entry.seq, hash: entry.hash, signature: entry.signature, database, at };
  if (current === null) return { write: next, result: { written: true } };
  const frozen = (c: AuditAnchorRecord) =>
    `the audit anchor ${path} stays at entry ${c.seq}: entry ${c.diverged!.seq} forked from it (${c.diverged!.at}). ` +
    `Run \`backstop audit verify\` and find out who changed the log; after a deliberate restore, move the anchor file aside to anchor anew`;
  if (current.diverged !== undefined) return { write: null, result: { written: false, warning: frozen(current) } };
  if (entry.seq < current.seq) {
    return {
      write: null,
      result: {
        written: false,
        warning:
          `the audit log's newest entry ${entry.seq} is behind its anchor (entry ${current.seq} in ${path}): entries were removed ` +
          `or an older database was put back; the anchor is kept. Run \`backstop audit verify\``,
      },
    };
  }
  const forks = (entry.seq === current.seq && entry.hash !== current.hash) || (entry.seq === current.seq + 1 && entry.prevHash !== current.hash);
  if (forks) {
    const marked: AuditAnchorRecord = { ...current, diverged: { seq: entry.seq, hash: entry.hash, at } };
    return { write: marked, result: { written: false, warning: frozen(marked) } };
  }
  if (entry.seq === current.seq) return { write: null, result: { written: false, warning: null } }; // the same head again
  return { write: next, result: { written: true } };
}

/** What to run to check a log against a published head. */
export function verifyCommand(head: { seq: number; hash: string }): string {
  return `backstop audit verify --expect-seq ${head.seq} --expect-hash ${head.hash}`;
}

/** The text of an anchor message (Telegram): why, the head, and the command that checks the log against it. */
export function anchorMessage(reason: string, head: AuditHead): string {
  return [
    `Audit anchor (${reason}): the log's head is entry ${head.seq}, hash ${head.hash}.`,
    'Keep this message. To check later that no entry up to it was removed or changed, run:',
    verifyCommand(head),
  ].join('\n');
}

/** The JSON an anchor URL receives. */
export interface AnchorPayload {
  readonly type: 'backstop.audit-anchor';
  readonly reason: string;
  readonly database: string;
  readonly seq: number;
  readonly hash: string;
  readonly signature: string;
  readonly at: string;
  readonly verify: string;
}

export function anchorPayload(reason: string, head: AuditHead, database: string, now: Date = new Date()): AnchorPayload {
  return { type: 'backstop.audit-anchor', reason, database, seq: head.seq, hash: head.hash, signature: head.signature, at: now.toISOString(), verify: verifyCommand(head) };
}
