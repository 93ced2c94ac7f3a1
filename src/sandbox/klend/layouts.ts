/**
 * Whole-account kit codecs for the klend accounts the sandbox writes to run a real `socialize_loss`:
 * LendingMarket (fields through `reserved1`, the rest kept as bytes), Reserve (every field through the
 * config, the rest kept as bytes), Obligation (every field through the autodeleverage timestamp), and
 * the Pyth receiver's `PriceUpdateV2`. Layouts: klend `programs/klend/src/state/{lending_market,reserve,
 * obligation,token_info,last_update}.rs` and `utils/borrow_rate_curve.rs` @edd5ff5 (1.16.0); sizes
 * `utils/consts.rs` (checked at load). A patch decodes an account, changes fields and writes the codec
 * over a copy of the original bytes, so every byte it does not name (a grown account's tail included) is kept.
 */
import { createHash } from 'node:crypto';
import {
  fixCodecSize,
  getAddressCodec,
  getArrayCodec,
  getBytesCodec,
  getDiscriminatedUnionCodec,
  getI32Codec,
  getI64Codec,
  getStructCodec,
  getU128Codec,
  getU16Codec,
  getU32Codec,
  getU64Codec,
  getU8Codec,
  getUnitCodec,
  type Address,
  type Codec,
} from '@solana/kit';
import { RESERVE_DISCRIMINATOR, RESERVE_SIZE } from '../../chain/accounts/klend.ts';

const bytes = (n: number) => fixCodecSize(getBytesCodec(), n);
const u8 = getU8Codec;
const u16 = getU16Codec;
const u32 = getU32Codec;
const u64 = getU64Codec;
const u128 = getU128Codec;
const key = getAddressCodec;

/** Anchor's account discriminator: sha256("account:<Name>")[0..8]. */
export function accountDiscriminator(name: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`account:${name}`).digest().subarray(0, 8));
}

/** Anchor's instruction discriminator: sha256("global:<name>")[0..8]. */
export function instructionDiscriminator(name: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`global:${name}`).digest().subarray(0, 8));
}

export const LENDING_MARKET_DISCRIMINATOR = accountDiscriminator('LendingMarket');
export const OBLIGATION_DISCRIMINATOR = accountDiscriminator('Obligation');
export const PRICE_UPDATE_V2_DISCRIMINATOR = accountDiscriminator('PriceUpdateV2');
/** klend `LENDING_MARKET_SIZE` + discriminator. */
export const LENDING_MARKET_ACCOUNT_SIZE = 4656 + 8;
/** klend `OBLIGATION_SIZE` + discriminator. */
export const OBLIGATION_ACCOUNT_SIZE = 3336 + 8;
/** `PriceUpdateV2::LEN` (room for a Partial verification level). */
export const PRICE_UPDATE_V2_SIZE = 134;
/** The Pyth Solana receiver, owner of PriceUpdateV2 accounts. */
export const PYTH_RECEIVER = 'rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ' as Address;
/** klend's `PROGRAM_VERSION`: a reserve of another version refuses refresh_reserve. */
export const KLEND_PROGRAM_VERSION = 1n;

export const lastUpdateCodec = getStructCodec([
  ['slot', u64()],
  ['stale', u8()],
  ['priceStatus', u8()],
  ['placeholder', bytes(6)],
]);

/** `BigFractionBytes`: a U256 with 60 fractional bits as four u64 limbs, little end first. */
export const bigFractionCodec = getStructCodec([
  ['value', getArrayCodec(u64(), { size: 4 })],
  ['padding', bytes(16)],
]);

/** `v` (an integer scaled by 2^60) as BigFractionBytes. */
export function bigFraction(v: bigint): { value: bigint[]; padding: Uint8Array } {
  const mask = (1n << 64n) - 1n;
  return { value: [0, 1, 2, 3].map((i) => (v >> BigInt(64 * i)) & mask), padding: new Uint8Array(16) };
}

const reserveLiquidityCodec = getStructCodec([
  ['mintPubkey', key()],
  ['supplyVault', key()],
  ['feeVault', key()],
  ['totalAvailableAmount', u64()],
  ['borrowedAmountSf', u128()],
  ['marketPriceSf', u128()],
  ['marketPriceLastUpdatedTs', u64()],
  ['mintDecimals', u64()],
  ['depositLimitCrossedTimestamp', u64()],
  ['borrowLimitCrossedTimestamp', u64()],
  ['cumulativeBorrowRateBsf', bigFractionCodec],
  ['accumulatedProtocolFeesSf', u128()],
  ['accumulatedReferrerFeesSf', u128()],
  ['pendingReferrerFeesSf', u128()],
  ['absoluteReferralRateSf', u128()],
  ['tokenProgram', key()],
  ['padding2', bytes(51 * 8)],
  ['padding3', bytes(32 * 16)],
]);

const reserveCollateralCodec = getStructCodec([
  ['mintPubkey', key()],
  ['mintTotalSupply', u64()],
  ['supplyVault', key()],
  ['padding1', bytes(32 * 16)],
  ['padding2', bytes(32 * 16)],
]);

const curvePointCodec = getStructCodec([
  ['utilizationRateBps', u32()],
  ['borrowRateBps', u32()],
]);

export const tokenInfoCodec = getStructCodec([
  ['name', bytes(32)],
  ['heuristic', getStructCodec([['lower', u64()], ['upper', u64()], ['exp', u64()]])],
  ['maxTwapDivergenceBps', u64()],
  ['maxAgePriceSeconds', u64()],
  ['maxAgeTwapSeconds', u64()],
  ['scopeConfiguration', getStructCodec([['priceFeed', key()], ['priceChain', getArrayCodec(u16(), { size: 4 })], ['twapChain', getArrayCodec(u16(), { size: 4 })]])],
  ['switchboardConfiguration', getStructCodec([['priceAggregator', key()], ['twapAggregator', key()]])],
  ['pythConfiguration', getStructCodec([['price', key()]])],
  ['blockPriceUsage', u8()],
  ['reserved', bytes(7)],
  ['padding', bytes(19 * 8)],
]);

const withdrawalCapsCodec = getStructCodec([
  ['configCapacity', getI64Codec()],
  ['currentTotal', getI64Codec()],
  ['lastIntervalStartTimestamp', u64()],
  ['configIntervalLengthSeconds', u64()],
]);

export const reserveConfigCodec = getStructCodec([
  ['status', u8()],
  ['paddingDeprecatedAssetTier', u8()],
  ['hostFixedInterestRateBps', u16()],
  ['minDeleveragingBonusBps', u16()],
  ['blockCtokenUsage', u8()],
  ['reserved1', bytes(6)],
  ['protocolOrderExecutionFeePct', u8()],
  ['protocolTakeRatePct', u8()],
  ['protocolLiquidationFeePct', u8()],
  ['loanToValuePct', u8()],
  ['liquidationThresholdPct', u8()],
  ['minLiquidationBonusBps', u16()],
  ['maxLiquidationBonusBps', u16()],
  ['badDebtLiquidationBonusBps', u16()],
  ['deleveragingMarginCallPeriodSecs', u64()],
  ['deleveragingThresholdDecreaseBpsPerDay', u64()],
  ['fees', getStructCodec([['originationFeeSf', u64()], ['flashLoanFeeSf', u64()], ['padding', bytes(8)]])],
  ['borrowRateCurve', getArrayCodec(curvePointCodec, { size: 11 })],
  ['borrowFactorPct', u64()],
  ['depositLimit', u64()],
  ['borrowLimit', u64()],
  ['tokenInfo', tokenInfoCodec],
  ['depositWithdrawalCap', withdrawalCapsCodec],
  ['debtWithdrawalCap', withdrawalCapsCodec],
  ['elevationGroups', bytes(20)],
  ['disableUsageAsCollOutsideEmode', u8()],
  ['utilizationLimitBlockBorrowingAbovePct', u8()],
  ['autodeleverageEnabled', u8()],
  ['proposerAuthorityLocked', u8()],
  ['borrowLimitOutsideElevationGroup', u64()],
  ['borrowLimitAgainstThisCollateralInElevationGroup', getArrayCodec(u64(), { size: 32 })],
  ['deleveragingBonusIncreaseBpsPerDay', u64()],
  ['debtMaturityTimestamp', u64()],
  ['debtTermSeconds', u64()],
]);

/** The whole Reserve: config_padding, the elevation-group trackers, the withdraw queue and padding kept as `rest`. */
export const reserveCodec = getStructCodec([
  ['discriminator', bytes(8)],
  ['version', u64()],
  ['lastUpdate', lastUpdateCodec],
  ['lendingMarket', key()],
  ['farmCollateral', key()],
  ['farmDebt', key()],
  ['liquidity', reserveLiquidityCodec],
  ['liquidityPadding', bytes(150 * 8)],
  ['collateral', reserveCollateralCodec],
  ['collateralPadding', bytes(150 * 8)],
  ['config', reserveConfigCodec],
  ['rest', bytes(114 * 8 + 8 + 32 * 8 + 3 * 8 + 204 * 8)],
]);

export const lendingMarketCodec = getStructCodec([
  ['discriminator', bytes(8)],
  ['version', u64()],
  ['bumpSeed', u64()],
  ['lendingMarketOwner', key()],
  ['lendingMarketOwnerCached', key()],
  ['quoteCurrency', bytes(32)],
  ['referralFeeBps', u16()],
  ['emergencyMode', u8()],
  ['autodeleverageEnabled', u8()],
  ['borrowDisabled', u8()],
  ['priceRefreshTriggerToMaxAgePct', u8()],
  ['liquidationMaxDebtCloseFactorPct', u8()],
  ['insolvencyRiskUnhealthyLtvPct', u8()],
  ['minFullLiquidationValueThreshold', u64()],
  ['maxLiquidatableDebtMarketValueAtOnce', u64()],
  ['reserved0', bytes(8)],
  ['globalAllowedBorrowValue', u64()],
  ['emergencyCouncil', key()],
  ['reserved1', bytes(8)],
  ['rest', bytes(4656 - 192)],
]);

const obligationCollateralCodec = getStructCodec([
  ['depositReserve', key()],
  ['depositedAmount', u64()],
  ['marketValueSf', u128()],
  ['borrowedAmountAgainstThisCollateralInElevationGroup', u64()],
  ['padding', bytes(9 * 8)],
]);

const obligationLiquidityCodec = getStructCodec([
  ['borrowReserve', key()],
  ['cumulativeBorrowRateBsf', bigFractionCodec],
  ['lastBorrowedAtTimestamp', u64()],
  ['borrowedAmountSf', u128()],
  ['marketValueSf', u128()],
  ['borrowFactorAdjustedMarketValueSf', u128()],
  ['borrowedAmountOutsideElevationGroups', u64()],
  ['fixedTermBorrowRolloverConfig', bytes(16)],
  ['borrowedAmountAtExpiration', u64()],
  ['padding2', bytes(4 * 8)],
]);

/** The whole Obligation: obligation orders, the borrow order and padding kept as `rest`. */
export const obligationCodec = getStructCodec([
  ['discriminator', bytes(8)],
  ['tag', u64()],
  ['lastUpdate', lastUpdateCodec],
  ['lendingMarket', key()],
  ['owner', key()],
  ['deposits', getArrayCodec(obligationCollateralCodec, { size: 8 })],
  ['lowestReserveDepositLiquidationLtv', u64()],
  ['depositedValueSf', u128()],
  ['borrows', getArrayCodec(obligationLiquidityCodec, { size: 5 })],
  ['borrowFactorAdjustedDebtValueSf', u128()],
  ['borrowedAssetsMarketValueSf', u128()],
  ['allowedBorrowValueSf', u128()],
  ['unhealthyBorrowValueSf', u128()],
  ['paddingDeprecatedAssetTiers', bytes(13)],
  ['elevationGroup', u8()],
  ['numOfObsoleteDepositReserves', u8()],
  ['hasDebt', u8()],
  ['referrer', key()],
  ['borrowingDisabled', u8()],
  ['autodeleverageTargetLtvPct', u8()],
  ['lowestReserveDepositMaxLtvPct', u8()],
  ['numOfObsoleteBorrowReserves', u8()],
  ['reserved', bytes(4)],
  ['highestBorrowFactorPct', u64()],
  ['autodeleverageMarginCallStartedTimestamp', u64()],
  ['rest', bytes(2 * 128 + 160 + 73 * 8)],
]);

/** `PriceUpdateV2` of pyth_solana_receiver_sdk (Borsh after the Anchor discriminator). */
export const priceUpdateV2Codec = getStructCodec([
  ['discriminator', bytes(8)],
  ['writeAuthority', key()],
  ['verificationLevel', getDiscriminatedUnionCodec([
    ['Partial', getStructCodec([['numSignatures', u8()]])],
    ['Full', getUnitCodec()],
  ])],
  ['priceMessage', getStructCodec([
    ['feedId', bytes(32)],
    ['price', getI64Codec()],
    ['conf', u64()],
    ['exponent', getI32Codec()],
    ['publishTime', getI64Codec()],
    ['prevPublishTime', getI64Codec()],
    ['emaPrice', getI64Codec()],
    ['emaConf', u64()],
  ])],
  ['postedSlot', u64()],
]);

export type ReserveLayout = ReturnType<typeof reserveCodec.decode>;
export type LendingMarketLayout = ReturnType<typeof lendingMarketCodec.decode>;
export type ObligationLayout = ReturnType<typeof obligationCodec.decode>;

// The hand-written layouts must be exactly klend's sizes (utils/consts.rs); fail at load, not on-chain.
for (const [name, codec, size] of [
  ['Reserve', reserveCodec, RESERVE_SIZE],
  ['ReserveConfig', reserveConfigCodec, 936],
  ['TokenInfo', tokenInfoCodec, 384],
  ['LendingMarket', lendingMarketCodec, LENDING_MARKET_ACCOUNT_SIZE],
  ['Obligation', obligationCodec, OBLIGATION_ACCOUNT_SIZE],
] as const) {
  if ((codec as { fixedSize: number }).fixedSize !== size) throw new Error(`klend ${name} codec is ${(codec as { fixedSize: number }).fixedSize} bytes, expected ${size}`);
}

/** Decodes `data` (at least the codec's size), applies `change`, and writes the result over a copy of `data`. */
export function patchAccount<T extends object>(codec: Codec<T>, data: Uint8Array, change: (value: T) => T): Uint8Array {
  const out = Uint8Array.from(data);
  codec.write(change(codec.decode(data)), out, 0);
  return out;
}

/** A fresh account of `codec`'s size: every field zero, then `change` applied. */
export function zeroAccount<T extends object>(codec: Codec<T> & { fixedSize: number }, discriminator: Uint8Array, change: (value: T) => T): Uint8Array {
  const zeros = new Uint8Array(codec.fixedSize);
  zeros.set(discriminator);
  return patchAccount(codec, zeros, change);
}

export { RESERVE_DISCRIMINATOR };
