import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Address } from '@solana/kit';
import { readAuditHead, verifyAudit } from '../../src/store/audit.ts';
import { startTsxChild, type TsxChild } from '../support/child.ts';
import { AUDIT_KEY, describeEngines, freshDatabase, lossInput, open } from './helpers.ts';

const RACER = fileURLToPath(new URL('./fixtures/racer.ts', import.meta.url));
const CRASH = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function start(script: string, args: string[]): TsxChild {
  const c = startTsxChild(script, args);
  children.push(c.child);
  return c;
}

describeEngines('reservations under real concurrency', (engine) => {
  it('two processes racing for the last remaining loss: exactly one wins each time, never over-reserved', async () => {
    const db = await freshDatabase(engine);
    const rounds = 12;
    const store = await open(db);
    for (let i = 0; i < rounds; i++) await store.recordLossEvent(lossInput({ vault: `vault-${i}` as Address, recordedLoss: 700n }));
    const racers = ['p1', 'p2'].map((prefix) => start(RACER, [db.database, db.headFile, prefix, String(rounds), '700']));
    await Promise.all(racers.map((r) => r.waitFor('ready')));
    for (const r of racers) r.child.stdin!.end('go\n');
    const codes = (await Promise.all(racers.map((r) => r.exited))).map((e) => e.code);
    expect(codes).toEqual([0, 0]);
    const [a, b] = racers.map((r) => JSON.parse(r.lines.at(-1)!) as boolean[]) as [boolean[], boolean[]];
    for (let i = 0; i < rounds; i++) {
      expect({ round: i, winners: Number(a[i]) + Number(b[i]) }).toEqual({ round: i, winners: 1 });
      const rows = (await store.ledgerForVault(`vault-${i}` as Address)).filter((r) => r.state === 'reserved');
      expect(rows.reduce((s, r) => s + r.amount, 0n)).toBe(700n);
    }
    const entries = await store.auditEntries();
    expect(verifyAudit({ entries, publicKey: AUDIT_KEY.publicKey }).ok).toBe(true);
    await store.close();
  }, 60_000);
});

describeEngines('crash safety', (engine) => {
  it('a process SIGKILLed right after storing an approval and after writing an intent restarts to the same state, nothing twice', async () => {
    const db = await freshDatabase(engine);
    const run = async (until: 'approval' | 'intent') => {
      const c = start(CRASH, [db.database, db.headFile, until]);
      await c.waitFor(until);
      c.child.kill('SIGKILL');
      await c.exited;
    };
    await run('approval');
    await run('approval');
    await run('intent');
    await run('intent');
    const store = await open(db);
    try {
      // The SIGKILLed holder's lock is gone at once (SQLite's lock file names a dead pid) or once its lease has run out (PostgreSQL).
      await vi.waitFor(async () => expect(await store.isInstanceLocked()).toBeNull(), { timeout: 3000, interval: 100 });
      const proposals = await store.listProposals();
      expect(proposals).toHaveLength(1);
      const rowId = proposals[0]!.rowId;
      expect(await store.votes(rowId)).toHaveLength(1);
      const ledger = await store.ledgerForProposal(proposals[0]!.id);
      expect(ledger.map((r) => [r.state, r.amount])).toEqual([['reserved', 600n]]);
      const intent = await store.latestIntent(proposals[0]!.id);
      expect(intent?.signature).toBe('intent-sig');
      expect((await store.sql.read.all('SELECT COUNT(*) AS n FROM intents')).map((r) => Number(r.n))).toEqual([1]);
      const entries = await store.auditEntries();
      expect(entries.map((e) => e.type)).toEqual(['loss-event.recorded', 'proposal.received', 'vote.recorded', 'ledger.reserved', 'intent.recorded']);
      expect(verifyAudit({ entries, publicKey: AUDIT_KEY.publicKey, head: readAuditHead(db.headFile) })).toMatchObject({ ok: true, unanchored: 0 });
    } finally {
      await store.close();
    }
  }, 90_000);
});

describe('fixtures', () => {
  it('run as separate node processes', () => {
    expect(RACER.endsWith('racer.ts') && CRASH.endsWith('crash-child.ts')).toBe(true);
  });
});
