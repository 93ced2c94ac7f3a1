/**
 * `backstop start` refusals (SPEC §9): a partial production configuration names what is missing;
 * production refuses the sandbox's public keys and a co-signer key that differs from the policy's.
 * Each refusal is exit 2 and starts nothing.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
