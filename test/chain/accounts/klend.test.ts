import { describe, expect, it } from 'vitest';
import { KLEND_PROGRAM_ADDRESS, RESERVE_SIZE, decodeReserve, encodeReserve } from '../../../src/chain/accounts/klend.ts';
import { KVAULT_PROGRAM_ADDRESS } from '../../../src/chain/accounts/kvault.ts';
import { MalformedAccount, WrongDiscriminator, WrongOwner } from '../../../src/chain/errors.ts';
import { vaultAccount } from '../../../src/sandbox/fixtures/kvault.ts';
import { reserveAccount, reserveFields } from '../../../src/sandbox/fixtures/reserve.ts';
import { PROGRAMS, SANDBOX } from '../../../src/sandbox/seeds.ts';
import { addressAt, marker, u128At, u64At, u8At, withData, withOwner } from './bytes.ts';

const BIG = (1n << 100n) + 9n;

const fields = reserveFields({
  version: 7n,
  lastUpdate: { slot: 123_456n, stale: true },
  lendingMarket: marker(1),
  liquidity: {
    mintPubkey: marker(2),
    supplyVault: marker(3),
    totalAvailableAmount: 4_004n,
    borrowedAmountSf: BIG,
    mintDecimals: 9n,
    accumulatedProtocolFeesSf: BIG + 1n,
    accumulatedReferrerFeesSf: BIG + 2n,
    pendingReferrerFeesSf: BIG + 3n,
  },
  collateral: { mintPubkey: marker(4), mintTotalSupply: 5_005n, supplyVault: marker(5) },
});
const data = encodeReserve(fields);
const account = { address: SANDBOX.reserve, owner: KLEND_PROGRAM_ADDRESS, lamports: 1n, data, executable: false };

describe('Reserve layout (docs/chain.md#klend offsets)', () => {
  it('is a full 8,624-byte account with discriminator 2bf2ccca1af73b7f', () => {
    expect(data.length).toBe(8624);
    expect(RESERVE_SIZE).toBe(8624);
    expect(Buffer.from(data.subarray(0, 8)).toString('hex')).toBe('2bf2ccca1af73b7f');
  });

  it('puts the fields used for the exchange rate at their documented offsets', () => {
    expect(u64At(data, 8)).toBe(7n);
    expect(u64At(data, 16)).toBe(123_456n);
    expect(u8At(data, 24)).toBe(1);
    expect(addressAt(data, 32)).toBe(marker(1));
    expect(addressAt(data, 128)).toBe(marker(2));
    expect(addressAt(data, 160)).toBe(marker(3));
    expect(u64At(data, 224)).toBe(4_004n);
    expect(u128At(data, 232)).toBe(BIG);
    expect(u64At(data, 272)).toBe(9n);
    expect(u128At(data, 344)).toBe(BIG + 1n);
    expect(u128At(data, 360)).toBe(BIG + 2n);
    expect(u128At(data, 376)).toBe(BIG + 3n);
    expect(addressAt(data, 2560)).toBe(marker(4));
    expect(u64At(data, 2592)).toBe(5_005n);
    expect(addressAt(data, 2600)).toBe(marker(5));
  });

  it('writes zeros past collateral.supply_vault', () => {
    expect(data.subarray(2632).every((b) => b === 0)).toBe(true);
  });
});

describe('decodeReserve', () => {
  it('decodes every exposed field back', () => {
    const r = decodeReserve(account);
    expect(r.version).toBe(7n);
    expect(r.lastUpdate).toEqual({ slot: 123_456n, stale: true, priceStatus: 0 });
    expect(r.lendingMarket).toBe(marker(1));
    expect(r.liquidity.mintPubkey).toBe(marker(2));
    expect(r.liquidity.supplyVault).toBe(marker(3));
    expect(r.liquidity.mintDecimals).toBe(9n);
    expect(r.liquidity.totalAvailableAmount).toBe(4_004n);
    expect(r.liquidity.borrowedAmountSf).toBe(BIG);
    expect(r.liquidity.accumulatedProtocolFeesSf).toBe(BIG + 1n);
    expect(r.liquidity.accumulatedReferrerFeesSf).toBe(BIG + 2n);
    expect(r.liquidity.pendingReferrerFeesSf).toBe(BIG + 3n);
    expect(r.collateral).toEqual({ mintPubkey: marker(4), mintTotalSupply: 5_005n, supplyVault: marker(5) });
  });

  it('reads price_status at 25 and nothing from the placeholder bytes after it (26..32)', () => {
    const d = data.slice();
    d[25] = 63;
    d.fill(0xee, 26, 32);
    expect(decodeReserve(withData(account, d)).lastUpdate).toEqual({ slot: 123_456n, stale: true, priceStatus: 63 });
    expect(decodeReserve(withData(account, d)).lendingMarket).toBe(marker(1));
  });

  it('reads any non-zero stale byte as stale', () => {
    const d = data.slice();
    d[24] = 2;
    expect(decodeReserve(withData(account, d)).lastUpdate.stale).toBe(true);
    d[24] = 0;
    expect(decodeReserve(withData(account, d)).lastUpdate.stale).toBe(false);
  });

  it('ignores the config and padding past the prefix', () => {
    const d = data.slice();
    d.fill(0xee, 2632);
    d.fill(0xee, 296, 344); // cumulative_borrow_rate_bsf
    expect(decodeReserve(withData(account, d))).toEqual(decodeReserve(account));
  });

  it('reads a deprecated reserve (version u64::MAX)', () => {
    const r = decodeReserve(reserveAccount({ version: 2n ** 64n - 1n }));
    expect(r.version).toBe(2n ** 64n - 1n);
  });
});

describe('decodeReserve refuses what is not a Reserve', () => {
  it('uses the klend program id of the sandbox world', () => {
    expect(KLEND_PROGRAM_ADDRESS).toBe(PROGRAMS.klend);
  });

  it('refuses a reserve owned by another program (WrongOwner)', () => {
    expect(() => decodeReserve(withOwner(reserveAccount(), KVAULT_PROGRAM_ADDRESS))).toThrow(WrongOwner);
  });

  it('refuses another account type (WrongDiscriminator)', () => {
    expect(() => decodeReserve(withData(reserveAccount(), vaultAccount().data))).toThrow(WrongDiscriminator);
  });

  it('refuses a truncated reserve, even one holding the whole prefix (MalformedAccount)', () => {
    const r = reserveAccount();
    expect(() => decodeReserve(withData(r, r.data.slice(0, 2632)))).toThrow(MalformedAccount);
    expect(() => decodeReserve(withData(r, r.data.slice(0, 8623)))).toThrow(MalformedAccount);
  });
});
