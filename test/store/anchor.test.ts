/**
 * The audit anchor (docs/audit.md, issue finding 4): a copy of the signed head outside the database's
 * directory catches a log cut at its tail, with the head file removed or an older head put back;
 * `--expect-seq/--expect-hash` from a published anchor catches the same; the anchor never moves back.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { auditVerify, type AuditVerifyOptions } from '../../src/cli/audit.ts';
import { advanceAnchor, databaseIdentity, defaultAnchorFile, readAnchor, resolveAnchorFile, stateDir } from '../../src/store/anchor.ts';
import { makeAuditEntry, type AuditEntry } from '../../src/store/audit.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { AUDIT_KEY, describeEngines, freshDatabase, open, type TestDb } from './helpers.ts';

const run = promisify(execFile);
const tmp = () => mkdtempSync(join(tmpdir(), 'backstop-anchor-'));

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) out.push(makeAuditEntry({ prev: out.at(-1) ?? null, at: new Date(Date.UTC(2026, 11, 1, 0, 0, i)), type: 'note', payload: { i }, signer: AUDIT_KEY }));
  return out;
}

async function verify(opts: AuditVerifyOptions): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await auditVerify({ pubkey: AUDIT_KEY.publicKey, ...opts }, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

/** Removes the audit entries after `seq` straight from the table, as a database writer could. */
const cutAfter = (store: SqlStore, seq: number) => store.sql.read.run('DELETE FROM audit_log WHERE seq > $1', [seq]);

describe('where the anchor lives', () => {
  it('under $XDG_STATE_HOME/backstop (an absolute one), else ~/.local/state/backstop; AUDIT_ANCHOR_FILE overrides', () => {
    expect(stateDir({ XDG_STATE_HOME: '/var/state' })).toBe('/var/state/backstop');
    expect(stateDir({ XDG_STATE_HOME: 'relative/state', HOME: process.env.HOME })).toMatch(/\.local\/state\/backstop$/);
    expect(defaultAnchorFile('/x/b.db', { XDG_STATE_HOME: '/s' })).toMatch(/^\/s\/backstop\/anchor-[0-9a-f]{32}\.json$/);
    expect(resolveAnchorFile('/x/b.db', undefined, { XDG_STATE_HOME: '/s', AUDIT_ANCHOR_FILE: '/elsewhere/a.json' })).toBe('/elsewhere/a.json');
    expect(resolveAnchorFile('/x/b.db', '/given.json', { AUDIT_ANCHOR_FILE: '/elsewhere/a.json' })).toBe('/given.json');
  });

  it('is keyed by the database’s identity: one SQLite file however it is named, PostgreSQL by host:port/name', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const env = { XDG_STATE_HOME: '/s' };
    expect(defaultAnchorFile(join(dir, 'link', 'b.db'), env)).toBe(defaultAnchorFile(join(dir, 'real', 'b.db'), env));
    expect(defaultAnchorFile(join(dir, 'real', 'a.db'), env)).not.toBe(defaultAnchorFile(join(dir, 'real', 'b.db'), env));
    expect(databaseIdentity('postgres://app:secret@DB.example:5432/backstop')).toBe('postgres://db.example:5432/backstop');
    expect(databaseIdentity('postgresql://app:other@db.example/backstop')).toBe('postgres://db.example:5432/backstop');
    expect(databaseIdentity('postgres://app@db.example:6432/backstop')).not.toBe(databaseIdentity('postgres://app@db.example:5432/backstop'));
  });
});

describe('advanceAnchor', () => {
  const c = chain(5);
  const database = '/db';

  it('never moves backwards: a lower head is refused with a warning, the anchor kept', () => {
    const path = join(tmp(), 'a.json');
    expect(advanceAnchor(path, c[3]!, database)).toEqual({ written: true });
    const r = advanceAnchor(path, c[1]!, database);
    expect(r).toMatchObject({ written: false });
    expect(r.written ? '' : r.warning).toMatch(/entry 2 is behind its anchor \(entry 4/);
    expect(readAnchor(path)).toMatchObject({ seq: 4, hash: c[3]!.hash, signature: c[3]!.signature, database });
    expect(advanceAnchor(path, c[4]!, database)).toEqual({ written: true });
    expect(readAnchor(path)?.seq).toBe(5);
  });

  it('a head that forks from the anchor freezes it, and every later head is refused', () => {
    const path = join(tmp(), 'a.json');
    advanceAnchor(path, c[2]!, database);
    // Entries 1–2 kept, entry 3 rewritten: the same seq with another hash.
    const fork = chain(2);
    fork.push(makeAuditEntry({ prev: fork[1]!, at: new Date(), type: 'other', payload: {}, signer: AUDIT_KEY }));
    fork.push(makeAuditEntry({ prev: fork[2]!, at: new Date(), type: 'other', payload: {}, signer: AUDIT_KEY }));
    const r = advanceAnchor(path, fork[2]!, database);
    expect(r.written ? '' : r.warning).toMatch(/stays at entry 3: entry 3 forked from it/);
    expect(advanceAnchor(path, fork[3]!, database)).toMatchObject({ written: false });
    expect(readAnchor(path)).toMatchObject({ seq: 3, hash: c[2]!.hash, diverged: { seq: 3, hash: fork[2]!.hash } });
  });

  it('a next entry that does not link to the anchor is a fork too', () => {
    const path = join(tmp(), 'a.json');
    advanceAnchor(path, c[1]!, database);
    const other = makeAuditEntry({ prev: { seq: 2, hash: 'f'.repeat(64) }, at: new Date(), type: 'x', payload: {}, signer: AUDIT_KEY });
    expect(advanceAnchor(path, other, database)).toMatchObject({ written: false });
    expect(readAnchor(path)?.diverged?.seq).toBe(3);
  });

  it('is written atomically with mode 0600 in a 0700 directory it creates', () => {
    const dir = join(tmp(), 'state', 'backstop');
    const path = join(dir, 'a.json');
    advanceAnchor(path, c[0]!, database);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ seq: 1, hash: c[0]!.hash });
  });
});

describeEngines('audit verify against the anchor', (engine) => {
  async function withLog(n: number): Promise<{ db: TestDb; store: SqlStore; anchor: string; heads: { seq: number; hash: string }[] }> {
    const db = await freshDatabase(engine);
    const store = await open(db);
    const heads: { seq: number; hash: string }[] = [];
    for (let i = 0; i < n; i++) {
      const e = await store.appendAudit('note', { i });
      heads.push({ seq: e.seq, hash: e.hash });
      if (i === 1) copyFileSync(db.headFile, join(db.dir, 'head-at-2'));
    }
    return { db, store, anchor: resolveAnchorFile(db.database), heads };
  }

  it('each commit advances a 0600 anchor file under the state dir, keyed by the database', async () => {
    const { store, anchor, heads } = await withLog(3);
    try {
      expect(anchor.startsWith(join(process.env.XDG_STATE_HOME!, 'backstop'))).toBe(true);
      expect(readAnchor(anchor)).toMatchObject({ seq: 3, hash: heads[2]!.hash });
      expect(statSync(anchor).mode & 0o777).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it('the head file removed and the tail cut: verify fails by the anchor (it passed before)', async () => {
    const { db, store } = await withLog(4);
    try {
      await cutAfter(store, 2);
      rmSync(db.headFile);
      const r = await verify({ database: db.database, head: undefined });
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/TAMPERED at entry 4 \(truncated\): the log ends at entry 2 but the anchor anchors entry 4/);
      // Without the anchor the cut goes unnoticed, as before.
      const blind = await verify({ database: db.database, anchor: false });
      expect(blind.code).toBe(0);
      expect(blind.out).toContain('OK 2 entries');
    } finally {
      await store.close();
    }
  });

  it('an older validly signed head put back: caught by the anchor, and by --expect-seq/--expect-hash', async () => {
    const { db, store, heads } = await withLog(4);
    try {
      await cutAfter(store, 2);
      copyFileSync(join(db.dir, 'head-at-2'), db.headFile);
      expect((await verify({ database: db.database, head: db.headFile, anchor: false })).code).toBe(0); // the hole this closes
      const byAnchor = await verify({ database: db.database, head: db.headFile });
      expect(byAnchor.code).toBe(1);
      expect(byAnchor.out).toMatch(/TAMPERED at entry 4 \(truncated\)/);
      const byExpect = await verify({ database: db.database, head: db.headFile, anchor: false, expectSeq: 4, expectHash: heads[3]!.hash });
      expect(byExpect.code).toBe(1);
      expect(byExpect.out).toMatch(/the log ends at entry 2 but --expect-seq\/--expect-hash anchors entry 4/);
    } finally {
      await store.close();
    }
  });

  it('--expect-seq/--expect-hash: passes at the published head, fails on another hash there', async () => {
    const { db, store, heads } = await withLog(3);
    try {
      const ok = await verify({ database: db.database, head: db.headFile, expectSeq: 2, expectHash: heads[1]!.hash });
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^OK 3 entries, anchored at entry 3 \(head file, anchor .*, --expect-seq\/--expect-hash\); unanchored: 0\n$/);
      const other = await verify({ database: db.database, head: db.headFile, expectSeq: 2, expectHash: heads[0]!.hash });
      expect(other.code).toBe(1);
      expect(other.out).toMatch(/TAMPERED at entry 2 \(truncated\): entry 2 differs from --expect-seq\/--expect-hash/);
      expect((await verify({ database: db.database, expectSeq: 2 })).code).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('no anchor found: exit 1 saying what to do; --no-anchor checks the chain as before; an expectation stands in', async () => {
    const { db, store, heads } = await withLog(2);
    try {
      const missing = join(db.dir, 'no-such-anchor.json');
      const r = await verify({ database: db.database, head: db.headFile, anchor: missing });
      expect(r.code).toBe(1);
      expect(r.out).toContain(`NO ANCHOR: no audit anchor at ${missing}`);
      expect(r.out).toMatch(/--anchor FILE \(AUDIT_ANCHOR_FILE\).*--no-anchor/);
      const blind = await verify({ database: db.database, head: db.headFile, anchor: false });
      expect(blind).toMatchObject({ code: 0, out: 'OK 2 entries, anchored at entry 2 (head file); unanchored: 0\n' });
      const pasted = await verify({ database: db.database, head: db.headFile, anchor: missing, expectSeq: 2, expectHash: heads[1]!.hash });
      expect(pasted.code).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('a store writing behind its anchor is refused and warned, and the fork it makes keeps verify failing', async () => {
    const db = await freshDatabase(engine);
    const warnings: string[] = [];
    const store = await open(db);
    const anchorFile = resolveAnchorFile(db.database);
    for (let i = 0; i < 4; i++) await store.appendAudit('note', { i });
    await store.close();
    const reopened = await openStore({ database: db.database, auditKey: AUDIT_KEY, headFile: db.headFile, onWarning: (m) => warnings.push(m) });
    try {
      await cutAfter(reopened, 2);
      await reopened.appendAudit('note', { again: 3 }); // seq 3 again, another hash: a fork
      await reopened.appendAudit('note', { again: 4 });
      await reopened.appendAudit('note', { again: 5 }); // past the anchor: still refused
      expect(warnings.length).toBe(3);
      expect(warnings[0]).toMatch(/entry 3 is behind its anchor \(entry 4/);
      expect(warnings[1]).toMatch(/stays at entry 4: entry 4 forked from it/);
      expect(readAnchor(anchorFile)).toMatchObject({ seq: 4, diverged: { seq: 4 } });
      const r = await verify({ database: db.database, head: db.headFile });
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/TAMPERED at entry 4 \(truncated\): entry 4 differs from the anchor/);
    } finally {
      await reopened.close();
    }
  });
});

describe('audit verify (command line)', () => {
  it('reads the default anchor; --no-anchor and --expect-seq/--expect-hash parse; a bad hash is a usage error', async () => {
    const db = await freshDatabase('sqlite');
    const store = await open(db);
    const e = await store.appendAudit('note', {});
    await store.close();
    const cli = ['--import', 'tsx', 'src/cli.ts', 'audit', 'verify', '--pubkey', AUDIT_KEY.publicKey, '--database', db.database];
    const ok = await run(process.execPath, cli);
    expect(ok.stdout).toMatch(/OK 1 entries, anchored at entry 1 \(head file, anchor /);
    const expectOk = await run(process.execPath, [...cli, '--no-anchor', '--expect-seq', '1', '--expect-hash', e.hash]);
    expect(expectOk.stdout).toContain('anchored at entry 1 (head file, --expect-seq/--expect-hash)');
    const ahead = await run(process.execPath, [...cli, '--expect-seq', '2', '--expect-hash', e.hash]).catch((x: { code: number; stdout: string }) => x);
    expect(ahead).toMatchObject({ code: 1 });
    expect((ahead as { stdout: string }).stdout).toContain('TAMPERED at entry 2 (truncated)');
    const bad = await run(process.execPath, [...cli, '--expect-seq', '1', '--expect-hash', 'xyz']).catch((x: { code: number }) => x);
    expect((bad as { code: number }).code).toBe(2);
    rmSync(resolveAnchorFile(db.database));
    expect(existsSync(resolveAnchorFile(db.database))).toBe(false);
    const none = await run(process.execPath, cli).catch((x: { code: number; stdout: string }) => x);
    expect(none).toMatchObject({ code: 1 });
    expect((none as { stdout: string }).stdout).toContain('NO ANCHOR');
  }, 60_000);
});
