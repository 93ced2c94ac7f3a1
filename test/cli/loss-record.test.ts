import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { lossTransaction } from '../../src/sandbox/fixtures/loss-transaction.ts';
import { vaultAccount, worldAllocation } from '../../src/sandbox/fixtures/kvault.ts';
import { worldAccounts, SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { Ed25519Keypair, writeKeypairFile } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import { backstop } from '../support/cli.ts';

let harness: Harness;
const dir = mkdtempSync(join(tmpdir(), 'backstop-loss-cli-'));
const auditFile = join(dir, 'audit.json');
const database = join(dir, 'b.db');
const ok = lossTransaction({ name: 'cli-ok' });
const failed = lossTransaction({ name: 'cli-failed', failed: true });

beforeAll(async () => {
  harness = await startHarness();
  worldAccounts().forEach((a) => harness.setAccount(a));
  harness.addTransaction(ok.signature, ok.result);
  harness.addTransaction(failed.signature, failed.result);
  writeKeypairFile(auditFile, Ed25519Keypair.generate());
});
afterAll(() => harness.close());

const record = (signature: string, extra: string[] = [], rpc = harness.url) =>
  backstop(['loss', 'record', '--vault', SANDBOX.vault, '--reserve', SANDBOX.reserve, '--signature', signature, '--vault-loss', SANDBOX_VAULT_LOSS.toString(), '--rpc', rpc, '--database', database, ...extra], { AUDIT_KEYPAIR: auditFile, POLICY_DIR: 'policies' });

describe('backstop loss record', () => {
  it('verifies from the chain and stores the event with its evidence (exit 0)', async () => {
    const r = await record(ok.signature, ['--note', 'from the CLI']);
    expect(r.code, r.stderr).toBe(0);
    const event = JSON.parse(r.stdout);
    expect(event).toMatchObject({ vault: SANDBOX.vault, reserve: SANDBOX.reserve, recordedLoss: SANDBOX_VAULT_LOSS.toString(), recordedBy: 'cli', note: 'from the CLI' });
    expect(event.evidence.vaultCTokens).toBe('900000000000');
  });
  it('refuses a duplicate and an unverifiable loss (exit 1), and an unreachable RPC (exit 2)', async () => {
    // One at a time: each run holds the store's instance lock while it writes.
    const dup = await record(ok.signature);
    const bad = await record(failed.signature);
    const down = await record(lossTransaction({ name: 'x' }).signature, [], 'http://127.0.0.1:9');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already recorded/);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/failed/);
    expect(down.code).toBe(2);
  }, 60_000);
  it('refuses (exit 1, saying why) a loss whose evidence the cToken account history cannot prove', async () => {
    const late = lossTransaction({ name: 'cli-late-invest' });
    harness.addTransaction(late.signature, late.result);
    harness.setAccount(vaultAccount({ allocations: [worldAllocation({ lastInvestSlot: BigInt(late.result.slot!) + 1n })] }));
    try {
      const r = await record(late.signature);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/history of its cToken account .* shows no transaction after the loss: the history is incomplete/);
      expect(harness.requestCount.get('getSignaturesForAddress')).toBeGreaterThan(0);
    } finally {
      harness.setAccount(vaultAccount());
    }
  });
  it('is refused while a running instance holds the store (exit 1)', async () => {
    const store = await openStore({ database, auditKey: Ed25519Keypair.generate() });
    await store.acquireInstanceLock();
    try {
      const r = await record(lossTransaction({ name: 'locked' }).signature);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/running backstop instance/);
    } finally {
      await store.close();
    }
  });
});
