/**
 * GET /v1/vaults/:vault/pool-check (read token) and the pool metrics (issue 14) against a running
 * server on the harness chain: the answer's shape and outcomes, its refusals, the OpenAPI entry, and
 * `backstop_pool_check` / `backstop_pool_depth_ratio` from the guardian's latest read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POOL_CHECK_IDS } from '../../src/policy/pool-checks.ts';
import { farmAccount } from '../../src/sandbox/fixtures/farm.ts';
import { vaultAccount } from '../../src/sandbox/fixtures/kvault.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { PoolCheckAnswer } from '../../src/server/routes/pool-check.ts';
import { guardPools } from '../../src/workflow/guardian.ts';
import { OTHER, raw, READ_TOKEN, startTestApi, type TestApi } from './helpers.ts';

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

const read = (path: string, token: string | null = READ_TOKEN) => raw(api, { method: 'GET', path, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
const path = (vault: string) => `/v1/vaults/${vault}/pool-check`;

describe('GET /v1/vaults/:vault/pool-check', () => {
  it('answers the nine checks as `pool check --json` prints them', async () => {
    const r = await read(path(SANDBOX.vault));
    expect(r.status).toBe(200);
    expect(PoolCheckAnswer.parse(r.body)).toEqual(r.body);
    expect(r.body.vault).toBe(SANDBOX.vault);
    expect(typeof r.body.slot).toBe('number');
    expect(r.body.checks.map((c: { id: string }) => c.id)).toEqual([...POOL_CHECK_IDS]);
    const outcomes = Object.fromEntries(r.body.checks.map((c: { id: string; outcome: string }) => [c.id, c.outcome]));
    expect(Object.values(outcomes)).toEqual(Array(9).fill('pass'));
    api.harness.setAccount(vaultAccount({ allowAllocationsInWhitelistedReservesOnly: 0 }));
    const warned = await read(path(SANDBOX.vault));
    expect(warned.body.checks.filter((c: { outcome: string }) => c.outcome !== 'pass').map((c: { id: string; outcome: string }) => `${c.id}:${c.outcome}`)).toEqual(['whitelisted-reserves:warn']);
  });

  it('shows a failure with its evidence and fix', async () => {
    api.harness.setAccount(farmAccount({ withdrawalCooldownPeriod: 86_400 }));
    const r = await read(path(SANDBOX.vault));
    const cooldown = r.body.checks.find((c: { id: string }) => c.id === 'cooldown');
    expect(cooldown).toEqual({
      id: 'cooldown',
      outcome: 'fail',
      evidence: 'withdrawal_cooldown_period is 86400 s (1 day), below 30 days (2592000 s)',
      fix: `the farm admin ${SANDBOX.vaultPda} (the 2-of-2's vault, through a Squads vault transaction) signs farms update_farm_config(mode 4 WithdrawCooldownPeriod, 2592000)`,
    });
  });

  it('needs the read token (401)', async () => {
    expect((await read(path(SANDBOX.vault), null)).status).toBe(401);
    expect((await read(path(SANDBOX.vault), 'wrong')).status).toBe(401);
  });

  it('refuses a vault no policy covers (404) and a malformed address (400)', async () => {
    const unknown = await read(path(SANDBOX.misconfiguredVault));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not-found');
    const bad = await read(path('not-an-address'));
    expect(bad.status).toBe(400);
  });

  it('answers 503 with Retry-After when the vault cannot be read', async () => {
    api.harness.breakAccount(SANDBOX.vault);
    const r = await read(path(SANDBOX.vault));
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('chain-unavailable');
    expect(r.headers.get('retry-after')).toBe('5');
  });

  it('is in the OpenAPI document with its answer schema', async () => {
    const r = await raw(api, { method: 'GET', path: '/openapi.json', headers: {} });
    expect(r.body.paths['/v1/vaults/{vault}/pool-check'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/PoolCheck' });
    expect(r.body.components.schemas.PoolCheck.properties.checks.items.properties.id.enum).toEqual([...POOL_CHECK_IDS]);
  });
});

describe('pool metrics', () => {
  const metrics = async () => (await raw(api, { method: 'GET', path: '/metrics', headers: {} })).body as string;

  it('backstop_pool_check is 1 for the current outcome of each check, and backstop_pool_depth_ratio the pool / shares', async () => {
    expect(await metrics()).not.toContain(`backstop_pool_check{vault="${SANDBOX.vault}"`); // nothing until the guardian has looked
    await guardPools(api.workflow);
    await guardPools(api.workflow);
    const text = await metrics();
    expect(text).toContain(`backstop_pool_check{vault="${SANDBOX.vault}",check="withdraw-authority",outcome="pass"} 1`);
    expect(text).toContain(`backstop_pool_check{vault="${SANDBOX.vault}",check="withdraw-authority",outcome="fail"} 0`);
    expect(text).toContain(`backstop_pool_check{vault="${SANDBOX.vault}",check="whitelisted-reserves",outcome="pass"} 1`);
    expect(text).toContain(`backstop_pool_check{vault="${SANDBOX.vault}",check="whitelisted-reserves",outcome="warn"} 0`);
    expect(text).toContain(`backstop_pool_depth_ratio{vault="${SANDBOX.vault}"} 0.2`);
    // The second policy's vault is not on the chain: its first-loss check fails.
    expect(text).toContain(`backstop_pool_check{vault="${OTHER.vault}",check="flc-farm",outcome="fail"} 1`);

    api.harness.setAccount(farmAccount({ withdrawAuthority: SANDBOX.outsider, totalStakedAmount: 100_000_000_000n }));
    await guardPools(api.workflow);
    const after = await metrics();
    expect(after).toContain(`backstop_pool_check{vault="${SANDBOX.vault}",check="withdraw-authority",outcome="fail"} 1`);
    expect(after).toContain(`backstop_pool_check{vault="${SANDBOX.vault}",check="withdraw-authority",outcome="pass"} 0`);
    expect(after).toContain(`backstop_pool_depth_ratio{vault="${SANDBOX.vault}"} 0.1`);
  });
});
