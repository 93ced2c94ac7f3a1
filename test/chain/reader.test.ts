import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Keypair, PublicKey, SystemProgram, Transaction } from '@solana/web3.js';
import { address, getBase58Decoder, type Address } from '@solana/kit';
import * as multisig from '@sqds/multisig';
import { ChainReader } from '../../src/chain/reader.ts';
import { ChainUnavailable, RpcRejected } from '../../src/chain/errors.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { PROGRAMS, SANDBOX, SANDBOX_KEYPAIRS } from '../../src/sandbox/seeds.ts';

const addr = (k: Keypair | PublicKey): Address => address(('publicKey' in k ? k.publicKey : k).toBase58());
const freshAddresses = (n: number): Address[] => Array.from({ length: n }, () => addr(Keypair.generate()));

let harness: Harness;
const readers: ChainReader[] = [];
function reader(opts: Partial<ConstructorParameters<typeof ChainReader>[0]> = {}): ChainReader {
  const r = new ChainReader({ rpcUrl: harness.url, timeoutMs: 400, retries: 2, backoffMs: 5, ...opts });
  readers.push(r);
  return r;
}

function account(a: Address, data: number[], lamports = 2_039_280n): AccountData {
  return { address: a, owner: PROGRAMS.token, lamports, data: Uint8Array.from(data), executable: false };
}

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});
afterEach(() => {
  harness.faults.clear();
});

describe('ChainReader.getAccounts answers found, missing or unavailable', () => {
  it('answers found with owner, bigint lamports, data bytes and executable', async () => {
    const a = freshAddresses(1)[0]!;
    harness.setAccount(account(a, [1, 2, 3, 250], 1_461_600n));
    const r = reader();
    const got = (await r.getAccounts([a])).get(a);
    expect(got).toEqual({
      kind: 'found',
      account: { address: a, owner: PROGRAMS.token, lamports: 1_461_600n, data: Uint8Array.from([1, 2, 3, 250]), executable: false },
    });
    expect(r.roundTrips).toBe(1);
  });

  it('answers missing for an address the chain does not hold', async () => {
    const [a] = freshAddresses(1);
    const got = await reader().getAccounts([a!]);
    expect(got.get(a!)).toEqual({ kind: 'missing' });
  });

  it('deduplicates addresses before asking', async () => {
    const [a, b] = freshAddresses(2);
    const r = reader();
    const before = harness.requestCount.get('getMultipleAccounts') ?? 0;
    const got = await r.getAccounts([a!, b!, a!, b!, a!]);
    expect([...got.keys()].sort()).toEqual([a!, b!].sort());
    expect(r.roundTrips).toBe(1);
    expect(harness.requestCount.get('getMultipleAccounts')).toBe(before + 1);
  });

  it('reads 100 addresses in one round trip and 150 in two', async () => {
    const many = freshAddresses(150);
    for (const a of many.slice(0, 75)) harness.setAccount(account(a, [7]));
    const r100 = reader();
    const got100 = await r100.getAccounts(many.slice(0, 100));
    expect(r100.roundTrips).toBe(1);
    expect(got100.size).toBe(100);

    const r150 = reader();
    const got150 = await r150.getAccounts(many);
    expect(r150.roundTrips).toBe(2);
    expect(got150.size).toBe(150);
    expect([...got150.values()].filter((v) => v.kind === 'found')).toHaveLength(75);
    expect([...got150.values()].filter((v) => v.kind === 'missing')).toHaveLength(75);
  });

  it('answers nothing and asks nothing for an empty list', async () => {
    const r = reader();
    expect((await r.getAccounts([])).size).toBe(0);
    expect(r.roundTrips).toBe(0);
  });
});

describe('ChainReader under injected faults', () => {
  it('succeeds when latency stays within the timeout', async () => {
    const [a] = freshAddresses(1);
    harness.setAccount(account(a!, [1]));
    harness.faults.set('getMultipleAccounts', { latencyMs: 150 });
    const r = reader({ timeoutMs: 1000 });
    expect((await r.getAccounts([a!])).get(a!)?.kind).toBe('found');
    expect(r.roundTrips).toBe(1);
    expect(r.rpcErrors).toBe(0);
  });

  it('retries an HTTP 429 and then succeeds', async () => {
    const [a] = freshAddresses(1);
    harness.setAccount(account(a!, [1]));
    harness.faults.set('getMultipleAccounts', { httpStatus: 429, times: 1 });
    const r = reader();
    expect((await r.getAccounts([a!])).get(a!)?.kind).toBe('found');
    expect(r.roundTrips).toBe(2);
    expect(r.rpcErrors).toBe(1);
  });

  it('retries HTTP 500s fewer than the retries and then succeeds', async () => {
    const [a] = freshAddresses(1);
    harness.setAccount(account(a!, [1]));
    harness.faults.set('getMultipleAccounts', { httpStatus: 500, times: 2 });
    const r = reader({ retries: 2 });
    expect((await r.getAccounts([a!])).get(a!)?.kind).toBe('found');
    expect(r.roundTrips).toBe(3);
    expect(r.rpcErrors).toBe(2);
  });

  it('answers unavailable for every address after persistent 500s', async () => {
    const [a, b] = freshAddresses(2);
    harness.setAccount(account(a!, [1]));
    harness.faults.set('getMultipleAccounts', { httpStatus: 500 });
    const r = reader({ retries: 2 });
    const got = await r.getAccounts([a!, b!]);
    for (const x of [a!, b!]) {
      const v = got.get(x);
      expect(v?.kind).toBe('unavailable');
      expect(v?.kind === 'unavailable' && v.error).toMatch(/500/);
    }
    expect(r.roundTrips).toBe(3);
    expect(r.rpcErrors).toBe(3);
  });

  it('answers unavailable when the node hangs past the timeout', async () => {
    const [a] = freshAddresses(1);
    harness.setAccount(account(a!, [1]));
    harness.faults.set('getMultipleAccounts', { hang: true });
    const r = reader({ timeoutMs: 150, retries: 1 });
    const started = Date.now();
    const v = (await r.getAccounts([a!])).get(a!);
    expect(v?.kind).toBe('unavailable');
    expect(v?.kind === 'unavailable' && v.error).toMatch(/timeout/);
    expect(r.roundTrips).toBe(2);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('answers missing for a hidden account', async () => {
    const [a] = freshAddresses(1);
    harness.setAccount(account(a!, [1]));
    harness.hideAccount(a!);
    const r = reader();
    expect((await r.getAccounts([a!])).get(a!)).toEqual({ kind: 'missing' });
    expect(r.roundTrips).toBe(1);
  });

  it('answers unavailable for every address of the batch holding a broken account, and only that batch', async () => {
    const many = freshAddresses(150);
    for (const a of many) harness.setAccount(account(a, [1]));
    harness.breakAccount(many[120]!);
    const r = reader({ retries: 2 });
    const got = await r.getAccounts(many);
    expect(many.slice(0, 100).every((a) => got.get(a)?.kind === 'found')).toBe(true);
    expect(many.slice(100).every((a) => got.get(a)?.kind === 'unavailable')).toBe(true);
    const err = got.get(many[120]!);
    expect(err?.kind === 'unavailable' && err.error).toMatch(/could not read/);
    expect(r.roundTrips).toBe(1 + 3);
  });

  it('never shows the RPC URL path or query (an API key) in errors', async () => {
    harness.faults.set('getMultipleAccounts', { httpStatus: 500 });
    harness.faults.set('getSlot', { httpStatus: 500 });
    const r = reader({ rpcUrl: `${harness.url}/rpc/SECRETKEY?api-key=SECRET2`, retries: 0 });
    const [a] = freshAddresses(1);
    const v = (await r.getAccounts([a!])).get(a!);
    expect(v?.kind === 'unavailable' && v.error).toContain(new URL(harness.url).origin);
    expect(JSON.stringify(v)).not.toMatch(/SECRET/);
    const e = await r.getSlot().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChainUnavailable);
    expect((e as Error).message).not.toMatch(/SECRET/);
    expect(r.endpoint).toBe(new URL(harness.url).origin);
  });
});

describe('ChainReader.getTransactionJson', () => {
  it('answers found with the raw recorded result', async () => {
    const sig = getBase58Decoder().decode(Uint8Array.from({ length: 64 }, (_, i) => i + 1));
    const result = { slot: 312000123, blockTime: 1790000000, meta: { err: null, logMessages: ['Program log: Instruction: SocializeLoss'] } };
    harness.addTransaction(sig, result);
    const r = reader();
    expect(await r.getTransactionJson(sig, { commitment: 'finalized' })).toEqual({ kind: 'found', result });
    expect(harness.requestCount.get('getTransaction')).toBeGreaterThan(0);
  });

  it('answers missing for an unknown signature', async () => {
    const sig = getBase58Decoder().decode(new Uint8Array(64).fill(9));
    expect(await reader().getTransactionJson(sig, { commitment: 'confirmed' })).toEqual({ kind: 'missing' });
  });

  it('answers unavailable when the node keeps failing', async () => {
    harness.faults.set('getTransaction', { httpStatus: 500 });
    const r = reader();
    const got = await r.getTransactionJson(getBase58Decoder().decode(new Uint8Array(64).fill(3)), { commitment: 'finalized' });
    expect(got.kind).toBe('unavailable');
    expect(r.roundTrips).toBe(3);
  });
});

describe('ChainReader co-signing wrappers', () => {
  it('sends a System transfer that executes and is confirmed', async () => {
    const payer = Keypair.generate();
    const to = Keypair.generate().publicKey;
    harness.airdrop(addr(payer), 2_000_000_000n);
    const r = reader();
    const { blockhash, lastValidBlockHeight } = await r.getLatestBlockhash();
    expect(lastValidBlockHeight).toBe((await r.getBlockHeight()) + 150);
    const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 1_000_000 }),
    );
    tx.sign(payer);
    const sig = await r.sendRawTransaction(tx.serialize());
    expect(sig).toBe(getBase58Decoder().decode(tx.signature!));
    const [status] = await r.getSignatureStatuses([sig]);
    expect(status?.err).toBeNull();
    expect(status?.confirmationStatus).toBe('finalized');
    expect(await r.getBalance(addr(to))).toBe(1_000_000n);
    const json = await r.getTransactionJson(sig, { commitment: 'finalized' });
    expect(json.kind === 'found' && (json.result['meta'] as { err: unknown }).err).toBeNull();
    expect(harness.recordedTransactions().some((t) => t.signature === sig)).toBe(false);
  });

  it('records a Squads transaction without executing it; a resend records nothing new', async () => {
    const member = SANDBOX_KEYPAIRS.cosigner;
    harness.airdrop(addr(member), 1_000_000_000n);
    const r = reader();
    const { blockhash } = await r.getLatestBlockhash();
    const tx = new Transaction({ feePayer: member.publicKey, recentBlockhash: blockhash }).add(
      multisig.instructions.proposalApprove({ multisigPda: new PublicKey(SANDBOX.multisig), transactionIndex: 1n, member: member.publicKey }),
    );
    tx.sign(member);
    const bytes = tx.serialize();
    const before = harness.recordedTransactions().length;
    const balanceBefore = await r.getBalance(addr(member));

    const sig = await r.sendRawTransaction(bytes);
    expect(sig).toBe(getBase58Decoder().decode(tx.signature!));
    expect(await r.getSignatureStatuses([sig])).toEqual([null]);
    const recorded = harness.recordedTransactions();
    expect(recorded).toHaveLength(before + 1);
    expect(recorded.at(-1)?.signature).toBe(sig);
    expect(recorded.at(-1)?.missingPrograms).toEqual([PROGRAMS.squads]);

    expect(await r.sendRawTransaction(bytes)).toBe(sig);
    expect(harness.recordedTransactions()).toHaveLength(before + 1);
    expect(await r.getBalance(addr(member))).toBe(balanceBefore); // not executed: no fee either
    expect(await r.getTransactionJson(sig, { commitment: 'confirmed' })).toEqual({ kind: 'missing' });
  });

  it('refuses a transaction with a bad signature', async () => {
    const member = SANDBOX_KEYPAIRS.cosigner;
    const r = reader();
    const { blockhash } = await r.getLatestBlockhash();
    const tx = new Transaction({ feePayer: member.publicKey, recentBlockhash: blockhash }).add(
      multisig.instructions.proposalApprove({ multisigPda: new PublicKey(SANDBOX.multisig), transactionIndex: 2n, member: member.publicKey }),
    );
    tx.sign(member);
    const bytes = tx.serialize();
    bytes[1] = bytes[1]! ^ 0xff; // first byte of the first signature (after the shortvec count)
    const before = harness.recordedTransactions().length;
    const tripsBefore = r.roundTrips;
    const e = await r.sendRawTransaction(bytes).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RpcRejected);
    expect((e as RpcRejected).code).toBe(-32003);
    expect(r.roundTrips - tripsBefore).toBe(1); // a refusal is an answer: not retried
    expect(harness.recordedTransactions()).toHaveLength(before);
  });

  it('expiring the blockhash moves the height past lastValidBlockHeight and invalidates the old blockhash', async () => {
    const r = reader();
    const first = await r.getLatestBlockhash();
    const h0 = await r.getBlockHeight();
    expect(await r.getBlockHeight()).toBe(h0); // height does not move on its own
    expect(await r.isBlockhashValid(first.blockhash)).toBe(true);
    const s0 = await r.getSlot();
    harness.expireBlockhash();
    const h1 = await r.getBlockHeight();
    expect(h1).toBeGreaterThan(first.lastValidBlockHeight);
    expect(await r.isBlockhashValid(first.blockhash)).toBe(false);
    const second = await r.getLatestBlockhash();
    expect(second.blockhash).not.toBe(first.blockhash);
    expect(await r.isBlockhashValid(second.blockhash)).toBe(true);
    expect(await r.getSlot()).toBeGreaterThan(s0);
  });

  it('throws ChainUnavailable after bounded retries', async () => {
    harness.faults.set('getLatestBlockhash', { httpStatus: 500 });
    const r = reader({ retries: 2 });
    await expect(r.getLatestBlockhash()).rejects.toBeInstanceOf(ChainUnavailable);
    expect(r.roundTrips).toBe(3);
    expect(r.rpcErrors).toBe(3);
  });

  it('reads a balance of zero for an address that does not exist', async () => {
    expect(await reader().getBalance(freshAddresses(1)[0]!)).toBe(0n);
  });
});
