/**
 * The harness's transaction history (issue 12 finding 6): `getSignaturesForAddress` with `before`,
 * `until` and `limit` over what it executed and what it serves as landed, never over what it only
 * recorded; `getTransaction` token balances; and the seeded sandbox recording its loss from it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Keypair, PublicKey, Transaction, type TokenBalance } from '@solana/web3.js';
import { createTransferInstruction } from '@solana/spl-token';
import * as multisig from '@sqds/multisig';
import { address, type Address } from '@solana/kit';
import { ChainReader } from '../../src/chain/reader.ts';
import { verifyLossForRecording } from '../../src/policy/loss-recording.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { ctokenTransaction, sandboxInvest, SANDBOX_INVEST_SLOT } from '../../src/sandbox/fixtures/ctoken-history.ts';
import { SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';
import { mintAccount, tokenAccount } from '../../src/sandbox/fixtures/token.ts';
import { VAULT_CTOKEN_ALLOCATION } from '../../src/sandbox/fixtures/world.ts';
import { SANDBOX, SANDBOX_KEYPAIRS } from '../../src/sandbox/seeds.ts';
import { seedSandboxChain } from '../../src/sandbox/world.ts';

const addr = (k: Keypair | PublicKey): Address => address(('publicKey' in k ? k.publicKey : k).toBase58());

let harness: Harness;
let connection: Connection;
beforeAll(async () => {
  harness = await startHarness();
  connection = new Connection(harness.url, { commitment: 'confirmed', disableRetryOnRateLimit: true });
});
afterAll(() => harness.close());

/** A mint (2 decimals) and two token accounts of one owner: `from` holding `amount`, `to` empty. */
function tokens(amount: bigint) {
  const owner = Keypair.generate();
  harness.airdrop(addr(owner), 1_000_000_000n);
  const mint = addr(Keypair.generate());
  const from = addr(Keypair.generate());
  const to = addr(Keypair.generate());
  harness.setAccount(mintAccount({ address: mint, decimals: 2, supply: amount }));
  harness.setAccount(tokenAccount({ address: from, owner: addr(owner), mint, amount }));
  harness.setAccount(tokenAccount({ address: to, owner: addr(owner), mint, amount: 0n }));
  const send = async (n: bigint) => {
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = new Transaction({ feePayer: owner.publicKey, recentBlockhash: blockhash }).add(createTransferInstruction(new PublicKey(from), new PublicKey(to), owner.publicKey, n));
    tx.sign(owner);
    return connection.sendRawTransaction(tx.serialize());
  };
  return { owner, mint, from, to, send };
}

describe('harness token balances', () => {
  it('serves the token balances of an executed transfer before and after it', async () => {
    const t = tokens(1_050n);
    const sig = await t.send(1_025n);
    const got = await connection.getTransaction(sig, { maxSupportedTransactionVersion: 0, commitment: 'confirmed' });
    const keys = got!.transaction.message.staticAccountKeys.map((k) => k.toBase58());
    const at = (list: TokenBalance[] | null | undefined, a: Address) => list?.find((b) => b.accountIndex === keys.indexOf(a));
    expect(at(got!.meta!.preTokenBalances, t.from)).toMatchObject({ mint: t.mint, owner: addr(t.owner), uiTokenAmount: { amount: '1050', decimals: 2, uiAmountString: '10.5' } });
    expect(at(got!.meta!.preTokenBalances, t.to)?.uiTokenAmount.amount).toBe('0');
    expect(at(got!.meta!.postTokenBalances, t.from)?.uiTokenAmount).toMatchObject({ amount: '25', uiAmountString: '0.25' });
    expect(at(got!.meta!.postTokenBalances, t.to)?.uiTokenAmount.amount).toBe('1025');
    expect(got!.meta!.preTokenBalances).toHaveLength(2); // the owner (a wallet) is no token account
  });
});

describe('harness getSignaturesForAddress', () => {
  it('lists what landed on an address newest first, paged with before, until and limit', async () => {
    const t = tokens(100n);
    const served = ctokenTransaction({ name: 'history-served', slot: SANDBOX_INVEST_SLOT, pre: null, post: 1n, account: t.to, mint: t.mint });
    harness.addTransaction(served.signature, served.result);
    const s1 = await t.send(1n);
    const s2 = await t.send(2n);
    const s3 = await t.send(3n);
    const list = async (o: { before?: string; until?: string; limit?: number } = {}) =>
      (await connection.getSignaturesForAddress(new PublicKey(t.to), o)).map((e) => e.signature);
    expect(await list()).toEqual([s3, s2, s1, served.signature]); // the served one landed at an older slot
    expect(await list({ limit: 2 })).toEqual([s3, s2]);
    expect(await list({ before: s2, limit: 2 })).toEqual([s1, served.signature]);
    expect(await list({ before: served.signature })).toEqual([]);
    expect(await list({ until: s1 })).toEqual([s3, s2]);
    expect(await list({ before: s3, until: served.signature })).toEqual([s2, s1]);
    expect(await list({ before: served.signature.slice(0, -2) + '11' })).toEqual([]); // unknown `before`
    const [entry] = await connection.getSignaturesForAddress(new PublicKey(t.from), { limit: 1 });
    expect(entry).toMatchObject({ signature: s3, err: null, confirmationStatus: 'finalized' });
    expect(entry!.slot).toBe(await connection.getSlot());
    expect((await connection.getSignaturesForAddress(Keypair.generate().publicKey)).length).toBe(0);
  });

  it('never lists a recorded (not executed) transaction: it did not land', async () => {
    const member = SANDBOX_KEYPAIRS.curator;
    const { blockhash } = await connection.getLatestBlockhash();
    const tx = new Transaction({ feePayer: member.publicKey, recentBlockhash: blockhash }).add(
      multisig.instructions.proposalApprove({ multisigPda: new PublicKey(SANDBOX.multisig), transactionIndex: 9n, member: member.publicKey }),
    );
    tx.sign(member);
    const sig = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    expect(harness.recordedTransactions().some((r) => r.signature === sig)).toBe(true);
    const listed = [member.publicKey, new PublicKey(SANDBOX.multisig)].map((k) => connection.getSignaturesForAddress(k));
    for (const l of await Promise.all(listed)) expect(l.map((e) => e.signature)).not.toContain(sig);
  });

  it('refuses a limit above 1000 or a non-string before', async () => {
    const call = (config: unknown) =>
      fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getSignaturesForAddress', params: [SANDBOX.ctokenVault, config] }) }).then(
        async (r) => (await r.json()) as { error?: { code: number; message: string } },
      );
    expect((await call({ limit: 1001 })).error).toMatchObject({ code: -32602, message: 'Invalid limit; max 1000' });
    expect((await call({ before: 5 })).error?.code).toBe(-32602);
  });
});

describe('the seeded sandbox chain', () => {
  it('serves its seeded loss and invest as landed history, and records the loss from it', async () => {
    const h = await startHarness();
    try {
      const world = seedSandboxChain(h);
      const reader = new ChainReader({ rpcUrl: h.url, retries: 0 });
      const history = async (a: Address) => {
        const r = await reader.getSignaturesForAddress(a, { commitment: 'finalized' });
        return r.kind === 'found' ? r.signatures.map((e) => e.signature) : r.error;
      };
      expect(await history(SANDBOX.reserve)).toEqual([world.lossSignature, sandboxInvest().signature]);
      expect(await history(SANDBOX.ctokenVault)).toEqual([sandboxInvest().signature]);
      const v = await verifyLossForRecording({ chain: reader, vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: world.lossSignature, vaultLoss: SANDBOX_VAULT_LOSS });
      expect(v.evidence.vaultCTokens).toBe(VAULT_CTOKEN_ALLOCATION);
      expect(v.recordedLoss).toBe(SANDBOX_VAULT_LOSS);
    } finally {
      await h.close();
    }
  });
});
