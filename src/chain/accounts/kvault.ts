/**
 * kvault `VaultState` codec (hand-written kit struct; the kvault IDL ships no kit codecs).
 * Layout: kvault `programs/kvault/src/state.rs` @ac367c3 (2.1.1) = klend-sdk 8.0.2
 * `src/@codegen/kvault/accounts/VaultState.ts` (+ `types/VaultAllocation.ts`); offsets in docs/chain.md#kvault.
 * Padding is skipped on decode and written as zeros on encode, so nothing below depends on it.
 */
import {
  address,
  fixCodecSize,
  getAddressCodec,
  getArrayCodec,
  getBytesCodec,
  getStructCodec,
  getU128Codec,
  getU64Codec,
  getU8Codec,
  padLeftCodec,
  padRightCodec,
  type Address,
  type FixedSizeCodec,
} from '@solana/kit';
import { errorText, MalformedAccount } from '../errors.ts';
import type { AccountData } from '../types.ts';
import { expectDiscriminator, expectMinLength, expectOwner } from './check.ts';
import { PROGRAMS } from '../programs.ts';

/** The kvault program (mainnet). */
export const KVAULT_PROGRAM_ADDRESS: Address = PROGRAMS.kvault;
/** sha256("account:VaultState")[0..8] = e4c452a562d2eb98. */
export const VAULT_STATE_DISCRIMINATOR: Uint8Array = new Uint8Array([228, 196, 82, 165, 98, 210, 235, 152]);
/** VaultState account size incl. discriminator (kvault `VAULT_STATE_SIZE` 62,544 + 8). */
export const VAULT_STATE_SIZE = 62_552;
/** `MAX_RESERVES`: the allocation array always has this many slots. */
export const VAULT_ALLOCATION_SLOTS = 25;
/** Size of one `VaultAllocation` (`VAULT_ALLOCATION_SIZE`). */
export const VAULT_ALLOCATION_SIZE = 2160;

/** Where `first_loss_capital_farm` (the Insurance Pool farm) starts; older kvault layouts end before it. */
export const FIRST_LOSS_CAPITAL_FARM_OFFSET = 58_696;

/** The all-zero key: an empty allocation slot has this reserve. */
export const DEFAULT_ADDRESS: Address = address('11111111111111111111111111111111');

/** One `vault_allocation_strategy` slot; empty when `reserve` is the default address. */
export interface VaultAllocation {
  readonly reserve: Address;
  /** PDA `["ctoken_vault", vault, reserve]`, holds the vault's cTokens of `reserve`. */
  readonly ctokenVault: Address;
  readonly targetAllocationWeight: bigint;
  readonly tokenAllocationCap: bigint;
  readonly ctokenVaultBump: bigint;
  /** cTokens of `reserve` held by the vault (should equal the ctoken_vault balance). */
  readonly ctokenAllocation: bigint;
  readonly lastInvestSlot: bigint;
  /** U68F60 fixed point (÷ 2^60). */
  readonly tokenTargetAllocationSf: bigint;
}

/** Every named field of kvault `VaultState` (padding omitted). u64/u128 are bigint; `*Sf` are U68F60. */
export interface VaultStateFields {
  readonly vaultAdminAuthority: Address;
  /** PDA `["authority", vault]`: owns token_vault, ctoken vaults, and is the shares mint authority. */
  readonly baseVaultAuthority: Address;
  readonly baseVaultAuthorityBump: bigint;
  readonly tokenMint: Address;
  readonly tokenMintDecimals: bigint;
  readonly tokenVault: Address;
  readonly tokenProgram: Address;
  readonly sharesMint: Address;
  readonly sharesMintDecimals: bigint;
  readonly tokenAvailable: bigint;
  readonly sharesIssued: bigint;
  readonly availableCrankFunds: bigint;
  readonly unallocatedWeight: bigint;
  readonly performanceFeeBps: bigint;
  readonly managementFeeBps: bigint;
  readonly lastFeeChargeTimestamp: bigint;
  readonly prevAumSf: bigint;
  readonly pendingFeesSf: bigint;
  /** All 25 slots, empty ones included, in on-chain order. */
  readonly allocations: readonly VaultAllocation[];
  readonly minDepositAmount: bigint;
  readonly minWithdrawAmount: bigint;
  readonly minInvestAmount: bigint;
  readonly minInvestDelaySlots: bigint;
  readonly crankFundFeePerReserve: bigint;
  readonly pendingAdmin: Address;
  readonly cumulativeEarnedInterestSf: bigint;
  readonly cumulativeMgmtFeesSf: bigint;
  readonly cumulativePerfFeesSf: bigint;
  /** 40 raw bytes (a NUL-padded name). */
  readonly name: Uint8Array;
  readonly vaultLookupTable: Address;
  readonly vaultFarm: Address;
  readonly creationTimestamp: bigint;
  readonly unallocatedTokensCap: bigint;
  readonly allocationAdmin: Address;
  readonly withdrawalPenaltyLamports: bigint;
  readonly withdrawalPenaltyBps: bigint;
  /** The Insurance Pool farm (`VaultConfigField` 16). */
  readonly firstLossCapitalFarm: Address;
  readonly allowAllocationsInWhitelistedReservesOnly: number;
  readonly allowInvestInWhitelistedReservesOnly: number;
}

/** A decoded VaultState: the fields plus `activeAllocations`, the slots whose reserve is not the default key. */
export interface VaultState extends VaultStateFields {
  readonly activeAllocations: readonly VaultAllocation[];
}

const u64 = getU64Codec;
const u128 = getU128Codec;
const key = getAddressCodec;

const allocationCodec: FixedSizeCodec<VaultAllocation, VaultAllocation> = getStructCodec([
  ['reserve', key()],
  ['ctokenVault', key()],
  ['targetAllocationWeight', u64()],
  ['tokenAllocationCap', u64()],
  ['ctokenVaultBump', u64()],
  ['ctokenAllocation', padLeftCodec(u64(), 127 * 8)], // after config_padding: [u64; 127]
  ['lastInvestSlot', u64()],
  ['tokenTargetAllocationSf', padRightCodec(u128(), 128 * 8)], // then state_padding: [u64; 128]
]) as FixedSizeCodec<VaultAllocation, VaultAllocation>;

const nameCodec = fixCodecSize(getBytesCodec(), 40);

// The body after the discriminator. Field order is the on-chain order.
const bodyCodec = getStructCodec([
  ['vaultAdminAuthority', key()],
  ['baseVaultAuthority', key()],
  ['baseVaultAuthorityBump', u64()],
  ['tokenMint', key()],
  ['tokenMintDecimals', u64()],
  ['tokenVault', key()],
  ['tokenProgram', key()],
  ['sharesMint', key()],
  ['sharesMintDecimals', u64()],
  ['tokenAvailable', u64()],
  ['sharesIssued', u64()],
  ['availableCrankFunds', u64()],
  ['unallocatedWeight', u64()],
  ['performanceFeeBps', u64()],
  ['managementFeeBps', u64()],
  ['lastFeeChargeTimestamp', u64()],
  ['prevAumSf', u128()],
  ['pendingFeesSf', u128()],
  ['allocations', getArrayCodec(allocationCodec, { size: VAULT_ALLOCATION_SLOTS })],
  ['minDepositAmount', padLeftCodec(u64(), 256 * 16)], // after padding_1: [u128; 256]
  ['minWithdrawAmount', u64()],
  ['minInvestAmount', u64()],
  ['minInvestDelaySlots', u64()],
  ['crankFundFeePerReserve', u64()],
  ['pendingAdmin', key()],
  ['cumulativeEarnedInterestSf', u128()],
  ['cumulativeMgmtFeesSf', u128()],
  ['cumulativePerfFeesSf', u128()],
  ['name', nameCodec],
  ['vaultLookupTable', key()],
  ['vaultFarm', key()],
  ['creationTimestamp', u64()],
  ['unallocatedTokensCap', u64()],
  ['allocationAdmin', key()],
  ['withdrawalPenaltyLamports', u64()],
  ['withdrawalPenaltyBps', u64()],
  ['firstLossCapitalFarm', key()],
  ['allowAllocationsInWhitelistedReservesOnly', getU8Codec()],
  // then padding4: [u8; 14] + padding3: [u128; 238] (newer kvault puts deposit_cap / reward_info here)
  ['allowInvestInWhitelistedReservesOnly', padRightCodec(getU8Codec(), 14 + 238 * 16)],
]);

if (bodyCodec.fixedSize + 8 !== VAULT_STATE_SIZE) {
  throw new Error(`kvault VaultState codec is ${bodyCodec.fixedSize + 8} bytes, expected ${VAULT_STATE_SIZE}`);
}

const isActive = (a: VaultAllocation): boolean => a.reserve !== DEFAULT_ADDRESS;

// Older kvault layouts (25,464 and 26,056 bytes) stop before the Insurance Pool field: say so, not just "too short".
const olderLayout = (length: number): string | null =>
  length < FIRST_LOSS_CAPITAL_FARM_OFFSET + 32
    ? `an older kvault layout that ends before first_loss_capital_farm (offset ${FIRST_LOSS_CAPITAL_FARM_OFFSET}), so this vault cannot have an Insurance Pool; check the vault address in the policy`
    : null;

/**
 * Decodes a kvault `VaultState` of at least 62,552 bytes (a grown one reads the same); throws WrongOwner /
 * WrongDiscriminator / MalformedAccount (a shorter, older layout is named as such).
 */
export function decodeVaultState(account: AccountData): VaultState {
  const what = 'kvault VaultState';
  expectOwner(account, [KVAULT_PROGRAM_ADDRESS], what);
  expectDiscriminator(account, VAULT_STATE_DISCRIMINATOR, what);
  expectMinLength(account, VAULT_STATE_SIZE, what, olderLayout);
  let body;
  try {
    body = bodyCodec.decode(account.data, 8);
  } catch (e) {
    throw new MalformedAccount(account.address, what, errorText(e));
  }
  const fields: VaultStateFields = { ...body, name: Uint8Array.from(body.name) };
  return { ...fields, activeAllocations: fields.allocations.filter(isActive) };
}

/**
 * Encodes a full VaultState account (discriminator + body, 62,552 bytes) for fixtures.
 * `allocations` must have exactly 25 entries; `activeAllocations`, if present, is ignored.
 */
export function encodeVaultState(value: VaultStateFields): Uint8Array {
  if (value.allocations.length !== VAULT_ALLOCATION_SLOTS) {
    throw new Error(`encodeVaultState: ${value.allocations.length} allocations, need exactly ${VAULT_ALLOCATION_SLOTS}`);
  }
  const out = new Uint8Array(VAULT_STATE_SIZE);
  out.set(VAULT_STATE_DISCRIMINATOR, 0);
  bodyCodec.write({ ...value, allocations: [...value.allocations] }, out, 8);
  return out;
}
