/**
 * `backstop compensation plan` (issue 15 §3) against a running sandbox, as an operator runs it beside
 * the live instance: the snapshot at the loss slot (depositors, the second farm's stakers replayed,
 * the Insurance Pool, escrow and protocol PDA handled), the plan within the cap, the stored plan's
 * root held by the seeded distributor; a transfer after the loss slot changes nothing; a history
 * pruned before the loss makes the plan unknown (exit 1); unreadable input exits 2.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, PublicKey, Transaction } from '@solana/web3.js';
import { createTransferInstruction } from '@solana/spl-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMerkleDistributor } from '../../src/chain/accounts/distributor.ts';
import { ONE } from '../../src/sandbox/fixtures/world.ts';
import { DEPOSITORS, HELD_AT_LOSS, STAKED_AT_LOSS } from '../../src/sandbox/fixtures/depositors.ts';
import { fixtureSignature } from '../../src/sandbox/fixtures/loss-transaction.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/start.ts';
import { associatedTokenAddress, SANDBOX, sandboxKeypair } from '../../src/sandbox/seeds.ts';
import { SILENT_LOG } from '../../src/workflow/ports.ts';
import { backstop } from '../support/cli.ts';

let sandbox: RunningSandbox;
let args: string[];
beforeAll(async () => {
  sandbox = await startSandbox({ dataDir: mkdtempSync(join(tmpdir(), 'backstop-compensation-')), port: 0, log: SILENT_LOG });
  args = ['compensation', 'plan', '--loss-event', sandbox.info.lossEventId, '--rpc', sandbox.info.rpcUrl, '--database', sandbox.info.database, '--policy-dir', 'policies'];
}, 120_000);
afterAll(() => sandbox?.stop());

type PlanJson = {
  lossSlot: string;
  totalShares: string;
  excludedShares: string;
  affectedShares: string;
  amount: string;
  total: string;
  remainder: string;
  root: string;
  entries: { claimant: string; shares: string; amountUnlocked: string; amountLocked: string; proof: string[] }[];
  manualReview: { owner: string; shares: string }[];
  dust: { claimant: string; shares: string }[];
};

async function planJson(extra: string[] = []): Promise<PlanJson> {
  const r = await backstop([...args, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PlanJson;
}

describe('backstop compensation plan', () => {
  it('plans the holders at the loss slot, within the affected holders’ loss, and the sandbox distributor holds its root', async () => {
    const p = await planJson();
    expect(p.lossSlot).toBe('312000000');
    expect(p.totalShares).toBe((1_000_000n * ONE).toString());
    expect(p.excludedShares).toBe((200_000n * ONE).toString()); // the Insurance Pool farm
    expect(p.affectedShares).toBe((800_000n * ONE).toString());
    const shares = Object.fromEntries(p.entries.map((e) => [e.claimant, BigInt(e.shares)]));
    expect(shares).toEqual({
      [DEPOSITORS.alice]: HELD_AT_LOSS.alice,
      [DEPOSITORS.bob]: HELD_AT_LOSS.bob + STAKED_AT_LOSS.bob,
      [DEPOSITORS.carol]: HELD_AT_LOSS.carol,
      [DEPOSITORS.dave]: HELD_AT_LOSS.dave + STAKED_AT_LOSS.dave,
    });
    expect(p.manualReview).toEqual([{ owner: DEPOSITORS.protocol, shares: HELD_AT_LOSS.protocol.toString() }]);
    // Cap: 18,000 tokens × 800,000 / 1,000,000 = 14,400 tokens, at 0.982 tokens per kToken.
    expect(p.amount).toBe(((14_400n * ONE * 1_000_000n) / 982_000n).toString());
    const total = p.entries.reduce((a, e) => a + BigInt(e.amountUnlocked), 0n);
    expect(p.total).toBe(total.toString());
    expect(BigInt(p.remainder)).toBe(BigInt(p.amount) - total);
    for (const e of p.entries) expect(BigInt(e.amountUnlocked)).toBe((BigInt(p.amount) * BigInt(e.shares)) / BigInt(p.affectedShares));
    const d = decodeMerkleDistributor(sandbox.harness.getAccount(sandbox.info.distributor as never)!);
    expect(Buffer.from(d.root).toString('hex')).toBe(p.root);
    expect(d.maxTotalClaim).toBe(total);
    expect(sandbox.info.distributor).toBe(SANDBOX.escrowAuthority);
  });

  it('prints a summary with the exclusions, the cap and the distributor check', async () => {
    const r = await backstop(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/excluded insurance-pool/);
    expect(r.stdout).toMatch(/claimants 4, manual review 1, below dust 0/);
    expect(r.stdout).toMatch(/capped: .* asked, the affected holders' loss is 14,663\.95112 kTokens/);
    expect(r.stdout).toMatch(new RegExp(`distributor ${SANDBOX.escrowAuthority} \\(escrow distributor-1\\): matches the plan`));
  });

  it('a transfer after the loss slot does not change the plan', async () => {
    const before = await planJson();
    const bob = sandboxKeypair('depositor-bob');
    sandbox.harness.airdrop(bob.publicKey.toBase58() as never, 1_000_000_000n);
    const connection = new Connection(sandbox.info.rpcUrl, 'confirmed');
    const { blockhash } = await connection.getLatestBlockhash();
    const ata = (o: string) => new PublicKey(associatedTokenAddress(o as never, SANDBOX.sharesMint));
    const tx = new Transaction({ feePayer: bob.publicKey, recentBlockhash: blockhash }).add(createTransferInstruction(ata(DEPOSITORS.bob), ata(DEPOSITORS.alice), bob.publicKey, 123_456n * ONE));
    tx.sign(bob);
    await connection.sendRawTransaction(tx.serialize());
    const after = await planJson();
    expect(after.root).toBe(before.root);
    expect(after.entries).toEqual(before.entries);
  });

  it('takes --amount below the cap, and prints CSV', async () => {
    const p = await planJson(['--amount', '1000']);
    expect(p.amount).toBe((1_000n * ONE).toString());
    const csv = await backstop([...args, '--csv', '--amount', '1000']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe('status,address,shares,amount_unlocked,amount_locked,proof');
    expect(csv.stdout).toContain(`manual-review,${DEPOSITORS.protocol},`);
  });

  it('exits 2 on unreadable input', async () => {
    const noEvent = await backstop([...args.slice(0, 3), 'le-nope', ...args.slice(4)]);
    expect(noEvent.code).toBe(2);
    expect(noEvent.stderr).toMatch(/no loss event le-nope/);
    const badAmount = await backstop([...args, '--amount', '1.1234567']);
    expect(badAmount.code).toBe(2);
    expect(badAmount.stderr).toMatch(/at most 6 decimals/);
    expect((await backstop([...args, '--json', '--csv'])).code).toBe(2);
  });

  it('after an RPC failure (exit 2) resumes from its checkpoint to the same plan, and removes it', async () => {
    const whole = await planJson();
    const file = join(mkdtempSync(join(tmpdir(), 'backstop-checkpoint-')), 'walk.json');
    sandbox.harness.faults.set('getTransaction', { httpStatus: 500 }); // the node fails every transaction read
    const failed = await backstop([...args, '--checkpoint', file]).finally(() => sandbox.harness.faults.clear());
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/could not be read/);
    expect(existsSync(file)).toBe(true);
    const resumed = await planJson(['--checkpoint', file]);
    expect(resumed.root).toBe(whole.root);
    expect(existsSync(file)).toBe(false);
  });

  it('a history pruned before the loss makes the plan unknown: exit 1, saying why', async () => {
    // The node forgets the deposits that created the accounts (as a pruned ledger does).
    const signature = fixtureSignature('sandbox-deposits');
    sandbox.harness.addTransaction(signature, {});
    const r = await backstop(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is unknown: the history of token account \w+ ends at slot \d+, after slot 312000000, while the account already existed/);
    expect(r.stdout).toBe('');
  });
});
