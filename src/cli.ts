/**
 * The `backstop` command line. Each command lives in `src/cli/<command>.ts` and registers itself here.
 * Exit codes (docs/storage.md): 0 ok, 1 a finding or refusal, 2 bad arguments or unreadable input, RPC or database.
 */
import { CommanderError, type Command } from 'commander';
import { BackstopCommand } from './cli/command.ts';
import { registerDemo } from './cli/demo.ts';
import { registerEvaluate } from './cli/evaluate.ts';
import { registerInit } from './cli/init.ts';
import { registerInspect } from './cli/inspect.ts';
import { registerLoss } from './cli/loss.ts';
import { registerStart } from './cli/start.ts';
import { registerPolicy } from './cli/policy.ts';
import { registerPool } from './cli/pool.ts';
import { registerPrograms } from './cli/programs.ts';
import { registerRehearse } from './cli/rehearse.ts';
import { registerVersion } from './cli/version.ts';
import { registerWebhook } from './cli/webhook.ts';
import { registerAudit } from './cli/audit.ts';
import { registerCompensation } from './cli/compensation.ts';

export const EXIT = { ok: 0, finding: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new BackstopCommand('backstop')
    .description('Policy-checked co-signer for Kamino Insurance Pool emergency withdrawals')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerVersion(program);
  registerStart(program);
  registerDemo(program);
  registerEvaluate(program);
  registerInspect(program);
  registerLoss(program);
  registerPolicy(program);
  registerPool(program);
  registerWebhook(program);
  registerAudit(program);
  registerInit(program);
  registerPrograms(program);
  registerRehearse(program);
  registerCompensation(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; unknown options and missing arguments are usage errors.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`backstop: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.usage;
  }
}

await main(process.argv);
