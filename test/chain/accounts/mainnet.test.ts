/**
 * Every account of mainnet-accounts.json (real bytes, mostly mainnet, some devnet; sources in the file)
 * through the decoder of its type, and every "[negative]" entry refused by the decoder it could be
 * mistaken for. An entry no row below claims fails the test, so a new entry cannot go unchecked.
 */
import { describe, expect, it } from 'vitest';
import { decodeFarmState, decodeUserState } from '../../../src/chain/accounts/farms.ts';
import { decodeReserve } from '../../../src/chain/accounts/klend.ts';
import { decodeMint, decodeTokenAccount } from '../../../src/chain/accounts/spl.ts';
import { decodeLookupTable, decodeMultisig, decodeProposalAccount, decodeTransactionAccount } from '../../../src/chain/accounts/squads.ts';
import { WrongDiscriminator, WrongOwner } from '../../../src/chain/errors.ts';
import type { AccountData } from '../../../src/chain/types.ts';
import { accountOf, MAINNET_ENTRIES } from './mainnet.ts';

const refused = (decode: (a: AccountData) => unknown, a: AccountData) => expect(() => decode(a)).toThrow();

/** Label prefix → what must hold of the account. */
const CHECKS: readonly [string, (a: AccountData) => void][] = [
  ['klend Reserve', (a) => {
    const r = decodeReserve(a);
    expect(r.liquidity.mintDecimals).toBeLessThanOrEqual(18n);
  }],
  ['klend LendingMarket', (a) => expect(() => decodeReserve(a)).toThrow(WrongDiscriminator)],
  ['klend Obligation', (a) => expect(() => decodeReserve(a)).toThrow(WrongDiscriminator)],
  ['Farms FarmState', (a) => {
    decodeFarmState(a);
    refused(decodeUserState, a);
  }],
  ['Farms UserState', (a) => {
    decodeUserState(a);
    refused(decodeFarmState, a);
  }],
  ['Farms GlobalConfig [negative]', (a) => {
    expect(() => decodeFarmState(a)).toThrow(WrongDiscriminator);
    expect(() => decodeUserState(a)).toThrow(WrongDiscriminator);
  }],
  ['SPL token account', (a) => {
    expect(decodeTokenAccount(a).state).not.toBe('uninitialized');
    refused(decodeMint, a);
  }],
  ['Token-2022 token account', (a) => {
    expect(decodeTokenAccount(a).state).not.toBe('uninitialized');
    refused(decodeMint, a);
  }],
  ['SPL mint', (a) => {
    expect(decodeMint(a).decimals).toBeLessThanOrEqual(18);
    refused(decodeTokenAccount, a);
  }],
  ['Token-2022 mint', (a) => {
    expect(decodeMint(a).decimals).toBeLessThanOrEqual(18);
    refused(decodeTokenAccount, a);
  }],
  ['address lookup table', (a) => {
    const t = decodeLookupTable(a);
    expect(t.addresses.length).toBe((a.data.length - 56) / 32);
    expect(t.addresses.length).toBeGreaterThan(0);
    expect(() => decodeLookupTable({ ...a, owner: a.address })).toThrow(WrongOwner);
  }],
  ['Squads Multisig', (a) => {
    const m = decodeMultisig(a);
    expect(m.threshold).toBeGreaterThan(0);
    expect(m.threshold).toBeLessThanOrEqual(m.members.filter((x) => x.vote).length);
    expect(m.transactionIndex).toBeGreaterThanOrEqual(m.staleTransactionIndex);
    for (const other of [decodeProposalAccount, decodeTransactionAccount]) expect(() => other(a)).toThrow(WrongDiscriminator);
  }],
  ['Squads Proposal', (a) => {
    const p = decodeProposalAccount(a);
    expect(p.transactionIndex).toBeGreaterThan(0n);
    for (const other of [decodeMultisig, decodeTransactionAccount]) expect(() => other(a)).toThrow(WrongDiscriminator);
  }],
  ['Squads VaultTransaction', (a) => {
    const t = decodeTransactionAccount(a);
    expect(t.type).toBe('vault');
    if (t.type !== 'vault') return;
    const m = t.value.message;
    expect(m.instructions.length).toBeGreaterThan(0);
    for (const ix of m.instructions) for (const i of [ix.programIdIndex, ...ix.accountIndexes]) expect(i).toBeLessThan(m.accountKeys.length + m.addressTableLookups.reduce((n, l) => n + l.writableIndexes.length + l.readonlyIndexes.length, 0));
    for (const other of [decodeMultisig, decodeProposalAccount]) expect(() => other(a)).toThrow(WrongDiscriminator);
  }],
  ['Squads ConfigTransaction', (a) => {
    const t = decodeTransactionAccount(a);
    expect(t.type).toBe('config');
    if (t.type === 'config') expect(t.actions.length).toBeGreaterThan(0);
  }],
];

describe('every real account in mainnet-accounts.json', () => {
  it.each(MAINNET_ENTRIES.map((e, i) => [`${i} ${e.label}`, e] as const))('%s', (_name, e) => {
    const rows = CHECKS.filter(([prefix]) => e.label.startsWith(prefix));
    expect(rows, `no check claims "${e.label}"`).toHaveLength(1);
    rows[0]![1](accountOf(e));
  });

  it('has the accounts the decoders are held to: Squads, lookup tables, Reserves, farms, both token programs', () => {
    const count = (prefix: string) => MAINNET_ENTRIES.filter((e) => e.label.startsWith(prefix)).length;
    for (const prefix of ['Squads Multisig', 'Squads Proposal', 'Squads VaultTransaction', 'Squads ConfigTransaction', 'address lookup table', 'klend Reserve', 'Farms FarmState', 'Token-2022 mint']) {
      expect(count(prefix), prefix).toBeGreaterThan(0);
    }
  });
});
