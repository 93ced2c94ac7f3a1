/**
 * `backstop rehearse --rpc <mainnet url> --vault <kvault>`: the sandbox on a copy of a real vault
 * (issue 17 §4). Reads the vault's world from --rpc (reads only), then runs the normal sandbox on the
 * copy — Telegram emulator, the real workflow, the real programs when the source or
 * BACKSTOP_PROGRAMS_DIR has them — until SIGINT/SIGTERM. Exit 1 when the vault cannot be rehearsed
 * (the message says why), 2 for bad arguments, an unreachable RPC or a busy data dir or port.
 */
import type { Address } from '@solana/kit';
import type { Command } from 'commander';
import { envValue } from '../config.ts';
import { portProblem, runUntilSignal } from './start.ts';

interface RehearseOptions {
  rpc: string;
  vault: string;
  multisig?: string;
  escrow?: string;
  policy?: string;
  forgive?: string;
  dataDir: string;
}

class UsageError extends Error {}

function checked(opts: RehearseOptions, isAddress: (s: string) => boolean): { vault: Address; multisig?: Address; escrow?: Address; forgive?: bigint } {
  for (const [flag, v] of [['--vault', opts.vault], ['--multisig', opts.multisig], ['--escrow', opts.escrow]] as const) {
    if (v !== undefined && !isAddress(v)) throw new UsageError(`${flag} ${v} is not a base58 address`);
  }
  if (opts.forgive !== undefined && !/^[1-9][0-9]*$/.test(opts.forgive)) throw new UsageError(`--forgive must be a positive integer amount in the reserve token's base units, got ${opts.forgive}`);
  try {
    new URL(opts.rpc);
  } catch {
    throw new UsageError('--rpc is not a URL (e.g. https://api.mainnet-beta.solana.com)');
  }
  return {
    vault: opts.vault as Address,
    ...(opts.multisig ? { multisig: opts.multisig as Address } : {}),
    ...(opts.escrow ? { escrow: opts.escrow as Address } : {}),
    ...(opts.forgive ? { forgive: BigInt(opts.forgive) } : {}),
  };
}

export function registerRehearse(program: Command): void {
  program
    .command('rehearse')
    .description('rehearse the emergency withdrawal on a local copy of your vault (reads --rpc only; PORT and BACKSTOP_PROGRAMS_DIR as for the sandbox)')
    .requiredOption('--rpc <url>', 'Solana JSON-RPC to copy the vault from (mainnet); only read')
    .requiredOption('--vault <address>', 'the kvault whose Insurance Pool to rehearse')
    .option('--multisig <address>', "the Squads multisig whose vault is the pool's withdraw authority (default: found in that vault's history)")
    .option('--escrow <address>', 'the compensation escrow (kToken account) to pay (default: the policy\'s first, else a candidate made on the copy)')
    .option('--policy <file>', 'your policy file: its roster names, limits and escrows are kept; keys and Telegram ids are replaced')
    .option('--forgive <amount>', "debt socialized on the vault's largest reserve, base units (default 1% of its supply)")
    .option('--data-dir <dir>', 'rehearsal data directory', 'data/rehearsal')
    .action(async (opts: RehearseOptions) => {
      // Loaded here, so `backstop --help` does not load them.
      const [{ isAddress }, { ChainUnavailable }, { createLogger }, { InstanceLocked }] = await Promise.all([
        import('@solana/kit'),
        import('../chain/errors.ts'),
        import('../log.ts'),
        import('../store/errors.ts'),
      ]);
      let running: { stop(): Promise<void> };
      try {
        const args = checked(opts, isAddress);
        const port = envValue(process.env, 'PORT');
        if (port !== undefined && (!/^[0-9]+$/.test(port) || Number(port) > 65535)) throw new UsageError(`PORT must be a port number (0 for free ones), got "${port}"`);
        // Loaded only here: nothing else imports litesvm or telegram-test-api.
        const { startSandbox, sandboxBanner } = await import('../sandbox/start.ts');
        const { rehearsalScenario, rehearsalBanner } = await import('../sandbox/rehearse/scenario.ts');
        const { sourceChain } = await import('../sandbox/rehearse/source.ts');
        const source = sourceChain(opts.rpc);
        const programsDir = envValue(process.env, 'BACKSTOP_PROGRAMS_DIR');
        const report = { programs: [] as string[], notes: [] as string[] };
        const scenario = rehearsalScenario(
          { source, ...args, ...(opts.policy ? { policyFile: opts.policy } : {}), ...(programsDir ? { programsDir } : {}) },
          report,
        );
        const sandbox = await startSandbox({
          log: createLogger(envValue(process.env, 'LOG_LEVEL') ?? 'info'),
          dataDir: opts.dataDir,
          ...(port !== undefined ? { port: Number(port) } : {}),
          scenario,
        });
        process.stderr.write(sandboxBanner(sandbox.info, sandbox.infoFile));
        process.stderr.write(rehearsalBanner(report, source.endpoint));
        running = sandbox;
      } catch (err) {
        const { RehearsalRefused } = await import('../sandbox/rehearse/clone.ts');
        const message = (err as Error).message;
        if (err instanceof RehearsalRefused) {
          process.stderr.write(`backstop rehearse: ${message}\n`);
          process.exit(1);
        }
        const known = err instanceof UsageError || err instanceof ChainUnavailable || err instanceof InstanceLocked;
        process.stderr.write(`backstop rehearse: ${portProblem(err) ?? (known ? message : `failed: ${(err as Error).stack ?? String(err)}`)}\n`);
        // A failed rehearsal must not keep a half-started copy alive.
        process.exit(2);
      }
      await runUntilSignal(running);
    });
}
