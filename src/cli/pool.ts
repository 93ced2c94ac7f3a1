/**
 * `backstop pool check --vault <kvault> [--rpc <url>] [--policy <file>] [--multisig <address>] [--json]`
 * (issue 14): is the vault's Insurance Pool set up so that an emergency withdrawal can happen? One
 * batched read (≤ 3 round trips), one line per check. Exit 0 pass/warn, 1 any fail, 2 none fails but
 * one is unknown, nothing could be read, or bad arguments.
 */
import type { Address } from '@solana/kit';
import type { Command } from 'commander';
import type { PoolCheckView } from '../workflow/pool-view.ts';

interface PoolCheckOptions {
  vault: string;
  rpc?: string;
  policy?: string;
  multisig?: string;
  json?: boolean;
}

/** Bad arguments or unreadable input: exit 2 with the message. */
class UsageError extends Error {}

/** Loaded by the action, not at `backstop --help` (the chain and policy code take a moment to load). */
const modules = async () => {
  const [kit, reader, load, view, json] = await Promise.all([
    import('@solana/kit'),
    import('../chain/reader.ts'),
    import('../policy/load.ts'),
    import('../workflow/pool-view.ts'),
    import('../util/json.ts'),
  ]);
  return { isAddress: kit.isAddress, ChainReader: reader.ChainReader, loadPolicyFile: load.loadPolicyFile, PolicyReadError: load.PolicyReadError, ...view, toJsonText: json.toJsonText };
};

/** The check as terminal text: a header, one line per check (with its fix under a failure or warning), the tally. */
export function formatPoolCheck(view: PoolCheckView): string {
  const lines = [`Insurance Pool check — ${view.name ?? 'no policy'}`, `vault ${view.vault}${view.slot === null ? '' : ` at slot ${view.slot}`}`];
  for (const c of view.checks) {
    lines.push(`${c.outcome.padEnd(8)}${c.id.padEnd(22)}${c.evidence}`);
    if (c.fix) lines.push(`${' '.repeat(30)}fix: ${c.fix}`);
  }
  const n = view.counts;
  const tally = `${n.pass} pass, ${n.warn} warn, ${n.fail} fail, ${n.unknown} unknown`;
  lines.push(view.readable ? `${tally} → exit ${view.exitCode}` : `${tally}: the vault could not be read (RPC unreachable?) → exit 2`);
  return `${lines.join('\n')}\n`;
}

async function run(opts: PoolCheckOptions): Promise<number> {
  const m = await modules();
  for (const [flag, v] of [['--vault', opts.vault], ['--multisig', opts.multisig]] as const) {
    if (v !== undefined && !m.isAddress(v)) throw new UsageError(`${flag} ${v} is not a base58 address`);
  }
  const rpcUrl = opts.rpc ?? process.env.SOLANA_RPC_URL;
  if (!rpcUrl) throw new UsageError('no RPC: pass --rpc URL or set SOLANA_RPC_URL');
  let reader: InstanceType<typeof m.ChainReader>;
  try {
    reader = new m.ChainReader({ rpcUrl });
  } catch {
    throw new UsageError('--rpc is not a URL');
  }
  let policy;
  if (opts.policy) {
    let file;
    try {
      file = await m.loadPolicyFile(opts.policy);
    } catch (err) {
      if (err instanceof m.PolicyReadError) throw new UsageError(err.message);
      throw err;
    }
    if (!file.ok) throw new UsageError(`${opts.policy} is invalid (backstop policy check ${opts.policy}): ${file.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    policy = file.policy;
  }
  const view = await m.checkPoolNow(reader, {
    vault: opts.vault as Address,
    ...(policy ? { policy } : {}),
    ...(opts.multisig ? { multisig: opts.multisig as Address } : {}),
  });
  process.stdout.write(opts.json ? `${m.toJsonText(m.poolCheckJson(view))}\n` : formatPoolCheck(view));
  return view.exitCode;
}

/** `backstop pool check`. */
export function registerPool(program: Command): void {
  const pool = program.command('pool').description('the Insurance Pool of a vault');
  pool
    .command('check')
    .description('audit the vault\'s Insurance Pool from the chain (exit 0 pass/warn, 1 a check fails, 2 none fails but one is unknown, or bad input)')
    .requiredOption('--vault <address>', 'the kvault (VaultState) address')
    .option('--rpc <url>', 'Solana JSON-RPC (default SOLANA_RPC_URL)')
    .option('--policy <file>', 'check against this policy file (multisig, farm admins, escrows, reserves, minDepthRatio)')
    .option('--multisig <address>', 'the 2-of-2 Squads multisig (default: the policy\'s; vault index 0 without a policy)')
    .option('--json', 'print { vault, slot, checks: [{ id, outcome, evidence, fix }] }')
    .action(async (opts: PoolCheckOptions) => {
      try {
        process.exitCode = await run(opts);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(`backstop pool check: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}
