/**
 * `backstop audit verify [--database …] [--pubkey B58] [--head FILE]` and
 * `backstop audit export [--database …] [--since SEQ|TIME]` (SPEC §8). Read-only: they never take
 * the instance lock. verify exits 0 when the chain holds, 1 when it is broken or tampered, 2 when the
 * database, key or head cannot be read. export writes one JSON object per line on stdout.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readAuditHead, verifyAudit, type AuditHead } from '../store/audit.ts';
import { loadKeypairFile } from '../store/keys.ts';
import { isPostgresUrl, openStore, resolveDatabase } from '../store/open.ts';
import type { SqlStore } from '../store/sql-store.ts';

const EXIT_OK = 0;
const EXIT_FINDING = 1;
const EXIT_UNREADABLE = 2;

type Out = (s: string) => void;

export interface AuditVerifyOptions {
  database?: string;
  pubkey?: string;
  head?: string;
}

/** Registers `audit verify` and `audit export`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the signed, hash-chained audit log (SPEC §8)');
  audit
    .command('verify')
    .description('check the chain, signatures and head: exit 0 ok, 1 broken or tampered, 2 unreadable')
    .option('--database <db>', 'SQLite file or postgres:// URL (default DATABASE_URL, else ./data/backstop.db)')
    .option('--pubkey <base58>', 'the audit public key (default: AUDIT_KEYPAIR’s)')
    .option('--head <file>', 'the head file (default AUDIT_HEAD_FILE, else <sqlite file>.head)')
    .action(async (opts: AuditVerifyOptions) => {
      process.exitCode = await auditVerify(opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
  audit
    .command('export')
    .description('write the audit entries as JSON lines')
    .option('--database <db>', 'SQLite file or postgres:// URL (default DATABASE_URL, else ./data/backstop.db)')
    .option('--since <seq|time>', 'from this seq (an integer) or RFC 3339 time, inclusive')
    .action(async (opts: { database?: string; since?: string }) => {
      process.exitCode = await auditExport(opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
}

async function openReadOnly(database: string | undefined, err: Out, cmd: string): Promise<SqlStore | null> {
  try {
    return await openStore({ database: resolveDatabase(database), mustExist: true });
  } catch (e) {
    err(`backstop audit ${cmd}: cannot open the database ${describe(resolveDatabase(database))}: ${(e as Error).message}\n`);
    return null;
  }
}

const describe = (db: string): string => (isPostgresUrl(db) ? db.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') : db);

/** Runs `audit verify`; returns the exit code. */
export async function auditVerify(opts: AuditVerifyOptions, out: Out, err: Out): Promise<number> {
  let publicKey: string;
  try {
    if (opts.pubkey !== undefined) publicKey = opts.pubkey;
    else if (process.env.AUDIT_KEYPAIR) publicKey = loadKeypairFile(process.env.AUDIT_KEYPAIR).publicKey;
    else {
      err('backstop audit verify: no audit public key: pass --pubkey <base58> or set AUDIT_KEYPAIR\n');
      return EXIT_UNREADABLE;
    }
  } catch (e) {
    err(`backstop audit verify: ${(e as Error).message}\n`);
    return EXIT_UNREADABLE;
  }

  const database = resolveDatabase(opts.database);
  let headPath = opts.head ?? process.env.AUDIT_HEAD_FILE;
  const explicitHead = headPath !== undefined;
  if (headPath === undefined && !isPostgresUrl(database)) headPath = `${database}.head`;
  let head: AuditHead | null = null;
  if (headPath !== undefined) {
    try {
      head = readAuditHead(headPath);
    } catch (e) {
      err(`backstop audit verify: cannot read the head file ${headPath}: ${(e as Error).message}\n`);
      return EXIT_UNREADABLE;
    }
    if (head === null && explicitHead && existsSync(headPath) === false) {
      err(`backstop audit verify: head file ${headPath} does not exist\n`);
      return EXIT_UNREADABLE;
    }
  }

  const store = await openReadOnly(opts.database, err, 'verify');
  if (store === null) return EXIT_UNREADABLE;
  try {
    const entries = await store.auditEntries();
    let result;
    try {
      result = verifyAudit({ entries, publicKey, head });
    } catch (e) {
      err(`backstop audit verify: ${(e as Error).message}\n`);
      return EXIT_UNREADABLE;
    }
    if (!result.ok) {
      out(`TAMPERED at entry ${result.seq} (${result.reason}): ${result.message}\n`);
      return EXIT_FINDING;
    }
    const anchor = result.anchoredSeq === null ? 'no head file: a cut-off tail cannot be detected' : `anchored at entry ${result.anchoredSeq}`;
    out(`OK ${result.entries} entries, ${anchor}; unanchored: ${result.unanchored}\n`);
    return EXIT_OK;
  } catch (e) {
    err(`backstop audit verify: cannot read the audit log: ${(e as Error).message}\n`);
    return EXIT_UNREADABLE;
  } finally {
    await store.close();
  }
}

/** Runs `audit export`; returns the exit code. */
export async function auditExport(opts: { database?: string; since?: string }, out: Out, err: Out): Promise<number> {
  let filter: { sinceSeq?: number; sinceTime?: Date } = {};
  if (opts.since !== undefined) {
    if (/^\d+$/.test(opts.since)) filter = { sinceSeq: Number(opts.since) };
    else if (!Number.isNaN(Date.parse(opts.since)) && /^\d{4}-\d\d-\d\dT/.test(opts.since)) filter = { sinceTime: new Date(opts.since) };
    else {
      err(`backstop audit export: --since takes a seq (integer) or an RFC 3339 time, not ${JSON.stringify(opts.since)}\n`);
      return EXIT_UNREADABLE;
    }
  }
  const store = await openReadOnly(opts.database, err, 'export');
  if (store === null) return EXIT_UNREADABLE;
  try {
    for (const e of await store.auditEntries(filter)) out(`${JSON.stringify(e)}\n`);
    return EXIT_OK;
  } catch (e) {
    err(`backstop audit export: cannot read the audit log: ${(e as Error).message}\n`);
    return EXIT_UNREADABLE;
  } finally {
    await store.close();
  }
}
