/**
 * The three fail-closed gates every account decoder passes before it reads a field:
 * owner, then discriminator, then length (at least the layout's). Each throws the typed error a rule maps to `fail`.
 */
import type { Address, ReadonlyUint8Array } from '@solana/kit';
import { MalformedAccount, WrongDiscriminator, WrongOwner } from '../errors.ts';
import type { AccountData } from '../types.ts';

const hex = (bytes: ReadonlyUint8Array): string => Buffer.from(bytes).toString('hex');

/** Throws `WrongOwner` unless `account` is owned by one of `programs`; returns the owner. */
export function expectOwner(account: AccountData, programs: readonly Address[], what: string): Address {
  if (!programs.includes(account.owner)) {
    throw new WrongOwner(account.address, programs.join(' or '), account.owner, what);
  }
  return account.owner;
}

/**
 * Throws unless the data starts with the 8-byte Anchor `discriminator`: `MalformedAccount` when the
 * data is too short to hold one, `WrongDiscriminator` when it holds another account type.
 */
export function expectDiscriminator(account: AccountData, discriminator: ReadonlyUint8Array, what: string): void {
  const n = discriminator.length;
  if (account.data.length < n) {
    throw new MalformedAccount(account.address, what, `${account.data.length} bytes, too short for its ${n}-byte discriminator`);
  }
  const actual = account.data.subarray(0, n);
  if (!actual.every((b, i) => b === discriminator[i])) {
    throw new WrongDiscriminator(account.address, what, `${hex(actual)} (expected ${hex(discriminator)})`);
  }
}

/**
 * Throws `MalformedAccount` unless the data holds at least the layout's `size` bytes. At least, not
 * exactly: programs add fields into padding or reallocate, and Anchor's zero-copy loader reads the
 * layout's prefix of a longer account, so we do too. `older` may explain a known shorter layout.
 */
export function expectMinLength(account: AccountData, size: number, what: string, older?: (length: number) => string | null): void {
  const n = account.data.length;
  if (n >= size) return;
  const why = older?.(n);
  throw new MalformedAccount(account.address, what, `${n} bytes, expected at least ${size}${why ? `: ${why}` : ''}`);
}
