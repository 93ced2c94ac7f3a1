/**
 * The klend accounts the sandbox writes for a real socialize_loss (issue 17 §2): the whole-account
 * codecs agree with the chain's Reserve decoder and with klend's sizes, a patch keeps every byte it
 * does not name (a grown account's tail too), and the market, price and pre-loss reserve carry what
 * refresh_reserve, refresh_obligation and socialize_loss read. With the klend and farms dumps, the
 * sandbox loss is produced by the real klend program and recorded through the normal path
 * ("real mode: not run" otherwise).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PublicKey } from '@solana/web3.js';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeReserve, RESERVE_SIZE } from '../../src/chain/accounts/klend.ts';
import { PROGRAMS } from '../../src/chain/programs.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import { verifyLossForRecording } from '../../src/policy/loss-recording.ts';
import { reserveAccount } from '../../src/sandbox/fixtures/reserve.ts';
import { SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';
import { RESERVE_BORROWED, RESERVE_BORROWED_SF, RESERVE_FORGIVEN } from '../../src/sandbox/fixtures/world.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import {
  bigFraction,
  LENDING_MARKET_ACCOUNT_SIZE,
  lendingMarketCodec,
  obligationCodec,
  OBLIGATION_ACCOUNT_SIZE,
  patchAccount,
  priceUpdateV2Codec,
  PYTH_RECEIVER,
  reserveCodec,
} from '../../src/sandbox/klend/layouts.ts';
import { canProduceRealLoss, lendingMarketAccount, lendingMarketAuthority, priceUpdateAccount, pythPriceOf, withUsableConfig } from '../../src/sandbox/klend/loss.ts';
import { seedSandboxChainWithRealLoss } from '../../src/sandbox/klend/sandbox-loss.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';

const DIR = process.env['BACKSTOP_PROGRAMS_DIR'];
const HAVE_KLEND = DIR !== undefined && [PROGRAMS.klend, PROGRAMS.farms].every((id) => existsSync(join(DIR, `${id}.so`)));
if (!HAVE_KLEND) console.log('real mode: not run');

describe('klend account codecs', () => {
  it('the Reserve codec reads what the chain decoder reads, and writes the config back in place', () => {
    const before = reserveAccount({ liquidity: { borrowedAmountSf: (RESERVE_BORROWED + RESERVE_FORGIVEN) << 60n } });
    expect(before.data.length).toBe(RESERVE_SIZE);
    const full = reserveCodec.decode(before.data);
    const chain = decodeReserve(before);
    expect(full.liquidity.borrowedAmountSf).toBe(chain.liquidity.borrowedAmountSf);
    expect(full.collateral.mintTotalSupply).toBe(chain.collateral.mintTotalSupply);
    expect(full.collateral.supplyVault).toBe(chain.collateral.supplyVault);
    expect(full.liquidity.tokenProgram).toBe(chain.liquidity.tokenProgram);
    expect(full.lendingMarket).toBe(SANDBOX.lendingMarket);

    const usable = withUsableConfig(before.data, { slot: 42n });
    const r = reserveCodec.decode(usable);
    expect(r.config.borrowFactorPct).toBe(100n);
    expect(r.config.borrowRateCurve[0]).toEqual({ utilizationRateBps: 0, borrowRateBps: 0 });
    expect(r.config.borrowRateCurve[10]).toEqual({ utilizationRateBps: 10_000, borrowRateBps: 0 });
    expect(r.liquidity.cumulativeBorrowRateBsf.value).toEqual([1n << 60n, 0n, 0n, 0n]);
    expect(r.lastUpdate.slot).toBe(42n);
    // The prefix the chain decodes is untouched by the config.
    expect(decodeReserve({ ...before, data: usable }).liquidity).toEqual(chain.liquidity);
  });

  it('a patch keeps every byte it does not name, a grown account’s tail included', () => {
    const data = new Uint8Array(randomBytes(RESERVE_SIZE + 100));
    const patched = patchAccount(reserveCodec, data, (r) => ({ ...r, version: 7n }));
    expect(reserveCodec.decode(patched).version).toBe(7n);
    const changed = [...patched].flatMap((b, i) => (b !== data[i] ? [i] : []));
    expect(changed.every((i) => i >= 8 && i < 16)).toBe(true); // only `version` (bytes 8..16)
    expect(patched.subarray(RESERVE_SIZE)).toEqual(data.subarray(RESERVE_SIZE));
  });

  it('BigFractionBytes limbs are little end first', () => {
    expect(bigFraction((1n << 64n) + 5n).value).toEqual([5n, 1n, 0n, 0n]);
  });

  it('the lending market: owner, and the bump of its lending_market_authority PDA', () => {
    const m = lendingMarketAccount({ market: SANDBOX.lendingMarket, owner: SANDBOX.lendingMarketOwner });
    expect(m.data.length).toBe(LENDING_MARKET_ACCOUNT_SIZE);
    expect(Buffer.from(m.data.subarray(0, 8)).toString('hex')).toBe('f6723262489d1c78'); // docs/chain.md#klend
    const d = lendingMarketCodec.decode(m.data);
    expect(d.lendingMarketOwner).toBe(SANDBOX.lendingMarketOwner);
    expect(d.bumpSeed).toBe(BigInt(lendingMarketAuthority(SANDBOX.lendingMarket).bump));
    expect(Buffer.from(m.data.subarray(24, 56))).toEqual(new PublicKey(SANDBOX.lendingMarketOwner).toBuffer()); // owner at offset 24 (docs/chain.md#klend)
  });

  it('the price account publishes the reserve’s market price, fully verified, owned by the Pyth receiver', () => {
    expect(pythPriceOf(1n << 60n)).toBe(100_000_000n);
    expect(pythPriceOf(3n << 59n)).toBe(150_000_000n);
    expect(pythPriceOf(1n)).toBe(1n); // never zero: klend refuses a zero price
    const p = priceUpdateAccount({ address: SANDBOX.obligation, price: 100_000_000n, publishTime: 1_764_400_000n, slot: 312_000_000n });
    expect(p.owner).toBe(PYTH_RECEIVER);
    const d = priceUpdateV2Codec.decode(p.data);
    expect(d.verificationLevel).toEqual({ __kind: 'Full' });
    expect(d.priceMessage).toMatchObject({ price: 100_000_000n, exponent: -8, publishTime: 1_764_400_000n, conf: 0n, emaPrice: 100_000_000n });
  });

  it('the Obligation layout is klend’s size with borrows after the eight deposits', () => {
    expect(obligationCodec.fixedSize).toBe(OBLIGATION_ACCOUNT_SIZE);
    const data = new Uint8Array(OBLIGATION_ACCOUNT_SIZE);
    const o = patchAccount(obligationCodec, data, (x) => ({ ...x, borrows: x.borrows.map((b, i) => (i === 0 ? { ...b, borrowedAmountSf: 7n } : b)) }));
    // 8 discriminator + 8 tag + 16 last_update + 64 keys + 8 × 136 deposits + 8 + 16, then borrow_reserve 32 + 48 + 8.
    const at = 8 + 8 + 16 + 64 + 8 * 136 + 8 + 16 + 32 + 48 + 8;
    expect(o[at]).toBe(7);
  });
});

describe.skipIf(!HAVE_KLEND)('real mode: the sandbox loss is klend’s own socialize_loss', () => {
  let harness: Harness;
  afterEach(async () => harness?.close());

  it('forgives exactly the world’s loss and records through the normal path', async () => {
    harness = await startHarness({ programsDir: DIR! });
    expect(canProduceRealLoss(harness)).toBe(true);
    const world = await seedSandboxChainWithRealLoss(harness);
    const reserve = decodeReserve(harness.getAccount(SANDBOX.reserve)!);
    expect(reserve.liquidity.borrowedAmountSf).toBe(RESERVE_BORROWED_SF);
    expect(reserve.lastUpdate.stale).toBe(true);
    const verified = await verifyLossForRecording({
      chain: new ChainReader({ rpcUrl: harness.url }),
      vault: SANDBOX.vault,
      reserve: SANDBOX.reserve,
      signature: world.lossSignature,
      vaultLoss: SANDBOX_VAULT_LOSS,
    });
    expect(verified.forgiven).toBe(RESERVE_FORGIVEN);
    expect(verified.recordedLoss).toBe(SANDBOX_VAULT_LOSS);
  });
});
