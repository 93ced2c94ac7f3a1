/** Test helpers: read little-endian fields at absolute offsets, and make recognisable marker keys. */
import { getAddressDecoder, type Address } from '@solana/kit';
import type { AccountData } from '../../../src/chain/types.ts';

const view = (d: Uint8Array) => new DataView(d.buffer, d.byteOffset, d.byteLength);

export const u8At = (d: Uint8Array, off: number): number => view(d).getUint8(off);
export const u32At = (d: Uint8Array, off: number): number => view(d).getUint32(off, true);
export const u64At = (d: Uint8Array, off: number): bigint => view(d).getBigUint64(off, true);
export const u128At = (d: Uint8Array, off: number): bigint => u64At(d, off) | (u64At(d, off + 8) << 64n);
export const addressAt = (d: Uint8Array, off: number): Address => getAddressDecoder().decode(d.subarray(off, off + 32));

/** A key whose 32 bytes are all `n` (n in 1..255): easy to spot, distinct per marker. */
export const marker = (n: number): Address => getAddressDecoder().decode(new Uint8Array(32).fill(n));

/** The same account with other data (e.g. truncated). */
export const withData = (a: AccountData, data: Uint8Array): AccountData => ({ ...a, data });
/** The same account owned by another program. */
export const withOwner = (a: AccountData, owner: Address): AccountData => ({ ...a, owner });
