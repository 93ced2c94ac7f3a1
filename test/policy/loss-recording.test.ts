import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Connection, Keypair, PublicKey, Transaction } from '@solana/web3.js';
import { createTransferInstruction } from '@solana/spl-token';
import { address } from '@solana/kit';
import { ChainReader } from '../../src/chain/reader.ts';
import { ChainUnavailable } from '../../src/chain/errors.ts';
import { LossUnverifiable, verifyLossForRecording } from '../../src/policy/loss-recording.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { vaultAccount, worldAllocation } from '../../src/sandbox/fixtures/kvault.ts';
import { lossTransaction } from '../../src/sandbox/fixtures/loss-transaction.ts';
import { reserveAccount } from '../../src/sandbox/fixtures/reserve.ts';
import { ctokenTransaction, sandboxInvest } from '../../src/sandbox/fixtures/ctoken-history.ts';
import { SANDBOX_VAULT_LOSS, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { ctokenVaultAccount, tokenAccount } from '../../src/sandbox/fixtures/token.ts';
import { lossBody, send, startTestApi } from '../server/helpers.ts';
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

describe('the evidence is what the vault held at the loss (issue 12 finding 6)', () => {
  // Each test writes its own history of the cToken account, so each gets its own chain.
  let h: Harness;
  let reader: ChainReader;
  beforeEach(async () => {
    h = await startHarness();
    worldAccounts().forEach((a) => h.setAccount(a));
    reader = new ChainReader({ rpcUrl: h.url, retries: 0, timeoutMs: 2000 });
  });
  afterEach(() => h.close());

  const ONE_CTOKEN = 1_000_000n;
  const loss = lossTransaction({ name: 'history-loss' }); // slot 312,000,000; the harness runs at a later slot
  const LOSS_SLOT = loss.result.slot!;
  const serve = (t: { signature: string; result: unknown }) => h.addTransaction(t.signature, t.result);
  const recordLoss = (o: { historyPageSize?: number } = {}) => {
    serve(loss);
    // A declared loss far above the bound, so the recorded loss shows the evidence used.
    return verifyLossForRecording({ chain: reader, vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: loss.signature, vaultLoss: 10n ** 15n, ...o });
  };
  const allocation = (ctokenAllocation: bigint, lastInvestSlot: bigint) =>
    h.setAccount(vaultAccount({ allocations: [worldAllocation({ ctokenAllocation, lastInvestSlot })] }));
  /** An SPL Token transfer of `amount` cTokens into the vault's cToken account, executed now (after the loss). */
  const transferIn = async (amount: bigint): Promise<string> => {
    const owner = Keypair.generate();
    const source = address(Keypair.generate().publicKey.toBase58());
    h.airdrop(address(owner.publicKey.toBase58()), 1_000_000_000n);
    h.setAccount(tokenAccount({ address: source, owner: address(owner.publicKey.toBase58()), mint: SANDBOX.collateralMint, amount }));
    const connection = new Connection(h.url, 'confirmed');
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = new Transaction({ feePayer: owner.publicKey, recentBlockhash: blockhash }).add(
      createTransferInstruction(new PublicKey(source), new PublicKey(SANDBOX.ctokenVault), owner.publicKey, amount),
    );
    tx.sign(owner);
    return connection.sendRawTransaction(tx.serialize());
  };

  it('credits a vault that allocated more after the loss only what it held at the loss', async () => {
    serve(sandboxInvest()); // 900,000 cTokens, before the loss
    await transferIn(600_000n * ONE_CTOKEN);
    allocation(1_500_000n * ONE_CTOKEN, BigInt(h.svm.getClock().slot));
    expect(h.svm.getClock().slot).toBeGreaterThan(BigInt(LOSS_SLOT));
    const v = await recordLoss();
    expect(v.evidence.vaultCTokens).toBe(VAULT_CTOKEN_ALLOCATION);
    expect(v.recordedLoss).toBe(SANDBOX_VAULT_LOSS);
  });

  it('refuses (422) a vault that held nothing at the loss and allocated after it', async () => {
    h.setAccount(ctokenVaultAccount({ amount: 0n }));
    serve(ctokenTransaction({ name: 'created-empty', slot: LOSS_SLOT - 10_000, pre: null, post: 0n }));
    await transferIn(VAULT_CTOKEN_ALLOCATION);
    allocation(VAULT_CTOKEN_ALLOCATION, BigInt(h.svm.getClock().slot));
    await expect(recordLoss()).rejects.toThrow(/held no cTokens of reserve .* at the loss/);
  });

  it('walks the history page by page back past the loss', async () => {
    serve(sandboxInvest());
    // Five invests after the loss, each adding 50,000 cTokens: the first one's pre balance is the evidence.
    for (let i = 0; i < 5; i++) {
      const pre = VAULT_CTOKEN_ALLOCATION + BigInt(i) * 50_000n * ONE_CTOKEN;
      serve(ctokenTransaction({ name: `after-${i}`, slot: LOSS_SLOT + 100 * (i + 1), pre, post: pre + 50_000n * ONE_CTOKEN }));
    }
    allocation(VAULT_CTOKEN_ALLOCATION + 250_000n * ONE_CTOKEN, BigInt(LOSS_SLOT + 500));
    const pages = () => h.requestCount.get('getSignaturesForAddress') ?? 0;
    const v = await recordLoss({ historyPageSize: 2 });
    expect(v.evidence.vaultCTokens).toBe(VAULT_CTOKEN_ALLOCATION);
    // [5,4] [3,2] [1, the invest before the loss], for the vault's cToken account and again for the cToken mint (its supply at the loss).
    expect(pages()).toBe(6);
    expect(v.evidence.reserveCTokenSupply).toBe(RESERVE_CTOKEN_SUPPLY - 250_000n * ONE_CTOKEN); // the five invests minted 250,000 after the loss
    expect((await recordLoss()).evidence.vaultCTokens).toBe(VAULT_CTOKEN_ALLOCATION);
    expect(pages()).toBe(8);
  });

  it('credits what a vault that left the reserve after the loss held at it', async () => {
    serve(sandboxInvest());
    serve(ctokenTransaction({ name: 'withdrawn', slot: LOSS_SLOT + 50, pre: VAULT_CTOKEN_ALLOCATION, post: 0n }));
    h.setAccount(vaultAccount({ allocations: [] }));
    const v = await recordLoss();
    expect(v.evidence.vaultCTokens).toBe(VAULT_CTOKEN_ALLOCATION);
    // Its redemption burned 900,000 cTokens after the loss: the supply at the loss was that much larger (issue 15).
    expect(v.evidence.reserveCTokenSupply).toBe(RESERVE_CTOKEN_SUPPLY + VAULT_CTOKEN_ALLOCATION);
    expect(v.recordedLoss).toBe((1_000_000_000_000n * VAULT_CTOKEN_ALLOCATION) / (RESERVE_CTOKEN_SUPPLY + VAULT_CTOKEN_ALLOCATION));
  });

  it('refuses (422) a cToken supply at the loss, rebuilt from the mint history, below what the vault held then', async () => {
    serve(sandboxInvest());
    // Someone else's deposit minted 400,000 after the loss, yet the reserve counts 450,000 now: 50,000 at the loss.
    serve(ctokenTransaction({ name: 'other-deposit', account: SANDBOX.outsider, slot: LOSS_SLOT + 50, pre: 0n, post: 400_000n * ONE_CTOKEN }));
    h.setAccount(reserveAccount({ collateral: { mintTotalSupply: VAULT_CTOKEN_ALLOCATION / 2n } }));
    await expect(recordLoss()).rejects.toThrow(/cToken supply at the loss, rebuilt as 50000000000, is below the 900000000000 cTokens the vault held then/);
  });

  it('rebuilds the supply at the loss from the cToken mint history, and refuses (422) one that ends after the loss', async () => {
    serve(sandboxInvest());
    serve(ctokenTransaction({ name: 'deposit-after', account: SANDBOX.outsider, slot: LOSS_SLOT + 70, pre: 0n, post: 1_000_000n * ONE_CTOKEN }));
    const v = await recordLoss();
    expect(v.evidence.reserveCTokenSupply).toBe(RESERVE_CTOKEN_SUPPLY - 1_000_000n * ONE_CTOKEN);
    // A node that no longer serves the invest before the loss: the mint's history ends after it.
    h.addTransaction(sandboxInvest().signature, {});
    await expect(recordLoss()).rejects.toThrow(/cToken supply at the loss \(slot 312000000\) cannot be rebuilt from the history of its cToken mint .* ends at slot 312000070, not before slot 312000000/);
  });

  it('keeps the current allocation when nothing touched the account since the loss', async () => {
    serve(sandboxInvest());
    allocation(VAULT_CTOKEN_ALLOCATION, BigInt(LOSS_SLOT - 10_000));
    expect((await recordLoss()).evidence.vaultCTokens).toBe(VAULT_CTOKEN_ALLOCATION);
  });

  it('refuses (422) a history that does not reach back to the loss', async () => {
    serve(ctokenTransaction({ name: 'only-after', slot: LOSS_SLOT + 100, pre: 0n, post: VAULT_CTOKEN_ALLOCATION }));
    allocation(VAULT_CTOKEN_ALLOCATION, BigInt(LOSS_SLOT + 100));
    const err = await recordLoss().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LossUnverifiable);
    expect((err as Error).message).toMatch(/ends at slot 312000100, after the loss at slot 312000000.*full transaction history/);
  });

  it('refuses (422) an invest after the loss that the history does not show', async () => {
    serve(sandboxInvest());
    allocation(VAULT_CTOKEN_ALLOCATION, BigInt(LOSS_SLOT + 1));
    const err = await recordLoss().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LossUnverifiable);
    expect((err as Error).message).toMatch(/last invested .* at slot 312000001, after the loss .* the history is incomplete/);
  });

  it('refuses (422) when the first transaction after the loss lists no prior balance of the account, or another mint', async () => {
    serve(sandboxInvest());
    serve(ctokenTransaction({ name: 'no-pre', slot: LOSS_SLOT + 100, pre: null, post: VAULT_CTOKEN_ALLOCATION }));
    await expect(recordLoss()).rejects.toThrow(/no token balance of that account before it ran/);
    serve(ctokenTransaction({ name: 'no-pre', slot: LOSS_SLOT + 100, pre: VAULT_CTOKEN_ALLOCATION, post: VAULT_CTOKEN_ALLOCATION, mint: SANDBOX.sharesMint }));
    await expect(recordLoss()).rejects.toThrow(/not the reserve's cToken mint/);
  });

  it('refuses (422) a transaction on the account in the loss slot: its order against the loss is unknown', async () => {
    serve(sandboxInvest());
    serve(ctokenTransaction({ name: 'same-slot', slot: LOSS_SLOT, pre: VAULT_CTOKEN_ALLOCATION, post: 2n * VAULT_CTOKEN_ALLOCATION }));
    await expect(recordLoss()).rejects.toThrow(/landed in the loss's slot 312000000/);
  });

  it('is a chain outage (ChainUnavailable), not a refusal, when the history cannot be read', async () => {
    serve(sandboxInvest());
    h.faults.set('getSignaturesForAddress', { httpStatus: 500 });
    await expect(recordLoss()).rejects.toThrow(ChainUnavailable);
    h.faults.clear();
    h.breakAccount(SANDBOX.ctokenVault);
    await expect(recordLoss()).rejects.toThrow(ChainUnavailable);
  });
});

describe('POST /v1/loss-events reads the history (issue 12 finding 6)', () => {
  it('answers 503 when the history cannot be read and 422 when it is incomplete, storing nothing; 201 once it is readable', async () => {
    const api = await startTestApi();
    try {
      api.harness.faults.set('getSignaturesForAddress', { httpStatus: 500 });
      const down = await send(api, { path: '/v1/loss-events', body: lossBody() });
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe('chain-unavailable');
      api.harness.faults.clear();
      api.harness.setAccount(vaultAccount({ allocations: [worldAllocation({ lastInvestSlot: 312_000_001n })] }));
      const incomplete = await send(api, { path: '/v1/loss-events', body: lossBody() });
      expect(incomplete.status).toBe(422);
      expect(incomplete.body.error).toMatchObject({ code: 'loss-unverifiable', message: expect.stringMatching(/history is incomplete/) });
      expect(await api.store.listLossEvents()).toEqual([]);
      api.harness.setAccount(vaultAccount());
      const ok = await send(api, { path: '/v1/loss-events', body: lossBody() });
      expect(ok.status).toBe(201);
      expect(ok.body.evidence.vaultCTokens).toBe(VAULT_CTOKEN_ALLOCATION.toString());
    } finally {
      await api.close();
    }
  });
});
