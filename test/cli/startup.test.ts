/**
 * CLI start-up: bin/backstop.js runs dist/ when it is current and the TypeScript sources (with a
 * one-line notice) when it is not; the compiled CLI answers as the sources do; `--help` and
 * `evaluate` load none of the service's heavy modules (they are imported inside the actions).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../src/policy/snapshot.ts';
import { examplePolicy, scenarioFacts, SCENARIO_NOW } from '../../src/sandbox/fixtures/scenario.ts';
import { toJsonText } from '../../src/util/json.ts';

const REPO = resolve('.');
const dir = mkdtempSync(join(tmpdir(), 'backstop-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs node with `args`, the environment without BACKSTOP_RUN_SOURCES unless `env` sets it. */
function node(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = REPO): Promise<Run> {
  const base = { ...process.env };
  delete base.BACKSTOP_RUN_SOURCES;
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, env: { ...base, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const snapshot = join(dir, 'sandbox-snapshot.json');
beforeAll(() => writeFileSync(snapshot, toJsonText(buildSnapshot({ facts: scenarioFacts(), policy: examplePolicy(), now: SCENARIO_NOW }))));

describe('bin/backstop.js picks the compiled CLI only when it is current', () => {
  // A tree of its own: the real bin/ and node_modules, a src/ and dist/ that say which one ran.
  const tree = join(dir, 'tree');
  const bin = join(tree, 'bin', 'backstop.js');
  const setTimes = (path: string, seconds: number): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) setTimes(join(path, entry.name), seconds);
      else utimesSync(join(path, entry.name), seconds, seconds);
    }
    utimesSync(path, seconds, seconds);
  };
  const NOW = Math.floor(Date.now() / 1000);

  beforeAll(() => {
    mkdirSync(join(tree, 'bin'), { recursive: true });
    for (const f of ['backstop.js', 'dependency-source-maps.mjs']) copyFileSync(join(REPO, 'bin', f), join(tree, 'bin', f));
    symlinkSync(join(REPO, 'node_modules'), join(tree, 'node_modules'));
    writeFileSync(join(tree, 'package.json'), '{ "type": "module" }\n');
    mkdirSync(join(tree, 'src', 'cli'), { recursive: true });
    writeFileSync(join(tree, 'src', 'cli.ts'), "const from: string = 'sources';\nprocess.stdout.write(`${from}\\n`);\n");
    writeFileSync(join(tree, 'src', 'cli', 'extra.ts'), 'export {};\n');
  });
  const writeDist = (): void => {
    rmSync(join(tree, 'dist'), { recursive: true, force: true });
    mkdirSync(join(tree, 'dist'));
    writeFileSync(join(tree, 'dist', 'cli.js'), "process.stdout.write('compiled\\n');\n");
  };

  it('runs dist/ when it is newer than src/, with nothing on stderr', async () => {
    writeDist();
    setTimes(join(tree, 'src'), NOW - 600);
    setTimes(join(tree, 'dist'), NOW - 60);
    const r = await node([bin]);
    expect(r).toEqual({ code: 0, stdout: 'compiled\n', stderr: '' });
  });

  it('runs src/ with a one-line notice when a source file is newer than dist/', async () => {
    writeDist();
    setTimes(join(tree, 'dist'), NOW - 600);
    setTimes(join(tree, 'src'), NOW - 900);
    utimesSync(join(tree, 'src', 'cli', 'extra.ts'), NOW - 60, NOW - 60);
    const r = await node([bin]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('sources\n');
    expect(r.stderr).toMatch(/^backstop: dist\/ is missing or older than src\/.*npm run build.*\n$/);
  });

  it('runs src/ when a source file was removed after the build (its directory changed)', async () => {
    writeDist();
    writeFileSync(join(tree, 'src', 'cli', 'gone.ts'), 'export {};\n');
    setTimes(join(tree, 'src'), NOW - 900);
    setTimes(join(tree, 'dist'), NOW - 600);
    rmSync(join(tree, 'src', 'cli', 'gone.ts'));
    const r = await node([bin]);
    expect(r.stdout).toBe('sources\n');
    expect(r.stderr).toMatch(/older than src/);
  });

  it('runs src/ with the notice when there is no dist/, and without it under BACKSTOP_RUN_SOURCES=1', async () => {
    rmSync(join(tree, 'dist'), { recursive: true, force: true });
    const missing = await node([bin]);
    expect(missing.stdout).toBe('sources\n');
    expect(missing.stderr.split('\n')).toHaveLength(2); // one line and its newline
    writeDist();
    const asked = await node([bin], { BACKSTOP_RUN_SOURCES: '1' });
    expect(asked).toEqual({ code: 0, stdout: 'sources\n', stderr: '' });
  });
});

describe('the compiled CLI (scripts/build.mjs)', () => {
  // Built outside the repository, laid out as it: dist/ beside package.json, policies/ and node_modules.
  const out = join(dir, 'build');
  beforeAll(async () => {
    mkdirSync(out);
    for (const f of ['node_modules', 'package.json', 'policies']) symlinkSync(join(REPO, f), join(out, f));
    const built = await node(['scripts/build.mjs', '--outdir', join(out, 'dist')]);
    expect(built.code, built.stdout + built.stderr).toBe(0);
  }, 120_000);

  it('is one bundle with no `.ts` import left that answers --help, --version, evaluate and policy check as the sources do', async () => {
    const cli = join(out, 'dist', 'cli.js');
    const text = readFileSync(cli, 'utf8');
    expect(text).not.toMatch(/from ['"]\.[^'"]*\.ts['"]/);
    // The Solana codecs are inside the bundle, the service's packages are not.
    expect(text).not.toMatch(/from ['"]@solana\/kit['"]/);
    for (const args of [
      ['--help'],
      ['--version'],
      ['evaluate', '--snapshot', snapshot, '--json'],
      ['evaluate', '--snapshot', join(dir, 'absent.json')],
      ['policy', 'check', join(REPO, 'policies', 'example.yaml')],
    ]) {
      const [compiled, sources] = await Promise.all([node([cli, ...args]), node(['bin/backstop.js', ...args], { BACKSTOP_RUN_SOURCES: '1' })]);
      expect(compiled, args.join(' ')).toEqual(sources);
    }
    const evaluated = await node([cli, 'evaluate', '--snapshot', snapshot, '--json']);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout).allowed).toBe(true);
  }, 60_000);

  it('runs the whole demo (service, Telegram, store, co-signer, sandbox) from the bundle', async () => {
    // What production runs is the bundle: a bundled package that reads __dirname or a missing re-export fails here, not in an incident.
    const cwd = join(dir, 'demo-cwd');
    mkdirSync(cwd);
    const r = await node([join(out, 'dist', 'cli.js'), 'demo'], {}, cwd);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('demo complete');
    expect(r.stdout).toMatch(/✅ destination-escrow/);
    expect(r.stdout + r.stderr).not.toMatch(/ReferenceError|TypeError|is not a function|Failed to load bindings/);
  }, 120_000);
});

describe('what a command loads', () => {
  // A module hook that writes every URL it loads to a file.
  const hook = join(dir, 'record-loads.mjs');
  beforeAll(() => {
    writeFileSync(join(dir, 'record-loads-hook.mjs'), [
      "import { appendFileSync } from 'node:fs';",
      'let file;',
      'export function initialize(data) { file = data.file; }',
      "export async function load(url, context, next) { appendFileSync(file, `${url}\\n`); return next(url, context); }",
    ].join('\n'));
    writeFileSync(hook, [
      "import { register } from 'node:module';",
      `register(${JSON.stringify(pathToFileURL(join(dir, 'record-loads-hook.mjs')).href)}, { data: { file: process.env.LOADS_FILE } });`,
    ].join('\n'));
  });
  /** The packages under node_modules that `backstop …args` loads (through tsx, from src/). */
  const packagesLoaded = async (args: readonly string[]): Promise<Set<string>> => {
    const file = join(dir, `loads-${args[0]}.txt`);
    writeFileSync(file, '');
    const r = await node(['--import', 'tsx', '--import', hook, 'src/cli.ts', ...args], { LOADS_FILE: file });
    expect(r.code, r.stderr).toBe(0);
    const names = readFileSync(file, 'utf8').split('\n').map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]).filter((n): n is string => n !== undefined && n !== 'tsx');
    expect(statSync(file).size).toBeGreaterThan(0);
    return new Set(names);
  };

  it('backstop --help loads commander and no other package', async () => {
    expect([...(await packagesLoaded(['--help']))]).toEqual(['commander']);
  });

  it('backstop evaluate loads none of the service, store, Telegram or sandbox packages', async () => {
    const loaded = await packagesLoaded(['evaluate', '--snapshot', snapshot]);
    expect(loaded.has('@solana/kit')).toBe(true); // it did decode the snapshot
    for (const heavy of ['express', 'grammy', '@grammyjs/runner', 'pino', 'better-sqlite3', 'pg', 'prom-client', 'litesvm', 'telegram-test-api', '@sqds/multisig']) expect(loaded, heavy).not.toContain(heavy);
  });

  // Runs after the compiled CLI's describe above built it.
  it('loads no package from node_modules to evaluate a snapshot: everything it needs is bundled', async () => {
    const file = join(dir, 'loads-built-evaluate.txt');
    writeFileSync(file, '');
    const r = await node(['--import', hook, join(dir, 'build', 'dist', 'cli.js'), 'evaluate', '--snapshot', snapshot], { LOADS_FILE: file });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(urls.some((u) => u.includes('/dist/chunks/'))).toBe(true);
    expect(urls.filter((u) => u.includes('/node_modules/'))).toEqual([]);
  }, 60_000);
});
