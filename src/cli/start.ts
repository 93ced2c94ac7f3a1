import type { Command } from 'commander';

/** `backstop start`: the service. Until the sandbox and the service exist it says honestly what is missing. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the service (production with configuration, else the sandbox of SPEC §9)')
    .option('--sandbox', 'run the sandbox even when configuration is present')
    .action(() => {
      process.stdout.write(
        [
          'backstop start: the service is not built yet.',
          'Missing: the sandbox (LiteSVM chain + Telegram emulator), the HTTP API, the Telegram bot and the co-signer.',
          'What works today: `npx backstop --help`, `npm test`.',
          '',
        ].join('\n'),
      );
      process.exitCode = 1;
    });
}
