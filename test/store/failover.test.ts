/**
 * Failover on PostgreSQL (issue 13 §3), with real processes and a real PostgreSQL: an active backstop
 * and two standbys (test/store/fixtures/failover-child.ts) on one database and one harness chain.
 * The active one is SIGKILLed at each step of the workflow (decided, approved, intent stored, sent,
 * confirmed); a standby must take over within 15 s and finish the signing exactly as a restart
 * would. Per proposal: never a second distinct approval while an earlier one could still land (a new
 * one only after the parent expired the earlier blockhash, and the Proposal showed no co-signer
 * vote), and no recorded vote lost. BACKSTOP_FAILOVER_ROUNDS rounds per step (4; `npm run soak`: 20);
 * FAILOVER_TRACE=1 prints each round's phases. Also, in-process: a standby's /readyz and POST
 * answers, and its takeover.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VersionedTransaction } from '@solana/web3.js';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { proposalPdaOf } from '../../src/chain/pda.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { PENDING_AMOUNT, proposalAccounts, sandboxLoss, SANDBOX_VAULT_LOSS, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { proposalAccount, withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { verifyAudit } from '../../src/store/audit.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { SILENT_LOG } from '../../src/workflow/ports.ts';
import { Workflow } from '../../src/workflow/workflow.ts';
import { startTsxChild, type TsxChild } from '../support/child.ts';
import { createTestDatabase, pgRequired } from '../support/postgres.ts';
import { AUDIT_KEY, cardNotifier, COSIGNER, FEE_PAYER, loadedPolicy } from '../cosign/support.ts';

const CHILD = fileURLToPath(new URL('./fixtures/failover-child.ts', import.meta.url));
const STEPS = ['decided', 'approved', 'intent', 'sent', 'confirmed'] as const;
type Step = (typeof STEPS)[number];
const ROUNDS = Number(process.env.BACKSTOP_FAILOVER_ROUNDS ?? 4);
/** Lease lifetime of the test instances: short, so takeovers are quick (production: 10 s). */
const LEASE_MS = 1500;
/** docs/storage.md: a standby takes over once the lease runs out (within 15 s). */
const TAKEOVER_LIMIT_MS = 15_000;
/** Each round withdraws a 200th of the sandbox's pending amount, so 20 rounds of every step fit in the recorded loss. */
const AMOUNT = PENDING_AMOUNT / 200n;

const pgUrl = inject('pgUrl');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The chain, the database with the sandbox loss recorded, and a reader's store. */
async function world(): Promise<{ harness: Harness; database: string; store: SqlStore; dir: string; close(): Promise<void> }> {
  const harness = await startHarness();
  worldAccounts().forEach((a) => harness.setAccount(a));
  const loss = sandboxLoss();
  harness.addTransaction(loss.transaction.signature, (loss.transaction.stored as { result: unknown }).result);
  harness.airdrop(SANDBOX.feePayer, 1_000_000_000n);
  const database = await createTestDatabase(pgUrl!);
  const dir = mkdtempSync(join(tmpdir(), 'backstop-failover-'));
  const store = await openStore({ database, auditKey: AUDIT_KEY, headFile: join(dir, 'setup.head'), anchorFile: join(dir, 'setup.anchor') });
  const chain = new ChainReader({ rpcUrl: harness.url, retries: 0 });
  const wf = new Workflow({ store, chain, policies: PolicyRegistry.of([loadedPolicy()]), notifier: cardNotifier(() => store), cosigner: undefined as never, log: SILENT_LOG });
  await wf.recordLoss({ vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: loss.event.signature, vaultLoss: SANDBOX_VAULT_LOSS, recordedBy: 'test' });
  return { harness, database, store, dir, close: async () => void (await Promise.all([store.close(), harness.close()])) };
}

/** Writes proposal `index` (paying the escrow, the curator's vote on-chain) and moves the multisig to it. */
function addProposal(h: Harness, index: bigint): void {
  for (const a of proposalAccounts({ index, transactionIndex: index, instructions: withdrawalInstructions({ amount: AMOUNT }) })) h.setAccount(a);
}

/** The approvals the harness recorded for proposal `index`, in arrival order, with their blockhash. */
function approvalsFor(h: Harness, index: bigint) {
  const pda = proposalPdaOf(SANDBOX.multisig, index);
  return h.recordedTransactions().flatMap((t) => {
    const tx = VersionedTransaction.deserialize(t.bytes);
    const keys = tx.message.staticAccountKeys.map((k) => k.toBase58());
    return keys.includes(pda) ? [{ signature: t.signature, at: t.recordedAt.getTime(), blockhash: tx.message.recentBlockhash }] : [];
  });
}

describe('failover on PostgreSQL: real processes, SIGKILL at every step', () => {
  if (pgUrl === null) {
    const reason = inject('pgUnavailableReason') ?? 'PostgreSQL tests not run';
    if (pgRequired()) it('PostgreSQL is available (BACKSTOP_REQUIRE_PG=1)', () => void expect.fail(reason));
    else it.skip(reason, () => undefined);
    return;
  }

  it(`SIGKILL at every step (${STEPS.join(', ')}), ${ROUNDS} rounds each: a standby takes over within 15 s and finishes; one approval per proposal unless its blockhash expired; no vote lost`, async () => {
    const w = await world();
    let n = 0;
    let step: Step = STEPS[0];
    /** When each child was killed (set by its line handler, the moment it prints the armed step). */
    const kills = new Map<ChildProcess, number>();
    const spawn = (): TsxChild => {
      n += 1;
      const c = startTsxChild(CHILD, [w.database, join(w.dir, `head.${n}`), join(w.dir, `anchor.${n}`), w.harness.url, String(LEASE_MS)], (line, child) => {
        if (line === `at ${step}`) {
          child.kill('SIGKILL');
          kills.set(child, Date.now());
        }
      });
      children.push(c.child);
      return c;
    };
    const trace = (m: string) => process.env.FAILOVER_TRACE && process.stderr.write(`[failover ${new Date().toISOString().slice(11, 23)}] ${m}\n`);
    try {
      let active = spawn();
      await active.waitFor('role active');
      // Two standbys: a replacement boots during the next round instead of holding it up.
      const standbys = [spawn(), spawn()];
      await Promise.all(standbys.map((c) => c.waitFor('role standby')));
      const takeovers: number[] = [];

      // One chain of instances through every step and round: each round kills the active one, the standby finishes.
      const plan = Array.from({ length: ROUNDS }, (_, r) => STEPS.map((s) => ({ round: r + 1, step: s }))).flat();
      for (const [i, p] of plan.entries()) {
        step = p.step;
        const round = p.round;
        const index = BigInt(i + 1);
        const id = `${SANDBOX.multisig}:${index}`;
        const where = `${step}, round ${round}`;
        // Every other round where an approval may already exist, its blockhash expires while nobody is active.
        const expire = round % 2 === 0 && (step === 'intent' || step === 'sent');
        let expiredAt: number | null = null;
        await Promise.race(standbys.map((c) => c.waitFor('role standby'))); // at least one is up
        trace(`${where}: armed`);
        addProposal(w.harness, index);
        active.child.stdin!.write(`arm ${step} ${index}\n`);
        // The chain: an approval whose blockhash is current lands (the proposal executes), unless this round expires it first.
        let landed = false;
        const chain = setInterval(() => {
          if (landed || (expire && expiredAt === null)) return;
          const current = w.harness.svm.latestBlockhash();
          if (approvalsFor(w.harness, index).some((a) => a.blockhash === current)) {
            w.harness.setAccount(proposalAccount({ index, status: 'Executed', approved: [SANDBOX.curator, SANDBOX.cosigner] }));
            landed = true;
          }
        }, 50);
        try {
          const killedAt = await until(`the kill at ${where}`, async () => kills.get(active.child), 30_000);
          await active.exited;
          trace(`${where}: killed`);
          const votesAtKill = await w.store.getProposal(id).then((p) => (p ? w.store.votes(p.rowId) : []));
          if (expire) {
            w.harness.expireBlockhash();
            expiredAt = Date.now();
          }
          const successor = await Promise.race(standbys.map((c) => c.waitFor('role active').then(() => c)));
          takeovers.push(Date.now() - killedAt);
          trace(`${where}: taken over`);
          standbys.splice(standbys.indexOf(successor), 1, spawn()); // the replacement boots while the rounds go on
          expect(Date.now() - killedAt, `takeover after the kill at ${where}`).toBeLessThan(TAKEOVER_LIMIT_MS);
          await until(`${id} executed after the kill at ${where}`, async () => (await w.store.getProposal(id))?.state === 'executed');
          // The compensation is written just after the transition: wait for it too.
          await until(`${id} compensated (${where})`, async () => (await w.store.ledgerForProposal(id)).some((l) => l.state === 'compensated'), 5000).catch(() => undefined);

          const row = (await w.store.getProposal(id))!;
          const approvals = approvalsFor(w.harness, index);
          const distinct = [...new Set(approvals.map((a) => a.signature))];
          // Never a second distinct approval while the first could still land; after its blockhash expired unlanded, exactly one more.
          expect(distinct.length, `distinct approvals of ${id} (${where})`).toBe(expire ? 2 : 1);
          if (distinct.length === 2) {
            const second = approvals.find((a) => a.signature === distinct[1])!;
            expect(second.at).toBeGreaterThanOrEqual(expiredAt!);
            expect(approvals.find((a) => a.signature === distinct[0])!.blockhash).not.toBe(w.harness.svm.latestBlockhash());
          }
          const intents = (await w.store.sql.read.all('SELECT signature FROM intents WHERE proposal = $1 ORDER BY id', [id])).map((r) => String(r.signature));
          expect(new Set(intents).size).toBe(intents.length);
          expect(intents.length, `intents of ${id} (${where})`).toBe(expire ? 2 : 1);
          expect(intents.at(-1)).toBe(distinct.at(-1));
          // No recorded vote lost: every vote stored before the kill is still there, and the quorum is three distinct people.
          const votes = await w.store.votes(row.rowId);
          for (const v of votesAtKill) expect(votes.map((x) => x.id)).toContain(v.id);
          expect(new Set(votes.filter((v) => v.epoch === row.epoch).map((v) => v.telegramId))).toEqual(new Set([1001, 2001, 2002]));
          expect((await w.store.ledgerForProposal(id)).map((l) => l.state), `ledger of ${id} (${where})`).toEqual(['compensated']);

          trace(`${where}: checked`);
          active = successor;
        } finally {
          clearInterval(chain);
        }
      }
      const entries = await w.store.auditEntries();
      expect(verifyAudit({ entries, publicKey: AUDIT_KEY.publicKey }).ok).toBe(true);
      expect(takeovers).toHaveLength(plan.length);
      for (const c of [active, ...standbys]) c.child.kill('SIGTERM');
      await Promise.all([active, ...standbys].map((c) => c.exited));
    } finally {
      await w.close();
    }
  }, 60_000 + ROUNDS * STEPS.length * 30_000);
});

describe('a standby in-process: reads, refuses POSTs, answers /readyz with its role, takes over', () => {
  if (pgUrl === null) {
    const reason = inject('pgUnavailableReason') ?? 'PostgreSQL tests not run';
    if (pgRequired()) it('PostgreSQL is available (BACKSTOP_REQUIRE_PG=1)', () => void expect.fail(reason));
    else it.skip(reason, () => undefined);
    return;
  }
  let w: Awaited<ReturnType<typeof world>>;
  const services: RunningService[] = [];
  beforeAll(async () => {
    w = await world();
  });
  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await w?.close();
  });

  async function instance(name: string, roles: string[]): Promise<RunningService> {
    const store = await openStore({ database: w.database, auditKey: AUDIT_KEY, headFile: join(w.dir, `${name}.head`), anchorFile: join(w.dir, `${name}.anchor`), lease: { ttlMs: 800, renewMs: 200 } });
    const s = await startService({
      store, chain: new ChainReader({ rpcUrl: w.harness.url, retries: 0 }), policies: PolicyRegistry.of([loadedPolicy()]), signer: COSIGNER, feePayer: FEE_PAYER,
      apiReadToken: 'read-token-0123456789', port: 0, log: SILENT_LOG, anchorUrl: null, simulation: 'skip-recorded-mode', notifier: cardNotifier(() => store),
      intervals: { pollMs: 200 }, standbyRetryMs: 100, onRole: (r) => void roles.push(r),
    });
    services.push(s);
    return s;
  }

  it('the second instance is a standby until the first stops, then takes over', async () => {
    const rolesA: string[] = [];
    const rolesB: string[] = [];
    const a = await instance('a', rolesA);
    const b = await instance('b', rolesB);
    expect([a.role(), b.role()]).toEqual(['active', 'standby']);

    const ready = await fetch(`${b.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ role: 'standby' });
    const post = await fetch(`${b.url}/v1/loss-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(503);
    expect(post.headers.get('retry-after')).toBe('1');
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('standby');
    const read = await fetch(`${b.url}/v1/loss-events`, { headers: { authorization: 'Bearer read-token-0123456789' } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { lossEvents: unknown[] }).lossEvents).toHaveLength(1);
    // The active instance's POSTs go through to the pipeline (here: refused as unsigned, not as standby).
    const activePost = await fetch(`${a.url}/v1/loss-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(activePost.status).toBe(401);
    const activeReady = (await (await fetch(`${a.url}/readyz`)).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(activeReady.checks['lease']).toEqual({ ok: true, detail: 'active, lease token 1' });

    await a.stop(); // a clean stop releases the lease: the standby takes over at once
    await until('the standby to take over', async () => b.role() === 'active', 5000);
    expect(rolesB).toEqual(['standby', 'active']);
    const after = await fetch(`${b.url}/v1/loss-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(after.status).toBe(401);
  });
});
