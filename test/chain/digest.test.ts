import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Address } from '@solana/kit';
import { computeDigest, digestPrefix, type DigestInput } from '../../src/chain/digest.ts';
import { resolveProposal } from '../../src/chain/proposal.ts';
import type { AccountData, AccountResult } from '../../src/chain/types.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';
import { lookupTableAccount, toWeb3LookupTable } from '../../src/sandbox/fixtures/lookup-table.ts';
import { multisigAccount, proposalAccount, vaultTransactionAccount, withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';

/** The docs/digest.md test vector, inputs exactly as listed there. */
const VECTOR: DigestInput = {
  multisig: SANDBOX.multisig,
  transactionIndex: 5n,
  vaultIndex: 0,
  vaultPda: SANDBOX.vaultPda,
  instructions: [
    {
      programId: PROGRAMS.memo,
      accounts: [
        { address: SANDBOX.vaultPda, isSigner: true, isWritable: true },
        { address: SANDBOX.escrow, isSigner: false, isWritable: true },
        { address: SANDBOX.sharesMint, isSigner: false, isWritable: false },
      ],
      data: new Uint8Array([0x68, 0x69]),
    },
    { programId: PROGRAMS.computeBudget, accounts: [], data: new Uint8Array() },
  ],
};
const EXPECTED = 'df90be55992697b95e2b9dfc37f3871951340470b50752ad8362099eae973e6c';

describe('digest test vector', () => {
  it('matches the vector of docs/digest.md', () => {
    expect([VECTOR.multisig, VECTOR.vaultPda, SANDBOX.escrow, SANDBOX.sharesMint]).toEqual([
      'EfdUiZ5xiky6qrFE2E6jJizByCAnqt4fF3ZbnjpcFDi7',
      'CfU5ANbWgkfrQMRgu1rertMbTtgYs4vCCc5wygtApo9v',
      '4nBVUVvK1eLEJL2agHPcPPbyopP9ZVGBvQvwBQCnFAFH',
      '5r9QK5unkrgAUdEqf4jU35Cvy5GLkLByiUHTM6Rt9NvD',
    ]);
    expect(computeDigest(VECTOR)).toBe(EXPECTED);
    expect(readFileSync(new URL('../../docs/digest.md', import.meta.url), 'utf8')).toContain(EXPECTED);
  });

  it('cards show the first 16 hex characters', () => {
    expect(digestPrefix(EXPECTED)).toBe('df90be55992697b9');
  });

  it('refuses integers outside their field instead of wrapping', () => {
    expect(() => computeDigest({ ...VECTOR, vaultIndex: 256 })).toThrow();
    expect(() => computeDigest({ ...VECTOR, transactionIndex: -1n })).toThrow();
  });
});

/** The canonical withdrawal, resolved from SDK-built accounts, as the digest input. */
function withdrawalInput(): DigestInput {
  const accounts = [multisigAccount(), proposalAccount({ index: 1n }), vaultTransactionAccount({ index: 1n, instructions: withdrawalInstructions({ amount: 1_000_000n }) })];
  const d = resolveProposal(new Map(accounts.map((a) => [a.address, { kind: 'found', account: a } as AccountResult])), SANDBOX.multisig, 1n);
  return { multisig: SANDBOX.multisig, transactionIndex: 1n, vaultIndex: 0, vaultPda: SANDBOX.vaultPda, instructions: d.message!.instructions };
}

type Ix = DigestInput['instructions'][number];
const mapIx = (input: DigestInput, n: number, f: (ix: Ix) => Ix): DigestInput => ({
  ...input,
  instructions: input.instructions.map((ix, i) => (i === n ? f(ix) : ix)),
});
const mapAccount = (ix: Ix, n: number, f: (a: Ix['accounts'][number]) => Ix['accounts'][number]): Ix => ({
  ...ix,
  accounts: ix.accounts.map((a, i) => (i === n ? f(a) : a)),
});

describe('the digest changes when what would execute changes', () => {
  const input = withdrawalInput();
  const digest = computeDigest(input);
  const changed: [string, DigestInput][] = [
    ['the program id', mapIx(input, 1, (ix) => ({ ...ix, programId: PROGRAMS.token2022 }))],
    ['an account key', mapIx(input, 1, (ix) => mapAccount(ix, 2, (a) => ({ ...a, address: SANDBOX.outsiderSharesAta })))],
    ['a signer flag', mapIx(input, 1, (ix) => mapAccount(ix, 3, (a) => ({ ...a, isSigner: !a.isSigner })))],
    ['a writable flag', mapIx(input, 1, (ix) => mapAccount(ix, 3, (a) => ({ ...a, isWritable: !a.isWritable })))],
    ['a data byte', mapIx(input, 0, (ix) => ({ ...ix, data: ix.data.map((b, i) => (i === 8 ? b ^ 1 : b)) }))],
    ['a data length', mapIx(input, 0, (ix) => ({ ...ix, data: Uint8Array.from([...ix.data, 0]) }))],
    ['an extra account', mapIx(input, 1, (ix) => ({ ...ix, accounts: [...ix.accounts, { address: SANDBOX.curator as Address, isSigner: false, isWritable: false }] }))],
    ['the instruction order', { ...input, instructions: [...input.instructions].reverse() }],
    ['an extra instruction', { ...input, instructions: [...input.instructions, input.instructions[1]!] }],
    ['the transaction index', { ...input, transactionIndex: 2n }],
    ['the vault index', { ...input, vaultIndex: 1 }],
    ['the vault PDA', { ...input, vaultPda: SANDBOX.curator }],
    ['the multisig', { ...input, multisig: SANDBOX.curator }],
  ];
  for (const [what, other] of changed) {
    it(`changes with ${what}`, () => {
      expect(computeDigest(other)).not.toBe(digest);
    });
  }

  it('changes with the withdrawn or transferred amount, end to end from the accounts', () => {
    const resolve = (tx: AccountData) =>
      resolveProposal(new Map([multisigAccount(), tx].map((a) => [a.address, { kind: 'found', account: a } as AccountResult])), SANDBOX.multisig, 1n).digest;
    const a = resolve(vaultTransactionAccount({ index: 1n, instructions: withdrawalInstructions({ amount: 1_000_000n }) }));
    const b = resolve(vaultTransactionAccount({ index: 1n, instructions: withdrawalInstructions({ amount: 1_000_001n }) }));
    const c = resolve(vaultTransactionAccount({ index: 1n, instructions: withdrawalInstructions({ amount: 1_000_000n, transferAmount: 999_999n }) }));
    expect(a).toBe(digest);
    expect(new Set([a, b, c]).size).toBe(3);
  });
});

describe('the digest ignores what does not execute', () => {
  const digestOf = (...accounts: AccountData[]) =>
    resolveProposal(new Map(accounts.map((a) => [a.address, { kind: 'found', account: a } as AccountResult])), SANDBOX.multisig, 1n).digest;
  const instructions = withdrawalInstructions({ amount: 1_000_000n });
  const tx = vaultTransactionAccount({ index: 1n, instructions });
  const reference = digestOf(multisigAccount(), proposalAccount({ index: 1n }), tx);

  it('is computed at all', () => {
    expect(reference).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the creator', () => {
    expect(digestOf(multisigAccount(), vaultTransactionAccount({ index: 1n, instructions, creator: SANDBOX.cosigner }))).toBe(reference);
  });

  it('does not depend on the stored bumps', () => {
    // VaultTransaction layout: discriminator 8, multisig 32, creator 32, index 8, bump @80, vault_index @81, vault_bump @82
    const data = Uint8Array.from(tx.data);
    data[80] = data[80]! ^ 0xff;
    data[82] = data[82]! ^ 0xff;
    expect(digestOf(multisigAccount(), { ...tx, data })).toBe(reference);
  });

  it('does not depend on proposal votes or status, nor on the multisig config', () => {
    const proposal = proposalAccount({ index: 1n, status: 'Approved', approved: [SANDBOX.curator, SANDBOX.cosigner] });
    expect(digestOf(multisigAccount({ threshold: 1, timeLock: 99 }), proposal, tx)).toBe(reference);
  });

  it('does not depend on whether the same keys with the same flags sit in a lookup table or in the message', () => {
    const alt = lookupTableAccount({ addresses: [SANDBOX.escrow, SANDBOX.sharesMint, PROGRAMS.token] });
    const viaTable = vaultTransactionAccount({ index: 1n, instructions, lookupTables: [toWeb3LookupTable(alt)] });
    expect(viaTable.data).not.toEqual(tx.data);
    expect(digestOf(multisigAccount(), viaTable, alt)).toBe(reference);
  });
});
