import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChainReader } from '../../src/chain/reader.ts';
import { ChainUnavailable } from '../../src/chain/errors.ts';
import { LossUnverifiable, verifyLossForRecording } from '../../src/policy/loss-recording.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { vaultAccount, worldAllocation } from '../../src/sandbox/fixtures/kvault.ts';
import { lossTransaction } from '../../src/sandbox/fixtures/loss-transaction.ts';
import { reserveAccount } from '../../src/sandbox/fixtures/reserve.ts';
import { SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';
import { RESERVE_CTOKEN_SUPPLY, VAULT_CTOKEN_ALLOCATION } from '../../src/sandbox/fixtures/world.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';

let harness: Harness;
let chain: ChainReader;

beforeAll(async () => {
  harness = await startHarness();
  chain = new ChainReader({ rpcUrl: harness.url, retries: 1, backoffMs: 5, timeoutMs: 2000 });
});
afterAll(() => harness.close());
beforeEach(() => {
  harness.faults.clear();
  harness.setAccount(vaultAccount());
  harness.setAccount(reserveAccount());
});

const record = (tx: ReturnType<typeof lossTransaction>, vaultLoss = SANDBOX_VAULT_LOSS) => {
  harness.addTransaction(tx.signature, tx.result);
  return verifyLossForRecording({ chain, vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: tx.signature, vaultLoss });
};

describe('recording a loss event over RPC', () => {
  it('verifies a socialize_loss and reads the evidence', async () => {
    const v = await record(lossTransaction({ name: 'ok' }));
    expect(v.forgiven).toBe(1_000_000_000_000n);
    expect(v.evidence.vaultCTokens).toBe(VAULT_CTOKEN_ALLOCATION);
    expect(v.evidence.reserveCTokenSupply).toBe(RESERVE_CTOKEN_SUPPLY);
    expect(v.evidence.readAtSlot).toBeGreaterThan(0n);
    expect(v.recordedLoss).toBe(SANDBOX_VAULT_LOSS);
    expect(v.transaction.meta?.err).toBeNull();
  });

  it('caps the recorded loss at the verified bound', async () => {
    const v = await record(lossTransaction({ name: 'cap' }), 10n ** 15n);
    expect(v.recordedLoss).toBe(SANDBOX_VAULT_LOSS);
  });

  it('refuses a transaction that does not exist at finalized', async () => {
    await expect(verifyLossForRecording({ chain, vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: lossTransaction({ name: 'never-added' }).signature, vaultLoss: 1n })).rejects.toThrow(LossUnverifiable);
  });

  it('refuses a failed loss transaction, a missing log line and another reserve', async () => {
    await expect(record(lossTransaction({ name: 'failed', failed: true }))).rejects.toThrow(/failed/);
    await expect(record(lossTransaction({ name: 'nolog', logLine: 'absent' }))).rejects.toThrow(LossUnverifiable);
    await expect(record(lossTransaction({ name: 'other', reserve: SANDBOX.outsider }))).rejects.toThrow(/another reserve/);
  });

  it('refuses a reserve the vault does not hold', async () => {
    harness.setAccount(vaultAccount({ allocations: [worldAllocation({ ctokenAllocation: 0n })] } as never));
    await expect(record(lossTransaction({ name: 'not-held' }))).rejects.toThrow(/no cTokens/);
  });

  it('is a chain outage, not a refusal, when RPC fails', async () => {
    harness.faults.set('getTransaction', { httpStatus: 500 });
    await expect(record(lossTransaction({ name: 'outage' }))).rejects.toThrow(ChainUnavailable);
  });
});
