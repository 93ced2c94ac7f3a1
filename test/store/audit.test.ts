import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { auditExport, auditVerify } from '../../src/cli/audit.ts';
import { canonicalize } from '../../src/policy/jcs.ts';
import { auditEntryHash, GENESIS_PREV_HASH, makeAuditEntry, nextAuditEntry, readAuditHead, verifyAudit, writeAuditHead, type AuditEntry, type JsonValue } from '../../src/store/audit.ts';
import { Ed25519Keypair, KeyFileError, loadKeypairFile, writeKeypairFile } from '../../src/store/keys.ts';
import { AUDIT_KEY, describeEngines, freshDatabase, open } from './helpers.ts';

const run = promisify(execFile);
const tmp = () => mkdtempSync(join(tmpdir(), 'backstop-audit-'));

function chain(n: number, key = AUDIT_KEY): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push(makeAuditEntry({ prev: out.at(-1) ?? null, at: new Date(Date.UTC(2026, 10, 30, 12, 0, i)), type: 'note', payload: { i }, signer: key }));
  }
  return out;
}
const headOf = (e: AuditEntry) => ({ seq: e.seq, hash: e.hash, signature: e.signature });

describe('audit entry', () => {
  it('hash is sha256 of JCS({seq, at, type, payload, prevHash}); the first prevHash is 64 zeros; the signature is over the raw hash bytes', () => {
    const [e] = chain(1) as [AuditEntry];
    expect(e.seq).toBe(1);
    expect(e.prevHash).toBe(GENESIS_PREV_HASH);
    expect(e.at).toBe('2026-11-30T12:00:00.000Z');
    expect(e.hash).toBe(auditEntryHash({ seq: 1, at: e.at, type: 'note', payload: { i: 0 }, prevHash: GENESIS_PREV_HASH }));
    expect(Buffer.from(AUDIT_KEY.sign(Buffer.from(e.hash, 'hex'))).toString('hex')).toBe(e.signature);
  });

  it('the hash built around the payload canonicalised once is auditEntryHash, and the stored payload text is its JCS', () => {
    const payloads: JsonValue[] = [
      {}, [], null, 0, -1.5e-7, 'x', { b: 1, a: [true, null, { z: 'é', y: '\u0000"\\' }] }, { '\u20ac': 1, '\ud83d\ude00': 2, a: { '': -0 } },
      { source: 'sandbox', method: 'POST', path: '/v1/loss-events', status: 404, code: 'unknown-vault', requestId: 'r', signature: 'A'.repeat(86) + '==' },
    ];
    for (const [i, payload] of payloads.entries()) {
      for (const type of ['webhook.refused', 'quote"and\\backslash', 'ünïcode ☃']) {
        const prev = i === 0 ? null : { seq: 1000 + i, hash: 'ab'.repeat(32) };
        const e = nextAuditEntry({ prev, at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, i)), type, payload });
        expect(e.hash).toBe(auditEntryHash({ seq: e.seq, at: e.at, type, payload, prevHash: e.prevHash }));
        expect(e.payloadText).toBe(canonicalize(payload));
      }
    }
    // A type with no JSON form is refused as before (JCS refuses lone surrogates).
    expect(() => nextAuditEntry({ prev: null, at: new Date(), type: '\ud800', payload: {} })).toThrow(/lone surrogate/);
  });
});

describe('verifyAudit', () => {
  const publicKey = AUDIT_KEY.publicKey;
  it('passes an intact chain anchored at its head', () => {
    const c = chain(4);
    expect(verifyAudit({ entries: c, publicKey, head: headOf(c[3]!) })).toEqual({ ok: true, entries: 4, lastSeq: 4, anchoredSeq: 4, unanchored: 0 });
  });
  it('reports entries after the head as unanchored: n, and passes', () => {
    const c = chain(5);
    expect(verifyAudit({ entries: c, publicKey, head: headOf(c[1]!) })).toMatchObject({ ok: true, unanchored: 3 });
  });
  it('edited: a payload changed', () => {
    const c = chain(3);
    c[1] = { ...c[1]!, payload: { i: 42 } };
    expect(verifyAudit({ entries: c, publicKey })).toMatchObject({ ok: false, seq: 2, reason: 'edited' });
  });
  it('deleted: a seq gap', () => {
    const c = chain(3);
    expect(verifyAudit({ entries: [c[0]!, c[2]!], publicKey })).toMatchObject({ ok: false, seq: 2, reason: 'deleted' });
  });
  it('swapped: two entries out of order', () => {
    const c = chain(4);
    expect(verifyAudit({ entries: [c[0]!, c[2]!, c[1]!, c[3]!], publicKey })).toMatchObject({ ok: false, seq: 2, reason: 'swapped' });
  });
  it('forged: rehashed with another key', () => {
    const other = Ed25519Keypair.fromSeed(new Uint8Array(32).fill(9));
    const c = chain(3);
    c[2] = makeAuditEntry({ prev: c[1]!, at: new Date(c[2]!.at), type: 'note', payload: { i: 99 }, signer: other });
    expect(verifyAudit({ entries: c, publicKey })).toMatchObject({ ok: false, seq: 3, reason: 'forged' });
  });
  it('truncated: fewer entries than the head’s seq, or a different hash at it', () => {
    const c = chain(4);
    expect(verifyAudit({ entries: c.slice(0, 2), publicKey, head: headOf(c[3]!) })).toMatchObject({ ok: false, seq: 4, reason: 'truncated' });
    const rewritten = chain(3);
    rewritten.push(makeAuditEntry({ prev: rewritten[2]!, at: new Date(), type: 'other', payload: {}, signer: AUDIT_KEY }));
    expect(verifyAudit({ entries: rewritten, publicKey, head: headOf(c[3]!) })).toMatchObject({ ok: false, seq: 4, reason: 'truncated' });
  });
});

describe('head file', () => {
  it('is replaced atomically: a new file renamed over the old, no temp file left', () => {
    const dir = tmp();
    const path = join(dir, 'audit.head');
    const c = chain(3);
    writeAuditHead(path, headOf(c[1]!));
    const firstInode = statSync(path).ino;
    writeAuditHead(path, headOf(c[2]!));
    expect(readAuditHead(path)).toEqual(headOf(c[2]!));
    expect(statSync(path).ino).not.toBe(firstInode);
    expect(readdirSync(dir)).toEqual(['audit.head']);
  });
  it('never moves back to an older seq', () => {
    const path = join(tmp(), 'audit.head');
    const c = chain(3);
    writeAuditHead(path, headOf(c[2]!));
    writeAuditHead(path, headOf(c[0]!));
    expect(readAuditHead(path)?.seq).toBe(3);
  });
  it('is private to its user: mode 0600 under umask 022', () => {
    const path = join(tmp(), 'audit.head');
    const before = process.umask(0o022);
    try {
      writeAuditHead(path, headOf(chain(1)[0]!));
    } finally {
      process.umask(before);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('keypair files', () => {
  it('loads a Solana CLI keypair (seed then public key) with mode 0600', () => {
    const path = join(tmp(), 'audit.json');
    writeKeypairFile(path, AUDIT_KEY);
    const k = loadKeypairFile(path);
    expect(k.publicKey).toBe(AUDIT_KEY.publicKey);
    expect([...k.secretKeyBytes()]).toEqual([...AUDIT_KEY.secretKeyBytes()]);
  });
  it('refuses a file readable by group or others', () => {
    const path = join(tmp(), 'audit.json');
    writeKeypairFile(path, AUDIT_KEY);
    chmodSync(path, 0o640);
    expect(() => loadKeypairFile(path)).toThrow(KeyFileError);
    expect(() => loadKeypairFile(path)).toThrow(/chmod 600/);
  });
  it('refuses a file whose public half does not match its seed', () => {
    const path = join(tmp(), 'audit.json');
    const bytes = [...AUDIT_KEY.secretKeyBytes()];
    bytes[40] = (bytes[40]! + 1) % 256;
    writeFileSync(path, JSON.stringify(bytes), { mode: 0o600 });
    expect(() => loadKeypairFile(path)).toThrow(/public half does not match its seed/);
  });
  it('never shows key bytes in errors, JSON or inspect', () => {
    const path = join(tmp(), 'bad.json');
    const bytes = [...AUDIT_KEY.secretKeyBytes()];
    writeFileSync(path, JSON.stringify(bytes.slice(0, 63)), { mode: 0o600 });
    const msg = (() => {
      try {
        loadKeypairFile(path);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(msg).toContain('64 numbers');
    expect(msg).not.toContain(String(bytes.slice(0, 8)));
    expect(JSON.stringify(AUDIT_KEY)).toBe(JSON.stringify({ publicKey: AUDIT_KEY.publicKey }));
    expect(inspect(AUDIT_KEY)).toBe(`Ed25519Keypair(${AUDIT_KEY.publicKey})`);
  });
});

describeEngines('backstop audit', (engine) => {
  it('verify exits 0 on an intact log, 1 after an edit, and export writes JSON lines', async () => {
    const db = await freshDatabase(engine);
    const store = await open(db);
    for (let i = 0; i < 4; i++) await store.appendAudit('note', { i });
    let out = '';
    let err = '';
    const o = (s: string) => (out += s);
    const e = (s: string) => (err += s);
    const opts = { database: db.database, pubkey: AUDIT_KEY.publicKey, head: db.headFile };
    expect(await auditVerify(opts, o, e)).toBe(0);
    expect(out).toMatch(/^OK 4 entries, anchored at entry 4 \(head file, anchor [^)]+\); unanchored: 0\n$/);
    out = '';
    expect(await auditExport({ database: db.database, since: '3' }, o, e)).toBe(0);
    expect(out.trim().split('\n').map((l) => (JSON.parse(l) as AuditEntry).seq)).toEqual([3, 4]);
    await store.sql.read.run(`UPDATE audit_log SET type = 'other' WHERE seq = 2`);
    out = '';
    expect(await auditVerify(opts, o, e)).toBe(1);
    expect(out).toContain('TAMPERED at entry 2 (edited)');
    const saved = process.env.AUDIT_KEYPAIR;
    delete process.env.AUDIT_KEYPAIR;
    try {
      expect(await auditVerify({ ...opts, pubkey: undefined }, o, e)).toBe(2);
    } finally {
      if (saved !== undefined) process.env.AUDIT_KEYPAIR = saved;
    }
    expect(err).toContain('--pubkey');
    await store.close();
  });
});

describe('backstop audit (command line)', () => {
  it('exit 2 for an unreadable database, 0 for a good one', async () => {
    const db = await freshDatabase('sqlite');
    const store = await open(db);
    await store.appendAudit('note', {});
    await store.close();
    const cli = ['--import', 'tsx', 'src/cli.ts', 'audit', 'verify', '--pubkey', AUDIT_KEY.publicKey];
    const ok = await run(process.execPath, [...cli, '--database', db.database]);
    expect(ok.stdout).toContain('OK 1 entries');
    const missing = await run(process.execPath, [...cli, '--database', join(db.dir, 'nope.db')]).catch((e: { code: number; stderr: string }) => e);
    expect((missing as { code: number }).code).toBe(2);
    expect((missing as { stderr: string }).stderr).toContain('cannot open the database');
  }, 30_000);
});
