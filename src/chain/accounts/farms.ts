/**
 * Farms (kfarms) account decoders: FarmState and UserState, via farms-sdk's codama decoders.
 * Those decoders check neither owner nor discriminator (KAMINO.md §11), so we do it first.
 */
import { address, type Address } from '@solana/kit';
// Deep import: the package root loads kliquidity/orca/raydium (~0.8 s); this path loads only the codecs.
import {
  FARM_STATE_DISCRIMINATOR,
  USER_STATE_DISCRIMINATOR,
  getFarmStateDecoder,
  getFarmStateSize,
  getUserStateDecoder,
  getUserStateSize,
  type FarmState,
  type UserState,
} from '@kamino-finance/farms-sdk/dist/@codegen/farms/accounts/index.js';
import { MalformedAccount } from '../errors.ts';
import type { AccountData } from '../types.ts';
import { expectDiscriminator, expectLength, expectOwner } from './check.ts';

export type { FarmState, UserState };
export type { TokenInfo } from '@kamino-finance/farms-sdk/dist/@codegen/farms/types/index.js';

/** The Farms program (kfarms `lib.rs`). */
export const FARMS_PROGRAM_ADDRESS: Address = address('FarmsPZpWu9i7Kky8tPN37rs2TpmMrAZrC7S7vJa91Hr');
/** FarmState account size incl. discriminator (kfarms `SIZE_FARM_STATE` + 8): 8336. */
export const FARM_STATE_SIZE: number = getFarmStateSize();
/** UserState account size incl. discriminator: 920. */
export const USER_STATE_SIZE: number = getUserStateSize();
export { FARM_STATE_DISCRIMINATOR, USER_STATE_DISCRIMINATOR };

/** Decodes a Farms `FarmState`; throws WrongOwner / WrongDiscriminator / MalformedAccount. u64/u128 are bigint. */
export function decodeFarmState(account: AccountData): FarmState {
  const what = 'Farms FarmState';
  expectOwner(account, [FARMS_PROGRAM_ADDRESS], what);
  expectDiscriminator(account, FARM_STATE_DISCRIMINATOR, what);
  expectLength(account, FARM_STATE_SIZE, what);
  try {
    return getFarmStateDecoder().decode(account.data);
  } catch (e) {
    throw new MalformedAccount(account.address, what, (e as Error).message);
  }
}

/** Decodes a Farms `UserState` (a staker's position); throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeUserState(account: AccountData): UserState {
  const what = 'Farms UserState';
  expectOwner(account, [FARMS_PROGRAM_ADDRESS], what);
  expectDiscriminator(account, USER_STATE_DISCRIMINATOR, what);
  expectLength(account, USER_STATE_SIZE, what);
  try {
    return getUserStateDecoder().decode(account.data);
  } catch (e) {
    throw new MalformedAccount(account.address, what, (e as Error).message);
  }
}
