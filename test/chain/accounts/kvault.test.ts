import { describe, expect, it } from 'vitest';
import { FARMS_PROGRAM_ADDRESS } from '../../../src/chain/accounts/farms.ts';
import {
  DEFAULT_ADDRESS,
  KVAULT_PROGRAM_ADDRESS,
  VAULT_STATE_SIZE,
  decodeVaultState,
  encodeVaultState,
} from '../../../src/chain/accounts/kvault.ts';
import { MalformedAccount, WrongDiscriminator, WrongOwner } from '../../../src/chain/errors.ts';
import { reserveAccount } from '../../../src/sandbox/fixtures/reserve.ts';
import { vaultAccount, vaultStateFields } from '../../../src/sandbox/fixtures/kvault.ts';
import { PROGRAMS, SANDBOX } from '../../../src/sandbox/seeds.ts';
import { addressAt, marker, u128At, u64At, u8At, withData, withOwner } from './bytes.ts';

const BIG = (1n << 100n) + 3n;
const ALLOC = 312;
const SLOT = 2160;

const allocation = (n: number) => ({
  reserve: marker(n),
  ctokenVault: marker(n + 1),
  targetAllocationWeight: 11n * BigInt(n),
  tokenAllocationCap: 22n * BigInt(n),
  ctokenVaultBump: 254n,
  ctokenAllocation: 33n * BigInt(n),
  lastInvestSlot: 44n * BigInt(n),
  tokenTargetAllocationSf: BIG + BigInt(n),
});

const fields = vaultStateFields({
  vaultAdminAuthority: marker(1),
  baseVaultAuthority: marker(2),
  tokenMint: marker(3),
  tokenMintDecimals: 6n,
  tokenVault: marker(4),
  tokenProgram: marker(5),
  sharesMint: marker(6),
  sharesMintDecimals: 6n,
  tokenAvailable: 1_001n,
  sharesIssued: 2_002n,
  lastFeeChargeTimestamp: 3_003n,
  prevAumSf: BIG,
  pendingFeesSf: BIG + 1n,
  // slots 0 and 3 used, 1, 2 and 4..24 empty: activeAllocations must skip the holes
  allocations: [allocation(100), {}, {}, allocation(200)],
  pendingAdmin: marker(7),
  vaultFarm: marker(8),
  allocationAdmin: marker(9),
  firstLossCapitalFarm: marker(10),
  allowAllocationsInWhitelistedReservesOnly: 1,
  allowInvestInWhitelistedReservesOnly: 1,
});
const data = encodeVaultState(fields);
const account = { address: SANDBOX.vault, owner: KVAULT_PROGRAM_ADDRESS, lamports: 1n, data, executable: false };

describe('VaultState layout (docs/chain.md#kvault offsets)', () => {
  it('is 62,552 bytes with discriminator e4c452a562d2eb98', () => {
    expect(data.length).toBe(62_552);
    expect(VAULT_STATE_SIZE).toBe(62_552);
    expect(Buffer.from(data.subarray(0, 8)).toString('hex')).toBe('e4c452a562d2eb98');
  });

  it('puts the header fields at their documented offsets', () => {
    expect(addressAt(data, 8)).toBe(marker(1));
    expect(addressAt(data, 40)).toBe(marker(2));
    expect(addressAt(data, 80)).toBe(marker(3));
    expect(u64At(data, 112)).toBe(6n);
    expect(addressAt(data, 120)).toBe(marker(4));
    expect(addressAt(data, 152)).toBe(marker(5));
    expect(addressAt(data, 184)).toBe(marker(6));
    expect(u64At(data, 216)).toBe(6n);
    expect(u64At(data, 224)).toBe(1_001n);
    expect(u64At(data, 232)).toBe(2_002n);
    expect(u64At(data, 272)).toBe(3_003n);
    expect(u128At(data, 280)).toBe(BIG);
    expect(u128At(data, 296)).toBe(BIG + 1n);
  });

  it('puts allocation fields at 312 + slot × 2160 + their offset', () => {
    for (const [slot, n] of [[0, 100], [3, 200]] as const) {
      const at = ALLOC + slot * SLOT;
      expect(addressAt(data, at)).toBe(marker(n));
      expect(addressAt(data, at + 32)).toBe(marker(n + 1));
      expect(u64At(data, at + 64)).toBe(11n * BigInt(n));
      expect(u64At(data, at + 72)).toBe(22n * BigInt(n));
      expect(u64At(data, at + 1104)).toBe(33n * BigInt(n));
      expect(u64At(data, at + 1112)).toBe(44n * BigInt(n));
      expect(u128At(data, at + 1120)).toBe(BIG + BigInt(n));
    }
    expect(addressAt(data, ALLOC + SLOT)).toBe(DEFAULT_ADDRESS);
  });

  it('puts the tail fields at their documented offsets', () => {
    expect(addressAt(data, 58448)).toBe(marker(7));
    expect(addressAt(data, 58600)).toBe(marker(8));
    expect(addressAt(data, 58648)).toBe(marker(9));
    expect(addressAt(data, 58696)).toBe(marker(10));
    expect(u8At(data, 58728)).toBe(1);
    expect(u8At(data, 58729)).toBe(1);
  });
});

describe('decodeVaultState', () => {
  it('decodes every named field back', () => {
    const v = decodeVaultState(account);
    expect(v.vaultAdminAuthority).toBe(marker(1));
    expect(v.baseVaultAuthority).toBe(marker(2));
    expect(v.tokenMint).toBe(marker(3));
    expect(v.tokenMintDecimals).toBe(6n);
    expect(v.tokenVault).toBe(marker(4));
    expect(v.tokenProgram).toBe(marker(5));
    expect(v.sharesMint).toBe(marker(6));
    expect(v.sharesMintDecimals).toBe(6n);
    expect(v.tokenAvailable).toBe(1_001n);
    expect(v.sharesIssued).toBe(2_002n);
    expect(v.pendingFeesSf).toBe(BIG + 1n);
    expect(v.vaultFarm).toBe(marker(8));
    expect(v.firstLossCapitalFarm).toBe(marker(10));
    expect(v.allocationAdmin).toBe(marker(9));
    expect(v.pendingAdmin).toBe(marker(7));
  });

  it('returns all 25 allocation slots and only the used ones as activeAllocations', () => {
    const v = decodeVaultState(account);
    expect(v.allocations).toHaveLength(25);
    expect(v.allocations[0]).toEqual(allocation(100));
    expect(v.allocations[3]).toEqual(allocation(200));
    expect(v.allocations[1]!.reserve).toBe(DEFAULT_ADDRESS);
    expect(v.activeAllocations).toEqual([allocation(100), allocation(200)]);
  });

  it('ignores padding, where newer kvault versions add fields', () => {
    const dirty = data.slice();
    dirty.fill(0xee, ALLOC + 104, ALLOC + 1104); // allocation 0 config_padding
    dirty.fill(0xee, 54312, 58408); // padding_1
    dirty.fill(0xee, 58730, 62552); // padding4 + padding3 (deposit_cap, reward_info in kvault > 2.1.1)
    const v = decodeVaultState(withData(account, dirty));
    expect(v.allocations[0]).toEqual(allocation(100));
    expect(v.firstLossCapitalFarm).toBe(marker(10));
    expect(v.allowInvestInWhitelistedReservesOnly).toBe(1);
  });

  it('round-trips through encodeVaultState byte for byte', () => {
    expect(encodeVaultState(decodeVaultState(account))).toEqual(data);
  });
});

describe('decodeVaultState refuses what is not a VaultState', () => {
  it('uses the kvault program id of the sandbox world', () => {
    expect(KVAULT_PROGRAM_ADDRESS).toBe(PROGRAMS.kvault);
  });

  it('refuses a vault owned by another program (WrongOwner)', () => {
    expect(() => decodeVaultState(withOwner(vaultAccount(), FARMS_PROGRAM_ADDRESS))).toThrow(WrongOwner);
  });

  it('refuses another account type (WrongDiscriminator)', () => {
    const reserveBytes = reserveAccount().data;
    expect(() => decodeVaultState(withData(vaultAccount(), reserveBytes))).toThrow(WrongDiscriminator);
  });

  it('refuses truncated data (MalformedAccount)', () => {
    const v = vaultAccount();
    expect(() => decodeVaultState(withData(v, v.data.slice(0, VAULT_STATE_SIZE - 1)))).toThrow(MalformedAccount);
    expect(() => decodeVaultState(withData(v, new Uint8Array(0)))).toThrow(MalformedAccount);
  });

  it('refuses to encode a vault without exactly 25 slots', () => {
    expect(() => encodeVaultState({ ...fields, allocations: fields.allocations.slice(0, 24) })).toThrow(/25/);
  });
});
