/**
 * Farms (kfarms) account decoders: FarmState and UserState, via farms-sdk's codama decoders.
 * Those decoders check neither owner nor discriminator (docs/chain.md#decoding), so we do it first; an account
 * longer than the layout (a newer program version) is read by its prefix, a shorter one is refused.
 */
import { type Address } from '@solana/kit';
// Deep import: the package root loads kliquidity/orca/raydium (~0.8 s); this path loads only the codecs.
import {
  FARM_STATE_DISCRIMINATOR,
  USER_STATE_DISCRIMINATOR,
  getFarmStateSize,
  getUserStateDecoder,
  getUserStateSize,
  type FarmState as SdkFarmState,
  type UserState,
} from '@kamino-finance/farms-sdk/dist/@codegen/farms/accounts/index.js';
import { getRewardInfoDecoder, getTokenInfoDecoder } from '@kamino-finance/farms-sdk/dist/@codegen/farms/types/index.js';
import {
  fixDecoderSize,
  getAddressDecoder,
  getArrayDecoder,
  getBytesDecoder,
  getStructDecoder,
  getU128Decoder,
  getU32Decoder,
  getU64Decoder,
  getU8Decoder,
  type FixedSizeDecoder,
} from '@solana/kit';
import { errorText, MalformedAccount } from '../errors.ts';
import type { AccountData } from '../types.ts';
import { expectDiscriminator, expectMinLength, expectOwner } from './check.ts';
import { PROGRAMS } from '../programs.ts';

/** A decoded FarmState: every field of farms-sdk's type except the reward schedules, which backstop never reads. */
export type FarmState = Omit<SdkFarmState, 'rewardInfos'>;
export type { UserState };
export type { TokenInfo } from '@kamino-finance/farms-sdk/dist/@codegen/farms/types/index.js';

/** The Farms program (kfarms `lib.rs`). */
export const FARMS_PROGRAM_ADDRESS: Address = PROGRAMS.farms;
/** FarmState account size incl. discriminator (kfarms `SIZE_FARM_STATE` + 8): 8336. */
export const FARM_STATE_SIZE: number = getFarmStateSize();
/** UserState account size incl. discriminator: 920. */
export const USER_STATE_SIZE: number = getUserStateSize();
export { FARM_STATE_DISCRIMINATOR, USER_STATE_DISCRIMINATOR };

const REWARD_INFOS_SIZE = 10 * (getRewardInfoDecoder() as FixedSizeDecoder<unknown>).fixedSize;

/**
 * farms-sdk's FarmState field list (dist/@codegen/farms/accounts/farmState.js) with the ten reward
 * infos skipped as bytes: decoding their schedules was most of a decision's time. A golden test
 * checks every other field against the SDK's own decoder.
 */
const farmStateDecoder = getStructDecoder([
  ['discriminator', fixDecoderSize(getBytesDecoder(), 8)],
  ['farmAdmin', getAddressDecoder()],
  ['globalConfig', getAddressDecoder()],
  ['token', getTokenInfoDecoder()],
  ['rewardInfosBytes', fixDecoderSize(getBytesDecoder(), REWARD_INFOS_SIZE)],
  ['numRewardTokens', getU64Decoder()],
  ['numUsers', getU64Decoder()],
  ['totalStakedAmount', getU64Decoder()],
  ['farmVault', getAddressDecoder()],
  ['farmVaultsAuthority', getAddressDecoder()],
  ['farmVaultsAuthorityBump', getU64Decoder()],
  ['delegateAuthority', getAddressDecoder()],
  ['timeUnit', getU8Decoder()],
  ['isFarmFrozen', getU8Decoder()],
  ['isFarmDelegated', getU8Decoder()],
  ['isRewardUserOnceEnabled', getU8Decoder()],
  ['isHarvestingPermissionless', getU8Decoder()],
  ['padding0', fixDecoderSize(getBytesDecoder(), 3)],
  ['withdrawAuthority', getAddressDecoder()],
  ['depositWarmupPeriod', getU32Decoder()],
  ['withdrawalCooldownPeriod', getU32Decoder()],
  ['totalActiveStakeScaled', getU128Decoder()],
  ['totalPendingStakeScaled', getU128Decoder()],
  ['totalPendingAmount', getU64Decoder()],
  ['slashedAmountCurrent', getU64Decoder()],
  ['slashedAmountCumulative', getU64Decoder()],
  ['slashedAmountSpillAddress', getAddressDecoder()],
  ['lockingMode', getU64Decoder()],
  ['lockingStartTimestamp', getU64Decoder()],
  ['lockingDuration', getU64Decoder()],
  ['lockingEarlyWithdrawalPenaltyBps', getU64Decoder()],
  ['depositCapAmount', getU64Decoder()],
  ['scopePrices', getAddressDecoder()],
  ['scopeOraclePriceId', getU64Decoder()],
  ['scopeOracleMaxAge', getU64Decoder()],
  ['pendingFarmAdmin', getAddressDecoder()],
  ['strategyId', getAddressDecoder()],
  ['delegatedRpsAdmin', getAddressDecoder()],
  ['vaultId', getAddressDecoder()],
  ['secondDelegatedAuthority', getAddressDecoder()],
  ['padding', getArrayDecoder(getU64Decoder(), { size: 74 })],
]);
// Built once: codama builds the whole codec tree on every get*Decoder() call.
const userStateDecoder = getUserStateDecoder();

/** Decodes a Farms `FarmState`; throws WrongOwner / WrongDiscriminator / MalformedAccount. u64/u128 are bigint. */
export function decodeFarmState(account: AccountData): FarmState {
  const what = 'Farms FarmState';
  expectOwner(account, [FARMS_PROGRAM_ADDRESS], what);
  expectDiscriminator(account, FARM_STATE_DISCRIMINATOR, what);
  expectMinLength(account, FARM_STATE_SIZE, what);
  try {
    const { rewardInfosBytes: _skipped, ...farm } = farmStateDecoder.decode(account.data);
    return farm;
  } catch (e) {
    throw new MalformedAccount(account.address, what, errorText(e));
  }
}

/** Decodes a Farms `UserState` (a staker's position); throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeUserState(account: AccountData): UserState {
  const what = 'Farms UserState';
  expectOwner(account, [FARMS_PROGRAM_ADDRESS], what);
  expectDiscriminator(account, USER_STATE_DISCRIMINATOR, what);
  expectMinLength(account, USER_STATE_SIZE, what);
  try {
    return userStateDecoder.decode(account.data);
  } catch (e) {
    throw new MalformedAccount(account.address, what, errorText(e));
  }
}
