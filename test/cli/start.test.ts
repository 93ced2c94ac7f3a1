/**
 * `backstop start` refusals (docs/configuration.md): a partial production configuration names what is missing;
 * production refuses the sandbox's public keys and a co-signer key that differs from the policy's.
 * Each refusal is exit 2 and starts nothing. A port already in use is one line naming it and PORT.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { portProblem } from '../../src/cli/start.ts';
import { REQUIRED_IN_PRODUCTION } from '../../src/config.ts';
import { SANDBOX_KEYPAIRS } from '../../src/sandbox/seeds.ts';
import { Ed25519Keypair, writeKeypairFile } from '../../src/store/keys.ts';
import { backstop } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'backstop-start-'));
const clean = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of REQUIRED_IN_PRODUCTION) delete env[k];
  return env;
};
const keyFile = (name: string, kp: Ed25519Keypair) => {
  const f = join(dir, `${name}.json`);
  writeKeypairFile(f, kp);
  return f;
};
const production = (over: Record<string, string>) => ({
  SOLANA_RPC_URL: 'http://127.0.0.1:9',
  TELEGRAM_BOT_TOKEN: '1:unused',
  COSIGNER_KEYPAIR: keyFile('cosigner', Ed25519Keypair.generate()),
  AUDIT_KEYPAIR: keyFile('audit', Ed25519Keypair.generate()),
  API_READ_TOKEN: 'token',
  POLICY_DIR: 'policies',
  DATABASE_URL: join(dir, 'b.db'),
  PORT: '0',
  ...over,
});
const start = (env: Record<string, string>) => backstop(['start'], { ...clean(), ...env });

describe('backstop start refuses what production must not run with', () => {
  it('a partial configuration: exit 2 naming what is missing', async () => {
    const r = await start({ SOLANA_RPC_URL: 'http://127.0.0.1:9', TELEGRAM_BOT_TOKEN: '1:x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing: COSIGNER_KEYPAIR, AUDIT_KEYPAIR, API_READ_TOKEN, POLICY_DIR/);
  });

  it('the sandbox policy and keys: exit 2 naming them', async () => {
    const seed = (k: { secretKey: Uint8Array }) => Ed25519Keypair.fromSeed(k.secretKey.slice(0, 32));
    const r = await start(production({ COSIGNER_KEYPAIR: keyFile('sandbox-cosigner', seed(SANDBOX_KEYPAIRS.cosigner)) }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sandbox/);
    expect(r.stderr).toMatch(/insurancePool\.multisig/);
  });

  it('a co-signer key that differs from the policy cosigner: exit 2', async () => {
    const r = await start(production({}));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cosigner|co-signer/i);
  });

  it('a key file readable by others: exit 2, and the key never printed', async () => {
    const kp = Ed25519Keypair.generate();
    const f = keyFile('loose', kp);
    chmodSync(f, 0o644);
    const policies = join(dir, 'policies');
    mkdirSync(policies, { recursive: true });
    writeFileSync(join(policies, 'p.yaml'), readFileSync('policies/example.yaml', 'utf8'));
    const r = await start(production({ COSIGNER_KEYPAIR: f, POLICY_DIR: policies }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/readable/);
    expect(r.stderr).not.toContain(JSON.stringify([...kp.secretKeyBytes()]).slice(1, 30));
  });
});

/** Runs `backstop start` with `env`, killed after `ms` (a start that hangs fails the test instead of holding it). */
function startWithin(ms: number, args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/backstop.js', ...args], { env: { ...clean(), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, timedOut });
    });
  });
}

/** Listens on a free port of 127.0.0.1 (or `port`) and returns it with a close. */
async function occupy(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

describe('backstop start on a port that is already in use', () => {
  it('the HTTP port: exit 2 with one line naming the port and PORT, no stack trace, no process left running', async () => {
    const busy = await occupy();
    try {
      const r = await startWithin(60_000, ['start', '--sandbox', '--data-dir', join(dir, 'sandbox-http')], { PORT: String(busy.port), LOG_LEVEL: 'error' });
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`backstop start: port ${busy.port} (the HTTP API (PORT)) is already in use: stop the program listening on it, or set PORT to a free port (PORT=0 picks free ones)`]);
    } finally {
      await busy.close();
    }
  }, 90_000);

  it('the sandbox RPC port (PORT+1): the same, naming that port', async () => {
    const busy = await occupy();
    try {
      const r = await startWithin(60_000, ['start', '--sandbox', '--data-dir', join(dir, 'sandbox-rpc')], { PORT: String(busy.port - 1), LOG_LEVEL: 'error' });
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^backstop start: port ${busy.port} \\(the sandbox Solana RPC \\(PORT\\+1\\)\\) is already in use: .*PORT`));
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await busy.close();
    }
  }, 90_000);

  it('names the port and PORT for production too, and says nothing for other errors', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port: 8080 });
    expect(portProblem(inUse, new Map([[8080, 'the HTTP API']]))).toBe('port 8080 (the HTTP API) is already in use: stop the program listening on it, or set PORT to a free port (PORT=0 picks free ones)');
    expect(portProblem(Object.assign(new Error('listen EACCES'), { code: 'EACCES', port: 80 }))).toMatch(/^port 80 may not be opened .*PORT/);
    expect(portProblem(new Error('other'))).toBeNull();
    expect(portProblem(null)).toBeNull();
  });
});
