import type { Command } from 'commander';

/** `backstop evaluate --snapshot FILE [--json]`: decide offline (docs/rules.md#snapshots-replaying-a-decision). Exit 0 allowed, 1 denied, 2 unreadable. */
export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('decide a saved snapshot offline: exit 0 allowed, 1 denied, 2 unreadable')
    .requiredOption('--snapshot <file>', 'a snapshot written by `backstop inspect --snapshot`')
    .option('--json', 'print the decision as JSON')
    .action(async (opts: { snapshot: string; json?: boolean }) => {
      // Loaded in the action so `backstop --help` and the other commands do not pay for them.
      // One parse per process: zod's JIT would compile each schema for a single use, which costs more than it saves.
      const { z } = await import('zod');
      z.config({ jitless: true });
      const [{ decide }, { formatDecision }, { readSnapshotFile, SnapshotError }] = await Promise.all([
        import('../policy/engine.ts'),
        import('../policy/format.ts'),
        import('../policy/snapshot.ts'),
      ]);
      try {
        const { facts, policy, now } = await readSnapshotFile(opts.snapshot);
        const { decision } = decide(facts, policy, now);
        process.stdout.write(opts.json ? `${JSON.stringify(decision, null, 2)}\n` : formatDecision(decision));
        process.exitCode = decision.allowed ? 0 : 1;
      } catch (err) {
        if (!(err instanceof SnapshotError)) throw err;
        process.stderr.write(`backstop evaluate: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}
