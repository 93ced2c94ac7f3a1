import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Connection,
  Keypair,
  PublicKey,
  SystemProgram,
  Transaction,
  TransactionInstruction,
  TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js';
import { address, getBase58Decoder, type Address } from '@solana/kit';
import * as multisig from '@sqds/multisig';
import { AccountLayout, createAssociatedTokenAccountIdempotentInstruction, createTransferCheckedInstruction, getAssociatedTokenAddressSync } from '@solana/spl-token';
import { toCliAccountJson } from '../../src/chain/account-json.ts';
import { InvalidAccountJson } from '../../src/chain/errors.ts';
import { BLOCKHASH_VALIDITY, SQUADS_PROGRAM_CONFIG, startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { mintAccount, tokenAccount } from '../../src/sandbox/fixtures/token.ts';
import { PROGRAMS, SANDBOX, SANDBOX_KEYPAIRS } from '../../src/sandbox/seeds.ts';

const addr = (k: Keypair | PublicKey): Address => address(('publicKey' in k ? k.publicKey : k).toBase58());

let harness: Harness;
let connection: Connection;

async function rpc(body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

function transfer(payer: Keypair, to: PublicKey, lamports: number, blockhash: string): Transaction {
  const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(
    SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports }),
  );
  tx.sign(payer);
  return tx;
}

function squadsApprove(member: Keypair, index: bigint, blockhash: string): Transaction {
  const tx = new Transaction({ feePayer: member.publicKey, recentBlockhash: blockhash }).add(
    multisig.instructions.proposalApprove({ multisigPda: new PublicKey(SANDBOX.multisig), transactionIndex: index, member: member.publicKey }),
  );
  tx.sign(member);
  return tx;
}

beforeAll(async () => {
  harness = await startHarness();
  connection = new Connection(harness.url, { commitment: 'confirmed', disableRetryOnRateLimit: true });
});
afterAll(async () => {
  await harness.close();
});
afterEach(() => {
  harness.faults.clear();
});

describe('harness JSON-RPC answers shapes web3.js v1 accepts', () => {
  it('serves getAccountInfo and getMultipleAccounts in base64', async () => {
    const a = addr(Keypair.generate());
    const owner = PROGRAMS.token;
    harness.setAccount({ address: a, owner, lamports: 1_461_600n, data: Uint8Array.from([9, 8, 7]), executable: false });
    const info = await connection.getAccountInfo(new PublicKey(a));
    expect(info?.owner.toBase58()).toBe(owner);
    expect(info?.lamports).toBe(1_461_600);
    expect([...info!.data]).toEqual([9, 8, 7]);
    const missing = Keypair.generate().publicKey;
    const many = await connection.getMultipleAccountsInfo([new PublicKey(a), missing]);
    expect(many[0]?.data.length).toBe(3);
    expect(many[1]).toBeNull();
  });

  it('serves slots, heights, blockhashes, balances, rent, genesis, version and epoch info', async () => {
    const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();
    const height = await connection.getBlockHeight();
    expect(lastValidBlockHeight).toBe(height + BLOCKHASH_VALIDITY);
    expect((await connection.isBlockhashValid(blockhash)).value).toBe(true);
    expect(await connection.getSlot()).toBeGreaterThan(0);
    expect(await connection.getBalance(Keypair.generate().publicKey)).toBe(0);
    expect(await connection.getMinimumBalanceForRentExemption(165)).toBe(2_039_280);
    expect(await connection.getGenesisHash()).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect((await connection.getVersion())['solana-core']).toBeTypeOf('string');
    const epoch = await connection.getEpochInfo();
    expect(epoch.blockHeight).toBe(height);
  });

  it('executes a System transfer, confirms it and serves its transaction', async () => {
    const payer = Keypair.generate();
    const to = Keypair.generate().publicKey;
    harness.airdrop(addr(payer), 1_000_000_000n);
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = transfer(payer, to, 5_000_000, blockhash);
    const sig = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: false });
    const statuses = await connection.getSignatureStatuses([sig]);
    expect(statuses.value[0]?.confirmationStatus).toBe('finalized');
    expect(statuses.value[0]?.err).toBeNull();
    const got = await connection.getTransaction(sig, { maxSupportedTransactionVersion: 0, commitment: 'confirmed' });
    expect(got?.meta?.err).toBeNull();
    expect(got?.transaction.signatures[0]).toBe(sig);
    expect(got?.meta?.postBalances[1]).toBe(5_000_000);
    expect(got?.meta?.fee).toBe(5000);
    expect(got?.meta?.preBalances[0]! - got!.meta!.postBalances[0]!).toBe(5_005_000);
  });

  it('serves a failed (landed) transaction with its error and logs', async () => {
    const payer = Keypair.generate();
    harness.airdrop(addr(payer), 100_000_000n);
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = transfer(payer, Keypair.generate().publicKey, 500_000_000, blockhash);
    const sig = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    const [status] = (await connection.getSignatureStatuses([sig])).value;
    expect(status?.err).toEqual({ InstructionError: [0, { Custom: 1 }] });
    const got = await connection.getTransaction(sig, { maxSupportedTransactionVersion: 0 });
    expect(got?.meta?.logMessages?.join('\n')).toMatch(/insufficient lamports/);
  });

  it('refuses a failing transaction at preflight', async () => {
    const payer = Keypair.generate();
    harness.airdrop(addr(payer), 100_000_000n);
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = transfer(payer, Keypair.generate().publicKey, 500_000_000, blockhash);
    await expect(connection.sendRawTransaction(tx.serialize(), { skipPreflight: false })).rejects.toThrow(/simulation failed/i);
    expect((await connection.getSignatureStatuses([getBase58Decoder().decode(tx.signature!)])).value[0]).toBeNull();
  });

  it('simulates a v0 transaction without executing it', async () => {
    const payer = Keypair.generate();
    const to = Keypair.generate().publicKey;
    harness.airdrop(addr(payer), 1_000_000_000n);
    const { blockhash } = await connection.getLatestBlockhash();
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 7_000_000 })],
    }).compileToV0Message();
    const vtx = new VersionedTransaction(message);
    vtx.sign([payer]);
    const sim = await connection.simulateTransaction(vtx, { sigVerify: true, accounts: { encoding: 'base64', addresses: [to.toBase58()] } });
    expect(sim.value.err).toBeNull();
    expect(sim.value.logs?.length).toBeGreaterThan(0);
    expect(sim.value.accounts?.[0]?.lamports).toBe(7_000_000);
    expect(await connection.getBalance(to)).toBe(0);
  });

  it('simulates an unsigned transaction with a stale blockhash when asked to replace it', async () => {
    const payer = Keypair.generate();
    harness.airdrop(addr(payer), 1_000_000_000n);
    const stale = Keypair.generate().publicKey.toBase58(); // a blockhash the harness never issued
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: stale,
      instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 2_000_000 })],
    }).compileToV0Message();
    const vtx = new VersionedTransaction(message); // unsigned
    const replaced = await connection.simulateTransaction(vtx, { sigVerify: false, replaceRecentBlockhash: true });
    expect(replaced.value.err).toBeNull();
    const kept = await connection.simulateTransaction(vtx, { sigVerify: false });
    expect(kept.value.err).toBe('BlockhashNotFound');
  });

  it('simulates unsigned SPL Token transfers with `accounts`: post-state comes back in base64, the chain is unchanged', async () => {
    const payer = Keypair.generate();
    const owner = Keypair.generate();
    const [mint, from, to] = [0, 1, 2].map(() => addr(Keypair.generate()));
    harness.airdrop(addr(payer), 1_000_000_000n);
    harness.setAccount(mintAccount({ address: mint!, supply: 1_000n }));
    harness.setAccount(tokenAccount({ address: from!, owner: addr(owner), mint: mint!, amount: 600n, lamports: 2_039_280n }));
    harness.setAccount(tokenAccount({ address: to!, owner: addr(Keypair.generate()), mint: mint!, amount: 400n, lamports: 2_039_280n }));
    const { blockhash } = await connection.getLatestBlockhash();
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: [
        createTransferCheckedInstruction(new PublicKey(from!), new PublicKey(mint!), new PublicKey(to!), owner.publicKey, 150n, 6),
        createTransferCheckedInstruction(new PublicKey(from!), new PublicKey(mint!), new PublicKey(to!), owner.publicKey, 50n, 6),
      ],
    }).compileToV0Message();
    const unsigned = new VersionedTransaction(message).serialize(); // two zero signatures: the payer's and the owner's
    const before = { slot: await connection.getSlot(), count: (await connection.getEpochInfo()).transactionCount };
    const simulations = harness.simulatedTransactions().length;
    const { json } = await rpc({
      jsonrpc: '2.0', id: 1, method: 'simulateTransaction',
      params: [Buffer.from(unsigned).toString('base64'), { encoding: 'base64', sigVerify: false, accounts: { encoding: 'base64', addresses: [from, to, addr(payer)] } }],
    });
    const value = json.result.value;
    expect(value.err).toBeNull();
    const amountOf = (a: { data: [string, string] }) => AccountLayout.decode(Buffer.from(a.data[0], 'base64')).amount;
    expect(value.accounts[0].data[1]).toBe('base64');
    expect(value.accounts[0].owner).toBe(PROGRAMS.token);
    expect([amountOf(value.accounts[0]), amountOf(value.accounts[1])]).toEqual([400n, 600n]);
    expect(value.accounts[2].lamports).toBe(1_000_000_000 - 10_000); // the fee of two signatures
    // Nothing changed: balances, slot, executed transactions.
    expect(AccountLayout.decode(Buffer.from(harness.getAccount(from!)!.data)).amount).toBe(600n);
    expect(AccountLayout.decode(Buffer.from(harness.getAccount(to!)!.data)).amount).toBe(400n);
    expect(harness.getAccount(addr(payer))!.lamports).toBe(1_000_000_000n);
    expect({ slot: await connection.getSlot(), count: (await connection.getEpochInfo()).transactionCount }).toEqual(before);
    // The exact bytes received are kept: all signatures zero.
    const received = harness.simulatedTransactions();
    expect(received).toHaveLength(simulations + 1);
    expect([...received.at(-1)!]).toEqual([...unsigned]);
  });

  it('answers null accounts when the simulation fails, refuses base58 accounts and more accounts than the message has', async () => {
    const payer = Keypair.generate();
    harness.airdrop(addr(payer), 1_000_000n);
    const to = Keypair.generate().publicKey;
    const { blockhash } = await connection.getLatestBlockhash();
    const vtx = new VersionedTransaction(
      new TransactionMessage({ payerKey: payer.publicKey, recentBlockhash: blockhash, instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 5_000_000 })] }).compileToV0Message(),
    );
    const b64 = Buffer.from(vtx.serialize()).toString('base64');
    const simulate = (accounts: unknown) => rpc({ jsonrpc: '2.0', id: 1, method: 'simulateTransaction', params: [b64, { encoding: 'base64', sigVerify: false, accounts }] });
    const failed = (await simulate({ addresses: [to.toBase58()] })).json.result.value;
    expect(failed.err).toEqual({ InstructionError: [0, { Custom: 1 }] });
    expect(failed.accounts).toEqual([null]);
    expect((await simulate({ encoding: 'base58', addresses: [to.toBase58()] })).json.error).toMatchObject({ code: -32602, message: 'base58 encoding not supported' });
    const four = [0, 1, 2, 3].map(() => Keypair.generate().publicKey.toBase58());
    expect((await simulate({ addresses: four })).json.error).toMatchObject({ code: -32602, message: 'Too many accounts provided; max 3' });
  });

  it('answers inner instructions only when asked, in the form web3.js accepts', async () => {
    const payer = Keypair.generate();
    const owner = Keypair.generate().publicKey;
    const mint = addr(Keypair.generate());
    harness.airdrop(addr(payer), 1_000_000_000n);
    harness.setAccount(mintAccount({ address: mint }));
    const ata = getAssociatedTokenAddressSync(new PublicKey(mint), owner);
    const { blockhash } = await connection.getLatestBlockhash();
    const vtx = new VersionedTransaction(
      new TransactionMessage({
        payerKey: payer.publicKey,
        recentBlockhash: blockhash,
        instructions: [createAssociatedTokenAccountIdempotentInstruction(payer.publicKey, ata, owner, new PublicKey(mint))],
      }).compileToV0Message(),
    );
    const asked = await connection.simulateTransaction(vtx, { sigVerify: false, innerInstructions: true, accounts: { encoding: 'base64', addresses: [ata.toBase58()] } });
    expect(asked.value.err).toBeNull();
    const inner = asked.value.innerInstructions![0]!.instructions.map((i) => i.programId.toBase58());
    expect(inner).toContain(PROGRAMS.system);
    expect(inner).toContain(PROGRAMS.token);
    expect(asked.value.accounts![0]!.owner).toBe(PROGRAMS.token);
    const plain = await connection.simulateTransaction(vtx, { sigVerify: false });
    expect(plain.value.innerInstructions ?? null).toBeNull();
    expect(harness.getAccount(address(ata.toBase58()))).toBeNull();
  });

  it('sends base58-encoded transactions and answers batch requests', async () => {
    const payer = Keypair.generate();
    harness.airdrop(addr(payer), 1_000_000_000n);
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = transfer(payer, Keypair.generate().publicKey, 1_000_000, blockhash);
    const b58 = getBase58Decoder().decode(tx.serialize());
    const { json } = await rpc([
      { jsonrpc: '2.0', id: 1, method: 'sendTransaction', params: [b58, { encoding: 'base58', skipPreflight: true }] },
      { jsonrpc: '2.0', id: 2, method: 'getSlot', params: [] },
      { jsonrpc: '2.0', id: 3, method: 'noSuchMethod', params: [] },
    ]);
    expect(json).toHaveLength(3);
    expect(json[0]).toEqual({ jsonrpc: '2.0', id: 1, result: getBase58Decoder().decode(tx.signature!) });
    expect(json[1].result).toBeTypeOf('number');
    expect(json[2].error.code).toBe(-32601);
  });

  it('answers a parse error for a body that is not JSON', async () => {
    const res = await fetch(harness.url, { method: 'POST', body: '{not json' });
    expect((await res.json()).error.code).toBe(-32700);
  });
});

describe('harness account loading', () => {
  it('loads Solana CLI account JSON entries', async () => {
    const a = addr(Keypair.generate());
    const entry = toCliAccountJson({ address: a, owner: PROGRAMS.system, lamports: 42n, data: Uint8Array.from([1, 2]), executable: false });
    harness.loadAccountJson([JSON.parse(JSON.stringify(entry))]);
    expect(harness.getAccount(a)).toEqual({ address: a, owner: PROGRAMS.system, lamports: 42n, data: Uint8Array.from([1, 2]), executable: false });
  });

  it('refuses an entry with bad base64 and loads none of the batch', () => {
    const good = addr(Keypair.generate());
    const bad = addr(Keypair.generate());
    const entries = [
      { pubkey: good, account: { lamports: 1, data: ['AQI=', 'base64'], owner: PROGRAMS.system, executable: false } },
      { pubkey: bad, account: { lamports: 1, data: ['*not base64*', 'base64'], owner: PROGRAMS.system, executable: false } },
    ];
    expect(() => harness.loadAccountJson(entries)).toThrow(InvalidAccountJson);
    expect(() => harness.loadAccountJson(entries)).toThrow(bad);
    expect(harness.getAccount(good)).toBeNull();
  });

  it('serves lookup tables as ordinary accounts', async () => {
    const table = addr(Keypair.generate());
    const data = new Uint8Array(56 + 32);
    data.set(new PublicKey(SANDBOX.escrow).toBytes(), 56);
    harness.setAccount({ address: table, owner: address('AddressLookupTab1e1111111111111111111111111'), lamports: 1_000_000n, data, executable: false });
    const info = await connection.getAccountInfo(new PublicKey(table));
    expect(new PublicKey(info!.data.subarray(56, 88)).toBase58()).toBe(SANDBOX.escrow);
  });
});

describe('harness recorded mode', () => {
  it('is in recorded mode without program binaries', () => {
    expect(harness.mode).toBe('recorded');
    expect(harness.loadedPrograms).toEqual([]);
  });

  it('records a verified Squads transaction with its decoded message, not executed', async () => {
    const member = SANDBOX_KEYPAIRS.curator;
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = squadsApprove(member, 7n, blockhash);
    const sig = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    const rec = harness.recordedTransactions().find((t) => t.signature === sig);
    expect(rec?.message.staticAccounts[0]).toBe(addr(member));
    expect(rec?.message.lifetimeToken).toBe(blockhash);
    expect(rec?.missingPrograms).toEqual([PROGRAMS.squads]);
    expect([...rec!.bytes]).toEqual([...tx.serialize()]);
    expect(rec?.recordedAt).toBeInstanceOf(Date);
    expect((await connection.getSignatureStatuses([sig])).value).toEqual([null]);
    expect(harness.getAccount(SANDBOX.multisig)).toBeNull(); // nothing imitated
  });

  it('refuses a Squads transaction missing a required signature', async () => {
    const member = SANDBOX_KEYPAIRS.curator;
    const feePayer = SANDBOX_KEYPAIRS.feePayer;
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = new Transaction({ feePayer: feePayer.publicKey, recentBlockhash: blockhash }).add(
      multisig.instructions.proposalApprove({ multisigPda: new PublicKey(SANDBOX.multisig), transactionIndex: 8n, member: member.publicKey }),
    );
    tx.partialSign(feePayer);
    const before = harness.recordedTransactions().length;
    const { json } = await rpc({
      jsonrpc: '2.0',
      id: 1,
      method: 'sendTransaction',
      params: [tx.serialize({ requireAllSignatures: false }).toString('base64'), { encoding: 'base64', skipPreflight: true }],
    });
    expect(json.error.code).toBe(-32003);
    expect(json.error.message).toMatch(new RegExp(`missing signature of ${member.publicKey.toBase58()}`));
    expect(harness.recordedTransactions()).toHaveLength(before);
  });

  it('refuses a Squads transaction whose signature was made over other bytes', async () => {
    const member = SANDBOX_KEYPAIRS.curator;
    const { blockhash } = await connection.getLatestBlockhash();
    const a = squadsApprove(member, 9n, blockhash);
    const b = squadsApprove(member, 10n, blockhash);
    const forged = a.serialize();
    forged.set(b.signature!, 1); // b's valid signature on a's message
    const before = harness.recordedTransactions().length;
    await expect(connection.sendRawTransaction(forged, { skipPreflight: true })).rejects.toThrow(/signature verification failure/);
    expect(harness.recordedTransactions()).toHaveLength(before);
  });

  it('answers undecodable bytes with an invalid-params error', async () => {
    const { json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'sendTransaction', params: [Buffer.from([1, 2, 3]).toString('base64'), { encoding: 'base64' }] });
    expect(json.error.code).toBe(-32602);
  });
});

describe('harness blockhash and height', () => {
  it('moves the height only when the blockhash is expired', async () => {
    const h0 = await connection.getBlockHeight();
    const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();
    const payer = Keypair.generate();
    harness.airdrop(addr(payer), 1_000_000_000n);
    await connection.sendRawTransaction(transfer(payer, Keypair.generate().publicKey, 1_000_000, blockhash).serialize());
    expect(await connection.getBlockHeight()).toBe(h0);
    harness.expireBlockhash();
    expect(await connection.getBlockHeight()).toBeGreaterThan(lastValidBlockHeight);
    expect((await connection.isBlockhashValid(blockhash)).value).toBe(false);
    const next = await connection.getLatestBlockhash();
    expect(next.blockhash).not.toBe(blockhash);
    expect(next.lastValidBlockHeight).toBe((await connection.getBlockHeight()) + BLOCKHASH_VALIDITY);
  });

  it('does not land a transaction whose blockhash expired', async () => {
    const { blockhash } = await connection.getLatestBlockhash();
    const payer = Keypair.generate();
    harness.airdrop(addr(payer), 1_000_000_000n);
    harness.expireBlockhash();
    const tx = transfer(payer, Keypair.generate().publicKey, 1_000_000, blockhash);
    await expect(connection.sendRawTransaction(tx.serialize(), { skipPreflight: true })).rejects.toThrow(/BlockhashNotFound/);
    expect((await connection.getSignatureStatuses([getBase58Decoder().decode(tx.signature!)])).value).toEqual([null]);
  });
});

describe('harness fault injection', () => {
  it('counts requests per method, faulted ones included', async () => {
    const before = harness.requestCount.get('getSlot') ?? 0;
    harness.faults.set('getSlot', { httpStatus: 429, times: 1 });
    const first = await rpc({ jsonrpc: '2.0', id: 1, method: 'getSlot' });
    const second = await rpc({ jsonrpc: '2.0', id: 2, method: 'getSlot' });
    expect(first.status).toBe(429);
    expect(second.status).toBe(200);
    expect(harness.requestCount.get('getSlot')).toBe(before + 2);
  });

  it('answers HTTP 500 until cleared', async () => {
    harness.faults.set('getBlockHeight', { httpStatus: 500 });
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'getBlockHeight' })).status).toBe(500);
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'getBlockHeight' })).status).toBe(500);
    harness.faults.clear();
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'getBlockHeight' })).status).toBe(200);
  });

  it('never answers a hung method', async () => {
    harness.faults.set('getSlot', { hang: true, times: 1 });
    const res = await fetch(harness.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getSlot' }), signal: AbortSignal.timeout(200) }).catch(
      (e: unknown) => e,
    );
    expect((res as Error).name).toBe('TimeoutError');
  });

  it('delays an answer by latencyMs', async () => {
    harness.faults.set('getSlot', { latencyMs: 120, times: 1 });
    const t = Date.now();
    await connection.getSlot();
    expect(Date.now() - t).toBeGreaterThanOrEqual(110);
  });

  it('hides and breaks accounts for every read method', async () => {
    const a = addr(Keypair.generate());
    harness.setAccount({ address: a, owner: PROGRAMS.system, lamports: 5n, data: new Uint8Array(), executable: false });
    harness.hideAccount(a);
    expect(await connection.getAccountInfo(new PublicKey(a))).toBeNull();
    expect(await connection.getBalance(new PublicKey(a))).toBe(0);
    harness.faults.clear();
    harness.breakAccount(a);
    await expect(connection.getAccountInfo(new PublicKey(a))).rejects.toThrow(/could not read/);
    await expect(connection.getMultipleAccountsInfo([Keypair.generate().publicKey, new PublicKey(a)])).rejects.toThrow(/could not read/);
    harness.faults.clear();
    expect((await connection.getAccountInfo(new PublicKey(a)))?.lamports).toBe(5);
  });
});

/** A program binary built at test time from LiteSVM's own Memo program (no binary is in the repo). */
async function memoDumpDir(ids: readonly string[]): Promise<string> {
  const { LiteSVM } = await import('litesvm');
  const memo = new LiteSVM().getAccount(PROGRAMS.memo as never);
  if (!memo.exists) throw new Error('LiteSVM has no Memo program');
  const dir = await mkdtemp(join(tmpdir(), 'backstop-programs-'));
  for (const id of ids) await writeFile(join(dir, `${id}.so`), memo.data);
  await writeFile(join(dir, 'README.txt'), 'not a program');
  return dir;
}

describe('harness real mode loading', () => {
  it('loads <program id>.so dumps, executes them, and writes the Squads ProgramConfig', async () => {
    const programId = Keypair.generate().publicKey;
    const dir = await memoDumpDir([programId.toBase58(), PROGRAMS.squads]);
    const real = await startHarness({ programsDir: dir });
    try {
      expect(real.mode).toBe('real');
      expect([...real.loadedPrograms].sort()).toEqual([programId.toBase58(), PROGRAMS.squads].sort());
      expect(real.getAccount(addr(programId))?.executable).toBe(true);
      const config = real.getAccount(SQUADS_PROGRAM_CONFIG.address);
      expect(config?.owner).toBe(PROGRAMS.squads);
      const [decoded] = multisig.accounts.ProgramConfig.deserialize(Buffer.from(config!.data));
      expect(decoded.treasury.equals(SQUADS_PROGRAM_CONFIG.treasury)).toBe(true);
      expect(BigInt(decoded.multisigCreationFee.toString())).toBe(0n);
      expect(real.getAccount(addr(SQUADS_PROGRAM_CONFIG.treasury))?.lamports).toBeGreaterThan(0n);

      const conn = new Connection(real.url, 'confirmed');
      const payer = Keypair.generate();
      real.airdrop(addr(payer), 1_000_000_000n);
      const { blockhash } = await conn.getLatestBlockhash();
      const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(
        new TransactionInstruction({ programId, keys: [], data: Buffer.from('executed, not recorded') }),
      );
      tx.sign(payer);
      const sig = await conn.sendRawTransaction(tx.serialize());
      expect((await conn.getSignatureStatuses([sig])).value[0]?.err).toBeNull();
      expect(real.recordedTransactions()).toHaveLength(0);
    } finally {
      await real.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a dump not named <program id>.so', async () => {
    const dir = await memoDumpDir(['not-a-program-id']);
    try {
      await expect(startHarness({ programsDir: dir })).rejects.toThrow(/must be named <program id>\.so/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const programsDir = process.env['BACKSTOP_PROGRAMS_DIR'];
if (!programsDir) console.log('real mode: not run');

describe('harness real mode with BACKSTOP_PROGRAMS_DIR', () => {
  it.skipIf(!programsDir)('loads every program dump present and makes it executable', async () => {
    const files = (await readdir(programsDir!)).filter((f) => f.endsWith('.so'));
    const real = await startHarness({ programsDir: programsDir! });
    try {
      expect(real.mode).toBe('real');
      expect(real.loadedPrograms).toHaveLength(files.length);
      for (const id of real.loadedPrograms) expect(real.getAccount(id)?.executable).toBe(true);
      if (real.loadedPrograms.includes(PROGRAMS.squads)) {
        expect(real.getAccount(SQUADS_PROGRAM_CONFIG.address)?.owner).toBe(PROGRAMS.squads);
      }
    } finally {
      await real.close();
    }
  });
});
