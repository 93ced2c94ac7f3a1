/**
 * CLI commands default to the sandbox's store and keys (docs/configuration.md): in a directory with
 * data/sandbox/sandbox.json and no production variable set, `audit verify/export`, `inspect` and
 * `webhook send` use the sandbox's database, audit key, webhook source and API, saying so in one
 * stderr line; a production variable, another --database or a broken sandbox.json turn that off.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTION_VARIABLES, sandboxDefaults, sandboxForStore } from '../../src/cli/sandbox-defaults.ts';
import { SANDBOX_KEYPAIRS } from '../../src/sandbox/seeds.ts';
import { Ed25519Keypair, writeKeypairFile } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import { takeInstanceLock } from '../../src/store/sqlite.ts';
import { lossInput } from '../store/helpers.ts';

const BIN = resolve('bin/backstop.js');
const POLICY = resolve('policies/example.yaml');
const cwd = mkdtempSync(join(tmpdir(), 'backstop-sandbox-cwd-'));
const dataDir = join(cwd, 'data', 'sandbox');
const auditKey = Ed25519Keypair.generate();
let api: Server;
let apiUrl = '';
const requests: { url: string; headers: IncomingHttpHeaders }[] = [];

/** The environment of a shell with no production variable. */
const clean = (over: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, BACKSTOP_RUN_SOURCES: '1' };
  for (const k of PRODUCTION_VARIABLES) delete env[k];
  return { ...env, ...over };
};

function run(args: readonly string[], env = clean(), dir = cwd): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const writeInfo = (info: object | string) => writeFileSync(join(dataDir, 'sandbox.json'), typeof info === 'string' ? info : JSON.stringify(info, null, 2));
const info = () => ({
  httpUrl: apiUrl,
  rpcUrl: 'http://127.0.0.1:9',
  database: 'data/sandbox/backstop.db',
  policy: POLICY,
  apiReadToken: 'x',
  webhookSource: { id: 'sandbox', keypair: 'data/sandbox/webhook-source.json' },
  audit: { keypair: 'data/sandbox/audit-keypair.json' },
});

beforeAll(async () => {
  mkdirSync(dataDir, { recursive: true });
  writeKeypairFile(join(dataDir, 'audit-keypair.json'), auditKey);
  writeKeypairFile(join(dataDir, 'webhook-source.json'), Ed25519Keypair.fromSeed(SANDBOX_KEYPAIRS.webhookSource.secretKey.slice(0, 32)));
  // A real store signed with the sandbox's audit key: two audited writes, head and anchor written.
  const database = join(dataDir, 'backstop.db');
  const store = await openStore({ database, auditKey, headFile: `${database}.head` });
  await store.recordLossEvent(lossInput());
  await store.recordLossEvent(lossInput());
  await store.close();
  api = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not-found', message: 'no such loss event' } }));
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  writeInfo(info());
});
afterAll(async () => {
  await new Promise((r) => api.close(r));
  rmSync(cwd, { recursive: true, force: true });
});

describe('sandboxDefaults', () => {
  it('reads sandbox.json relative to the working directory, paths made absolute', () => {
    expect(sandboxDefaults(clean(), cwd)).toEqual({
      file: 'data/sandbox/sandbox.json',
      database: join(dataDir, 'backstop.db'),
      auditKeypair: join(dataDir, 'audit-keypair.json'),
      rpcUrl: 'http://127.0.0.1:9',
      httpUrl: apiUrl,
      webhookSource: { id: 'sandbox', keypair: join(dataDir, 'webhook-source.json') },
    });
  });
  it('is off when any production variable is set, or where there is no sandbox.json', () => {
    for (const k of ['DATABASE_URL', 'AUDIT_KEYPAIR', 'SOLANA_RPC_URL', 'POLICY_DIR', 'AUDIT_HEAD_FILE']) expect(sandboxDefaults(clean({ [k]: 'x' }), cwd), k).toBeNull();
    expect(sandboxDefaults(clean({ PORT: '0', LOG_LEVEL: 'debug' }), cwd)).not.toBeNull();
    expect(sandboxDefaults(clean(), tmpdir())).toBeNull();
  });
  it('applies to the sandbox database given explicitly, never to another one', () => {
    expect(sandboxForStore('data/sandbox/backstop.db', clean(), cwd)?.database).toBe(join(dataDir, 'backstop.db'));
    expect(sandboxForStore('other.db', clean(), cwd)).toBeNull();
  });
});

describe('CLI commands on the sandbox', () => {
  it('audit verify: the sandbox database and audit key, named on one stderr line; the chain verifies', async () => {
    const r = await run(['audit', 'verify']);
    expect(r.stdout).toMatch(/^OK 2 entries, anchored at entry 2/);
    expect(r.stderr).toBe(
      "backstop audit verify: using the sandbox's database data/sandbox/backstop.db, audit key data/sandbox/audit-keypair.json (data/sandbox/sandbox.json exists and no production variable is set)\n",
    );
    expect(r.code).toBe(0);
  });

  it('audit export: the sandbox database', async () => {
    const r = await run(['audit', 'export']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2]);
    expect(r.stderr).toMatch(/^backstop audit export: using the sandbox's database data\/sandbox\/backstop\.db \(/);
  });

  it('a production variable turns the defaults off: DATABASE_URL is used, nothing said about the sandbox', async () => {
    const r = await run(['audit', 'export'], clean({ DATABASE_URL: join(cwd, 'absent.db') }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot open the database .*absent\.db/);
    expect(r.stderr).not.toMatch(/using the sandbox/);
  });

  it('another --database: neither the sandbox store nor its key (that key would call the other log forged)', async () => {
    const r = await run(['audit', 'verify', '--database', join(cwd, 'other.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no audit public key: pass --pubkey/);
  });

  it('inspect --policy takes loss events from the sandbox store and says so', async () => {
    const r = await run(['inspect', '--rpc', 'http://127.0.0.1:9', '--multisig', 'SMPLecH534NA9acpos4G6x7uf3LWbCAwZQE9e8ZekMu', '--index', '1', '--policy', POLICY]);
    expect(r.stderr.split('\n')[0]).toBe("backstop inspect: using the sandbox's database data/sandbox/backstop.db for loss events (data/sandbox/sandbox.json exists and no production variable is set)");
  });

  it('loss record: the sandbox database, audit key and RPC; refused (exit 1) while the sandbox holds its store', async () => {
    const lock = takeInstanceLock(join(dataDir, 'backstop.db')); // as the running sandbox holds it
    try {
      const r = await run(['loss', 'record', '--vault', 'A1LtRDhd5W6urP8LJ6Z3G5ZjPSgPpPJAd3VTZdbHjY7z', '--reserve', 'D6q6wuQSrifJKZYpR1M8R4YawnLDtDsMmWM1NbBmgJ59', '--signature', 'x', '--vault-loss', '1']);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toBe(
        "backstop loss record: using the sandbox's database data/sandbox/backstop.db, RPC http://127.0.0.1:9, audit key data/sandbox/audit-keypair.json (data/sandbox/sandbox.json exists and no production variable is set)",
      );
      expect(lines[1]).toMatch(/^backstop loss record: a running backstop instance holds .*backstop\.db .*record the loss with POST \/v1\/loss-events instead$/);
      expect(r.code).toBe(1);
    } finally {
      lock.release();
    }
  });

  it('webhook send: the sandbox API, webhook source and key when not given', async () => {
    requests.length = 0;
    const r = await run(['webhook', 'send', 'close-loss', '--id', 'L1', '--vault', 'A1LtRDhd5W6urP8LJ6Z3G5ZjPSgPpPJAd3VTZdbHjY7z']);
    expect(r.stderr).toBe(`backstop webhook send: using the sandbox's API ${apiUrl}, webhook source sandbox, key data/sandbox/webhook-source.json (data/sandbox/sandbox.json exists and no production variable is set)\n`);
    expect(r.code).toBe(1); // the fake API's 404
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('/v1/loss-events/L1/close');
    expect(requests[0]!.headers['x-backstop-source']).toBe('sandbox');
  });

  it('webhook send to another URL takes nothing from the sandbox and names what is missing', async () => {
    const r = await run(['webhook', 'send', '--url', 'http://127.0.0.1:9', 'close-loss', '--id', 'L1', '--vault', 'A1LtRDhd5W6urP8LJ6Z3G5ZjPSgPpPJAd3VTZdbHjY7z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('backstop webhook send: give --source, --key (the webhook source id, its keypair file and the API base URL)\n');
  });

  it('a sandbox.json that cannot be read stops the command (exit 2) naming it and the fix', async () => {
    writeInfo('{ not json');
    try {
      const r = await run(['audit', 'export']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^backstop audit export: data\/sandbox\/sandbox\.json cannot be read \(.*\): restart the sandbox/);
      expect(r.stdout).toBe('');
    } finally {
      writeInfo(info());
    }
  });
});
