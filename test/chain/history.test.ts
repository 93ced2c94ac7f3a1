/**
 * The history reader (issue 15 §1) against the LiteSVM harness: balances and supply at a past slot
 * rebuilt from real SPL Token transactions after it (transfers, MintTo, BurnChecked, a closed
 * account), the supply invariant failing to `unknown` with the difference, a missing page of history,
 * an RPC failure (503-shaped ChainUnavailable) resumed from its checkpoint, and linear RPC calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Keypair, PublicKey, Transaction, type TransactionInstruction } from '@solana/web3.js';
import { createBurnCheckedInstruction, createCloseAccountInstruction, createMintToInstruction, createTransferInstruction } from '@solana/spl-token';
import { address, type Address } from '@solana/kit';
import { ChainUnavailable } from '../../src/chain/errors.ts';
import { readHoldersAtSlot, type HistoryChain, type HistoryCheckpoint } from '../../src/chain/history.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { mintAccount, tokenAccount } from '../../src/sandbox/fixtures/token.ts';

const addr = (k: Keypair | PublicKey): Address => address(('publicKey' in k ? k.publicKey : k).toBase58());
const pk = (a: Address) => new PublicKey(a);

let harness: Harness;
let connection: Connection;
let reader: ChainReader;
beforeAll(async () => {
  harness = await startHarness();
  connection = new Connection(harness.url, { commitment: 'confirmed', disableRetryOnRateLimit: true });
  reader = new ChainReader({ rpcUrl: harness.url, retries: 0, timeoutMs: 5000 });
});
afterAll(() => harness.close());

let slot = 1_000;
/** Moves the harness clock forward and returns the new slot. */
function advance(by = 10): bigint {
  slot += by;
  harness.svm.warpToSlot(BigInt(slot));
  harness.svm.expireBlockhash();
  return BigInt(slot);
}

async function send(payer: Keypair, signers: Keypair[], ...ixs: TransactionInstruction[]): Promise<string> {
  const { blockhash } = await connection.getLatestBlockhash();
  const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(...ixs);
  tx.sign(payer, ...signers.filter((s) => !s.publicKey.equals(payer.publicKey)));
  return connection.sendRawTransaction(tx.serialize());
}

/** A mint (authority `authority`) and its holders, funded by real MintTo transactions before S (their history reaches S). */
async function world(balances: readonly bigint[]) {
  const authority = Keypair.generate();
  harness.airdrop(addr(authority), 10_000_000_000n);
  const mint = addr(Keypair.generate());
  const supply = balances.reduce((a, b) => a + b, 0n);
  harness.setAccount(mintAccount({ address: mint, decimals: 6, supply: 0n, mintAuthority: addr(authority) }));
  const owners = balances.map(() => Keypair.generate());
  const accounts = balances.map((_, i) => {
    const a = addr(Keypair.generate());
    harness.setAccount(tokenAccount({ address: a, owner: addr(owners[i]!), mint, amount: 0n }));
    harness.airdrop(addr(owners[i]!), 1_000_000_000n);
    return a;
  });
  advance();
  for (const [i, amount] of balances.entries()) {
    if (amount > 0n) await send(authority, [], createMintToInstruction(pk(mint), pk(accounts[i]!), authority.publicKey, amount));
  }
  const transfer = (from: number, to: number, n: bigint) =>
    send(owners[from]!, [], createTransferInstruction(pk(accounts[from]!), pk(accounts[to]!), owners[from]!.publicKey, n));
  return { authority, mint, owners, accounts, supply, transfer };
}

const at = (r: Awaited<ReturnType<typeof readHoldersAtSlot>>, a: Address) => (r.kind === 'known' ? r.balances.find((b) => b.account === a) : undefined);

describe('readHoldersAtSlot', () => {
  it('rebuilds balances and supply at S from the transfers, mints, burns and a closing after it', async () => {
    const w = await world([600n, 400n, 200n]);
    const S = advance();
    advance();
    await w.transfer(0, 1, 100n);
    // A new holder minted after S, and a burn: the supply moves, the balances at S do not.
    const late = addr(Keypair.generate());
    harness.setAccount(tokenAccount({ address: late, owner: addr(w.authority), mint: w.mint, amount: 0n }));
    await send(w.authority, [], createMintToInstruction(pk(w.mint), pk(late), w.authority.publicKey, 50n));
    advance();
    await send(w.owners[1]!, [], createBurnCheckedInstruction(pk(w.accounts[1]!), pk(w.mint), w.owners[1]!.publicKey, 30n, 6));
    // The third holder empties and closes its account: gone from getProgramAccounts, found through the transfer.
    await send(
      w.owners[2]!,
      [],
      createTransferInstruction(pk(w.accounts[2]!), pk(w.accounts[0]!), w.owners[2]!.publicKey, 200n),
      createCloseAccountInstruction(pk(w.accounts[2]!), w.owners[2]!.publicKey, w.owners[2]!.publicKey),
    );
    expect(harness.getAccount(w.accounts[2]!)).toBeNull();

    const r = await readHoldersAtSlot({ chain: reader, mint: w.mint, slot: S, requestsPerSecond: 0 });
    if (r.kind === 'unknown') throw new Error(r.reason);
    if (r.kind !== 'known') return;
    expect(r.supplyNow).toBe(1_220n);
    expect(r.supplyAtSlot).toBe(1_200n);
    expect(at(r, w.accounts[0]!)).toMatchObject({ amount: 600n, owner: addr(w.owners[0]!) });
    expect(at(r, w.accounts[1]!)).toMatchObject({ amount: 400n, owner: addr(w.owners[1]!) });
    expect(at(r, w.accounts[2]!)).toMatchObject({ amount: 200n, owner: addr(w.owners[2]!) });
    expect(at(r, late)?.amount).toBe(0n);
    expect(r.transactions).toHaveLength(4);
  });

  it('is unknown with the unexplained difference when the balances do not sum to the supply at S', async () => {
    const w = await world([500n, 500n]);
    const S = advance();
    advance();
    await w.transfer(0, 1, 10n);
    // A balance that moved without any transaction the node serves (what a pruned history looks like).
    harness.setAccount(tokenAccount({ address: w.accounts[1]!, owner: addr(w.owners[1]!), mint: w.mint, amount: 510n }));
    const silent = addr(Keypair.generate());
    harness.setAccount(tokenAccount({ address: silent, owner: addr(w.owners[0]!), mint: w.mint, amount: 7n }));
    const r = await readHoldersAtSlot({ chain: reader, mint: w.mint, slot: S, requestsPerSecond: 0 });
    expect(r).toMatchObject({ kind: 'unknown', difference: -7n });
    expect(r.kind === 'unknown' && r.reason).toMatch(/sum to 1007, but its supply then was 1000: -7 base units are unexplained/);
  });

  it('is unknown when a page of an account history is missing', async () => {
    const w = await world([1_000n, 0n]);
    const S = advance();
    for (const n of [1n, 2n, 3n, 4n, 5n]) {
      advance();
      await w.transfer(0, 1, n);
    }
    const full = await readHoldersAtSlot({ chain: reader, mint: w.mint, slot: S, pageSize: 2, requestsPerSecond: 0 });
    expect(full.kind).toBe('known');
    // A node that skips the second page of the sender's history.
    let pages = 0;
    const lossy: HistoryChain = {
      readBatch: (a, q) => reader.readBatch(a, q),
      getTransactionJson: (s, o) => reader.getTransactionJson(s, o),
      getSignaturesForAddress: async (a, o) => {
        if (a !== w.accounts[0]) return reader.getSignaturesForAddress(a, o);
        pages += 1;
        if (pages !== 2) return reader.getSignaturesForAddress(a, o);
        const skipped = await reader.getSignaturesForAddress(a, o);
        const last = skipped.kind === 'found' ? skipped.signatures.at(-1)?.signature : undefined;
        return reader.getSignaturesForAddress(a, { ...o, ...(last ? { before: last } : {}) });
      },
    };
    const r = await readHoldersAtSlot({ chain: lossy, mint: w.mint, slot: S, pageSize: 2, requestsPerSecond: 0 });
    expect(r.kind).toBe('unknown');
    expect(r.kind === 'unknown' && r.reason).toMatch(/a transaction in between is missing from the history/);
  });

  it('is unknown when a history ends after S while the account already existed', async () => {
    const w = await world([300n, 0n]);
    const S = advance();
    advance();
    await w.transfer(0, 1, 1n);
    const pruned: HistoryChain = {
      readBatch: (a, q) => reader.readBatch(a, q),
      getTransactionJson: (s, o) => reader.getTransactionJson(s, o),
      // A node keeping one transaction per address: the walk never reaches S.
      getSignaturesForAddress: async (a, o) => reader.getSignaturesForAddress(a, { ...o, limit: 1 }),
    };
    const r = await readHoldersAtSlot({ chain: pruned, mint: w.mint, slot: S, pageSize: 2, requestsPerSecond: 0 });
    expect(r.kind === 'unknown' && r.reason).toMatch(/ends at slot \d+, after slot \d+, while the account already existed/);
  });

  it('throws ChainUnavailable on an RPC failure and resumes from its checkpoint without reading again what it had', async () => {
    const w = await world([100n, 100n, 100n]);
    const S = advance();
    advance();
    await w.transfer(0, 1, 5n);
    await w.transfer(1, 2, 6n);
    let checkpoint: HistoryCheckpoint | undefined;
    let calls = 0;
    const flaky: HistoryChain = {
      readBatch: (a, q) => reader.readBatch(a, q),
      getSignaturesForAddress: (a, o) => reader.getSignaturesForAddress(a, o),
      getTransactionJson: async (s, o) => (++calls === 2 ? { kind: 'unavailable', error: 'injected: connection reset' } : reader.getTransactionJson(s, o)),
    };
    await expect(readHoldersAtSlot({ chain: flaky, mint: w.mint, slot: S, concurrency: 1, requestsPerSecond: 0, onCheckpoint: (c) => (checkpoint = c) })).rejects.toThrow(ChainUnavailable);
    expect(checkpoint).toBeDefined();
    const resumed = JSON.parse(JSON.stringify(checkpoint)) as HistoryCheckpoint;
    const r = await readHoldersAtSlot({ chain: reader, mint: w.mint, slot: S, requestsPerSecond: 0, resume: resumed });
    expect(r.kind).toBe('known');
    if (r.kind !== 'known') return;
    expect(r.balances.map((b) => b.amount).sort()).toEqual([100n, 100n, 100n]);
    const fresh = await readHoldersAtSlot({ chain: reader, mint: w.mint, slot: S, requestsPerSecond: 0 });
    expect(r.rpcCalls).toBeLessThan(fresh.rpcCalls);
  });

  it('makes RPC calls linear in the transactions after S (one getTransaction each, one page per account)', async () => {
    const w = await world([10_000n, 0n, 0n, 0n]);
    const S = advance();
    const before = new Map(harness.requestCount);
    advance();
    for (let i = 0; i < 30; i++) await w.transfer(0, 1 + (i % 3), BigInt(i + 1));
    const r = await readHoldersAtSlot({ chain: reader, mint: w.mint, slot: S, requestsPerSecond: 0 });
    expect(r.kind).toBe('known');
    const grew = (m: string) => (harness.requestCount.get(m) ?? 0) - (before.get(m) ?? 0);
    expect(grew('getTransaction')).toBe(30);
    // The mint and four accounts, one page each; three calls in one request for the current state.
    expect(grew('getSignaturesForAddress')).toBe(5);
    expect(r.rpcCalls).toBe(38);
    // In JSON-RPC batches: the current state, the five pages, the thirty transactions: three HTTP requests.
    expect(r.kind === 'known' && r.httpRequests).toBe(3);
    const single = await readHoldersAtSlot({ chain: reader, mint: w.mint, slot: S, requestsPerSecond: 0, batchSize: 1 });
    expect(single.kind === 'known' && [single.rpcCalls, single.httpRequests]).toEqual([38, 36]);
  });
});
