/**
 * `backstop compensation plan` (issue 15 §3): the compensation plan of a recorded loss event, read
 * from the chain at the loss slot and printed. It only reads (it runs beside a live instance): the
 * service stores a plan when asked with POST /v1/loss-events/:id/plan. Exit 0 with a plan, 1 when the
 * plan is unknown (saying why), 2 on unreadable input, an RPC or a database that cannot be read.
 */
import type { Command } from 'commander';

interface PlanOptions {
  lossEvent: string;
  amount?: string;
  rpc?: string;
  database?: string;
  policyDir?: string;
  json?: boolean;
  csv?: boolean;
  pageSize?: string;
  requestsPerSecond?: string;
  maxTransactions?: string;
  checkpoint?: string;
  batchSize?: string;
}

class Refusal extends Error {
  constructor(readonly exitCode: 1 | 2, message: string) {
    super(message);
  }
}

const modules = async () => {
  const [errors, reader, load, open, storeErrors, workflow, wfErrors, plan, distributor, types, units] = await Promise.all([
    import('../chain/errors.ts'),
    import('../chain/reader.ts'),
    import('../policy/load.ts'),
    import('../store/open.ts'),
    import('../store/errors.ts'),
    import('../workflow/compensation.ts'),
    import('../workflow/errors.ts'),
    import('../policy/compensation/plan.ts'),
    import('../chain/accounts/distributor.ts'),
    import('../chain/types.ts'),
    import('../util/units.ts'),
  ]);
  return { ...errors, ...reader, ...load, ...open, ...storeErrors, ...workflow, ...wfErrors, ...plan, ...distributor, ...types, ...units };
};

/** Writes to stdout, waiting when its buffer is full (a 100,000-claim plan is ~120 MB of JSON). */
function write(chunk: string): Promise<void> {
  if (process.stdout.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

const count = (v: string | undefined, flag: string, fallback: number): number => {
  if (v === undefined) return fallback;
  if (!/^[0-9]+$/.test(v)) throw new Refusal(2, `${flag} must be a whole number, got ${v}`);
  return Number(v);
};

async function plan(opts: PlanOptions, m: Awaited<ReturnType<typeof modules>>): Promise<number> {
  if (opts.json && opts.csv) throw new Refusal(2, 'pass one of --json and --csv');
  const rpcUrl = opts.rpc ?? process.env.SOLANA_RPC_URL?.split(',')[0]?.trim();
  if (!rpcUrl) throw new Refusal(2, 'no RPC: pass --rpc URL or set SOLANA_RPC_URL');
  const policyDir = opts.policyDir ?? process.env.POLICY_DIR ?? 'policies';
  const dir = await m.loadPolicyDir(policyDir).catch((err: Error) => {
    throw new Refusal(2, `cannot read the policies in ${policyDir}: ${err.message}`);
  });
  const chain = new m.ChainReader({ rpcUrl, timeoutMs: 30_000 });
  const database = m.resolveDatabase(opts.database);
  const store = await m.openStore({ database, mustExist: true }).catch((err: Error) => {
    throw new Refusal(2, `cannot open the store ${database}: ${err.message}`);
  }); // read-only: no audit key, no instance lock
  const tty = process.stderr.isTTY === true;
  let shown = 0;
  // A long walk cut short (an RPC outage) starts again where it stopped when given the same file.
  const { existsSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  let resume: unknown;
  if (opts.checkpoint && existsSync(opts.checkpoint)) {
    try {
      resume = JSON.parse(readFileSync(opts.checkpoint, 'utf8'));
    } catch (err) {
      throw new Refusal(2, `cannot read the checkpoint ${opts.checkpoint}: ${(err as Error).message}`);
    }
  }
  const checkpointFile = opts.checkpoint;
  try {
    const built = await m.buildLossEventPlan(
      { chain, store, policyFor: (vault) => m.policyForVault(dir.policies, vault)?.policy },
      {
        lossEventId: opts.lossEvent,
        ...(opts.amount !== undefined ? { amount: opts.amount } : {}),
        history: {
          pageSize: count(opts.pageSize, '--page-size', 1000),
          requestsPerSecond: count(opts.requestsPerSecond, '--requests-per-second', 40),
          maxTransactions: count(opts.maxTransactions, '--max-transactions', 200_000),
          batchSize: count(opts.batchSize, '--batch-size', 50),
          ...(resume !== undefined ? { resume: resume as never } : {}),
          ...(checkpointFile ? { onCheckpoint: (c) => writeFileSync(checkpointFile, JSON.stringify(c), { mode: 0o600 }) } : {}),
          // Progress on a terminal only, at most every half second.
          ...(tty
            ? {
                progress: (p) => {
                  if (Date.now() - shown < 500) return;
                  shown = Date.now();
                  process.stderr.write(`\rhistory: ${p.accountsWalked}/${p.accounts} accounts, ${p.transactionsFetched}/${p.transactions} transactions, ${p.rpcCalls} RPC calls`);
                },
              }
            : {}),
        },
      },
    );
    if (tty && shown > 0) process.stderr.write('\n');
    if (checkpointFile) rmSync(checkpointFile, { force: true }); // walked to the end: nothing to resume
    if (built.outcome !== 'pass') {
      process.stderr.write(`backstop compensation plan: the plan of loss event ${opts.lossEvent} is unknown: ${built.reason}\n`);
      return 1;
    }
    const p = built.plan;
    if (opts.json) {
      for (const chunk of m.planJsonChunks(p)) await write(chunk);
      await write('\n');
      return 0;
    }
    if (opts.csv) {
      for (const chunk of m.planCsvChunks(p)) await write(chunk);
      return 0;
    }
    const k = (x: bigint) => `${m.displayAmount(x, built.decimals)} kTokens`;
    const lines = [
      `Compensation plan for loss event ${p.lossEventId} (vault ${built.event.vault}), holders at slot ${p.lossSlot}`,
      `  shares mint ${p.sharesMint}: ${k(p.totalShares)} issued then; excluded ${k(p.excludedShares)}; affected ${k(p.affectedShares)}`,
      ...p.excluded.map((e) => `    excluded ${e.reason.padEnd(14)} ${e.account} ${k(e.shares)}`),
      `  claimants ${p.entries.length}, manual review ${p.manualReview.length}, below dust ${p.dust.length}`,
      `  amount ${k(p.amount)}${p.requested > p.cap ? ` (capped: ${k(p.requested)} asked, the affected holders' loss is ${k(p.cap)})` : ''}`,
      `  total ${k(p.total)} (max_total_claim ${p.total}), remainder ${k(p.remainder)}`,
      `  merkle root ${p.root}`,
      ...p.manualReview.map((h) => `    manual review ${h.owner} ${k(h.shares)} (off-curve: cannot sign a claim)`),
      `  history: ${built.history.accounts} token accounts, ${built.history.transactions} transactions after the loss, ${built.history.rpcCalls} RPC calls in ${built.history.httpRequests} requests (state at slot ${built.history.readAtSlot})`,
      ...(await distributorLines(m, chain, built, dir.policies)),
      'Print it whole with --json (proofs) or --csv; the service stores it with POST /v1/loss-events/:id/plan.',
    ];
    await write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** Each registered escrow's distributor, checked against the plan's root and total. */
async function distributorLines(
  m: Awaited<ReturnType<typeof modules>>,
  chain: InstanceType<Awaited<ReturnType<typeof modules>>['ChainReader']>,
  built: Extract<Awaited<ReturnType<Awaited<ReturnType<typeof modules>>['buildLossEventPlan']>>, { outcome: 'pass' }>,
  policies: Awaited<ReturnType<Awaited<ReturnType<typeof modules>>['loadPolicyDir']>>['policies'],
): Promise<string[]> {
  const policy = m.policyForVault(policies, built.event.vault)?.policy;
  if (!policy) return [];
  const { decodeTokenAccount } = await import('../chain/accounts/spl.ts');
  const escrows = await chain.getAccounts(policy.escrows.map((e) => e.address));
  const out: string[] = [];
  for (const e of policy.escrows) {
    const account = m.readAccount(escrows, e.address, decodeTokenAccount);
    if (account.status !== 'ok') continue;
    const owner = account.value.owner;
    const d = m.readAccount(await chain.getAccounts([owner]), owner, m.decodeMerkleDistributor);
    if (d.status !== 'ok') {
      out.push(`  distributor of escrow ${e.name}: ${owner} is not a MerkleDistributor (${d.status})`);
      continue;
    }
    const root = Buffer.from(d.value.root).toString('hex');
    const ok = root === built.plan.root && d.value.maxTotalClaim === built.plan.total;
    out.push(
      `  distributor ${owner} (escrow ${e.name}): ${ok ? 'matches the plan' : 'DOES NOT match the plan'} — root ${root.slice(0, 16)}…${root === built.plan.root ? '' : ` (plan ${built.plan.root.slice(0, 16)}…)`}, max_total_claim ${d.value.maxTotalClaim}${d.value.maxTotalClaim === built.plan.total ? '' : ` (plan ${built.plan.total})`}`,
    );
  }
  return out;
}

/** `backstop compensation plan …`. */
export function registerCompensation(program: Command): void {
  const compensation = program.command('compensation').description('compensation plans of loss events (issue 15)');
  compensation
    .command('plan')
    .description('the plan of a loss event: holders at the loss slot, amounts, merkle root and proofs (reads only)')
    .requiredOption('--loss-event <id>', 'the recorded loss event')
    .option('--amount <kTokens>', "kTokens to distribute (default: the event's remaining compensable value at today's price, capped by the affected holders' loss)")
    .option('--rpc <url>', 'Solana JSON-RPC keeping the full transaction history (default SOLANA_RPC_URL, its first endpoint)')
    .option('--database <db>', 'SQLite file or postgres:// URL (default DATABASE_URL, else ./data/backstop.db)')
    .option('--policy-dir <dir>', 'policies (default POLICY_DIR, else ./policies)')
    .option('--json', 'the whole plan as JSON (entries with proofs)')
    .option('--csv', 'the whole plan as CSV')
    .option('--page-size <n>', 'signatures per history page (≤ 1000)')
    .option('--requests-per-second <n>', 'RPC requests started per second at most (0: no limit; default 40)')
    .option('--max-transactions <n>', 'transactions after the loss walked at most (default 200000)')
    .option('--batch-size <n>', 'calls per JSON-RPC batch request (default 50; 1 for an RPC that refuses batches)')
    .option('--checkpoint <file>', 'keep the walk in FILE as it goes; after an RPC failure, the same command resumes from it')
    .action(async (opts: PlanOptions) => {
      // A reader that stops early (| head) closes the pipe: stop quietly, as other Unix tools do.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
        process.exit(process.exitCode ?? 0);
      });
      const m = await modules();
      try {
        process.exitCode = await plan(opts, m);
      } catch (err) {
        const code =
          err instanceof Refusal
            ? err.exitCode
            : err instanceof m.ChainUnavailable || err instanceof m.StoreUnavailable
              ? 2
              : err instanceof m.WorkflowRefusal
                ? err.kind === 'not-found' || err.kind === 'invalid-input'
                  ? 2
                  : 1
                : null;
        if (code === null) throw err;
        process.stderr.write(`backstop compensation plan: ${(err as Error).message}\n`);
        process.exitCode = code;
      }
    });
}
