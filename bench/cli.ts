/**
 * CLI start-up as a user meets it: `backstop --help` and `backstop evaluate --snapshot` on a sandbox
 * snapshot, each a whole process (bin/backstop.js executed, as `npx backstop` runs it, on the
 * compiled copy of bench/compiled.ts), timed against the floor `node -e 0` in alternation (A B A B …).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSnapshot } from '../src/policy/snapshot.ts';
import { examplePolicy, scenarioFacts, SCENARIO_NOW } from '../src/sandbox/fixtures/scenario.ts';
import { toJsonText } from '../src/util/json.ts';
import { compiledTree } from './compiled.ts';
import type { BenchRow } from './run.ts';

const RUNS = 10;
const WARMUP = 2;

/** Wall milliseconds of one whole process, its exit code and stderr. */
function timeProcess(file: string, args: readonly string[]): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code, stderr }));
  });
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A against the floor, in alternation; the ratio is the median of the pairwise ratios. */
async function versusFloor(bin: string, args: readonly string[], expectCode: number): Promise<{ a: number; floor: number; ratio: number }> {
  const a: number[] = [];
  const floor: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const r = await timeProcess(bin, args);
    if (r.code !== expectCode || r.stderr !== '') throw new Error(`backstop ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    const f = await timeProcess(process.execPath, ['-e', '0']);
    if (i < WARMUP) continue;
    a.push(r.ms);
    floor.push(f.ms);
    ratios.push(r.ms / f.ms);
  }
  return { a: median(a), floor: median(floor), ratio: median(ratios) };
}

export async function cliBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-bench-cli-'));
  const snapshot = join(dir, 'sandbox-snapshot.json');
  writeFileSync(snapshot, toJsonText(buildSnapshot({ facts: scenarioFacts(), policy: examplePolicy(), now: SCENARIO_NOW })));
  try {
    // A stale build would print bin's notice on stderr, which versusFloor refuses.
    const bin = join(compiledTree(), 'bin/backstop.js');
    const help = await versusFloor(bin, ['--help'], 0);
    const evaluate = await versusFloor(bin, ['evaluate', '--snapshot', snapshot], 0);
    const ms = (x: number) => `${Math.round(x)} ms`;
    const times = (x: number) => `${x.toFixed(1)}×`;
    return [
      { name: 'node -e 0 (the floor), median wall', value: ms(help.floor) },
      { name: 'backstop --help, median wall', value: ms(help.a) },
      { name: 'backstop --help ÷ node -e 0 (median of pairs)', value: times(help.ratio), goal: '≤ 5×', ok: help.ratio <= 5 },
      { name: 'backstop evaluate --snapshot (sandbox), median wall', value: ms(evaluate.a) },
      { name: 'backstop evaluate ÷ node -e 0 (median of pairs)', value: times(evaluate.ratio), goal: '≤ 10×', ok: evaluate.ratio <= 10 },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
