/** Real mainnet accounts (mainnet-accounts.json beside this file: bytes, owner, source of each). */
import { readFileSync } from 'node:fs';
import { isAddress, type Address } from '@solana/kit';
import type { AccountData } from '../../../src/chain/types.ts';
import { marker } from './bytes.ts';

export interface MainnetEntry {
  readonly label: string;
  readonly address: string;
  readonly owner: string;
  readonly data: string;
  /** Where the bytes were copied from: `owner/repo@commit:path`. */
  readonly source: string;
}

/** Every entry of mainnet-accounts.json, in file order. */
export const MAINNET_ENTRIES: readonly MainnetEntry[] = JSON.parse(readFileSync(new URL('./mainnet-accounts.json', import.meta.url), 'utf8')).accounts;

/** An entry as an account; an entry without a published address gets a marker key. */
export function accountOf(e: MainnetEntry): AccountData {
  return {
    address: isAddress(e.address) ? e.address : marker(250),
    owner: e.owner as Address,
    lamports: 1n,
    data: new Uint8Array(Buffer.from(e.data, 'base64')),
    executable: false,
  };
}

/** The first account whose label starts with `label` (and, given `from`, whose source starts with it: some labels repeat). */
export function mainnetAccount(label: string, from?: string): AccountData {
  const e = MAINNET_ENTRIES.find((x) => x.label.startsWith(label) && (from === undefined || x.source.startsWith(from)));
  if (!e) throw new Error(`no mainnet fixture labelled ${label}${from ? ` from ${from}` : ''}`);
  return accountOf(e);
}

/** The same account with `extra` bytes appended (a program that grew the account) or, if negative, cut off. */
export function resized(a: AccountData, extra: number): AccountData {
  if (extra < 0) return { ...a, data: a.data.slice(0, a.data.length + extra) };
  const data = new Uint8Array(a.data.length + extra);
  data.set(a.data);
  data.fill(0xab, a.data.length); // non-zero: new fields, not padding
  return { ...a, data };
}
