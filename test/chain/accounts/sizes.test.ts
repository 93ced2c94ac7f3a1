/**
 * Zero-copy accounts that grow are still read (Anchor's loader reads the layout's prefix of a longer
 * account); shorter ones are refused with their size and the size expected. Real mainnet bytes where
 * the set has them (Reserve, FarmState, UserState); VaultState from its encoder (no real one in the set).
 */
import { describe, expect, it } from 'vitest';
import { FARMS_PROGRAM_ADDRESS, FARM_STATE_SIZE, USER_STATE_SIZE, decodeFarmState, decodeUserState } from '../../../src/chain/accounts/farms.ts';
import { KLEND_PROGRAM_ADDRESS, RESERVE_SIZE, decodeReserve } from '../../../src/chain/accounts/klend.ts';
import { VAULT_STATE_SIZE, decodeVaultState } from '../../../src/chain/accounts/kvault.ts';
import { MalformedAccount } from '../../../src/chain/errors.ts';
import { vaultAccount } from '../../../src/sandbox/fixtures/kvault.ts';
import { SANDBOX } from '../../../src/sandbox/seeds.ts';
import { withData } from './bytes.ts';
import { mainnetAccount, resized } from './mainnet.ts';

/** Asserts `decode` refuses `account` with a MalformedAccount naming both sizes (and `also`, if given). */
function expectRefused(decode: () => unknown, size: number, expected: number, also?: RegExp): void {
  let error: unknown;
  try {
    decode();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MalformedAccount);
  const message = (error as Error).message;
  expect(message).toContain(`${size} bytes`);
  expect(message).toContain(`at least ${expected}`);
  if (also) expect(message).toMatch(also);
}

describe('klend Reserve (mainnet SOL reserve)', () => {
  const reserve = mainnetAccount('klend Reserve (SOL, main market)', 'keel-fi/');

  it('is the 8,624-byte layout and decodes', () => {
    expect(reserve.owner).toBe(KLEND_PROGRAM_ADDRESS);
    expect(reserve.data.length).toBe(RESERVE_SIZE);
    const r = decodeReserve(reserve);
    expect(r.liquidity.mintPubkey).toBe('So11111111111111111111111111111111111111112');
    expect(r.lendingMarket).toBe('7u3HeHxYDLhnCoErrtycNokbQYbWGzLs6JSDqGAv5PfF');
  });

  it('reads a grown reserve exactly as the original', () => {
    for (const extra of [1, 8, 1024]) expect(decodeReserve(resized(reserve, extra))).toEqual(decodeReserve(reserve));
  });

  it('refuses a shorter reserve, naming its size and the size expected', () => {
    expectRefused(() => decodeReserve(resized(reserve, -1)), RESERVE_SIZE - 1, RESERVE_SIZE);
    expectRefused(() => decodeReserve(withData(reserve, reserve.data.slice(0, 2632))), 2632, RESERVE_SIZE);
  });
});

describe('Farms FarmState (mainnet reserve collateral farm)', () => {
  const farm = mainnetAccount('Farms FarmState', 'keel-fi/');

  it('is the 8,336-byte layout and decodes', () => {
    expect(farm.owner).toBe(FARMS_PROGRAM_ADDRESS);
    expect(farm.data.length).toBe(FARM_STATE_SIZE);
    const f = decodeFarmState(farm);
    expect([f.numUsers, f.totalStakedAmount, f.delegateAuthority]).toEqual([138_676n, 294_224_281_944_720n, '9DrvZvyWh1HuAoZxvYWMvkf2XCzryCpGgHqrMjyDWpmo']);
  });

  it('reads a grown FarmState exactly as the original', () => {
    for (const extra of [1, 8, 4096]) expect(decodeFarmState(resized(farm, extra))).toEqual(decodeFarmState(farm));
  });

  it('refuses a shorter FarmState, naming its size and the size expected', () => {
    expectRefused(() => decodeFarmState(resized(farm, -1)), FARM_STATE_SIZE - 1, FARM_STATE_SIZE);
    expectRefused(() => decodeFarmState(resized(farm, -8000)), FARM_STATE_SIZE - 8000, FARM_STATE_SIZE);
  });
});

describe('Farms UserState (mainnet)', () => {
  const user = mainnetAccount('Farms UserState', 'keel-fi/');

  it('is the 920-byte layout and decodes', () => {
    expect(user.owner).toBe(FARMS_PROGRAM_ADDRESS);
    expect(user.data.length).toBe(USER_STATE_SIZE);
    const u = decodeUserState(user);
    expect([u.farmState, u.owner]).toEqual(['9C3ZmYzfkYLfUDyCoRR4sxYYUNSQJFEXK8FtJuomnQk9', 'BWLv7Z8VGoLNBNKhLqDdNfYbty6TWZCVo6t5WSMSr8pv']);
  });

  it('reads a grown UserState exactly as the original', () => {
    for (const extra of [1, 8, 512]) expect(decodeUserState(resized(user, extra))).toEqual(decodeUserState(user));
  });

  it('refuses a shorter UserState, naming its size and the size expected', () => {
    expectRefused(() => decodeUserState(resized(user, -1)), USER_STATE_SIZE - 1, USER_STATE_SIZE);
  });
});

describe('kvault VaultState', () => {
  const vault = vaultAccount();

  it('reads a grown VaultState exactly as the original', () => {
    expect(vault.data.length).toBe(VAULT_STATE_SIZE);
    for (const extra of [1, 16, 10_240]) expect(decodeVaultState(resized(vault, extra))).toEqual(decodeVaultState(vault));
    expect(decodeVaultState(resized(vault, 16)).firstLossCapitalFarm).toBe(SANDBOX.farm);
  });

  it('refuses each older kvault layout: it ends before first_loss_capital_farm, so it cannot have an Insurance Pool', () => {
    for (const size of [25_464, 26_056]) {
      expectRefused(() => decodeVaultState(withData(vault, vault.data.slice(0, size))), size, VAULT_STATE_SIZE, /first_loss_capital_farm.*58696.*cannot have an Insurance Pool/);
    }
  });

  it('refuses a VaultState that holds first_loss_capital_farm but not the whole layout, without the Insurance Pool claim', () => {
    const size = VAULT_STATE_SIZE - 1;
    expectRefused(() => decodeVaultState(withData(vault, vault.data.slice(0, size))), size, VAULT_STATE_SIZE);
    expect(() => decodeVaultState(withData(vault, vault.data.slice(0, size)))).not.toThrow(/Insurance Pool/);
  });
});
