/**
 * The decoders deciding runs on (Squads accounts from the program's IDL, PDAs from node:crypto and
 * curve.ts, Token instructions from @solana-program/token) against the SDKs they replaced on the
 * decision path (@sqds/multisig's beet decoders and PDA helpers, web3.js, spl-token's decoders), on
 * fixtures and on thousands of mutations. The one disagreement allowed is the fail-closed one: the
 * decoder here refuses bytes the SDK read (e.g. a Borsh option tag of 2, a length no account can hold).
 * It never reads a value the SDK would not, and never a different one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Address } from '@solana/kit';
import { Keypair, PublicKey, TransactionInstruction } from '@solana/web3.js';
import {
  AuthorityType,
  createApproveCheckedInstruction,
  createApproveInstruction,
  createCloseAccountInstruction,
  createSetAuthorityInstruction,
  createTransferCheckedInstruction,
  createTransferInstruction,
  decodeApproveCheckedInstruction,
  decodeApproveInstruction,
  decodeCloseAccountInstruction,
  decodeSetAuthorityInstruction,
  decodeTransferCheckedInstruction,
  decodeTransferInstruction,
  getAssociatedTokenAddressSync,
  TOKEN_2022_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  TokenInstruction,
} from '@solana/spl-token';
import * as multisig from '@sqds/multisig';
import BN from 'bn.js';
import { SQUADS_IDL } from '../../src/chain/accounts/squads-idl.ts';
import { decodeMultisig, decodeProposalAccount, decodeTransactionAccount, SQUADS_INSTRUCTION_NAMES } from '../../src/chain/accounts/squads.ts';
import { decodeInstruction, type DecodedInstruction, type RawInstruction } from '../../src/chain/instructions.ts';
import { associatedTokenAddressOf, findProgramAddress, proposalPdaOf, transactionPdaOf, vaultPdaOf } from '../../src/chain/pda.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';
import {
  batchAccount,
  configTransactionAccount,
  multisigAccount,
  proposalAccount,
  vaultTransactionAccount,
  withdrawalInstructions,
} from '../../src/sandbox/fixtures/squads.ts';
import { lookupTableAccount, toWeb3LookupTable } from '../../src/sandbox/fixtures/lookup-table.ts';
import { accountOf, MAINNET_ENTRIES } from './accounts/mainnet.ts';

const { accounts, utils } = multisig;
const a = (k: PublicKey): Address => k.toBase58() as Address;
const randomKey = (): PublicKey => new PublicKey(randomBytes(32));
const strip = (x: unknown): unknown =>
  Array.isArray(x) ? x.map(strip) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'docs').map(([k, v]) => [k, strip(v)])) : x;

// ---- The SDK's reading of each account: the decoders as they were before the IDL codecs --------

function sdk<T>(data: Uint8Array, read: (b: Buffer) => [T, number]): T {
  const [value, end] = read(Buffer.from(data));
  if (end > data.length) throw new Error('short');
  return value;
}

function sdkMultisig(acc: AccountData) {
  const m = sdk(acc.data, (b) => accounts.Multisig.deserialize(b));
  return {
    createKey: a(m.createKey),
    configAuthority: a(m.configAuthority),
    threshold: m.threshold,
    timeLock: m.timeLock,
    transactionIndex: utils.toBigInt(m.transactionIndex),
    staleTransactionIndex: utils.toBigInt(m.staleTransactionIndex),
    rentCollector: m.rentCollector ? a(m.rentCollector) : null,
    bump: m.bump,
    members: m.members.map((x) => ({ key: a(x.key), mask: x.permissions.mask, initiate: (x.permissions.mask & 1) !== 0, vote: (x.permissions.mask & 2) !== 0, execute: (x.permissions.mask & 4) !== 0 })),
  };
}

function sdkProposal(acc: AccountData) {
  const p = sdk(acc.data, (b) => accounts.Proposal.deserialize(b));
  const s = p.status;
  return {
    multisig: a(p.multisig),
    transactionIndex: utils.toBigInt(p.transactionIndex),
    status: { kind: s.__kind, timestamp: s.__kind === 'Executing' ? null : utils.toBigInt(s.timestamp) },
    bump: p.bump,
    approved: p.approved.map(a),
    rejected: p.rejected.map(a),
    cancelled: p.cancelled.map(a),
  };
}

const same = (d: Uint8Array, disc: readonly number[]) => disc.every((x, i) => d[i] === x);
function sdkTransaction(acc: AccountData) {
  const d = acc.data;
  if (same(d, accounts.vaultTransactionDiscriminator)) {
    const t = sdk(d, (b) => accounts.VaultTransaction.deserialize(b));
    const m = t.message;
    return {
      type: 'vault',
      value: {
        multisig: a(t.multisig),
        creator: a(t.creator),
        index: utils.toBigInt(t.index),
        bump: t.bump,
        vaultIndex: t.vaultIndex,
        vaultBump: t.vaultBump,
        ephemeralSignerBumps: Array.from(t.ephemeralSignerBumps),
        message: {
          numSigners: m.numSigners,
          numWritableSigners: m.numWritableSigners,
          numWritableNonSigners: m.numWritableNonSigners,
          accountKeys: m.accountKeys.map(a),
          instructions: m.instructions.map((ix) => ({ programIdIndex: ix.programIdIndex, accountIndexes: Array.from(ix.accountIndexes), data: Uint8Array.from(ix.data) })),
          addressTableLookups: m.addressTableLookups.map((l) => ({ accountKey: a(l.accountKey), writableIndexes: Array.from(l.writableIndexes), readonlyIndexes: Array.from(l.readonlyIndexes) })),
        },
      },
    };
  }
  if (same(d, accounts.configTransactionDiscriminator)) {
    const c = sdk(d, (b) => accounts.ConfigTransaction.deserialize(b));
    return { type: 'config', multisig: a(c.multisig), index: utils.toBigInt(c.index), creator: a(c.creator), actions: c.actions.map((x) => x.__kind) };
  }
  if (same(d, accounts.batchDiscriminator)) {
    const b = sdk(d, (buf) => accounts.Batch.deserialize(buf));
    return { type: 'batch', multisig: a(b.multisig), index: utils.toBigInt(b.index), creator: a(b.creator), size: b.size, vaultIndex: b.vaultIndex };
  }
  throw new Error('not a transaction account');
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
const run = (f: () => unknown): Outcome => {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
};

/**
 * What we read, the SDK reads the same; where we refuse, nothing is compared (refusing is the safe side,
 * and the SDK is not even asked: a length of 2³¹ makes beet allocate until the process dies). Returns 1 for a refusal.
 */
function agree(ours: () => unknown, theirs: () => unknown, what: string): number {
  const got = run(ours);
  if (!got.ok) return 1;
  const expected = run(theirs);
  expect(expected.ok, `${what}: we read a value the SDK refuses (${expected.ok ? '' : expected.error})`).toBe(true);
  expect(got.value, what).toEqual((expected as { value: unknown }).value);
  return 0;
}

/** Mutations of `acc` that keep its discriminator: every truncation, and random byte flips. */
function* mutations(acc: AccountData, flips: number): Generator<AccountData> {
  for (let n = 8; n < acc.data.length; n += Math.max(1, Math.floor(acc.data.length / 120))) yield { ...acc, data: acc.data.slice(0, n) };
  for (let i = 0; i < flips; i++) {
    const data = Uint8Array.from(acc.data);
    const at = 8 + Math.floor(Math.random() * (data.length - 8));
    data[at] = Math.random() < 0.5 ? data[at]! ^ (1 << Math.floor(Math.random() * 8)) : Math.floor(Math.random() * 256);
    yield { ...acc, data };
  }
}

describe('the Squads IDL copy', () => {
  it('equals the IDL @sqds/multisig ships (docs and instruction arguments aside)', () => {
    const sdkDir = dirname(dirname(createRequire(import.meta.url).resolve('@sqds/multisig')));
    const shipped = JSON.parse(readFileSync(join(sdkDir, 'idl', 'squads_multisig_program.json'), 'utf8'));
    expect(SQUADS_IDL).toEqual({
      version: shipped.version,
      name: shipped.name,
      instructions: shipped.instructions.map((i: { name: string }) => ({ name: i.name })),
      accounts: strip(shipped.accounts),
      types: strip(shipped.types),
    });
  });

  it('names every instruction discriminator as the SDK does', () => {
    const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    const fromSdk = new Map(
      Object.entries(multisig.generated)
        .filter(([k]) => k.endsWith('InstructionDiscriminator'))
        .map(([k, v]) => [Buffer.from(v as number[]).toString('hex'), snake(k.slice(0, -'InstructionDiscriminator'.length))]),
    );
    expect(fromSdk.size).toBeGreaterThan(30);
    expect(new Map(SQUADS_INSTRUCTION_NAMES)).toEqual(fromSdk);
  });
});

describe('Squads accounts: IDL codecs against the SDK', () => {
  const lookup = lookupTableAccount({ addresses: [SANDBOX.farm, SANDBOX.farmVault, SANDBOX.escrow] });
  const withdrawal = withdrawalInstructions({ amount: 1_000_000n });
  const members = Array.from({ length: 5 }, (_, i) => ({ key: a(randomKey()), mask: i % 8 }));
  const fixtures: { name: string; acc: AccountData; ours: (x: AccountData) => unknown; theirs: (x: AccountData) => unknown }[] = [
    ...[multisigAccount(), multisigAccount({ members, threshold: 3, timeLock: 3600, rentCollector: SANDBOX.curator, configAuthority: SANDBOX.curator, transactionIndex: 2n ** 63n, staleTransactionIndex: 9n })].map((acc, i) => ({
      name: `Multisig ${i}`,
      acc,
      ours: decodeMultisig,
      theirs: sdkMultisig,
    })),
    ...(['Draft', 'Active', 'Rejected', 'Approved', 'Executing', 'Executed', 'Cancelled'] as const).map((status) => ({
      name: `Proposal ${status}`,
      acc: proposalAccount({ index: 3n, status, approved: [SANDBOX.curator, SANDBOX.cosigner], rejected: [SANDBOX.outsider], cancelled: [], memberCount: 3 }),
      ours: decodeProposalAccount,
      theirs: sdkProposal,
    })),
    { name: 'VaultTransaction', acc: vaultTransactionAccount({ index: 1n, instructions: withdrawal, ephemeralSignerBumps: [254, 7] }), ours: decodeTransactionAccount, theirs: sdkTransaction },
    {
      name: 'VaultTransaction with a lookup table',
      acc: vaultTransactionAccount({ index: 2n, instructions: withdrawal, lookupTables: [toWeb3LookupTable(lookup)] }),
      ours: decodeTransactionAccount,
      theirs: sdkTransaction,
    },
    {
      name: 'ConfigTransaction, every action',
      acc: configTransactionAccount({
        index: 4n,
        actions: [
          { __kind: 'AddMember', newMember: { key: randomKey(), permissions: { mask: 7 } } },
          { __kind: 'RemoveMember', oldMember: randomKey() },
          { __kind: 'ChangeThreshold', newThreshold: 1 },
          { __kind: 'SetTimeLock', newTimeLock: 60 },
          { __kind: 'AddSpendingLimit', createKey: randomKey(), vaultIndex: 0, mint: randomKey(), amount: new BN(5), period: multisig.generated.Period.Day, members: [randomKey()], destinations: [randomKey(), randomKey()] },
          { __kind: 'RemoveSpendingLimit', spendingLimit: randomKey() },
          { __kind: 'SetRentCollector', newRentCollector: randomKey() },
          { __kind: 'SetRentCollector', newRentCollector: null },
        ],
      }),
      ours: decodeTransactionAccount,
      theirs: sdkTransaction,
    },
    { name: 'Batch', acc: batchAccount({ index: 5n, size: 3, vaultIndex: 2 }), ours: decodeTransactionAccount, theirs: sdkTransaction },
  ];

  it.each(fixtures.map((f) => [f.name, f] as const))('%s: the same value, and the same or a stricter answer on every mutation', (_name, f) => {
    expect(agree(() => f.ours(f.acc), () => f.theirs(f.acc), f.name)).toBe(0);
    let refused = 0;
    let tried = 0;
    for (const m of mutations(f.acc, 400)) {
      refused += agree(() => f.ours(m), () => f.theirs(m), `${f.name} mutated`);
      tried++;
    }
    expect(tried).toBeGreaterThan(400);
    // Mutations of values (keys, amounts, indexes) still read: the comparison above ran on most of them.
    expect(refused).toBeLessThan(tried);
  });
});

describe('real Squads accounts (mainnet-accounts.json): IDL codecs against the SDK', () => {
  const squads = MAINNET_ENTRIES.filter((e) => e.label.startsWith('Squads '));
  it.each(squads.map((e) => [e.label, e] as const))('%s reads as the SDK reads it', (label, e) => {
    const a = accountOf(e);
    const [ours, theirs] = label.startsWith('Squads Multisig')
      ? [decodeMultisig, sdkMultisig]
      : label.startsWith('Squads Proposal')
        ? [decodeProposalAccount, sdkProposal]
        : [decodeTransactionAccount, sdkTransaction];
    expect(agree(() => ours(a), () => theirs(a), label)).toBe(0);
  });

  it('covers every kind of Squads account in the file', () => {
    expect(squads.length).toBeGreaterThanOrEqual(10);
  });
});

describe('program-derived addresses against web3.js and the SDKs', () => {
  it('derives Squads transaction, proposal and vault PDAs as @sqds/multisig does', () => {
    for (let i = 0; i < 60; i++) {
      const ms = randomKey();
      const index = i < 20 ? BigInt(i) : BigInt('0x' + randomBytes(8).toString('hex'));
      expect(transactionPdaOf(a(ms), index)).toBe(a(multisig.getTransactionPda({ multisigPda: ms, index })[0]));
      expect(proposalPdaOf(a(ms), index)).toBe(a(multisig.getProposalPda({ multisigPda: ms, transactionIndex: index })[0]));
      expect(vaultPdaOf(a(ms), i % 256)).toBe(a(multisig.getVaultPda({ multisigPda: ms, index: i % 256 })[0]));
    }
    expect(() => vaultPdaOf(SANDBOX.multisig, 256)).toThrow(/not a u8/);
  });

  it('derives associated token accounts as spl-token does, for wallets and PDAs under both token programs', () => {
    for (let i = 0; i < 40; i++) {
      const owner = i % 2 ? Keypair.generate().publicKey : randomKey();
      const mint = randomKey();
      const program = i % 3 ? TOKEN_PROGRAM_ID : TOKEN_2022_PROGRAM_ID;
      expect(associatedTokenAddressOf(a(owner), a(mint), a(program))).toBe(a(getAssociatedTokenAddressSync(mint, owner, true, program)));
    }
  });

  it('finds the same address and bump as PublicKey.findProgramAddressSync for any seeds, and refuses what it refuses', () => {
    for (let i = 0; i < 150; i++) {
      const seeds = Array.from({ length: 1 + (i % 5) }, () => randomBytes(Math.floor(Math.random() * 33)));
      const program = randomKey();
      const [expected, bump] = PublicKey.findProgramAddressSync(seeds, program);
      expect(findProgramAddress(seeds.map((s) => new Uint8Array(s)), a(program))).toEqual([a(expected), bump]);
    }
    expect(() => PublicKey.findProgramAddressSync([randomBytes(33)], randomKey())).toThrow();
    expect(() => findProgramAddress([new Uint8Array(33)], SANDBOX.multisig)).toThrow(/at most 32 bytes/);
    expect(() => findProgramAddress(Array.from({ length: 16 }, () => new Uint8Array(1)), SANDBOX.multisig)).toThrow(/at most 15/);
    // The known PDAs of the sandbox come out unchanged.
    const digest = createHash('sha256').update('x').digest();
    expect(findProgramAddress([digest.subarray(0, 32)], PROGRAMS.squads)[0]).toBe(a(PublicKey.findProgramAddressSync([digest.subarray(0, 32)], new PublicKey(PROGRAMS.squads))[0]));
  });
});

describe('Token instructions: @solana-program/token against spl-token', () => {
  /** The decoder as it was (spl-token's decoders on a web3.js instruction), for the six kinds it reads into fields. */
  function reference(ix: TransactionInstruction): unknown {
    const p = ix.programId;
    const signers = (ms: { pubkey: PublicKey }[]) => ms.map((m) => a(m.pubkey));
    switch (ix.data[0]) {
      case TokenInstruction.Transfer: {
        const { keys: k, data } = decodeTransferInstruction(ix, p);
        return { kind: 'token-transfer', source: a(k.source.pubkey), destination: a(k.destination.pubkey), authority: a(k.owner.pubkey), amount: data.amount, multiSigners: signers(k.multiSigners) };
      }
      case TokenInstruction.TransferChecked: {
        const { keys: k, data } = decodeTransferCheckedInstruction(ix, p);
        return { kind: 'token-transfer-checked', source: a(k.source.pubkey), mint: a(k.mint.pubkey), destination: a(k.destination.pubkey), authority: a(k.owner.pubkey), amount: data.amount, decimals: data.decimals, multiSigners: signers(k.multiSigners) };
      }
      case TokenInstruction.SetAuthority: {
        const { keys: k, data } = decodeSetAuthorityInstruction(ix, p);
        return { kind: 'token-set-authority', account: a(k.account.pubkey), currentAuthority: a(k.currentAuthority.pubkey), authorityType: data.authorityType, newAuthority: data.newAuthority ? a(data.newAuthority) : null, multiSigners: signers(k.multiSigners) };
      }
      case TokenInstruction.CloseAccount: {
        const { keys: k } = decodeCloseAccountInstruction(ix, p);
        return { kind: 'token-close-account', account: a(k.account.pubkey), destination: a(k.destination.pubkey), authority: a(k.authority.pubkey), multiSigners: signers(k.multiSigners) };
      }
      case TokenInstruction.Approve: {
        const { keys: k, data } = decodeApproveInstruction(ix, p);
        return { kind: 'token-approve', account: a(k.account.pubkey), delegate: a(k.delegate.pubkey), owner: a(k.owner.pubkey), amount: data.amount, multiSigners: signers(k.multiSigners) };
      }
      case TokenInstruction.ApproveChecked: {
        const { keys: k, data } = decodeApproveCheckedInstruction(ix, p);
        return { kind: 'token-approve-checked', account: a(k.account.pubkey), mint: a(k.mint.pubkey), delegate: a(k.delegate.pubkey), owner: a(k.owner.pubkey), amount: data.amount, decimals: data.decimals, multiSigners: signers(k.multiSigners) };
      }
      default:
        throw new Error('not one of the six');
    }
  }

  const raw = (ix: TransactionInstruction): RawInstruction => ({
    programId: a(ix.programId),
    accounts: ix.keys.map((k) => ({ address: a(k.pubkey), isSigner: k.isSigner, isWritable: k.isWritable })),
    data: new Uint8Array(ix.data),
  });
  const ours = (ix: TransactionInstruction): unknown => {
    const { programId: _p, accounts: _a, data: _d, ...variant } = decodeInstruction(raw(ix)) as DecodedInstruction & Record<string, unknown>;
    if (variant.kind === 'malformed') throw new Error(String(variant['error']));
    return variant;
  };

  it('reads every field the same on built instructions and on thousands of mutations of them', () => {
    const amount = () => BigInt('0x' + randomBytes(8).toString('hex'));
    let refused = 0;
    let tried = 0;
    let read = 0;
    for (let i = 0; i < 120; i++) {
      const program = i % 2 ? TOKEN_PROGRAM_ID : TOKEN_2022_PROGRAM_ID;
      const signers = Array.from({ length: i % 4 }, () => randomKey());
      const owner = signers.length > 0 ? randomKey() : randomKey();
      const built = [
        createTransferInstruction(randomKey(), randomKey(), owner, amount(), signers, program),
        createTransferCheckedInstruction(randomKey(), randomKey(), randomKey(), owner, amount(), i % 19, signers, program),
        createSetAuthorityInstruction(randomKey(), owner, i % 4, i % 3 ? randomKey() : null, signers, program),
        createCloseAccountInstruction(randomKey(), randomKey(), owner, signers, program),
        createApproveInstruction(randomKey(), randomKey(), owner, amount(), signers, program),
        createApproveCheckedInstruction(randomKey(), randomKey(), randomKey(), owner, amount(), i % 19, signers, program),
      ];
      for (const ix of built) {
        expect(agree(() => ours(ix), () => reference(ix), `built ${ix.data[0]}`)).toBe(0);
        read++;
        const variants = [
          new TransactionInstruction({ ...ix, data: ix.data.subarray(0, Math.floor(Math.random() * ix.data.length)) }),
          new TransactionInstruction({ ...ix, data: Buffer.concat([ix.data, randomBytes(1 + (i % 3))]) }),
          new TransactionInstruction({ ...ix, keys: ix.keys.slice(0, Math.floor(Math.random() * ix.keys.length)) }),
          ...Array.from({ length: 4 }, () => {
            const data = Buffer.from(ix.data);
            const at = 1 + Math.floor(Math.random() * (data.length - 1));
            data[at] = Math.floor(Math.random() * 256);
            return new TransactionInstruction({ ...ix, data });
          }),
        ];
        for (const m of variants) {
          if (m.data[0] !== ix.data[0]) continue;
          refused += agree(() => ours(m), () => reference(m), `mutated ${ix.data[0]}`);
          tried++;
        }
      }
    }
    expect(read).toBe(720);
    // Truncated data and missing accounts are refused; flipped amounts, keys and decimals still read and were compared.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(tried);
  });

  it('names the other instructions as spl-token does', () => {
    for (let tag = 0; tag <= TokenInstruction.UiAmountToAmount; tag++) {
      if ([3, 4, 6, 9, 12, 13].includes(tag)) continue;
      const d = decodeInstruction({ programId: PROGRAMS.token, accounts: [], data: Uint8Array.of(tag) });
      expect(d.kind === 'token-other' ? d.name : d.kind).toBe(TokenInstruction[tag]!.charAt(0).toLowerCase() + TokenInstruction[tag]!.slice(1));
    }
    void AuthorityType;
  });
});
