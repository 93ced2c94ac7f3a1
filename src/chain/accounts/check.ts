/**
 * The three fail-closed gates every account decoder passes before it reads a field:
 * owner, then discriminator, then length. Each throws the typed error a rule maps to `fail`.
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
 * Throws `MalformedAccount` unless the data is exactly `size` bytes. Exact, not "at least": a resized
 * account means a program version whose layout we have not checked, and we refuse to guess.
 */
export function expectLength(account: AccountData, size: number, what: string): void {
  if (account.data.length !== size) {
    throw new MalformedAccount(account.address, what, `${account.data.length} bytes, expected ${size}`);
  }
}
