/**
 * `backstop audit verify [--database …] [--pubkey B58] [--head FILE] [--anchor FILE | --no-anchor]
 * [--expect-seq N --expect-hash H]` and `backstop audit export [--database …] [--since SEQ|TIME]`
 * (docs/audit.md). Read-only: they never take the instance lock. verify exits 0 when the chain holds, 1 when
 * it is broken, tampered, cut before the anchor or an expected head, or when no anchor is found; 2 when
 * the database, key, head or anchor cannot be read. export writes one JSON object per line on stdout.
 */
import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { AuditAnchorRecord } from '../store/anchor.ts';
import type { AuditHead } from '../store/audit.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { sandboxForStore, sandboxNotice, shown, type SandboxDefaults } from './sandbox-defaults.ts';

const EXIT_OK = 0;
const EXIT_FINDING = 1;
const EXIT_UNREADABLE = 2;

type Out = (s: string) => void;

/** The store's modules, loaded when a command runs so `backstop --help` does not pay for them. */
const storeModules = async () => {
  const [anchor, audit, keys, open] = await Promise.all([import('../store/anchor.ts'), import('../store/audit.ts'), import('../store/keys.ts'), import('../store/open.ts')]);
  return { ...anchor, ...audit, ...keys, ...open };
};

export interface AuditVerifyOptions {
  database?: string;
  pubkey?: string;
  head?: string;
  /** The anchor file; default `AUDIT_ANCHOR_FILE`, else the state dir's file for this database; false = `--no-anchor`. */
  anchor?: string | false;
  /** A head copied from a published anchor (`--expect-seq`, `--expect-hash`). */
  expectSeq?: number;
  expectHash?: string;
}

const parseSeq = (text: string): number => {
  if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(Number(text))) throw new InvalidArgumentError('a seq is a whole number from 1');
  return Number(text);
};
const parseHash = (text: string): string => {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new InvalidArgumentError('a hash is 64 hex characters');
  return text.toLowerCase();
};

/** Registers `audit verify` and `audit export`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the signed, hash-chained audit log (docs/audit.md)');
  audit
    .command('verify')
    .description('check the chain, signatures and head: exit 0 ok, 1 broken or tampered, 2 unreadable')
    .option('--database <db>', 'SQLite file or postgres:// URL (default DATABASE_URL, else the sandbox’s, else ./data/backstop.db)')
    .option('--pubkey <base58>', 'the audit public key (default: AUDIT_KEYPAIR’s, else the sandbox’s)')
    .option('--head <file>', 'the head file (default AUDIT_HEAD_FILE, else <sqlite file>.head)')
    .option('--anchor <file>', 'the anchor file (default AUDIT_ANCHOR_FILE, else $XDG_STATE_HOME/backstop/anchor-<database id>.json)')
    .option('--no-anchor', 'skip the anchor: a log cut at its tail then goes unnoticed')
    .option('--expect-seq <n>', 'the seq of a published anchor: the log must reach it …', parseSeq)
    .option('--expect-hash <hex>', '… and hold this hash there', parseHash)
    .action(async (opts: AuditVerifyOptions) => {
      process.exitCode = await auditVerify(opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
  audit
    .command('export')
    .description('write the audit entries as JSON lines')
    .option('--database <db>', 'SQLite file or postgres:// URL (default DATABASE_URL, else the sandbox’s, else ./data/backstop.db)')
    .option('--since <seq|time>', 'from this seq (an integer) or RFC 3339 time, inclusive')
    .action(async (opts: { database?: string; since?: string }) => {
      process.exitCode = await auditExport(opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
}

async function openReadOnly(database: string | undefined, err: Out, cmd: string): Promise<SqlStore | null> {
  const { isPostgresUrl, openStore, resolveDatabase } = await import('../store/open.ts');
  const describe = (db: string): string => (isPostgresUrl(db) ? db.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') : db);
  try {
    return await openStore({ database: resolveDatabase(database), mustExist: true });
  } catch (e) {
    err(`backstop audit ${cmd}: cannot open the database ${describe(resolveDatabase(database))}: ${(e as Error).message}\n`);
    return null;
  }
}

/** The sandbox's defaults for a command without --database (or given the sandbox's); null otherwise or when sandbox.json is unusable (said on `err`). */
function sandboxOf(opts: { database?: string }, err: Out, cmd: string): SandboxDefaults | null | 'unusable' {
  try {
    return sandboxForStore(opts.database);
  } catch (e) {
    err(`backstop audit ${cmd}: ${(e as Error).message}\n`);
    return 'unusable';
  }
}

/** Runs `audit verify`; returns the exit code. */
export async function auditVerify(opts: AuditVerifyOptions, out: Out, err: Out): Promise<number> {
  const { isPostgresUrl, readAnchor, readAuditHead, resolveAnchorFile, resolveDatabase, verifyAudit } = await storeModules();
  const sandbox = sandboxOf(opts, err, 'verify');
  if (sandbox === 'unusable') return EXIT_UNREADABLE;
  const used: string[] = [];
  if (sandbox && opts.database === undefined) {
    opts = { ...opts, database: sandbox.database };
    used.push(`database ${shown(sandbox.database)}`);
  }
  let publicKey: string;
  try {
    if (opts.pubkey !== undefined) publicKey = opts.pubkey;
    else if (process.env.AUDIT_KEYPAIR) {
      // A file or a pkcs11: URI (the public key read from the HSM token).
      const [{ loadAuditKey }, { pkcs11Settings }] = await Promise.all([import('../cosign/signer.ts'), import('../config.ts')]);
      const settings = pkcs11Settings(process.env, ['AUDIT_KEYPAIR']);
      const key = loadAuditKey(process.env.AUDIT_KEYPAIR, settings ? { pkcs11: settings } : {});
      publicKey = key.publicKey;
      key.close();
    } else if (sandbox?.auditKeypair) {
      const { loadKeypairFile } = await import('../store/keys.ts');
      publicKey = loadKeypairFile(sandbox.auditKeypair).publicKey;
      used.push(`audit key ${shown(sandbox.auditKeypair)}`);
    } else {
      err('backstop audit verify: no audit public key: pass --pubkey <base58> or set AUDIT_KEYPAIR\n');
      return EXIT_UNREADABLE;
    }
  } catch (e) {
    err(`backstop audit verify: ${(e as Error).message}\n`);
    return EXIT_UNREADABLE;
  }
  if (sandbox && used.length > 0) err(sandboxNotice('audit verify', sandbox, used));

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

  if ((opts.expectSeq === undefined) !== (opts.expectHash === undefined)) {
    err('backstop audit verify: --expect-seq and --expect-hash go together (copy both from the latest anchor message)\n');
    return EXIT_UNREADABLE;
  }
  const expect = opts.expectSeq !== undefined && opts.expectHash !== undefined ? { seq: opts.expectSeq, hash: opts.expectHash } : null;

  const store = await openReadOnly(opts.database, err, 'verify');
  if (store === null) return EXIT_UNREADABLE;
  try {
    let anchor: AuditAnchorRecord | null = null;
    let anchorPath: string | null = null;
    if (opts.anchor !== false) {
      try {
        anchorPath = resolveAnchorFile(database, opts.anchor);
        anchor = readAnchor(anchorPath);
      } catch (e) {
        err(`backstop audit verify: ${(e as Error).message}\n`);
        return EXIT_UNREADABLE;
      }
      // An expectation copied from a published anchor stands in for a missing anchor file.
      if (anchor === null && expect === null) {
        out(
          `NO ANCHOR: no audit anchor at ${anchorPath}, so a log cut at its tail cannot be detected. ` +
            'Run this where the service runs (same user and XDG_STATE_HOME), or pass --anchor FILE (AUDIT_ANCHOR_FILE), ' +
            'or the --expect-seq/--expect-hash of the latest published anchor; --no-anchor checks the chain alone\n',
        );
        return EXIT_FINDING;
      }
    }
    const entries = await store.auditEntries();
    let result;
    try {
      result = verifyAudit({ entries, publicKey, head, anchor, expect });
    } catch (e) {
      err(`backstop audit verify: ${(e as Error).message}\n`);
      return EXIT_UNREADABLE;
    }
    if (!result.ok) {
      out(`TAMPERED at entry ${result.seq} (${result.reason}): ${result.message}\n`);
      return EXIT_FINDING;
    }
    if (anchor?.diverged !== undefined) {
      out(`TAMPERED after entry ${anchor.seq}: entry ${anchor.diverged.seq} was offered to the anchor ${anchorPath} at ${anchor.diverged.at} and did not follow it (the log was forked)\n`);
      return EXIT_FINDING;
    }
    const checked = [head ? 'head file' : null, anchor ? `anchor ${anchorPath}` : null, expect ? '--expect-seq/--expect-hash' : null].filter((x) => x !== null);
    const anchoredText = result.anchoredSeq === null ? 'not anchored (--no-anchor, no head file): a cut-off tail cannot be detected' : `anchored at entry ${result.anchoredSeq} (${checked.join(', ')})`;
    out(`OK ${result.entries} entries, ${anchoredText}; unanchored: ${result.unanchored}\n`);
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
  const sandbox = sandboxOf(opts, err, 'export');
  if (sandbox === 'unusable') return EXIT_UNREADABLE;
  if (sandbox && opts.database === undefined) {
    opts = { ...opts, database: sandbox.database };
    err(sandboxNotice('audit export', sandbox, [`database ${shown(sandbox.database)}`]));
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
