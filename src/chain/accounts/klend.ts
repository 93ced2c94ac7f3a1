/**
 * klend `Reserve` codec (hand-written kit struct). Layout: klend `programs/klend/src/state/reserve.rs`
 * @edd5ff5 (1.16.0) = klend-sdk 8.0.2 `src/@codegen/klend/accounts/Reserve.ts` (+ `types/{LastUpdate,
 * ReserveLiquidity,ReserveCollateral}.ts`); `RESERVE_SIZE` 8616 in `utils/consts.rs`; offsets in docs/chain.md#klend.
 * Only the prefix up to `collateral.supply_vault` is decoded (the config and the rest are not needed to value
 * cTokens); the account must hold at least the whole 8,624-byte layout (a grown one is read the same), and the
 * encoder writes zeros past the prefix.
 */
import {
  getAddressCodec,
  getStructCodec,
  getU128Codec,
  getU64Codec,
  getU8Codec,
  padLeftCodec,
  padRightCodec,
  transformCodec,
  type Address,
} from '@solana/kit';
import { errorText, MalformedAccount } from '../errors.ts';
import type { AccountData } from '../types.ts';
import { expectDiscriminator, expectMinLength, expectOwner } from './check.ts';
import { PROGRAMS } from '../programs.ts';

/** The klend program (mainnet). */
export const KLEND_PROGRAM_ADDRESS: Address = PROGRAMS.klend;
/** sha256("account:Reserve")[0..8] = 2bf2ccca1af73b7f. */
export const RESERVE_DISCRIMINATOR: Uint8Array = new Uint8Array([43, 242, 204, 202, 26, 247, 59, 127]);
/** Reserve account size incl. discriminator (klend `RESERVE_SIZE` 8616 + 8). */
export const RESERVE_SIZE = 8624;

/** `LastUpdate`: when the reserve was last refreshed (slot u64, stale u8, price_status u8, placeholder [u8; 6]). */
export interface LastUpdate {
  readonly slot: bigint;
  /** Any non-zero byte reads as stale (socialize_loss sets it). */
  readonly stale: boolean;
  /** `PriceStatusFlags` bits (63 = every price check done). */
  readonly priceStatus: number;
}

/** `ReserveLiquidity` minus padding. `*Sf` are U68F60 (÷ 2^60); `cumulative_borrow_rate_bsf` is skipped. */
export interface ReserveLiquidity {
  readonly mintPubkey: Address;
  readonly supplyVault: Address;
  readonly feeVault: Address;
  readonly totalAvailableAmount: bigint;
  readonly borrowedAmountSf: bigint;
  readonly marketPriceSf: bigint;
  readonly marketPriceLastUpdatedTs: bigint;
  readonly mintDecimals: bigint;
  readonly depositLimitCrossedTimestamp: bigint;
  readonly borrowLimitCrossedTimestamp: bigint;
  readonly accumulatedProtocolFeesSf: bigint;
  readonly accumulatedReferrerFeesSf: bigint;
  readonly pendingReferrerFeesSf: bigint;
  readonly absoluteReferralRateSf: bigint;
  readonly tokenProgram: Address;
}

/** `ReserveCollateral` minus padding: the cToken mint and its supply. */
export interface ReserveCollateral {
  readonly mintPubkey: Address;
  readonly mintTotalSupply: bigint;
  readonly supplyVault: Address;
}

/** The decoded prefix of a klend Reserve. `version == u64::MAX` means deprecated (fully socialized). */
export interface Reserve {
  readonly version: bigint;
  readonly lastUpdate: LastUpdate;
  readonly lendingMarket: Address;
  readonly farmCollateral: Address;
  readonly farmDebt: Address;
  readonly liquidity: ReserveLiquidity;
  readonly collateral: ReserveCollateral;
}

const u64 = getU64Codec;
const u128 = getU128Codec;
const key = getAddressCodec;

const staleCodec = transformCodec(
  getU8Codec(),
  (stale: boolean) => (stale ? 1 : 0),
  (byte: number) => byte !== 0,
);

const lastUpdateCodec = getStructCodec([
  ['slot', u64()],
  ['stale', staleCodec],
  ['priceStatus', padRightCodec(getU8Codec(), 6)], // then placeholder: [u8; 6]
]);

const liquidityCodec = getStructCodec([
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
  ['accumulatedProtocolFeesSf', padLeftCodec(u128(), 48)], // after cumulative_borrow_rate_bsf (BigFractionBytes, 48 B)
  ['accumulatedReferrerFeesSf', u128()],
  ['pendingReferrerFeesSf', u128()],
  ['absoluteReferralRateSf', u128()],
  // then rewards_amount_available u64, padding2 [u64; 50], padding3 [u128; 32]
  ['tokenProgram', padRightCodec(key(), 8 + 50 * 8 + 32 * 16)],
]);

const collateralCodec = getStructCodec([
  ['mintPubkey', key()],
  ['mintTotalSupply', u64()],
  ['supplyVault', key()],
]);

const prefixCodec = getStructCodec([
  ['version', u64()],
  ['lastUpdate', lastUpdateCodec],
  ['lendingMarket', key()],
  ['farmCollateral', key()],
  ['farmDebt', key()],
  ['liquidity', liquidityCodec],
  ['collateral', padLeftCodec(collateralCodec, 150 * 8)], // after reserve_liquidity_padding: [u64; 150]
]);

// Guard the hand-written offsets at load time: collateral.supply_vault ends at 2632 (docs/chain.md#klend).
if (prefixCodec.fixedSize + 8 !== 2632) {
  throw new Error(`klend Reserve prefix codec is ${prefixCodec.fixedSize + 8} bytes, expected 2632`);
}

/**
 * Decodes a klend `Reserve` (prefix through collateral) of at least 8,624 bytes; throws WrongOwner /
 * WrongDiscriminator / MalformedAccount.
 */
export function decodeReserve(account: AccountData): Reserve {
  const what = 'klend Reserve';
  expectOwner(account, [KLEND_PROGRAM_ADDRESS], what);
  expectDiscriminator(account, RESERVE_DISCRIMINATOR, what);
  expectMinLength(account, RESERVE_SIZE, what);
  try {
    return prefixCodec.decode(account.data, 8);
  } catch (e) {
    throw new MalformedAccount(account.address, what, errorText(e));
  }
}

/** Encodes a full-size (8,624-byte) Reserve account for fixtures: the decoded prefix, zeros elsewhere. */
export function encodeReserve(value: Reserve): Uint8Array {
  const out = new Uint8Array(RESERVE_SIZE);
  out.set(RESERVE_DISCRIMINATOR, 0);
  prefixCodec.write(value, out, 8);
  return out;
}
