/**
 * Several RPC providers behind one chain (issue 13 §4), on two LiteSVM harnesses: every read is
 * asked of every provider and a difference or an outage is `unavailable` naming them; block heights
 * and blockhash expiry merge the way that cannot make an approval look expired; sends go through all.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Keypair, SystemProgram, TransactionMessage, VersionedTransaction } from '@solana/web3.js';
import { address, type Address } from '@solana/kit';
import { ConfigError, parseRpcUrls, readConfig, REQUIRED_IN_PRODUCTION } from '../../src/config.ts';
import { ChainUnavailable, RpcRejected } from '../../src/chain/errors.ts';
import { MultiRpc, openChain, rpcProviders } from '../../src/chain/multi-rpc.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { PROGRAMS } from '../../src/sandbox/seeds.ts';

let a: Harness;
let b: Harness;
beforeAll(async () => {
  [a, b] = await Promise.all([startHarness(), startHarness()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});
afterEach(() => {
  a.faults.clear();
  b.faults.clear();
});

const multi = () => new MultiRpc([a, b].map((h) => new ChainReader({ rpcUrl: h.url, retries: 0, timeoutMs: 1000 })));
const origin = (h: Harness) => new URL(h.url).origin;
const fresh = (): Address => address(Keypair.generate().publicKey.toBase58());
const account = (addr: Address, data: number[], lamports = 1_000_000n): AccountData => ({ address: addr, owner: PROGRAMS.token, lamports, data: Uint8Array.from(data), executable: false });

describe('getAccounts: the same answer from every provider, or unavailable', () => {
  it('answers found when both hold the same bytes, missing when neither holds it', async () => {
    const [x, y] = [fresh(), fresh()];
    a.setAccount(account(x, [1, 2, 3]));
    b.setAccount(account(x, [1, 2, 3]));
    const got = await multi().getAccounts([x, y, x]);
    expect(got.get(x)).toEqual({ kind: 'found', account: account(x, [1, 2, 3]) });
    expect(got.get(y)).toEqual({ kind: 'missing' });
  });

  it('different bytes, or found on one and missing on the other: unavailable naming both providers', async () => {
    const [x, y] = [fresh(), fresh()];
    a.setAccount(account(x, [1, 2, 3]));
    b.setAccount(account(x, [1, 2, 4]));
    a.setAccount(account(y, [9]));
    const got = await multi().getAccounts([x, y]);
    for (const addr of [x, y]) {
      const r = got.get(addr)!;
      expect(r.kind).toBe('unavailable');
      const error = (r as { error: string }).error;
      expect(error).toContain('disagree');
      expect(error).toContain(origin(a));
      expect(error).toContain(origin(b));
    }
    expect((got.get(y) as { error: string }).error).toContain(`${origin(b)} missing`);
  });

  it('one provider down: unavailable naming it', async () => {
    const x = fresh();
    a.setAccount(account(x, [5]));
    b.setAccount(account(x, [5]));
    b.faults.set('getMultipleAccounts', { httpStatus: 500 });
    const r = (await multi().getAccounts([x])).get(x)!;
    expect(r.kind).toBe('unavailable');
    expect((r as { error: string }).error).toContain(origin(b));
    expect((r as { error: string }).error).not.toContain(origin(a));
  });
});

describe('merges that cannot make an approval look expired', () => {
  it('block height and slot: the lowest; a blockhash is valid while any provider accepts it', async () => {
    const c = await startHarness();
    try {
      const m = new MultiRpc([a, c].map((h) => new ChainReader({ rpcUrl: h.url, retries: 0 })));
      const before = await m.getBlockHeight();
      const { blockhash } = await m.getLatestBlockhash();
      c.expireBlockhash(); // c runs ahead (or lies): its height passes the blockhash's last valid height
      expect(await new ChainReader({ rpcUrl: c.url }).getBlockHeight()).toBeGreaterThan(before + 150);
      expect(await m.getBlockHeight()).toBe(before);
      expect(await m.getSlot()).toBe(await new ChainReader({ rpcUrl: a.url }).getSlot());
      expect(await m.isBlockhashValid(blockhash)).toBe(true);
      // Their latest blockhashes now lie more than a lifetime apart: one is stale or lying.
      const err = await m.getLatestBlockhash().catch((e: Error) => e);
      expect(err).toBeInstanceOf(ChainUnavailable);
      expect((err as Error).message).toContain(origin(c));
    } finally {
      await c.close();
    }
  });

  it('the latest blockhash: known to every provider, with the latest expiry any states', async () => {
    const got = await multi().getLatestBlockhash();
    const own = await new ChainReader({ rpcUrl: a.url }).getLatestBlockhash();
    expect(got).toEqual(own);
  });

  it('a signature no provider has seen is null; one down throws naming it', async () => {
    const sig = '1'.repeat(64);
    expect(await multi().getSignatureStatuses([sig])).toEqual([null]);
    b.faults.set('getSignatureStatuses', { httpStatus: 500 });
    const err = await multi().getSignatureStatuses([sig]).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ChainUnavailable);
    expect((err as Error).message).toContain(origin(b));
  });
});

describe('sendRawTransaction: through every provider', () => {
  async function transfer(h: Harness): Promise<Uint8Array> {
    const payer = Keypair.generate();
    for (const x of [a, b]) x.airdrop(address(payer.publicKey.toBase58()), 1_000_000_000n);
    const { blockhash } = await new ChainReader({ rpcUrl: h.url }).getLatestBlockhash();
    const msg = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1000 })],
    }).compileToV0Message();
    const tx = new VersionedTransaction(msg);
    tx.sign([payer]);
    return tx.serialize();
  }
  const landedOn = async (h: Harness, sig: string) => (await new ChainReader({ rpcUrl: h.url }).getSignatureStatuses([sig]))[0] !== null;

  it('the same bytes land on both; one down still sends through the other; both down throws naming both', async () => {
    const m = multi();
    const sig = await m.sendRawTransaction(await transfer(a));
    expect(await landedOn(a, sig)).toBe(true);
    expect(await landedOn(b, sig)).toBe(true);

    b.faults.set('sendTransaction', { httpStatus: 500 });
    const sig2 = await m.sendRawTransaction(await transfer(a));
    expect(await landedOn(a, sig2)).toBe(true);
    expect(await landedOn(b, sig2)).toBe(false);

    a.faults.set('sendTransaction', { httpStatus: 500 });
    const err = await m.sendRawTransaction(await transfer(a)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ChainUnavailable);
    expect((err as Error).message).toContain(origin(a));
    expect((err as Error).message).toContain(origin(b));
  });

  it('refused by every provider: a refusal (RpcRejected), not an outage', async () => {
    const bytes = await transfer(a);
    bytes[bytes.length - 1]! ^= 0xff; // the signature no longer verifies
    const err = await multi().sendRawTransaction(bytes).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RpcRejected);
  });
});

describe('SOLANA_RPC_URL lists providers', () => {
  it('one URL is one reader; several are a MultiRpc whose providers are decided on one by one', () => {
    const one = openChain(['http://127.0.0.1:1']);
    expect(one).toBeInstanceOf(ChainReader);
    expect(rpcProviders(one)).toBeNull();
    const two = openChain(['https://rpc.example/key-one', 'https://rpc.example/key-two', 'https://other.example']);
    expect(two).toBeInstanceOf(MultiRpc);
    // The same host twice is told apart by its place, and no path (an API key) is named.
    expect(rpcProviders(two)!.map((p) => p.name)).toEqual(['https://rpc.example (#1)', 'https://rpc.example (#2)', 'https://other.example']);
  });

  it('parses a comma-separated list and refuses bad entries by their place, never echoing them', () => {
    expect(parseRpcUrls(' https://a.example/k1 ,https://b.example ')).toEqual(['https://a.example/k1', 'https://b.example']);
    const refusals: [string, RegExp][] = [
      ['https://a.example/secret-key,,https://b.example', /entry 2 of SOLANA_RPC_URL is empty/],
      ['https://a.example/secret-key,not a url', /entry 2 of SOLANA_RPC_URL is not a URL/],
      ['https://a.example/secret-key,wss://b.example', /entry 2 .* http:\/\/ or https:\/\//],
      ['https://a.example/secret-key,https://a.example/secret-key', /entry 2 .* repeats/],
    ];
    for (const [text, message] of refusals) {
      let err: unknown;
      try {
        parseRpcUrls(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('secret-key');
    }
  });

  it('the production configuration carries every endpoint', () => {
    const env = Object.fromEntries(REQUIRED_IN_PRODUCTION.map((k) => [k, `/secrets/${k}`]));
    const config = readConfig({ ...env, SOLANA_RPC_URL: 'https://a.example,https://b.example' });
    expect(config.mode).toBe('production');
    if (config.mode !== 'production') return;
    expect(config.rpcUrls).toEqual(['https://a.example', 'https://b.example']);
    expect(config.rpcUrl).toBe('https://a.example');
  });
});
