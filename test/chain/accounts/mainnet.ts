/** Real mainnet accounts (mainnet-accounts.json beside this file: bytes, owner, source of each). */
import { readFileSync } from 'node:fs';
import { isAddress, type Address } from '@solana/kit';
import type { AccountData } from '../../../src/chain/types.ts';
import { marker } from './bytes.ts';

interface Entry {
  readonly label: string;
  readonly address: string;
  readonly owner: string;
  readonly data: string;
}

const entries: readonly Entry[] = JSON.parse(readFileSync(new URL('./mainnet-accounts.json', import.meta.url), 'utf8')).accounts;

/** The account whose label starts with `label`; an entry without a published address gets a marker key. */
export function mainnetAccount(label: string): AccountData {
  const e = entries.find((x) => x.label.startsWith(label));
  if (!e) throw new Error(`no mainnet fixture labelled ${label}`);
  return {
    address: isAddress(e.address) ? e.address : marker(250),
    owner: e.owner as Address,
    lamports: 1n,
    data: new Uint8Array(Buffer.from(e.data, 'base64')),
    executable: false,
  };
}

/** The same account with `extra` bytes appended (a program that grew the account) or, if negative, cut off. */
export function resized(a: AccountData, extra: number): AccountData {
  if (extra < 0) return { ...a, data: a.data.slice(0, a.data.length + extra) };
  const data = new Uint8Array(a.data.length + extra);
  data.set(a.data);
  data.fill(0xab, a.data.length); // non-zero: new fields, not padding
  return { ...a, data };
}
