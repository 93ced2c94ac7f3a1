/**
 * `backstop pool check` (issue 14) as a user runs it, against the LiteSVM harness seeded like the
 * sandbox (the healthy vault and the misconfigured one): text and `--json` output, the exit codes,
 * and the round trips one run costs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL_CHECK_IDS } from '../../src/policy/pool-checks.ts';
import { vaultAccount } from '../../src/sandbox/fixtures/kvault.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { seedSandboxChain } from '../../src/sandbox/world.ts';
import { backstop } from '../support/cli.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
  seedSandboxChain(harness);
});
afterAll(() => harness.close());

const check = (...args: string[]) => backstop(['pool', 'check', '--rpc', harness.url, ...args], { SOLANA_RPC_URL: '' });
const calls = () => [...harness.requestCount.values()].reduce((a, b) => a + b, 0);

describe('backstop pool check', () => {
  it('the healthy sandbox vault with its policy: every check passes, exit 0, in at most three round trips', async () => {
    const before = calls();
    const r = await check('--vault', SANDBOX.vault, '--policy', 'policies/example.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(calls() - before).toBeLessThanOrEqual(3);
    expect(r.stdout).toContain(`vault ${SANDBOX.vault} at slot `);
    expect(r.stdout).toMatch(/^pass {4}withdraw-authority {4}withdraw_authority is the 2-of-2's vault /m);
    expect(r.stdout).toContain('9 pass, 0 warn, 0 fail, 0 unknown → exit 0');
  });

  it('the misconfigured vault: withdraw-authority and cooldown fail with their fixes, exit 1', async () => {
    const r = await check('--vault', SANDBOX.misconfiguredVault);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^fail {4}withdraw-authority {4}withdraw_authority is unset \(the default key\): no emergency withdrawal is possible$/m);
    expect(r.stdout).toContain(`fix: the farm admin ${SANDBOX.vaultAdmin} signs farms update_farm_config(mode 4 WithdrawCooldownPeriod, 2592000)`);
    expect(r.stdout).toContain('3 pass, 1 warn, 2 fail, 3 unknown → exit 1');
  });

  it('--json prints { vault, slot, checks: [{ id, outcome, evidence, fix }] }', async () => {
    const r = await check('--vault', SANDBOX.misconfiguredVault, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['vault', 'slot', 'checks']);
    expect(j.vault).toBe(SANDBOX.misconfiguredVault);
    expect(Number.isInteger(j.slot)).toBe(true);
    expect(j.checks.map((c: { id: string }) => c.id)).toEqual([...POOL_CHECK_IDS]);
    for (const c of j.checks) expect(Object.keys(c)).toEqual(['id', 'outcome', 'evidence', 'fix']);
    expect(j.checks.find((c: { id: string }) => c.id === 'cooldown')).toMatchObject({ outcome: 'fail', fix: expect.stringContaining('WithdrawCooldownPeriod') });
  });

  it('exit 2 when none fails but one is unknown (no policy, no --multisig)', async () => {
    const r = await check('--vault', SANDBOX.vault);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^unknown withdraw-authority/m);
    expect(r.stdout).toContain('→ exit 2');
  });

  it('--multisig alone proves the authorities; the members still need --policy (exit 2)', async () => {
    const r = await check('--vault', SANDBOX.vault, '--multisig', SANDBOX.multisig);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^pass {4}withdraw-authority/m);
    expect(r.stdout).toMatch(/^unknown multisig {14}2-of-2, autonomous/m);
  });

  it('exit 2 when nothing can be read (RPC unreachable)', async () => {
    const r = await backstop(['pool', 'check', '--rpc', 'http://127.0.0.1:9', '--vault', SANDBOX.vault]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('the vault could not be read (RPC unreachable?) → exit 2');
  });

  it('exit 2 for an address that is not one', async () => {
    const bad = await check('--vault', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--vault nope is not a base58 address');
  });

  it('exit 2 without an RPC', async () => {
    const noRpc = await backstop(['pool', 'check', '--vault', SANDBOX.vault], { SOLANA_RPC_URL: '' });
    expect(noRpc.code).toBe(2);
    expect(noRpc.stderr).toContain('no RPC: pass --rpc URL or set SOLANA_RPC_URL');
  });

  it('exit 2 for a policy file that is invalid or absent', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'backstop-pool-')), 'bad.yaml');
    writeFileSync(file, 'version: 1\n');
    const invalid = await check('--vault', SANDBOX.vault, '--policy', file);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('is invalid');
    const missing = await check('--vault', SANDBOX.vault, '--policy', `${file}.absent`);
    expect(missing.code).toBe(2);
  });

  it('warnings alone exit 0', async () => {
    harness.setAccount(vaultAccount({ allowAllocationsInWhitelistedReservesOnly: 0 })); // a whitelisted-only flag off
    try {
      const r = await check('--vault', SANDBOX.vault, '--policy', 'policies/example.yaml');
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain('8 pass, 1 warn, 0 fail, 0 unknown → exit 0');
    } finally {
      harness.setAccount(vaultAccount());
    }
  });
});
