/**
 * A throwaway PostgreSQL cluster for the store tests (README.md#development): started once by the vitest
 * globalSetup as the `postgres` user on a free port, its URL provided to the test files, each of
 * which creates its own databases. Without server binaries the PostgreSQL tests are skipped — or
 * fail, with `BACKSTOP_REQUIRE_PG=1`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_SKIP_MESSAGE = 'PostgreSQL tests not run: server binaries not found';

/** The newest `/usr/lib/postgresql/<v>/bin` holding `initdb`, or null (also with `BACKSTOP_TEST_PG=off`). */
export function findPostgresBin(): string | null {
  if (process.env.BACKSTOP_TEST_PG === 'off') return null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  readonly url: string;
  /** Stops the server for good and removes its files. */
  stop(): void;
  /** Stops the server (`pg_ctl stop -m fast`), keeping its data, to test an outage. */
  halt(): void;
  /** Starts a halted server again on the same port and data. */
  resume(): void;
}

/** Starts a cluster in a temp dir; output goes to files (the server inherits stdout otherwise). */
export async function startCluster(bin: string): Promise<Cluster> {
  const base = mkdtempSync(join(tmpdir(), 'backstop-pg-'));
  const data = join(base, 'data');
  const sock = join(base, 'sock');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  execFileSync('mkdir', ['-p', data, sock]);
  if (asRoot) for (const d of [base, data, sock]) chownSync(d, uidOf('postgres'), gidOf('postgres'));
  const log = openSync(join(base, 'setup.log'), 'a');
  const script = [
    `PATH=${bin}:$PATH`,
    `initdb -D ${data} -U postgres --auth=trust -E UTF8 --no-sync`,
    `pg_ctl -D ${data} -l ${join(base, 'server.log')} -o "-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off" -w start`,
  ].join(' && ');
  const run = (cmd: string) =>
    asRoot ? execFileSync('su', ['postgres', '-c', cmd], { stdio: ['ignore', log, log] }) : execFileSync('sh', ['-c', cmd], { stdio: ['ignore', log, log] });
  try {
    run(script);
  } finally {
    closeSync(log);
  }
  const pgCtl = (args: string) => {
    const out = openSync(join(base, 'ctl.log'), 'a');
    try {
      run2(`PATH=${bin}:$PATH pg_ctl -D ${data} ${args}`, out);
    } finally {
      closeSync(out);
    }
  };
  const run2 = (cmd: string, out: number) =>
    asRoot ? execFileSync('su', ['postgres', '-c', cmd], { stdio: ['ignore', out, out] }) : execFileSync('sh', ['-c', cmd], { stdio: ['ignore', out, out] });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    halt: () => pgCtl('-m fast -w stop'),
    resume: () => pgCtl(`-l ${join(base, 'server.log')} -o "-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off" -w start`),
    stop() {
      const out = openSync(join(base, 'stop.log'), 'a');
      try {
        const cmd = `PATH=${bin}:$PATH pg_ctl -D ${data} -m immediate -w stop`;
        (asRoot ? execFileSync('su', ['postgres', '-c', cmd], { stdio: ['ignore', out, out] }) : execFileSync('sh', ['-c', cmd], { stdio: ['ignore', out, out] }));
      } catch {
        // Already stopped.
      } finally {
        closeSync(out);
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}
function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}

/** Creates a fresh database on the cluster and returns its URL. */
export async function createTestDatabase(clusterUrl: string): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: clusterUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(clusterUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** True when the run must fail rather than skip without PostgreSQL. */
export const pgRequired = (): boolean => process.env.BACKSTOP_REQUIRE_PG === '1';
