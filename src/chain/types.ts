import type { Address } from '@solana/kit';

/** One account's raw state as read from the chain (or a snapshot). Money is bigint. */
export interface AccountData {
  readonly address: Address;
  readonly owner: Address;
  readonly lamports: bigint;
  readonly data: Uint8Array;
  readonly executable: boolean;
}

/**
 * The outcome of reading one address. `missing` = the chain says it does not exist (a `fail` for
 * the policy); `unavailable` = it could not be read (an `unknown`). Never conflate the two.
 */
export type AccountResult =
  | { readonly kind: 'found'; readonly account: AccountData }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unavailable'; readonly error: string };

/** Anything that can answer "what is at these addresses" in one batch: the RPC reader or a snapshot. */
export interface AccountSource {
  /** Reads all addresses (deduplicated) and answers for each one; never throws for a single bad account. */
  getAccounts(addresses: readonly Address[]): Promise<ReadonlyMap<Address, AccountResult>>;
}

/** A pure, synchronous view of accounts already read. Absent from the map = not read. */
export type AccountMap = ReadonlyMap<Address, AccountResult>;

/**
 * An account read and decoded: `ok`, `missing` (does not exist), `unavailable` (could not be read)
 * or `invalid` (exists but is not what was expected: owner, discriminator or bytes).
 */
export type Read<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'missing' }
  | { readonly status: 'unavailable'; readonly error: string }
  | { readonly status: 'invalid'; readonly error: string };

/** Reads `address` from a map of accounts (absent = missing) and decodes it, never throwing. */
export function readAccount<T>(accounts: AccountMap, address: Address, decode: (a: AccountData) => T): Read<T> {
  const result = accounts.get(address);
  if (!result || result.kind === 'missing') return { status: 'missing' };
  if (result.kind === 'unavailable') return { status: 'unavailable', error: result.error };
  try {
    return { status: 'ok', value: decode(result.account) };
  } catch (err) {
    return { status: 'invalid', error: err instanceof Error ? err.message : String(err) };
  }
}
