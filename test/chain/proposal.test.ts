import { describe, expect, it } from 'vitest';
import type { Address } from '@solana/kit';
import { PublicKey } from '@solana/web3.js';
import type { AccountData, AccountMap, AccountResult, AccountSource } from '../../src/chain/types.ts';
import { computeDigest } from '../../src/chain/digest.ts';
import {
  decodeProposal,
  proposalAccountsToRead,
  proposalAddresses,
  resolveProposal,
  type DecodedProposal,
} from '../../src/chain/proposal.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';
import {
  batchAccount,
  configTransactionAccount,
  multisigAccount,
  proposalAccount,
  vaultTransactionAccount,
  vaultTransactionAccountFromMessage,
  withdrawalInstructions,
} from '../../src/sandbox/fixtures/squads.ts';
import { lookupTableAccount, toWeb3LookupTable } from '../../src/sandbox/fixtures/lookup-table.ts';

const INDEX = 5n;
const found = (a: AccountData): [Address, AccountResult] => [a.address, { kind: 'found', account: a }];
const mapOf = (...accounts: AccountData[]): Map<Address, AccountResult> => new Map(accounts.map(found));
const base = () => [multisigAccount({ transactionIndex: INDEX }), proposalAccount({ index: INDEX })];
const withdrawal = () => vaultTransactionAccount({ index: INDEX, instructions: withdrawalInstructions({ amount: 1_000_000n }) });
const resolve = (map: AccountMap): DecodedProposal => resolveProposal(map, SANDBOX.multisig, INDEX);

/** A table holding the escrow (used writable), the mint and the Token program id (used read-only). */
const TABLE_ADDRESSES = [SANDBOX.escrow, SANDBOX.sharesMint, PROGRAMS.token];
const table = (addresses: readonly Address[] = TABLE_ADDRESSES) => lookupTableAccount({ addresses });
const withdrawalViaTable = () =>
  vaultTransactionAccount({ index: INDEX, instructions: withdrawalInstructions({ amount: 1_000_000n }), lookupTables: [toWeb3LookupTable(table())] });

describe('proposal addresses', () => {
  it('derives the transaction and proposal PDAs with the SDK seeds', () => {
    const { transactionPda, proposalPda } = proposalAddresses(SANDBOX.multisig, INDEX);
    expect(transactionPda).toBe(withdrawal().address);
    expect(proposalPda).toBe(proposalAccount({ index: INDEX }).address);
    expect(proposalAddresses(SANDBOX.multisig, INDEX + 1n).transactionPda).not.toBe(transactionPda);
  });
});

describe('resolving a vault transaction without lookup tables', () => {
  const d = resolve(mapOf(...base(), withdrawal()));

  it('reads multisig, proposal and transaction', () => {
    expect(d.multisig.status).toBe('ok');
    expect(d.proposal).toMatchObject({ status: 'ok', value: { status: { kind: 'Active' } } });
    expect(d.transaction).toMatchObject({ status: 'ok', value: { type: 'vault' } });
    expect(d.vaultPda).toBe(SANDBOX.vaultPda);
    expect(d.multisigAddress).toBe(SANDBOX.multisig);
    expect(d.transactionIndex).toBe(INDEX);
  });

  it('gives static keys their header flags, the vault PDA as the one writable signer', () => {
    const keys = d.message!.accountKeys;
    expect(keys[0]).toEqual({ address: SANDBOX.vaultPda, isSigner: true, isWritable: true });
    expect(keys.filter((k) => k.isSigner).map((k) => k.address)).toEqual([SANDBOX.vaultPda]);
    expect(keys.find((k) => k.address === SANDBOX.escrow)).toEqual({ address: SANDBOX.escrow, isSigner: false, isWritable: true });
    expect(keys.find((k) => k.address === PROGRAMS.token)).toEqual({ address: PROGRAMS.token, isSigner: false, isWritable: false });
  });

  it('decodes the instructions in order and computes the digest from them', () => {
    const m = d.message!;
    expect(m.unresolved).toBeNull();
    expect(m.instructions.map((i) => i.kind)).toEqual(['farms-withdraw-from-farm-vault', 'token-transfer-checked']);
    const transfer = m.instructions[1]!;
    if (transfer.kind !== 'token-transfer-checked') throw new Error('unreachable');
    expect([transfer.source, transfer.destination, transfer.authority, transfer.amount]).toEqual([SANDBOX.vaultPdaSharesAta, SANDBOX.escrow, SANDBOX.vaultPda, 1_000_000n]);
    expect(d.digest).toBe(computeDigest({ multisig: SANDBOX.multisig, transactionIndex: INDEX, vaultIndex: 0, vaultPda: SANDBOX.vaultPda, instructions: m.instructions }));
    expect(d.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('resolving lookup tables', () => {
  it('orders keys static, then all lookup-writable, then all lookup-readonly, program id from the table', () => {
    const tx = withdrawalViaTable();
    const d = resolve(mapOf(...base(), tx, table()));
    const m = d.message!;
    expect(m.unresolved).toBeNull();
    expect(m.lookups).toHaveLength(1);
    const l = m.lookups[0]!;
    expect(l.table).toBe(table().address);
    expect(l.read.status).toBe('ok');
    expect(l.writableIndexes).toEqual([0]);
    expect([...l.readonlyIndexes].sort()).toEqual([1, 2]);
    expect(l.missingIndexes).toEqual([]);
    const stored = d.transaction.status === 'ok' && d.transaction.value.type === 'vault' ? d.transaction.value.value.message : null;
    const nStatic = stored!.accountKeys.length;
    expect(stored!.accountKeys).not.toContain(PROGRAMS.token);
    expect(m.accountKeys.slice(nStatic)).toEqual([
      { address: SANDBOX.escrow, isSigner: false, isWritable: true },
      ...l.readonlyIndexes.map((i) => ({ address: TABLE_ADDRESSES[i], isSigner: false, isWritable: false })),
    ]);
    expect(m.instructions.map((i) => i.kind)).toEqual(['farms-withdraw-from-farm-vault', 'token-transfer-checked']);
    expect(m.instructions[1]!.programId).toBe(PROGRAMS.token);
    expect(d.digest).not.toBeNull();
  });

  it('gives the same instructions and digest as the same keys placed statically', () => {
    const viaTable = resolve(mapOf(...base(), withdrawalViaTable(), table()));
    const statically = resolve(mapOf(...base(), withdrawal()));
    expect(viaTable.message!.instructions).toEqual(statically.message!.instructions);
    expect(viaTable.digest).toBe(statically.digest);
  });

  it('a missing index leaves the message unresolved and the digest null', () => {
    const short = table([SANDBOX.escrow]); // same address, indexes 1 and 2 gone
    const d = resolve(mapOf(...base(), withdrawalViaTable(), short));
    expect(d.digest).toBeNull();
    expect(d.message!.instructions).toEqual([]);
    expect([...d.message!.lookups[0]!.missingIndexes].sort()).toEqual([1, 2]);
    expect(d.message!.unresolved).toMatch(/has no index 1, 2|has no index 2, 1/);
    expect(d.message!.unresolved).toContain(short.address);
  });

  it('a missing table leaves the message unresolved and the digest null', () => {
    const d = resolve(mapOf(...base(), withdrawalViaTable()));
    expect(d.digest).toBeNull();
    expect(d.message!.lookups[0]!.read.status).toBe('missing');
    expect(d.message!.unresolved).toBe(`lookup table ${table().address} does not exist`);
    expect(d.message!.instructions).toEqual([]);
  });

  it('an unavailable table leaves the message unresolved and the digest null', () => {
    const map = mapOf(...base(), withdrawalViaTable());
    map.set(table().address, { kind: 'unavailable', error: 'timeout' });
    const d = resolve(map);
    expect(d.digest).toBeNull();
    expect(d.message!.lookups[0]!.read).toEqual({ status: 'unavailable', error: 'timeout' });
    expect(d.message!.unresolved).toMatch(/could not be read: timeout/);
  });

  it('a table that is not a lookup table is invalid', () => {
    const fake = { ...table(), owner: PROGRAMS.system };
    const d = resolve(mapOf(...base(), withdrawalViaTable(), fake));
    expect(d.message!.lookups[0]!.read.status).toBe('invalid');
    expect(d.message!.unresolved).toMatch(/is invalid/);
    expect(d.digest).toBeNull();
  });
});

describe('messages the SDK would not compile', () => {
  const pkOf = (a: Address) => new PublicKey(a);
  const message = (accountIndexes: number[], programIdIndex = 1) => ({
    numSigners: 1,
    numWritableSigners: 1,
    numWritableNonSigners: 0,
    accountKeys: [pkOf(SANDBOX.vaultPda), pkOf(PROGRAMS.memo)],
    instructions: [{ programIdIndex, accountIndexes: Uint8Array.from(accountIndexes), data: new Uint8Array([104, 105]) }],
    addressTableLookups: [],
  });

  it('an account index out of range leaves the message unresolved', () => {
    const d = resolve(mapOf(...base(), vaultTransactionAccountFromMessage({ index: INDEX, message: message([0, 9]) })));
    expect(d.digest).toBeNull();
    expect(d.message!.unresolved).toBe('instruction 0: account index 9 out of range (2 keys)');
  });

  it('a program id index out of range leaves the message unresolved', () => {
    const d = resolve(mapOf(...base(), vaultTransactionAccountFromMessage({ index: INDEX, message: message([0], 4) })));
    expect(d.message!.unresolved).toMatch(/account index 4 out of range/);
  });

  it('a header that does not fit the keys leaves the message unresolved', () => {
    const d = resolve(mapOf(...base(), vaultTransactionAccountFromMessage({ index: INDEX, message: { ...message([0]), numSigners: 3 } })));
    expect(d.message!.unresolved).toMatch(/message header/);
    expect(d.digest).toBeNull();
  });

  it('records an extra static signer as the header says', () => {
    const m = { ...message([0, 1]), numSigners: 2, numWritableSigners: 1, accountKeys: [pkOf(SANDBOX.vaultPda), pkOf(SANDBOX.cosigner), pkOf(PROGRAMS.memo)] };
    m.instructions[0]!.programIdIndex = 2;
    const d = resolve(mapOf(...base(), vaultTransactionAccountFromMessage({ index: INDEX, message: m })));
    expect(d.message!.instructions[0]!.accounts).toEqual([
      { address: SANDBOX.vaultPda, isSigner: true, isWritable: true },
      { address: SANDBOX.cosigner, isSigner: true, isWritable: false },
    ]);
  });
});

describe('what the transaction PDA holds', () => {
  it('a ConfigTransaction is recognised and has no message or digest', () => {
    const d = resolve(mapOf(...base(), configTransactionAccount({ index: INDEX })));
    expect(d.transaction).toMatchObject({ status: 'ok', value: { type: 'config', actions: ['ChangeThreshold'] } });
    expect(d.message).toBeNull();
    expect(d.digest).toBeNull();
    expect(d.vaultPda).toBeNull();
  });

  it('a Batch is recognised, names its vault, and has no message or digest', () => {
    const d = resolve(mapOf(...base(), batchAccount({ index: INDEX, size: 2 })));
    expect(d.transaction).toMatchObject({ status: 'ok', value: { type: 'batch', size: 2 } });
    expect(d.vaultPda).toBe(SANDBOX.vaultPda);
    expect(d.message).toBeNull();
    expect(d.digest).toBeNull();
  });

  it('reports absent accounts as missing and unreadable ones as unavailable', () => {
    const map = new Map<Address, AccountResult>([[SANDBOX.multisig, { kind: 'unavailable', error: 'rpc 503' }]]);
    const d = resolve(map);
    expect(d.multisig).toEqual({ status: 'unavailable', error: 'rpc 503' });
    expect(d.proposal).toEqual({ status: 'missing' });
    expect(d.transaction).toEqual({ status: 'missing' });
    expect(d.message).toBeNull();
    expect(d.digest).toBeNull();
  });

  it('an account of another program at the transaction PDA is invalid, naming the account', () => {
    const tx = { ...withdrawal(), owner: PROGRAMS.token };
    const d = resolve(mapOf(...base(), tx));
    expect(d.transaction.status).toBe('invalid');
    expect(d.transaction.status === 'invalid' && d.transaction.error).toContain(tx.address);
    expect(d.digest).toBeNull();
  });

  it('a transaction or proposal of another index placed at the PDA is invalid', () => {
    const other = vaultTransactionAccount({ index: INDEX + 1n, instructions: withdrawalInstructions({ amount: 1n }) });
    const proposal = proposalAccount({ index: INDEX + 1n });
    const { transactionPda, proposalPda } = proposalAddresses(SANDBOX.multisig, INDEX);
    const d = resolve(mapOf(multisigAccount(), { ...other, address: transactionPda }, { ...proposal, address: proposalPda }));
    expect(d.transaction.status === 'invalid' && d.transaction.error).toMatch(/index 6, not of .* index 5/);
    expect(d.proposal.status).toBe('invalid');
    expect(d.digest).toBeNull();
  });
});

describe('reading what a proposal needs', () => {
  const { transactionPda, proposalPda } = proposalAddresses(SANDBOX.multisig, INDEX);

  it('asks for multisig, transaction and proposal first, then the lookup tables, then nothing', () => {
    expect(proposalAccountsToRead(new Map(), SANDBOX.multisig, INDEX)).toEqual([SANDBOX.multisig, transactionPda, proposalPda]);
    const map = mapOf(...base(), withdrawalViaTable());
    expect(proposalAccountsToRead(map, SANDBOX.multisig, INDEX)).toEqual([table().address]);
    map.set(table().address, { kind: 'missing' });
    expect(proposalAccountsToRead(map, SANDBOX.multisig, INDEX)).toEqual([]);
  });

  /** An in-memory AccountSource that records every batch it is asked for. */
  function memorySource(accounts: AccountData[], fail?: string) {
    const calls: Address[][] = [];
    const byAddress = new Map(accounts.map((a) => [a.address, a]));
    const source: AccountSource = {
      async getAccounts(addresses) {
        calls.push([...addresses]);
        if (fail) throw new Error(fail);
        return new Map(addresses.map((a): [Address, AccountResult] => {
          const account = byAddress.get(a);
          return [a, account ? { kind: 'found', account } : { kind: 'missing' }];
        }));
      },
    };
    return { source, calls };
  }

  it('reads everything in one batch without lookup tables', async () => {
    const { source, calls } = memorySource([...base(), withdrawal()]);
    const d = await decodeProposal(source, SANDBOX.multisig, INDEX);
    expect(calls).toEqual([[SANDBOX.multisig, transactionPda, proposalPda]]);
    expect(d.digest).toBe(resolve(mapOf(...base(), withdrawal())).digest);
  });

  it('reads the lookup tables in a second batch', async () => {
    const { source, calls } = memorySource([...base(), withdrawalViaTable(), table()]);
    const d = await decodeProposal(source, SANDBOX.multisig, INDEX);
    expect(calls).toEqual([[SANDBOX.multisig, transactionPda, proposalPda], [table().address]]);
    expect(d.message!.unresolved).toBeNull();
    expect(d.digest).not.toBeNull();
  });

  it('a failing source makes every account unavailable instead of throwing', async () => {
    const { source, calls } = memorySource([], 'connection refused');
    const d = await decodeProposal(source, SANDBOX.multisig, INDEX);
    expect(calls).toHaveLength(1);
    expect(d.multisig).toEqual({ status: 'unavailable', error: 'connection refused' });
    expect(d.transaction.status).toBe('unavailable');
  });

  it('an address the source does not answer counts as unavailable, and reading stops', async () => {
    const source: AccountSource = { getAccounts: async () => new Map() };
    const d = await decodeProposal(source, SANDBOX.multisig, INDEX);
    expect(d.proposal).toEqual({ status: 'unavailable', error: 'not answered by the account source' });
  });
});
