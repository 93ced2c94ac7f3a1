import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig, REQUIRED_IN_PRODUCTION } from '../src/config.ts';

const full = Object.fromEntries(REQUIRED_IN_PRODUCTION.map((k) => [k, k === 'SOLANA_RPC_URL' ? 'http://127.0.0.1:8899' : `/secrets/${k}`]));

describe('configuration (docs/configuration.md)', () => {
  it('runs the sandbox when none of the six is set', () => {
    expect(readConfig({})).toMatchObject({ mode: 'sandbox' });
    expect(readConfig({ PORT: '0' })).toMatchObject({ mode: 'sandbox', port: 0 });
  });
  it('runs production when all six are set', () => {
    expect(readConfig(full)).toMatchObject({ mode: 'production', port: 8080, policyDir: '/secrets/POLICY_DIR' });
  });
  it('names what is missing when some but not all are set', () => {
    const partial = { SOLANA_RPC_URL: 'http://x', TELEGRAM_BOT_TOKEN: 't' };
    expect(() => readConfig(partial)).toThrow(ConfigError);
    expect(() => readConfig(partial)).toThrow(/missing: COSIGNER_KEYPAIR, AUDIT_KEYPAIR, API_READ_TOKEN, POLICY_DIR/);
  });
  it('--sandbox wins over configuration', () => {
    expect(readConfig(full, { sandbox: true }).mode).toBe('sandbox');
  });
  it('refuses a bad port and a webhook URL without its secret', () => {
    expect(() => readConfig({ ...full, PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => readConfig({ ...full, TELEGRAM_WEBHOOK_URL: 'https://x/telegram/webhook' })).toThrow(/TELEGRAM_WEBHOOK_SECRET/);
  });
});
