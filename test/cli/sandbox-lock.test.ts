/**
 * Two `backstop start` in the same folder (issue 12, Lifecycle): the second refuses before touching
 * the first's data dir (docs/storage.md: one instance per database), and the first keeps serving. Also
 * finding 9 on real files: the sandbox's data dir is 0700 and what it writes there 0600.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRED_IN_PRODUCTION } from '../../src/config.ts';
import type { SandboxInfo } from '../../src/sandbox/start.ts';
import { defaultAnchorFile } from '../../src/store/anchor.ts';

const BIN = resolve('bin/backstop.js');
const folder = mkdtempSync(join(tmpdir(), 'backstop-two-starts-'));
const dataDir = join(folder, 'data', 'sandbox');
const children: ChildProcess[] = [];

function start(): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'warn' };
  for (const k of REQUIRED_IN_PRODUCTION) delete env[k];
  // As a new user runs it: `npm start` in a folder, the default data dir `data/sandbox`.
  const child = spawn(process.execPath, [BIN, 'start'], { cwd: folder, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, stderr: () => stderr, exited };
}

async function until<T>(what: string, fn: () => T | null | undefined | false, ms: number, log: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let first: ReturnType<typeof start>;
let info: SandboxInfo;
const mode = (f: string) => statSync(f).mode & 0o777;
let umask: number;

beforeAll(async () => {
  umask = process.umask(0o022); // children inherit it: the usual default, under which files were 0644
  first = start();
  const infoFile = join(dataDir, 'sandbox.json');
  await until('the first sandbox', () => existsSync(infoFile) && first.stderr().includes('backstop sandbox is running'), 90_000, first.stderr);
  info = JSON.parse(readFileSync(infoFile, 'utf8')) as SandboxInfo;
}, 120_000);

afterAll(async () => {
  process.umask(umask);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await first?.exited;
});

describe('a second start on the same data dir', () => {
  it('refuses before touching anything, naming the running pid; the first keeps serving', async () => {
    const db = join(dataDir, 'backstop.db');
    const before = {
      dbInode: statSync(db).ino,
      info: readFileSync(join(dataDir, 'sandbox.json'), 'utf8'),
      lock: readFileSync(`${db}.lock`, 'utf8'),
      key: readFileSync(join(dataDir, 'audit-keypair.json'), 'utf8'),
    };
    const second = start();
    const code = await Promise.race([second.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 60_000))]);
    expect(code).not.toBe('running');
    expect(code).not.toBe(0);
    expect(second.stderr()).toContain(`another backstop (pid ${first.child.pid}) is running on data/sandbox; stop it or pass --data-dir`);
    expect(second.stderr()).not.toMatch(/\n\s+at /); // one line, no stack trace
    expect({
      dbInode: statSync(db).ino,
      info: readFileSync(join(dataDir, 'sandbox.json'), 'utf8'),
      lock: readFileSync(`${db}.lock`, 'utf8'),
      key: readFileSync(join(dataDir, 'audit-keypair.json'), 'utf8'),
    }).toEqual(before);
    expect(JSON.parse(before.lock)).toMatchObject({ pid: first.child.pid });
    const health = await fetch(new URL('/healthz', info.httpUrl));
    expect(health.status).toBe(200);
    const read = await fetch(new URL(`/v1/proposals/${info.pendingProposal}`, info.httpUrl), { headers: { authorization: `Bearer ${info.apiReadToken}` } });
    expect(read.status).toBe(200);
    expect(first.child.exitCode).toBeNull();
  }, 90_000);

  it('the sandbox’s data dir is 0700 and its database, head, keys, sandbox.json and anchor 0600', () => {
    const db = join(dataDir, 'backstop.db');
    expect(mode(dataDir)).toBe(0o700);
    const files = [db, `${db}-wal`, `${db}-shm`, `${db}.head`, `${db}.lock`, join(dataDir, 'audit-keypair.json'), join(dataDir, 'webhook-source.json'), join(dataDir, 'sandbox.json'), defaultAnchorFile(db)];
    expect(Object.fromEntries(files.map((f) => [f, existsSync(f) ? mode(f) : 'missing']))).toEqual(Object.fromEntries(files.map((f) => [f, 0o600])));
  });
});
