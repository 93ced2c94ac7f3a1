import type { Command } from 'commander';

/** `backstop demo` (`npm run demo`): the whole story in a sandbox of its own; real mode with BACKSTOP_PROGRAMS_DIR. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('play the whole story in a sandbox of its own (temp dir, free ports) and print each step; with BACKSTOP_PROGRAMS_DIR in real mode')
    .action(async () => {
      const { runDemo } = await import('../sandbox/demo.ts'); // sandbox code only on demand
      process.exitCode = await runDemo();
    });
}
