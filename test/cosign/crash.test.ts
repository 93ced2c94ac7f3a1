/**
 * Crash safety of co-signing (docs/flow.md step 6): a real child process (node + tsx) is SIGKILLed
 * right after the intent is stored (before sending) and right after sending (before confirmation);
 * a new process on the same SQLite file and harness resends only the stored bytes. Exactly one
 * approval signature is ever sent, until the harness provably expires its blockhash.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { openStore } from '../../src/store/open.ts';
import { verifyAudit } from '../../src/store/audit.ts';
import { startTsxChild } from '../support/child.ts';
import { approvedProposal, assemble, AUDIT_KEY, seedChain } from './support.ts';

const CHILD = fileURLToPath(new URL('./fixtures/cosign-child.ts', import.meta.url));
const PROPOSAL = `${SANDBOX.multisig}:1`;
const children: ChildProcess[] = [];
let harness: Harness;
let database: string;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await harness?.close();
});

beforeEach(async () => {
  harness = await startHarness();
  seedChain(harness);
  database = join(mkdtempSync(join(tmpdir(), 'backstop-crash-')), 'b.db');
  const w = await assemble({ rpcUrl: harness.url, database });
  await approvedProposal(w);
  await w.store.close();
});

/** Runs the child; with `killAt`, SIGKILLs it as soon as it prints that line. Resolves with its output lines. */
function runChild(mode: 'crash-after-store' | 'crash-after-send' | 'poll', killAt?: string): Promise<string[]> {
  const c = startTsxChild(CHILD, [harness.url, database, mode], (line, child) => {
    if (killAt !== undefined && line === killAt) child.kill('SIGKILL');
  });
  children.push(c.child);
  return c.exited.then(({ code, signal }) => {
    if (killAt !== undefined) {
      if (signal === 'SIGKILL' && c.lines.includes(killAt)) return c.lines;
      throw new Error(`child exited (${code ?? signal}) before "${killAt}": ${c.stderr()}`);
    }
    if (code === 0) return c.lines;
    throw new Error(`child exited ${code ?? signal}: ${c.stderr()}`);
  });
}

const distinctSignatures = () => new Set(harness.recordedTransactions().map((t) => t.signature));
const sends = () => harness.requestCount.get('sendTransaction') ?? 0;

async function storeView() {
  const store = await openStore({ database, auditKey: AUDIT_KEY });
  try {
    return {
      state: (await store.getProposal(PROPOSAL))!.state,
      intent: await store.latestIntent(PROPOSAL),
      transitions: (await store.transitions((await store.getProposal(PROPOSAL))!.rowId)).map((t) => `${t.from}→${t.to}`),
      auditOk: verifyAudit({ entries: await store.auditEntries(), publicKey: AUDIT_KEY.publicKeyBytes }).ok,
    };
  } finally {
    await store.close();
  }
}

/** After a restart: one signature only, resent; after expiry with no co-signer vote: exactly one new one. */
async function restartAndExpire(storedSignature: string) {
  const before = sends();
  expect(await runChild('poll')).toContain('done signing');
  expect([...distinctSignatures()]).toEqual([storedSignature]);
  expect(sends()).toBeGreaterThan(before); // the stored bytes were resent
  expect(await runChild('poll')).toContain('done signing'); // a second restart: still nothing new
  expect([...distinctSignatures()]).toEqual([storedSignature]);

  harness.expireBlockhash();
  expect(await runChild('poll')).toContain('done signing');
  const sigs = [...distinctSignatures()];
  expect(sigs).toHaveLength(2);
  expect(sigs[0]).toBe(storedSignature);
  const view = await storeView();
  expect(view.intent!.signature).toBe(sigs[1]);
  expect(view.auditOk).toBe(true);
}

describe('crash safety of co-signing', () => {
  it('killed right after the intent is stored, before sending: the restart sends the stored bytes, never a new signature', async () => {
    await runChild('crash-after-store', 'stored');
    expect(harness.recordedTransactions()).toEqual([]); // nothing was sent
    const view = await storeView();
    expect(view.state).toBe('approved');
    expect(view.intent?.kind).toBe('approve-execute');
    await restartAndExpire(view.intent!.signature);
    expect((await storeView()).transitions).toEqual(['received→awaiting-approval', 'awaiting-approval→approved', 'approved→signing']);
  }, 120_000);

  it('killed after sending, before confirmation: the restart resends the same signature, and re-signs only after expiry', async () => {
    await runChild('crash-after-send', 'sent');
    const view = await storeView();
    expect(view.state).toBe('signing');
    expect([...distinctSignatures()]).toEqual([view.intent!.signature]);
    await restartAndExpire(view.intent!.signature);
  }, 120_000);
});
