import { describe, expect, it } from 'vitest';
import { getFarmStateEncoder, getUserStateEncoder } from '@kamino-finance/farms-sdk/dist/@codegen/farms/accounts/index.js';
import {
  FARMS_PROGRAM_ADDRESS,
  FARM_STATE_SIZE,
  USER_STATE_SIZE,
  decodeFarmState,
  decodeUserState,
} from '../../../src/chain/accounts/farms.ts';
import { KVAULT_PROGRAM_ADDRESS } from '../../../src/chain/accounts/kvault.ts';
import { MalformedAccount, WrongDiscriminator, WrongOwner } from '../../../src/chain/errors.ts';
import { farmAccount, farmStateFields, farmUserStateAccount } from '../../../src/sandbox/fixtures/farm.ts';
import { PROGRAMS, SANDBOX } from '../../../src/sandbox/seeds.ts';
import { addressAt, marker, u128At, u32At, u64At, u8At, withData, withOwner } from './bytes.ts';

const BIG = (1n << 100n) + 7n; // exercises the high half of u128 fields

describe('FarmState layout (docs/chain.md#farms-the-insurance-pool offsets, farms-sdk getFarmStateEncoder)', () => {
  const fields = farmStateFields({
    farmAdmin: marker(1),
    globalConfig: marker(2),
    token: { mint: marker(3), decimals: 9n, tokenProgram: marker(4) },
    totalStakedAmount: 1_111n,
    farmVault: marker(5),
    farmVaultsAuthority: marker(6),
    delegateAuthority: marker(7),
    timeUnit: 1,
    isFarmFrozen: 1,
    isFarmDelegated: 1,
    withdrawAuthority: marker(8),
    withdrawalCooldownPeriod: 2_592_000,
    totalActiveStakeScaled: BIG,
    totalPendingAmount: 2_222n,
    pendingFarmAdmin: marker(9),
    vaultId: marker(10),
  });
  const data = new Uint8Array(getFarmStateEncoder().encode(fields));
  const account = { address: SANDBOX.farm, owner: FARMS_PROGRAM_ADDRESS, lamports: 1n, data, executable: false };

  it('is 8336 bytes with discriminator c666d84a3f42a3be', () => {
    expect(data.length).toBe(8336);
    expect(FARM_STATE_SIZE).toBe(8336);
    expect(Buffer.from(data.subarray(0, 8)).toString('hex')).toBe('c666d84a3f42a3be');
  });

  it('puts every field the policy reads at its documented offset', () => {
    expect(addressAt(data, 8)).toBe(marker(1));
    expect(addressAt(data, 40)).toBe(marker(2));
    expect(addressAt(data, 72)).toBe(marker(3));
    expect(u64At(data, 104)).toBe(9n);
    expect(addressAt(data, 112)).toBe(marker(4));
    expect(u64At(data, 7248)).toBe(1_111n);
    expect(addressAt(data, 7256)).toBe(marker(5));
    expect(addressAt(data, 7288)).toBe(marker(6));
    expect(addressAt(data, 7328)).toBe(marker(7));
    expect(u8At(data, 7360)).toBe(1);
    expect(u8At(data, 7361)).toBe(1);
    expect(u8At(data, 7362)).toBe(1);
    expect(addressAt(data, 7368)).toBe(marker(8));
    expect(u32At(data, 7404)).toBe(2_592_000);
    expect(u128At(data, 7408)).toBe(BIG);
    expect(u64At(data, 7440)).toBe(2_222n);
    expect(addressAt(data, 7584)).toBe(marker(9));
    expect(addressAt(data, 7680)).toBe(marker(10));
  });

  it('decodes back to the same values, u64/u128 as bigint', () => {
    const farm = decodeFarmState(account);
    expect(farm.farmAdmin).toBe(marker(1));
    expect(farm.token.mint).toBe(marker(3));
    expect(farm.token.decimals).toBe(9n);
    expect(farm.withdrawAuthority).toBe(marker(8));
    expect(farm.delegateAuthority).toBe(marker(7));
    expect(farm.isFarmDelegated).toBe(1);
    expect(farm.totalStakedAmount).toBe(1_111n);
    expect(farm.totalPendingAmount).toBe(2_222n);
    expect(farm.totalActiveStakeScaled).toBe(BIG);
    expect(farm.pendingFarmAdmin).toBe(marker(9));
    expect(farm.vaultId).toBe(marker(10));
    expect(farm.withdrawalCooldownPeriod).toBe(2_592_000);
  });
});

describe('UserState layout (docs/chain.md#farms-the-insurance-pool offsets)', () => {
  const account = farmUserStateAccount({
    owner: marker(20),
    activeStakeScaled: BIG,
    pendingWithdrawalUnstakeScaled: 5n * 10n ** 18n,
    pendingWithdrawalUnstakeTs: 1_700_000_000n,
    delegatee: marker(21),
  });

  it('is 920 bytes with discriminator 48b155f94ca7ba7e and fields at their offsets', () => {
    const d = account.data;
    expect(d.length).toBe(920);
    expect(USER_STATE_SIZE).toBe(920);
    expect(Buffer.from(d.subarray(0, 8)).toString('hex')).toBe('48b155f94ca7ba7e');
    expect(addressAt(d, 16)).toBe(SANDBOX.farm);
    expect(addressAt(d, 48)).toBe(marker(20));
    expect(u128At(d, 408)).toBe(BIG);
    expect(u128At(d, 448)).toBe(5n * 10n ** 18n);
    expect(u64At(d, 464)).toBe(1_700_000_000n);
    expect(addressAt(d, 480)).toBe(marker(21));
  });

  it('decodes back to the same values', () => {
    const u = decodeUserState(account);
    expect(u.owner).toBe(marker(20));
    expect(u.farmState).toBe(SANDBOX.farm);
    expect(u.activeStakeScaled).toBe(BIG);
    expect(u.pendingWithdrawalUnstakeScaled).toBe(5n * 10n ** 18n);
    expect(u.pendingWithdrawalUnstakeTs).toBe(1_700_000_000n);
  });
});

describe('Farms decoders refuse what is not the account they decode', () => {
  const farm = farmAccount();

  it('uses the Farms program id of the sandbox world', () => {
    expect(FARMS_PROGRAM_ADDRESS).toBe(PROGRAMS.farms);
  });

  it('refuses a FarmState owned by another program (WrongOwner, naming the account)', () => {
    const act = () => decodeFarmState(withOwner(farm, KVAULT_PROGRAM_ADDRESS));
    expect(act).toThrow(WrongOwner);
    expect(act).toThrow(SANDBOX.farm);
  });

  it('refuses a UserState passed as a FarmState (WrongDiscriminator)', () => {
    const user = farmUserStateAccount();
    expect(() => decodeFarmState(user)).toThrow(WrongDiscriminator);
    expect(() => decodeUserState(farm)).toThrow(WrongDiscriminator);
  });

  it('refuses a flipped discriminator byte (WrongDiscriminator)', () => {
    const data = farm.data.slice();
    data[0] = data[0]! ^ 1;
    expect(() => decodeFarmState(withData(farm, data))).toThrow(WrongDiscriminator);
  });

  it('refuses truncated data (MalformedAccount) and reads extended data by its prefix', () => {
    expect(() => decodeFarmState(withData(farm, farm.data.slice(0, 8335)))).toThrow(MalformedAccount);
    expect(() => decodeFarmState(withData(farm, farm.data.slice(0, 4)))).toThrow(MalformedAccount);
    const longer = new Uint8Array(8344);
    longer.set(farm.data);
    expect(decodeFarmState(withData(farm, longer))).toEqual(decodeFarmState(farm));
    const user = farmUserStateAccount();
    expect(() => decodeUserState(withData(user, user.data.slice(0, 919)))).toThrow(MalformedAccount);
  });

  it('encodes UserState with farms-sdk getUserStateEncoder (same bytes as the fixture)', () => {
    const user = farmUserStateAccount();
    const decoded = decodeUserState(user);
    expect(new Uint8Array(getUserStateEncoder().encode(decoded))).toEqual(user.data);
  });
});

describe('the lean FarmState decoder agrees with farms-sdk', () => {
  it('decodes every field but the reward schedules exactly as getFarmStateDecoder does, on random bytes', async () => {
    const { getFarmStateDecoder } = await import('@kamino-finance/farms-sdk/dist/@codegen/farms/accounts/index.js');
    const { decodeFarmState: lean, FARM_STATE_SIZE, FARM_STATE_DISCRIMINATOR } = await import('../../../src/chain/accounts/farms.ts');
    const { randomBytes } = await import('node:crypto');
    for (let i = 0; i < 20; i++) {
      const data = new Uint8Array(randomBytes(FARM_STATE_SIZE));
      data.set(FARM_STATE_DISCRIMINATOR, 0);
      const { rewardInfos: _r, ...sdk } = getFarmStateDecoder().decode(data);
      expect(lean({ ...farmAccount(), data })).toEqual(sdk);
    }
  });
});
