/**
 * Compensation (issue 15 §Scale): a plan for 100,000 claimants — snapshot, amounts, merkle tree,
 * every proof, the whole --json text — timed in a child process of its own so its peak RSS is the
 * plan's alone (goal < 10 s, < 500 MB); and the history reader's RPC calls and seconds per 1,000
 * transactions after the loss slot against the LiteSVM harness, at two sizes (linear: the same per 1,000).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Connection, Keypair, PublicKey, Transaction } from '@solana/web3.js';
import { createMintToInstruction, createTransferInstruction } from '@solana/spl-token';
import { address, getAddressDecoder, type Address } from '@solana/kit';
import { readHoldersAtSlot } from '../src/chain/history.ts';
import { isOffCurve, isOnCurveBytes } from '../src/chain/curve.ts';
import { ChainReader } from '../src/chain/reader.ts';
import { buildPlan, planJsonChunks } from '../src/policy/compensation/plan.ts';
import { snapshotDepositors } from '../src/policy/compensation/snapshot.ts';
import { startHarness } from '../src/sandbox/harness/index.ts';
import { mintAccount, tokenAccount } from '../src/sandbox/fixtures/token.ts';
import type { BenchRow } from './run.ts';

const CLAIMANTS = 100_000;

/** The child's work: a plan over CLAIMANTS random holders, serialised; prints { ms, maxRssMb, bytes, root }. */
async function planChild(): Promise<void> {
  const decode = getAddressDecoder();
  // Wallets are on the curve: draw random points until one decodes (about two tries each; not timed).
  const wallet = (): Address => {
    for (;;) {
      const b = new Uint8Array(randomBytes(32));
      if (isOnCurveBytes(b)) return decode.decode(b);
    }
  };
  const holders = Array.from({ length: CLAIMANTS }, (_, i) => ({ account: decode.decode(randomBytes(32)), owner: wallet(), amount: BigInt(1_000 + (i % 977)) }));
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const snapshot = snapshotDepositors({
    sharesMint: holders[0]!.account,
    lossSlot: 1n,
    supply: holders.reduce((s, h) => s + h.amount, 0n),
    holders,
    excludedAccounts: new Map(),
    excludedOwners: new Map(),
    farms: [],
    isOffCurve,
  });
  const built = buildPlan({ lossEventId: 'le-bench', snapshot, requested: 10n ** 12n, cap: 10n ** 12n, dust: 0n });
  if (built.outcome !== 'pass') throw new Error(built.reason);
  let bytes = 0;
  for (const chunk of planJsonChunks(built.plan)) bytes += Buffer.byteLength(chunk);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, bytes, entries: built.plan.entries.length, manual: built.plan.manualReview.length }));
}

async function planBench(): Promise<BenchRow[]> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_COMPENSATION_CHILD: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`plan child exited ${code}`))));
  });
  const r = JSON.parse(out) as { ms: number; cpuMs: number; maxRssMb: number; bytes: number; entries: number; manual: number };
  return [
    { name: `plan of ${CLAIMANTS.toLocaleString('en-US')} holders (${r.entries} claims, ${r.manual} off-curve), JSON`, value: `${(r.ms / 1000).toFixed(2)} s`, goal: '< 10 s', ok: r.ms < 10_000 },
    { name: '  its CPU time (wall time grows with the machine load)', value: `${(r.cpuMs / 1000).toFixed(2)} s` },
    { name: 'its peak RSS (child process, holders included)', value: `${r.maxRssMb.toFixed(0)} MB`, goal: '< 500 MB', ok: r.maxRssMb < 500 },
    { name: '--json text', value: `${(r.bytes / 1024 / 1024).toFixed(1)} MB` },
  ];
}

/** Transfers among `holders` token accounts after S, then one walk; the harness counts the calls it served. */
async function historyBench(transactions: number): Promise<BenchRow[]> {
  const harness = await startHarness();
  try {
    const connection = new Connection(harness.url, { commitment: 'confirmed', disableRetryOnRateLimit: true });
    const authority = Keypair.generate();
    const addr = (k: Keypair | PublicKey): Address => address(('publicKey' in k ? k.publicKey : k).toBase58());
    harness.airdrop(addr(authority), 100_000_000_000n);
    const mint = addr(Keypair.generate());
    harness.setAccount(mintAccount({ address: mint, supply: 0n, mintAuthority: addr(authority) }));
    const HOLDERS = 50;
    const owners = Array.from({ length: HOLDERS }, () => Keypair.generate());
    const accounts = owners.map((o) => {
      const a = addr(Keypair.generate());
      harness.setAccount(tokenAccount({ address: a, owner: addr(o), mint, amount: 0n }));
      harness.airdrop(addr(o), 1_000_000_000n);
      return a;
    });
    const send = async (payer: Keypair, ix: Parameters<Transaction['add']>[0]) => {
      const { blockhash } = await connection.getLatestBlockhash();
      const tx = new Transaction({ feePayer: payer.publicKey, recentBlockhash: blockhash }).add(ix);
      tx.sign(payer);
      await connection.sendRawTransaction(tx.serialize());
    };
    harness.svm.warpToSlot(10n);
    for (const a of accounts) await send(authority, createMintToInstruction(new PublicKey(mint), new PublicKey(a), authority.publicKey, 1_000_000n));
    harness.svm.warpToSlot(100n);
    const S = 100n;
    harness.svm.warpToSlot(200n);
    for (let i = 0; i < transactions; i++) {
      const from = i % HOLDERS;
      const to = (i * 7 + 1) % HOLDERS;
      await send(owners[from]!, createTransferInstruction(new PublicKey(accounts[from]!), new PublicKey(accounts[to === from ? (to + 1) % HOLDERS : to]!), owners[from]!.publicKey, BigInt(1 + i)));
    }
    const reader = new ChainReader({ rpcUrl: harness.url, timeoutMs: 10_000 });
    const started = process.hrtime.bigint();
    const r = await readHoldersAtSlot({ chain: reader, mint, slot: S, requestsPerSecond: 0, concurrency: 8 });
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.kind !== 'known') throw new Error(r.reason);
    const per = 1000 / transactions;
    return [
      { name: `history: ${transactions} transactions after S, ${HOLDERS} holders: RPC calls`, value: `${r.rpcCalls}` },
      { name: '  RPC calls per 1,000 transactions', value: (r.rpcCalls * per).toFixed(0), goal: 'linear (same at both sizes)' },
      { name: '  HTTP requests per 1,000 transactions (batches of 50)', value: (r.httpRequests * per).toFixed(0) },
      { name: '  seconds per 1,000 transactions', value: (s * per).toFixed(2) },
    ];
  } finally {
    await harness.close();
  }
}

export async function compensationBench(): Promise<BenchRow[]> {
  return [...(await planBench()), ...(await historyBench(1_000)), ...(await historyBench(2_000))];
}

if (process.env.BENCH_COMPENSATION_CHILD === '1') await planChild();
