import { describe, expect, it } from 'vitest';
import { address, createNoopSigner, type Address } from '@solana/kit';
import { ComputeBudgetProgram, Keypair, PublicKey, SystemProgram, TransactionInstruction } from '@solana/web3.js';
import {
  AuthorityType,
  createApproveCheckedInstruction,
  createApproveInstruction,
  createAssociatedTokenAccountIdempotentInstruction,
  createAssociatedTokenAccountInstruction,
  createCloseAccountInstruction,
  createInitializeImmutableOwnerInstruction,
  createMintToInstruction,
  createRecoverNestedInstruction,
  createSetAuthorityInstruction,
  createTransferCheckedInstruction,
  createTransferInstruction,
  TOKEN_2022_PROGRAM_ID,
} from '@solana/spl-token';
import * as multisig from '@sqds/multisig';
import { getDepositToFarmVaultInstruction } from '@kamino-finance/farms-sdk/dist/@codegen/farms/instructions/depositToFarmVault.js';
import { decodeInstruction, type DecodedInstruction, type RawInstruction } from '../../src/chain/instructions.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';
import { kitToWeb3Instruction, withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';

const pk = (a: Address) => new PublicKey(a);
const raw = (ix: TransactionInstruction): RawInstruction => ({
  programId: address(ix.programId.toBase58()),
  accounts: ix.keys.map((k) => ({ address: address(k.pubkey.toBase58()), isSigner: k.isSigner, isWritable: k.isWritable })),
  data: new Uint8Array(ix.data),
});
const decode = (ix: TransactionInstruction): DecodedInstruction => decodeInstruction(raw(ix));
/** Narrows to one variant or fails the test with what it got instead. */
function as<K extends DecodedInstruction['kind']>(d: DecodedInstruction, kind: K): Extract<DecodedInstruction, { kind: K }> {
  expect(d.kind, JSON.stringify(d, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(kind);
  return d as Extract<DecodedInstruction, { kind: K }>;
}
const other = address(Keypair.fromSeed(new Uint8Array(32).fill(9)).publicKey.toBase58());

describe('farms instructions', () => {
  it('decodes withdraw_from_farm_vault with its amount and named accounts', () => {
    const [withdraw] = withdrawalInstructions({ amount: 123_456_789n });
    const d = as(decode(withdraw!), 'farms-withdraw-from-farm-vault');
    expect(d.amount).toBe(123_456_789n);
    expect(d.withdrawAuthority).toBe(SANDBOX.vaultPda);
    expect(d.farmState).toBe(SANDBOX.farm);
    expect(d.withdrawerTokenAccount).toBe(SANDBOX.vaultPdaSharesAta);
    expect(d.farmVault).toBe(SANDBOX.farmVault);
    expect(d.farmVaultsAuthority).toBe(SANDBOX.farmVaultsAuthority);
    expect(d.tokenProgram).toBe(PROGRAMS.token);
    expect(d.programId).toBe(PROGRAMS.farms);
    expect(d.accounts[0]).toEqual({ address: SANDBOX.vaultPda, isSigner: true, isWritable: true });
    expect(Buffer.from(d.data).toString('hex')).toBe('165280fa564f7c4e15cd5b0700000000'); // withdraw_from_farm_vault: discriminator, then the u64 amount (docs/chain.md#farms-the-insurance-pool)
  });

  it('names any other farms instruction', () => {
    const ix = getDepositToFarmVaultInstruction({
      depositor: createNoopSigner(SANDBOX.vaultPda),
      farmState: SANDBOX.farm,
      farmVault: SANDBOX.farmVault,
      depositorAta: SANDBOX.vaultPdaSharesAta,
      amount: 5n,
    });
    expect(as(decode(kitToWeb3Instruction(ix)), 'farms-other').name).toBe('deposit_to_farm_vault');
  });

  it('reports an unknown farms discriminator, truncated data or missing accounts as malformed', () => {
    const [withdraw] = withdrawalInstructions({ amount: 1n });
    const unknown = new TransactionInstruction({ ...withdraw!, data: Buffer.alloc(16, 0xee) });
    expect(as(decode(unknown), 'malformed').error).toMatch(/farms/);
    as(decode(new TransactionInstruction({ ...withdraw!, data: withdraw!.data.subarray(0, 12) })), 'malformed');
    as(decode(new TransactionInstruction({ ...withdraw!, keys: withdraw!.keys.slice(0, 5) })), 'malformed');
  });
});

describe('SPL Token and Token-2022 instructions', () => {
  const [src, mint, dst, owner] = [SANDBOX.vaultPdaSharesAta, SANDBOX.sharesMint, SANDBOX.escrow, SANDBOX.vaultPda].map(pk) as [PublicKey, PublicKey, PublicKey, PublicKey];

  it('decodes transfer', () => {
    const d = as(decode(createTransferInstruction(src, dst, owner, 42n)), 'token-transfer');
    expect([d.source, d.destination, d.authority, d.amount]).toEqual([SANDBOX.vaultPdaSharesAta, SANDBOX.escrow, SANDBOX.vaultPda, 42n]);
    expect(d.multiSigners).toEqual([]);
  });

  it('decodes transferChecked, and lists multisig co-signers after the authority', () => {
    const d = as(decode(createTransferCheckedInstruction(src, mint, dst, owner, 1_500_000n, 6)), 'token-transfer-checked');
    expect([d.source, d.mint, d.destination, d.authority, d.amount, d.decimals]).toEqual([
      SANDBOX.vaultPdaSharesAta, SANDBOX.sharesMint, SANDBOX.escrow, SANDBOX.vaultPda, 1_500_000n, 6,
    ]);
    const m = as(decode(createTransferCheckedInstruction(src, mint, dst, owner, 1n, 6, [pk(other)])), 'token-transfer-checked');
    expect(m.multiSigners).toEqual([other]);
  });

  it('decodes the same shapes under Token-2022, telling the program by programId', () => {
    const d = as(decode(createTransferCheckedInstruction(src, mint, dst, owner, 7n, 6, [], TOKEN_2022_PROGRAM_ID)), 'token-transfer-checked');
    expect(d.programId).toBe(PROGRAMS.token2022);
    expect(d.amount).toBe(7n);
  });

  it('decodes setAuthority, closeAccount, approve and approveChecked', () => {
    const s = as(decode(createSetAuthorityInstruction(src, owner, AuthorityType.AccountOwner, pk(other))), 'token-set-authority');
    expect([s.account, s.currentAuthority, s.authorityType, s.newAuthority]).toEqual([SANDBOX.vaultPdaSharesAta, SANDBOX.vaultPda, AuthorityType.AccountOwner, other]);
    const none = as(decode(createSetAuthorityInstruction(src, owner, AuthorityType.CloseAccount, null)), 'token-set-authority');
    expect(none.newAuthority).toBeNull();
    const c = as(decode(createCloseAccountInstruction(src, pk(other), owner)), 'token-close-account');
    expect([c.account, c.destination, c.authority]).toEqual([SANDBOX.vaultPdaSharesAta, other, SANDBOX.vaultPda]);
    const a = as(decode(createApproveInstruction(src, pk(other), owner, 9n)), 'token-approve');
    expect([a.account, a.delegate, a.owner, a.amount]).toEqual([SANDBOX.vaultPdaSharesAta, other, SANDBOX.vaultPda, 9n]);
    const ac = as(decode(createApproveCheckedInstruction(src, mint, pk(other), owner, 10n, 6)), 'token-approve-checked');
    expect([ac.account, ac.mint, ac.delegate, ac.owner, ac.amount, ac.decimals]).toEqual([SANDBOX.vaultPdaSharesAta, SANDBOX.sharesMint, other, SANDBOX.vaultPda, 10n, 6]);
  });

  it('names the other token instructions', () => {
    expect(as(decode(createMintToInstruction(mint, dst, owner, 1n)), 'token-other').name).toBe('mintTo');
    expect(as(decode(createInitializeImmutableOwnerInstruction(dst, TOKEN_2022_PROGRAM_ID)), 'token-other').name).toBe('initializeImmutableOwner');
    const feeExt = new TransactionInstruction({ programId: TOKEN_2022_PROGRAM_ID, keys: [], data: Buffer.from([26, 1]) });
    expect(as(decode(feeExt), 'token-other').name).toBe('transferFeeExtension');
  });

  it('reports malformed token data', () => {
    const t = createTransferInstruction(src, dst, owner, 42n);
    expect(as(decode(new TransactionInstruction({ ...t, data: t.data.subarray(0, 5) })), 'malformed').error).toMatch(/token/);
    as(decode(new TransactionInstruction({ ...t, keys: t.keys.slice(0, 2) })), 'malformed');
    as(decode(new TransactionInstruction({ ...t, data: Buffer.alloc(0) })), 'malformed');
    // a Token-2022-only tag sent to the legacy Token program, and a tag neither knows
    as(decode(new TransactionInstruction({ ...t, data: Buffer.from([26, 1]) })), 'malformed');
    as(decode(new TransactionInstruction({ ...t, programId: TOKEN_2022_PROGRAM_ID, data: Buffer.from([200]) })), 'malformed');
  });
});

describe('associated token account instructions', () => {
  const args = [SANDBOX.vaultPda, SANDBOX.vaultPdaSharesAta, SANDBOX.vaultPda, SANDBOX.sharesMint].map(pk) as [PublicKey, PublicKey, PublicKey, PublicKey];

  it('decodes createIdempotent', () => {
    const d = as(decode(createAssociatedTokenAccountIdempotentInstruction(...args)), 'ata-create');
    expect(d.idempotent).toBe(true);
    expect([d.payer, d.associatedToken, d.owner, d.mint, d.systemProgram, d.tokenProgram]).toEqual([
      SANDBOX.vaultPda, SANDBOX.vaultPdaSharesAta, SANDBOX.vaultPda, SANDBOX.sharesMint, PROGRAMS.system, PROGRAMS.token,
    ]);
  });

  it('decodes create (empty data) as not idempotent', () => {
    const ix = createAssociatedTokenAccountInstruction(...args);
    expect(ix.data.length).toBe(0);
    expect(as(decode(ix), 'ata-create').idempotent).toBe(false);
  });

  it('names recoverNested and refuses unknown data', () => {
    const k = pk(other);
    expect(as(decode(createRecoverNestedInstruction(k, k, k, k, k, k)), 'ata-other').name).toBe('recoverNested');
    const ix = createAssociatedTokenAccountIdempotentInstruction(...args);
    as(decode(new TransactionInstruction({ ...ix, data: Buffer.from([7]) })), 'malformed');
    as(decode(new TransactionInstruction({ ...ix, keys: ix.keys.slice(0, 5) })), 'malformed');
    as(decode(new TransactionInstruction({ ...ix, data: Buffer.from([1, 0]) })), 'malformed');
    const nested = createRecoverNestedInstruction(k, k, k, k, k, k);
    as(decode(new TransactionInstruction({ ...nested, keys: nested.keys.slice(0, 6) })), 'malformed');
  });
});

describe('compute budget, system, memo and Squads instructions', () => {
  it('names compute budget instructions and refuses bad lengths', () => {
    expect(as(decode(ComputeBudgetProgram.setComputeUnitLimit({ units: 200_000 })), 'compute-budget').name).toBe('setComputeUnitLimit');
    expect(as(decode(ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 5 })), 'compute-budget').name).toBe('setComputeUnitPrice');
    const ix = ComputeBudgetProgram.setComputeUnitLimit({ units: 1 });
    as(decode(new TransactionInstruction({ ...ix, data: ix.data.subarray(0, 3) })), 'malformed');
  });

  it('names the other compute budget instructions and refuses trailing bytes, as the runtime does', () => {
    expect(as(decode(ComputeBudgetProgram.requestHeapFrame({ bytes: 256 * 1024 })), 'compute-budget').name).toBe('requestHeapFrame');
    const loaded = new TransactionInstruction({ programId: pk(PROGRAMS.computeBudget), keys: [], data: Buffer.from([4, 0, 0, 1, 0]) });
    expect(as(decode(loaded), 'compute-budget').name).toBe('setLoadedAccountsDataSizeLimit');
    const ix = ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 5 });
    as(decode(new TransactionInstruction({ ...ix, data: Buffer.concat([ix.data, Buffer.from([0])]) })), 'malformed');
    as(decode(new TransactionInstruction({ ...ix, data: Buffer.from([5, 0, 0, 0, 0]) })), 'malformed');
  });

  it('names other system instructions, and refuses one without its accounts', () => {
    expect(as(decode(SystemProgram.assign({ accountPubkey: pk(other), programId: pk(other) })), 'system').name).toBe('assign');
    expect(as(decode(SystemProgram.allocate({ accountPubkey: pk(other), space: 8 })), 'system').name).toBe('allocate');
    const transfer = SystemProgram.transfer({ fromPubkey: pk(SANDBOX.vaultPda), toPubkey: pk(other), lamports: 1 });
    expect(as(decode(new TransactionInstruction({ ...transfer, keys: transfer.keys.slice(0, 1) })), 'malformed').error).toMatch(/system/);
    as(decode(new TransactionInstruction({ ...transfer, data: Buffer.from([2, 0]) })), 'malformed');
  });

  it('decodes the system program u32 tag', () => {
    const transfer = SystemProgram.transfer({ fromPubkey: pk(SANDBOX.vaultPda), toPubkey: pk(other), lamports: 1 });
    expect(as(decode(transfer), 'system').name).toBe('transfer');
    const create = SystemProgram.createAccount({ fromPubkey: pk(SANDBOX.vaultPda), newAccountPubkey: pk(other), lamports: 1, space: 0, programId: pk(other) });
    expect(as(decode(create), 'system').name).toBe('createAccount');
    as(decode(new TransactionInstruction({ ...transfer, data: Buffer.from([99, 0, 0, 0]) })), 'malformed');
  });

  it('decodes memo text under both memo programs; invalid UTF-8 is malformed', () => {
    const memo = (programId: string, data: Buffer) => new TransactionInstruction({ programId: new PublicKey(programId), keys: [], data });
    expect(as(decode(memo(PROGRAMS.memo, Buffer.from('loss le-1'))), 'memo').text).toBe('loss le-1');
    expect(as(decode(memo('Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo', Buffer.from('hi'))), 'memo').text).toBe('hi');
    as(decode(memo(PROGRAMS.memo, Buffer.from([0xff, 0xfe]))), 'malformed');
  });

  it('names a Squads self-call by its discriminator', () => {
    const approve = multisig.instructions.proposalApprove({ multisigPda: pk(SANDBOX.multisig), transactionIndex: 1n, member: pk(SANDBOX.vaultPda) });
    expect(as(decode(approve), 'squads').name).toBe('proposal_approve');
    const addMember = multisig.instructions.multisigAddMember({
      multisigPda: pk(SANDBOX.multisig),
      configAuthority: pk(SANDBOX.vaultPda),
      rentPayer: pk(SANDBOX.vaultPda),
      newMember: { key: pk(other), permissions: multisig.types.Permissions.all() },
    });
    expect(as(decode(addMember), 'squads').name).toBe('multisig_add_member');
    as(decode(new TransactionInstruction({ ...approve, data: Buffer.alloc(8, 1) })), 'malformed');
  });
});

describe('unknown programs and robustness', () => {
  it('reports any other program as unknown, keeping the raw fields', () => {
    const ix = new TransactionInstruction({ programId: pk(other), keys: [{ pubkey: pk(SANDBOX.vaultPda), isSigner: true, isWritable: true }], data: Buffer.from([1, 2, 3]) });
    const d = as(decode(ix), 'unknown');
    expect(d.programId).toBe(other);
    expect(d.accounts).toEqual([{ address: SANDBOX.vaultPda, isSigner: true, isWritable: true }]);
    expect([...d.data]).toEqual([1, 2, 3]);
  });

  it('never throws on arbitrary bytes for any known program', () => {
    const programs = [PROGRAMS.farms, PROGRAMS.token, PROGRAMS.token2022, PROGRAMS.ata, PROGRAMS.system, PROGRAMS.computeBudget, PROGRAMS.memo, PROGRAMS.squads];
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (const programId of programs) {
      for (let n = 0; n < 40; n++) {
        const data = Uint8Array.from({ length: rnd() % 48 }, rnd);
        const accounts = Array.from({ length: rnd() % 8 }, () => ({ address: other, isSigner: false, isWritable: true }));
        expect(() => decodeInstruction({ programId, accounts, data })).not.toThrow();
      }
    }
  });
});
