/**
 * A loss produced by the real klend program in the harness (real mode with the klend and farms dumps):
 * the harness becomes the lending market's owner, writes a Pyth `PriceUpdateV2` the reserve reads
 * (refresh_reserve needs a price of this slot, refresh_obligation the refreshed reserve), and an
 * Obligation that owes `forgive` on the reserve with no deposits; then the owner sends
 * refresh_reserve + refresh_obligation + socialize_loss_v2 in one transaction. The transaction
 * executes and lands like any other, so recording reads it through the normal path.
 */
import { address, type Address } from '@solana/kit';
import {
  ComputeBudgetProgram,
  Connection,
  Keypair,
  PublicKey,
  SYSVAR_INSTRUCTIONS_PUBKEY,
  Transaction,
  TransactionInstruction,
} from '@solana/web3.js';
import { DEFAULT_ADDRESS } from '../../chain/accounts/kvault.ts';
import { PROGRAMS } from '../../chain/programs.ts';
import type { AccountData } from '../../chain/types.ts';
import type { Harness } from '../harness/index.ts';
import { sandboxKeypair } from '../seeds.ts';
import {
  bigFraction,
  instructionDiscriminator,
  lendingMarketCodec,
  OBLIGATION_DISCRIMINATOR,
  obligationCodec,
  patchAccount,
  PRICE_UPDATE_V2_DISCRIMINATOR,
  PRICE_UPDATE_V2_SIZE,
  priceUpdateV2Codec,
  PYTH_RECEIVER,
  reserveCodec,
  zeroAccount,
} from './layouts.ts';

/** The programs a real socialize_loss needs: klend runs it, and socialize_loss_v2 names the farms program. */
export const REAL_LOSS_PROGRAMS: readonly Address[] = [PROGRAMS.klend, PROGRAMS.farms];
/** `PriceStatusFlags::ALL_CHECKS`. */
export const ALL_PRICE_CHECKS = 0b11_1111;
/** Exponent of the price the harness writes (Pyth's usual −8). */
const PRICE_EXPONENT = 8;
const SF_ONE = 1n << 60n;

/** Whether `harness` can run a real socialize_loss: both programs loaded from the dumps. */
export function canProduceRealLoss(harness: Pick<Harness, 'loadedPrograms'>): boolean {
  return REAL_LOSS_PROGRAMS.every((p) => harness.loadedPrograms.includes(p));
}

/** The market's `lending_market_authority` PDA `["lma", market]` and its bump (klend `utils/seeds.rs`). */
export function lendingMarketAuthority(market: Address): { address: Address; bump: number } {
  const [pda, bump] = PublicKey.findProgramAddressSync([Buffer.from('lma'), new PublicKey(market).toBuffer()], new PublicKey(PROGRAMS.klend));
  return { address: address(pda.toBase58()), bump };
}

/** A price as Pyth publishes it (value × 10^−8) from klend's U68F60 market price; never zero. */
export function pythPriceOf(marketPriceSf: bigint): bigint {
  const value = (marketPriceSf * 10n ** BigInt(PRICE_EXPONENT)) / SF_ONE;
  return value > 0n ? value : 1n;
}

/** A `PriceUpdateV2` (fully verified) publishing `price` × 10^−8 at `publishTime`, owned by the Pyth receiver. */
export function priceUpdateAccount(o: { address: Address; price: bigint; publishTime: bigint; slot: bigint }): AccountData {
  const data = new Uint8Array(PRICE_UPDATE_V2_SIZE);
  priceUpdateV2Codec.write(
    {
      discriminator: PRICE_UPDATE_V2_DISCRIMINATOR,
      writeAuthority: DEFAULT_ADDRESS,
      verificationLevel: { __kind: 'Full' },
      priceMessage: {
        feedId: new Uint8Array(32),
        price: o.price,
        conf: 0n,
        exponent: -PRICE_EXPONENT,
        publishTime: o.publishTime,
        prevPublishTime: o.publishTime,
        emaPrice: o.price,
        emaConf: 0n,
      },
      postedSlot: o.slot,
    },
    data,
    0,
  );
  return { address: o.address, owner: PYTH_RECEIVER, lamports: 10_000_000n, data, executable: false };
}

const meta = (key: Address, w: boolean, s = false) => ({ pubkey: new PublicKey(key), isWritable: w, isSigner: s });
const ix = (name: string, keys: ReturnType<typeof meta>[], args: Uint8Array = new Uint8Array()) =>
  new TransactionInstruction({ programId: new PublicKey(PROGRAMS.klend), keys, data: Buffer.concat([instructionDiscriminator(name), args]) });
/** Anchor's convention for an absent optional account: the program's own id. */
const NONE = PROGRAMS.klend;

function mustGet(harness: Harness, at: Address, what: string): AccountData {
  const a = harness.getAccount(at);
  if (!a) throw new Error(`real socialize_loss: the ${what} ${at} is not on the harness chain`);
  return a;
}

export interface RealLossResult {
  readonly signature: string;
  readonly forgiven: bigint;
  readonly obligation: Address;
  readonly lendingMarketOwner: Address;
}

/**
 * Forgives `forgive` base units of debt on `reserve` with the real klend program. Overrides on the
 * harness chain only what the instruction needs: the market's owner (`owner`), the reserve's oracle
 * (Pyth only, pointing at a price the harness writes at the reserve's current market price; no
 * TWAP; price usage allowed) and its debt farm (none: socialize_loss_v2 would refresh it), plus a
 * new Obligation. Throws when the transaction fails, with klend's logs.
 */
export async function socializeLossOnHarness(
  harness: Harness,
  o: { reserve: Address; forgive: bigint; owner?: Keypair; name?: string },
): Promise<RealLossResult> {
  if (!canProduceRealLoss(harness)) throw new Error(`real socialize_loss needs the klend and farms dumps (${REAL_LOSS_PROGRAMS.join(', ')})`);
  const name = o.name ?? 'loss';
  const owner = o.owner ?? sandboxKeypair(`klend-${name}-market-owner`);
  const ownerAddress = address(owner.publicKey.toBase58());
  const clock = harness.svm.getClock();

  const reserveAccount = mustGet(harness, o.reserve, 'reserve');
  const reserve = reserveCodec.decode(reserveAccount.data);
  const market = reserve.lendingMarket;
  const marketAccount = mustGet(harness, market, 'lending market');
  const authority = lendingMarketAuthority(market);
  harness.setAccount({
    ...marketAccount,
    data: patchAccount(lendingMarketCodec, marketAccount.data, (m) => ({
      ...m,
      bumpSeed: BigInt(authority.bump),
      lendingMarketOwner: ownerAddress,
      lendingMarketOwnerCached: ownerAddress,
    })),
  });

  const priceAddress = address(sandboxKeypair(`klend-${name}-price:${o.reserve}`).publicKey.toBase58());
  harness.setAccount(priceUpdateAccount({ address: priceAddress, price: pythPriceOf(reserve.liquidity.marketPriceSf), publishTime: clock.unixTimestamp, slot: clock.slot }));
  harness.setAccount({
    ...reserveAccount,
    data: patchAccount(reserveCodec, reserveAccount.data, (r) => ({
      ...r,
      farmDebt: DEFAULT_ADDRESS,
      config: {
        ...r.config,
        tokenInfo: {
          ...r.config.tokenInfo,
          maxTwapDivergenceBps: 0n,
          maxAgePriceSeconds: r.config.tokenInfo.maxAgePriceSeconds > 0n ? r.config.tokenInfo.maxAgePriceSeconds : 3600n,
          scopeConfiguration: { ...r.config.tokenInfo.scopeConfiguration, priceFeed: DEFAULT_ADDRESS },
          switchboardConfiguration: { priceAggregator: DEFAULT_ADDRESS, twapAggregator: DEFAULT_ADDRESS },
          pythConfiguration: { price: priceAddress },
          blockPriceUsage: 0,
        },
      },
    })),
  });

  // An obligation that borrowed exactly `forgive` at the reserve's current cumulative rate, with no collateral left.
  const obligationKey = sandboxKeypair(`klend-${name}-obligation:${o.reserve}`);
  const obligation = address(obligationKey.publicKey.toBase58());
  const data = zeroAccount(obligationCodec, OBLIGATION_DISCRIMINATOR, (ob) => ({
    ...ob,
    lastUpdate: { ...ob.lastUpdate, slot: clock.slot, stale: 1 },
    lendingMarket: market,
    owner: address(sandboxKeypair(`klend-${name}-borrower`).publicKey.toBase58()),
    deposits: ob.deposits.map((d) => ({ ...d, depositReserve: DEFAULT_ADDRESS })),
    referrer: DEFAULT_ADDRESS,
    borrows: ob.borrows.map((b, i) =>
      i === 0
        ? { ...b, borrowReserve: o.reserve, cumulativeBorrowRateBsf: reserve.liquidity.cumulativeBorrowRateBsf, borrowedAmountSf: o.forgive * SF_ONE, lastBorrowedAtTimestamp: clock.unixTimestamp }
        : { ...b, borrowReserve: DEFAULT_ADDRESS },
    ),
    hasDebt: 1,
    highestBorrowFactorPct: 100n,
  }));
  harness.setAccount({ address: obligation, owner: PROGRAMS.klend, lamports: harness.svm.minimumBalanceForRentExemption(BigInt(data.length)), data, executable: false });
  harness.airdrop(ownerAddress, 1_000_000_000n);

  const amount = new Uint8Array(8);
  new DataView(amount.buffer).setBigUint64(0, o.forgive, true);
  const tx = new Transaction().add(
    ComputeBudgetProgram.setComputeUnitLimit({ units: 1_400_000 }),
    ix('refresh_reserve', [meta(o.reserve, true), meta(market, false), meta(priceAddress, false), meta(NONE, false), meta(NONE, false), meta(NONE, false)]),
    ix('refresh_obligation', [meta(market, false), meta(obligation, true), meta(o.reserve, true)]),
    ix(
      'socialize_loss_v2',
      [
        meta(ownerAddress, false, true),
        meta(obligation, true),
        meta(market, false),
        meta(o.reserve, true),
        meta(address(SYSVAR_INSTRUCTIONS_PUBKEY.toBase58()), false),
        meta(NONE, false), // obligation_farm_user_state: none
        meta(NONE, false), // reserve_farm_state: none
        meta(authority.address, false),
        meta(PROGRAMS.farms, false),
      ],
      amount,
    ),
  );
  const connection = new Connection(harness.url, 'confirmed');
  tx.feePayer = owner.publicKey;
  tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash;
  tx.sign(owner);
  const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: false });
  const status = (await connection.getSignatureStatuses([signature])).value[0];
  const landed = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0, commitment: 'confirmed' });
  const logs = landed?.meta?.logMessages ?? [];
  if (!status || status.err !== null) throw new Error(`real socialize_loss on ${o.reserve} failed: ${JSON.stringify(status?.err ?? 'not landed')}\n${logs.join('\n')}`);
  // klend logs what it forgave (refresh_reserve may accrue interest first, so the debt's change is not the measure).
  const logged = logs.map((l) => /^Program log: Forgiving debt amount (\d+)\./.exec(l)?.[1]).find((x) => x !== undefined);
  if (logged === undefined || BigInt(logged) !== o.forgive) throw new Error(`real socialize_loss on ${o.reserve} forgave ${logged ?? 'nothing logged'}, expected ${o.forgive} base units`);
  return { signature, forgiven: o.forgive, obligation, lendingMarketOwner: ownerAddress };
}

/** A fresh LendingMarket account at `market` owned by `owner` (every other field zero). */
export function lendingMarketAccount(o: { market: Address; owner: Address }): AccountData {
  const bump = lendingMarketAuthority(o.market).bump;
  const data = zeroAccount(lendingMarketCodec, new Uint8Array([246, 114, 50, 98, 72, 157, 28, 120]), (m) => ({
    ...m,
    version: 1n,
    bumpSeed: BigInt(bump),
    lendingMarketOwner: o.owner,
    lendingMarketOwnerCached: o.owner,
    quoteCurrency: Uint8Array.from(Buffer.concat([Buffer.from('USD'), Buffer.alloc(29)])),
    emergencyCouncil: DEFAULT_ADDRESS,
  }));
  return { address: o.market, owner: PROGRAMS.klend, lamports: 100_000_000n, data, executable: false };
}

/** A reserve's config made valid for refresh_reserve when it was written without one: a flat zero borrow curve, borrow factor 100 %. */
export function withUsableConfig(reserveData: Uint8Array, o: { slot: bigint; cumulativeBorrowRate?: bigint }): Uint8Array {
  return patchAccount(reserveCodec, reserveData, (r) => ({
    ...r,
    version: 1n,
    lastUpdate: { ...r.lastUpdate, slot: o.slot },
    liquidity: { ...r.liquidity, cumulativeBorrowRateBsf: bigFraction(o.cumulativeBorrowRate ?? SF_ONE) },
    config: {
      ...r.config,
      status: 0,
      borrowRateCurve: r.config.borrowRateCurve.map((p, i) => ({ ...p, utilizationRateBps: i === 0 ? 0 : 10_000, borrowRateBps: 0 })),
      borrowFactorPct: 100n,
      tokenInfo: { ...r.config.tokenInfo, name: Uint8Array.from(Buffer.concat([Buffer.from('SANDBOX'), Buffer.alloc(25)])), maxAgePriceSeconds: 3600n },
    },
  }));
}
