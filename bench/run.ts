/**
 * `npm run bench`: speed and memory goals, measured (not asserted by tests). Each section prints
 * what it measured next to its goal. Run on an idle machine; numbers vary with load.
 */
import { cpus, totalmem } from 'node:os';
import { chainBench } from './chain.ts';
import { cliBench } from './cli.ts';
import { compensationBench } from './compensation.ts';
import { decideBench } from './decide.ts';
import { httpBench } from './http.ts';
import { telegramBench } from './telegram.ts';

export interface BenchRow {
  readonly name: string;
  readonly value: string;
  readonly goal?: string;
  readonly ok?: boolean;
}

const sections: [string, () => Promise<BenchRow[]>][] = [
  ['CLI start (whole processes: bin/backstop.js of a built copy, vs node -e 0)', cliBench],
  ['policy engine', decideBench],
  ['chain reads (LiteSVM harness over HTTP)', chainBench],
  ['HTTP API (signed webhooks vs bare express, 127.0.0.1)', httpBench],
  ['telegram (grammY bot against the emulator)', telegramBench],
  ['compensation (issue 15: a 100,000-holder plan; history reader against the harness)', compensationBench],
];

const only = process.argv.slice(2);
// The machine, for the README's Benchmarks section: numbers mean little without it.
process.stdout.write(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}\n`);
for (const [title, run] of sections) {
  if (only.length > 0 && !only.some((o) => title.includes(o))) continue;
  process.stdout.write(`\n== ${title}\n`);
  for (const row of await run()) {
    const verdict = row.ok === undefined ? '' : row.ok ? '  ✅' : '  ❌';
    process.stdout.write(`  ${row.name.padEnd(52)} ${row.value.padStart(14)}${row.goal ? `   goal ${row.goal}` : ''}${verdict}\n`);
  }
}
process.stdout.write(`\nRSS at the end: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MB\n`);
