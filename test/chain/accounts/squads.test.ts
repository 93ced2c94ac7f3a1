import { describe, expect, it } from 'vitest';
import { address } from '@solana/kit';
import { AddressLookupTableAccount, PublicKey } from '@solana/web3.js';
import * as multisig from '@sqds/multisig';
import {
  decodeLookupTable,
  decodeMultisig,
  decodeProposalAccount,
  decodeTransactionAccount,
} from '../../../src/chain/accounts/squads.ts';
import { MalformedAccount, WrongDiscriminator, WrongOwner } from '../../../src/chain/errors.ts';
import type { AccountData } from '../../../src/chain/types.ts';
import { PROGRAMS, SANDBOX } from '../../../src/sandbox/seeds.ts';
import {
  batchAccount,
  configTransactionAccount,
  multisigAccount,
  proposalAccount,
  vaultTransactionAccount,
  withdrawalInstructions,
} from '../../../src/sandbox/fixtures/squads.ts';
import { lookupTableAccount, lookupTableData } from '../../../src/sandbox/fixtures/lookup-table.ts';

const withOwner = (a: AccountData, owner = PROGRAMS.token): AccountData => ({ ...a, owner });
const withDiscriminator = (a: AccountData, disc: number[]): AccountData => {
  const data = Uint8Array.from(a.data);
  data.set(disc, 0);
  return { ...a, data };
};
const truncated = (a: AccountData, n: number): AccountData => ({ ...a, data: a.data.subarray(0, n) });

describe('Squads Multisig', () => {
  it('decodes the sandbox 2-of-2 with members sorted by key and permissions split', () => {
    const m = decodeMultisig(multisigAccount({ timeLock: 60, transactionIndex: 7n, staleTransactionIndex: 3n }));
    expect(m.threshold).toBe(2);
    expect(m.timeLock).toBe(60);
    expect(m.transactionIndex).toBe(7n);
    expect(m.staleTransactionIndex).toBe(3n);
    expect(m.configAuthority).toBe('11111111111111111111111111111111');
    expect(m.createKey).toBe(SANDBOX.multisigCreateKey);
    expect(m.rentCollector).toBeNull();
    const byKey = new Map(m.members.map((x) => [x.key, x]));
    expect(byKey.get(SANDBOX.cosigner)).toEqual({ key: SANDBOX.cosigner, mask: 6, initiate: false, vote: true, execute: true });
    expect(byKey.get(SANDBOX.curator)).toEqual({ key: SANDBOX.curator, mask: 7, initiate: true, vote: true, execute: true });
    const bytes = m.members.map((x) => new PublicKey(x.key).toBuffer());
    expect(bytes).toHaveLength(2);
    expect(Buffer.compare(bytes[0]!, bytes[1]!)).toBeLessThan(0); // the program binary-searches members
  });

  it('decodes a config authority and rent collector', () => {
    const m = decodeMultisig(multisigAccount({ configAuthority: SANDBOX.vaultPda, rentCollector: SANDBOX.curator }));
    expect(m.configAuthority).toBe(SANDBOX.vaultPda);
    expect(m.rentCollector).toBe(SANDBOX.curator);
  });

  it('refuses a wrong owner, a wrong discriminator and truncated data', () => {
    const a = multisigAccount();
    expect(() => decodeMultisig(withOwner(a))).toThrow(WrongOwner);
    expect(() => decodeMultisig(withDiscriminator(a, multisig.accounts.proposalDiscriminator))).toThrow(WrongDiscriminator);
    expect(() => decodeMultisig(truncated(a, 60))).toThrow(MalformedAccount);
    expect(() => decodeMultisig(withOwner(a))).toThrow(a.address);
  });
});

describe('Squads Proposal', () => {
  it('decodes status, timestamp and votes', () => {
    const p = decodeProposalAccount(proposalAccount({ index: 4n, status: 'Approved', timestamp: 1_700_000_000n, approved: [SANDBOX.curator, SANDBOX.cosigner], rejected: [] }));
    expect(p.multisig).toBe(SANDBOX.multisig);
    expect(p.transactionIndex).toBe(4n);
    expect(p.status).toEqual({ kind: 'Approved', timestamp: 1_700_000_000n });
    expect(new Set(p.approved)).toEqual(new Set([SANDBOX.curator, SANDBOX.cosigner]));
    expect(p.rejected).toEqual([]);
  });

  it('decodes every status kind; Executing has no timestamp', () => {
    for (const kind of ['Draft', 'Active', 'Rejected', 'Approved', 'Executed', 'Cancelled'] as const) {
      expect(decodeProposalAccount(proposalAccount({ index: 1n, status: kind, timestamp: 5n })).status).toEqual({ kind, timestamp: 5n });
    }
    expect(decodeProposalAccount(proposalAccount({ index: 1n, status: 'Executing' })).status).toEqual({ kind: 'Executing', timestamp: null });
  });

  it('refuses a wrong owner, a wrong discriminator and truncated data', () => {
    const a = proposalAccount({ index: 1n });
    expect(() => decodeProposalAccount(withOwner(a))).toThrow(WrongOwner);
    expect(() => decodeProposalAccount(withDiscriminator(a, multisig.accounts.multisigDiscriminator))).toThrow(WrongDiscriminator);
    expect(() => decodeProposalAccount(truncated(a, 45))).toThrow(MalformedAccount);
  });
});

describe('the transaction PDA', () => {
  it('decodes a VaultTransaction with its stored message', () => {
    const a = vaultTransactionAccount({ index: 3n, instructions: withdrawalInstructions({ amount: 10n }), creator: SANDBOX.cosigner });
    const t = decodeTransactionAccount(a);
    if (t.type !== 'vault') throw new Error(`expected vault, got ${t.type}`);
    expect(t.value.index).toBe(3n);
    expect(t.value.creator).toBe(SANDBOX.cosigner);
    expect(t.value.multisig).toBe(SANDBOX.multisig);
    expect(t.value.vaultIndex).toBe(0);
    expect(t.value.message.numSigners).toBe(1);
    expect(t.value.message.accountKeys[0]).toBe(SANDBOX.vaultPda);
    expect(t.value.message.instructions).toHaveLength(2);
    expect(t.value.message.instructions[0]!.data).toBeInstanceOf(Uint8Array);
    expect(t.value.message.addressTableLookups).toEqual([]);
  });

  it('recognises a ConfigTransaction and names its actions', () => {
    const t = decodeTransactionAccount(configTransactionAccount({ index: 2n, actions: [{ __kind: 'SetTimeLock', newTimeLock: 5 }, { __kind: 'ChangeThreshold', newThreshold: 1 }] }));
    expect(t).toMatchObject({ type: 'config', index: 2n, actions: ['SetTimeLock', 'ChangeThreshold'] });
  });

  it('recognises a Batch and reports its size', () => {
    expect(decodeTransactionAccount(batchAccount({ index: 2n, size: 3 }))).toMatchObject({ type: 'batch', size: 3, index: 2n, vaultIndex: 0 });
  });

  it('refuses a wrong owner, any other Squads account type and truncated data', () => {
    const a = vaultTransactionAccount({ index: 1n, instructions: withdrawalInstructions({ amount: 1n }) });
    expect(() => decodeTransactionAccount(withOwner(a))).toThrow(WrongOwner);
    expect(() => decodeTransactionAccount(withOwner(configTransactionAccount({ index: 1n })))).toThrow(WrongOwner);
    expect(() => decodeTransactionAccount(withOwner(batchAccount({ index: 1n })))).toThrow(WrongOwner);
    expect(() => decodeTransactionAccount(multisigAccount())).toThrow(WrongDiscriminator);
    expect(() => decodeTransactionAccount(withDiscriminator(a, multisig.accounts.vaultBatchTransactionDiscriminator))).toThrow(WrongDiscriminator);
    expect(() => decodeTransactionAccount(truncated(a, 100))).toThrow(MalformedAccount);
    expect(() => decodeTransactionAccount(truncated(a, 4))).toThrow(MalformedAccount);
  });
});

describe('address lookup tables', () => {
  const t1 = SANDBOX.escrow;
  const t2 = SANDBOX.sharesMint;

  it('writes the layout web3.js reads (header, authority, addresses)', () => {
    const data = lookupTableData({ addresses: [t1, t2], authority: SANDBOX.curator, deactivationSlot: 77n, lastExtendedSlot: 12n, lastExtendedSlotStartIndex: 1 });
    expect(data.length).toBe(56 + 64);
    const s = AddressLookupTableAccount.deserialize(data);
    expect(s.addresses.map((k) => k.toBase58())).toEqual([t1, t2]);
    expect(s.authority?.toBase58()).toBe(SANDBOX.curator);
    expect(s.deactivationSlot).toBe(77n);
    expect(s.lastExtendedSlot).toBe(12);
    expect(s.lastExtendedSlotStartIndex).toBe(1);
    expect(AddressLookupTableAccount.deserialize(lookupTableData({ addresses: [] })).authority).toBeUndefined();
  });

  it('decodes a frozen, active table', () => {
    expect(decodeLookupTable(lookupTableAccount({ addresses: [t1, t2] }))).toEqual({ addresses: [t1, t2], authority: null, deactivationSlot: 0xffff_ffff_ffff_ffffn });
    expect(decodeLookupTable(lookupTableAccount({ addresses: [t1], authority: SANDBOX.curator })).authority).toBe(SANDBOX.curator);
  });

  it('refuses a wrong owner, a wrong type and a ragged length', () => {
    const a = lookupTableAccount({ addresses: [t1] });
    expect(() => decodeLookupTable({ ...a, owner: address(PROGRAMS.system) })).toThrow(WrongOwner);
    const uninit = Uint8Array.from(a.data);
    uninit[0] = 0;
    expect(() => decodeLookupTable({ ...a, data: uninit })).toThrow(MalformedAccount);
    expect(() => decodeLookupTable({ ...a, data: a.data.subarray(0, 70) })).toThrow(MalformedAccount);
  });
});
