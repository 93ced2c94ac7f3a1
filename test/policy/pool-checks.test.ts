/**
 * The Insurance Pool checks (issue 14), pure: the sandbox world's accounts with one thing changed,
 * one `describe` per check id, each outcome it can give; the exit codes; the two reads; and the two
 * new optional policy keys, which change no existing policy's revision when absent.
 */
import { readFileSync } from 'node:fs';
import type { Address } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADDRESS } from '../../src/chain/accounts/kvault.ts';
import type { AccountData, AccountResult } from '../../src/chain/types.ts';
import { parsePolicyText } from '../../src/policy/load.ts';
import { poolAccountsToRead, poolCheckExitCode, POOL_CHECK_IDS, runPoolChecks, type PoolCheck, type PoolCheckId } from '../../src/policy/pool-checks.ts';
import { policyRevision } from '../../src/policy/revision.ts';
import { validatePolicy, type Policy } from '../../src/policy/schema.ts';
import { farmAccount } from '../../src/sandbox/fixtures/farm.ts';
import { vaultAccount, worldAllocation } from '../../src/sandbox/fixtures/kvault.ts';
import { misconfiguredVaultAccounts } from '../../src/sandbox/fixtures/misconfigured.ts';
import { examplePolicy, examplePolicyText, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { multisigAccount } from '../../src/sandbox/fixtures/squads.ts';
import { escrowAccount } from '../../src/sandbox/fixtures/token.ts';
import { ONE } from '../../src/sandbox/fixtures/world.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';

const healthyVault = (o: Parameters<typeof vaultAccount>[0] = {}) => vaultAccount({ allowAllocationsInWhitelistedReservesOnly: 1, allowInvestInWhitelistedReservesOnly: 1, ...o });

/** The healthy world, then `accounts` replacing by address, `remove`d ones absent, `unavailable` ones unreadable. */
function chain(o: { accounts?: readonly AccountData[]; remove?: readonly Address[]; unavailable?: readonly Address[] } = {}): Map<Address, AccountResult> {
  const map = new Map<Address, AccountResult>();
  for (const a of [...worldAccounts(), multisigAccount(), healthyVault(), ...(o.accounts ?? [])]) map.set(a.address, { kind: 'found', account: a });
  for (const a of o.remove ?? []) map.delete(a);
  for (const a of o.unavailable ?? []) map.set(a, { kind: 'unavailable', error: 'injected: could not read' });
  return map;
}

type Run = { accounts?: readonly AccountData[]; remove?: readonly Address[]; unavailable?: readonly Address[]; policy?: Policy | null; multisig?: Address; vault?: Address };
function run(o: Run = {}): PoolCheck[] {
  const policy = o.policy === null ? undefined : (o.policy ?? examplePolicy());
  return runPoolChecks({ vault: o.vault ?? SANDBOX.vault, ...(policy ? { policy } : {}), ...(o.multisig ? { multisig: o.multisig } : {}) }, chain(o));
}
const get = (id: PoolCheckId, o: Run = {}): PoolCheck => run(o).find((c) => c.id === id)!;

describe('the healthy sandbox pool', () => {
  it('passes all nine checks, in the stable order', () => {
    const checks = run();
    expect(checks.map((c) => c.id)).toEqual([...POOL_CHECK_IDS]);
    expect(checks.filter((c) => c.outcome !== 'pass')).toEqual([]);
    expect(checks.every((c) => c.fix === null)).toBe(true);
    expect(poolCheckExitCode(checks)).toBe(0);
  });
});

describe('flc-farm', () => {
  it('passes: the vault’s first_loss_capital_farm is a Farms FarmState', () => {
    expect(get('flc-farm').evidence).toBe(`first_loss_capital_farm ${SANDBOX.farm} is a Farms FarmState (vault_id ${SANDBOX.vault}, this vault)`);
  });
  it('fails when the vault has no first-loss farm, naming the instruction and the vault admin', () => {
    const c = get('flc-farm', { accounts: [healthyVault({ firstLossCapitalFarm: DEFAULT_ADDRESS })] });
    expect(c.outcome).toBe('fail');
    expect(c.fix).toContain(`the vault admin ${SANDBOX.vaultAdmin} signs kvault update_vault_config(FirstLossCapitalFarm, <farm>)`);
  });
  it('fails when the farm does not exist or is not a Farms account', () => {
    expect(get('flc-farm', { remove: [SANDBOX.farm] })).toMatchObject({ outcome: 'fail', evidence: `first_loss_capital_farm ${SANDBOX.farm} does not exist` });
    expect(get('flc-farm', { accounts: [farmAccount({ programId: SANDBOX.outsider })] }).outcome).toBe('fail');
  });
  it('is unknown when the vault cannot be read, and so is every check that needs it', () => {
    const checks = run({ unavailable: [SANDBOX.vault] });
    expect(checks.find((c) => c.id === 'flc-farm')!.outcome).toBe('unknown');
    expect(checks.filter((c) => c.outcome !== 'unknown').map((c) => c.id)).toEqual(['multisig']);
    expect(poolCheckExitCode(checks)).toBe(2);
  });
});

describe('farm-token (klend-sdk isFlcFarmValid)', () => {
  it('passes: stakes the shares mint, time_unit seconds, a cooldown', () => {
    expect(get('farm-token').outcome).toBe('pass');
  });
  it('fails when the farm stakes another mint', () => {
    expect(get('farm-token', { accounts: [farmAccount({ token: { mint: SANDBOX.tokenMint } })] }).evidence).toBe(`the farm stakes ${SANDBOX.tokenMint}, not the vault's shares mint ${SANDBOX.sharesMint}`);
  });
  it('fails when time_unit is slots', () => {
    expect(get('farm-token', { accounts: [farmAccount({ timeUnit: 1 })] })).toMatchObject({ outcome: 'fail', evidence: expect.stringContaining('time_unit is 1 (slots)') });
  });
  it('fails when the cooldown is 0, with the admin’s update_farm_config', () => {
    const c = get('farm-token', { accounts: [farmAccount({ withdrawalCooldownPeriod: 0 })] });
    expect(c.outcome).toBe('fail');
    expect(c.fix).toContain('update_farm_config(mode 4 WithdrawCooldownPeriod, 2592000)');
  });
});

describe('withdraw-authority', () => {
  it('passes: the 2-of-2’s vault PDA of the policy’s multisig', () => {
    expect(get('withdraw-authority').evidence).toBe(`withdraw_authority is the 2-of-2's vault ${SANDBOX.vaultPda} (multisig ${SANDBOX.multisig}, vault index 0)`);
  });
  it('passes with --multisig and no policy (vault index 0)', () => {
    expect(get('withdraw-authority', { policy: null, multisig: SANDBOX.multisig }).outcome).toBe('pass');
  });
  it('fails when unset, whatever else is known (no policy, no multisig)', () => {
    const c = get('withdraw-authority', { policy: null, accounts: [farmAccount({ withdrawAuthority: DEFAULT_ADDRESS })] });
    expect(c).toMatchObject({ outcome: 'fail', evidence: 'withdraw_authority is unset (the default key): no emergency withdrawal is possible' });
    expect(c.fix).toContain('update_farm_config(mode 2 WithdrawAuthority');
  });
  it('fails when it is another key, naming the farm admin who can fix it', () => {
    const c = get('withdraw-authority', { accounts: [farmAccount({ withdrawAuthority: SANDBOX.outsider })] });
    expect(c.outcome).toBe('fail');
    expect(c.fix).toBe(`the farm admin ${SANDBOX.vaultPda} (the 2-of-2's vault, through a Squads vault transaction) signs farms update_farm_config(mode 2 WithdrawAuthority, ${SANDBOX.vaultPda})`);
  });
  it('is unknown with neither a policy nor --multisig', () => {
    expect(get('withdraw-authority', { policy: null }).outcome).toBe('unknown');
  });
});

describe('farm-admin', () => {
  it('passes: the 2-of-2’s vault PDA, no pending admin', () => {
    expect(get('farm-admin').outcome).toBe('pass');
  });
  it('fails for an admin key the policy does not trust; passes once the policy lists it', () => {
    const accounts = [farmAccount({ farmAdmin: SANDBOX.vaultAdmin })];
    const c = get('farm-admin', { accounts });
    expect(c.outcome).toBe('fail');
    expect(c.fix).toContain(`${SANDBOX.vaultAdmin} signs farms update_farm_config(mode 17 UpdatePendingFarmAdmin, ${SANDBOX.vaultPda})`);
    const trusting = examplePolicy((raw) => (raw['insurancePool'].farmAdmins = [SANDBOX.vaultAdmin]));
    expect(get('farm-admin', { accounts, policy: trusting }).outcome).toBe('pass');
  });
  it('fails for a pending admin that could take the farm over', () => {
    expect(get('farm-admin', { accounts: [farmAccount({ pendingFarmAdmin: SANDBOX.outsider })] }).evidence).toBe(`pending_farm_admin is ${SANDBOX.outsider}: it can take the farm over with update_farm_admin`);
  });
  it('is unknown without a multisig to compare with', () => {
    expect(get('farm-admin', { policy: null }).outcome).toBe('unknown');
  });
});

describe('multisig', () => {
  it('passes: 2-of-2 of the curator member and the council key, autonomous, the policy’s time lock', () => {
    expect(get('multisig').outcome).toBe('pass');
  });
  it('fails for threshold 1', () => {
    expect(get('multisig', { accounts: [multisigAccount({ threshold: 1 })] })).toMatchObject({ outcome: 'fail', evidence: expect.stringContaining('threshold 1 of 2') });
  });
  it('fails for a third member', () => {
    const members = [{ key: SANDBOX.cosigner, mask: 7 }, { key: SANDBOX.curator, mask: 7 }, { key: SANDBOX.outsider, mask: 2 }];
    expect(get('multisig', { accounts: [multisigAccount({ members })] }).outcome).toBe('fail');
  });
  it('fails for a member who is not the curator or the council key', () => {
    const members = [{ key: SANDBOX.cosigner, mask: 7 }, { key: SANDBOX.outsider, mask: 7 }];
    expect(get('multisig', { accounts: [multisigAccount({ members })] }).evidence).toContain(`not the curator member ${SANDBOX.curator} and the council key ${SANDBOX.cosigner}`);
  });
  it('fails for a config authority, naming who can remove it', () => {
    const c = get('multisig', { accounts: [multisigAccount({ configAuthority: SANDBOX.outsider })] });
    expect(c.outcome).toBe('fail');
    expect(c.fix).toContain(`${SANDBOX.outsider} signs Squads multisig_set_config_authority`);
  });
  it('fails for another time lock than the policy’s', () => {
    expect(get('multisig', { accounts: [multisigAccount({ timeLock: 3600 })] }).evidence).toBe('time lock is 3600 s, the policy says 0 s');
  });
  it('fails when the multisig does not exist; unknown when unreadable or without a policy to name the members', () => {
    expect(get('multisig', { remove: [SANDBOX.multisig] }).outcome).toBe('fail');
    expect(get('multisig', { unavailable: [SANDBOX.multisig] }).outcome).toBe('unknown');
    expect(get('multisig', { policy: null, multisig: SANDBOX.multisig }).outcome).toBe('unknown');
  });
});

describe('cooldown', () => {
  it('passes: 30 days in seconds, not delegated', () => {
    expect(get('cooldown').evidence).toBe('withdrawal_cooldown_period is 2592000 s (30 days); not delegated');
  });
  it('fails below 30 days without needing a policy', () => {
    const c = get('cooldown', { policy: null, accounts: [farmAccount({ withdrawalCooldownPeriod: 7 * 86_400 })] });
    expect(c).toMatchObject({ outcome: 'fail', evidence: 'withdrawal_cooldown_period is 604800 s (7 days), below 30 days (2592000 s)' });
  });
  it('fails for a delegated farm', () => {
    expect(get('cooldown', { accounts: [farmAccount({ isFarmDelegated: 1 })] }).evidence).toContain('the farm is delegated');
  });
  it('fails when counted in slots', () => {
    expect(get('cooldown', { accounts: [farmAccount({ timeUnit: 1 })] }).outcome).toBe('fail');
  });
});

describe('whitelisted-reserves', () => {
  it('passes with both flags on', () => {
    expect(get('whitelisted-reserves').outcome).toBe('pass');
  });
  it('warns (best practice) with a flag off, and the exit stays 0', () => {
    const checks = run({ accounts: [healthyVault({ allowAllocationsInWhitelistedReservesOnly: 0 })] });
    const c = checks.find((x) => x.id === 'whitelisted-reserves')!;
    expect(c.outcome).toBe('warn');
    expect(c.evidence).toBe('AllowAllocationsInWhitelistedReservesOnly is off: the vault may use reserves Kamino has not whitelisted');
    expect(poolCheckExitCode(checks)).toBe(0);
  });
});

describe('pool-depth', () => {
  it('passes without a minDepthRatio, reporting the ratio and the value after the loss', () => {
    const c = get('pool-depth');
    expect(c.evidence).toBe('pool ≈ 196400 of TVL 982000 underlying; 200000 of 1000000 kTokens = ratio 0.2 (the policy sets no insurancePool.minDepthRatio)');
    expect(c.facts).toMatchObject({ ratio: '0.2', value: (196_400n * ONE).toString(), tvl: (982_000n * ONE).toString() });
  });
  it('passes at or above the ratio', () => {
    expect(get('pool-depth', { policy: examplePolicy((raw) => (raw['insurancePool'].minDepthRatio = '0.2')) }).outcome).toBe('pass');
  });
  it('warns below the ratio, with the kTokens to stake', () => {
    const c = get('pool-depth', { policy: examplePolicy((raw) => (raw['insurancePool'].minDepthRatio = '0.25')) });
    expect(c.outcome).toBe('warn');
    expect(c.fix).toContain('stakes 50000 more kTokens');
  });
  it('is unknown when the vault has issued no shares', () => {
    expect(get('pool-depth', { accounts: [healthyVault({ sharesIssued: 0n })] }).outcome).toBe('unknown');
  });
});

describe('policy', () => {
  it('passes: the policy covers this vault', () => {
    expect(get('policy').evidence).toBe('covers this vault: farm, multisig, 1 escrow(s) match; no reserves list');
  });
  it('is unknown without a policy', () => {
    expect(get('policy', { policy: null }).outcome).toBe('unknown');
  });
  it('fails for another vault’s policy', () => {
    const [vault, farm] = misconfiguredVaultAccounts();
    const c = get('policy', { vault: SANDBOX.misconfiguredVault, accounts: [vault!, farm!] });
    expect(c.outcome).toBe('fail');
    expect(c.evidence).toContain(`the policy is for vault ${SANDBOX.vault}, not ${SANDBOX.misconfiguredVault}`);
  });
  it('fails for --multisig other than the policy’s, and for an escrow not owned by its registered authority', () => {
    expect(get('policy', { multisig: SANDBOX.outsider }).evidence).toContain(`--multisig ${SANDBOX.outsider} is not the policy's multisig`);
    expect(get('policy', { accounts: [escrowAccount({ owner: SANDBOX.outsider })] }).evidence).toContain(`is owned by ${SANDBOX.outsider}, not its registered authority`);
  });
  it('with insurancePool.reserves: passes when the vault allocates only to them, fails naming a reserve outside', () => {
    const listed = examplePolicy((raw) => (raw['insurancePool'].reserves = [SANDBOX.reserve]));
    expect(get('policy', { policy: listed }).outcome).toBe('pass');
    const stray = healthyVault({ allocations: [worldAllocation(), { reserve: SANDBOX.lendingMarket, ctokenAllocation: 0n }] });
    const c = get('policy', { policy: listed, accounts: [stray] });
    expect(c.outcome).toBe('fail');
    expect(c.facts['outsideReserves']).toEqual([SANDBOX.lendingMarket]);
    expect(c.evidence).toBe(`the vault allocates to reserve ${SANDBOX.lendingMarket}, not in insurancePool.reserves`);
  });
});

describe('the misconfigured sandbox vault', () => {
  it('fails withdraw-authority and cooldown without any policy: exit 1', () => {
    const map = chain({ accounts: misconfiguredVaultAccounts() });
    const checks = runPoolChecks({ vault: SANDBOX.misconfiguredVault }, map);
    expect(checks.filter((c) => c.outcome === 'fail').map((c) => c.id)).toEqual(['withdraw-authority', 'cooldown']);
    expect(poolCheckExitCode(checks)).toBe(1);
  });
});

describe('reads and exit codes', () => {
  it('two reads suffice: the policy’s accounts, then the vault’s farm and reserves', () => {
    const all = chain();
    const target = { vault: SANDBOX.vault, policy: examplePolicy() };
    const first = poolAccountsToRead(new Map(), target);
    expect(first).toEqual([SANDBOX.vault, SANDBOX.farm, SANDBOX.multisig, SANDBOX.escrow]);
    const afterFirst = new Map(first.map((a) => [a, all.get(a)!]));
    expect(poolAccountsToRead(afterFirst, target)).toEqual([SANDBOX.reserve]);
    afterFirst.set(SANDBOX.reserve, all.get(SANDBOX.reserve)!);
    expect(poolAccountsToRead(afterFirst, target)).toEqual([]);
  });
  it('exit 0 pass/warn, 1 any fail, 2 none fails but one is unknown or nothing at all', () => {
    expect(poolCheckExitCode([{ outcome: 'pass' }, { outcome: 'warn' }])).toBe(0);
    expect(poolCheckExitCode([{ outcome: 'unknown' }, { outcome: 'fail' }])).toBe(1);
    expect(poolCheckExitCode([{ outcome: 'pass' }, { outcome: 'unknown' }])).toBe(2);
    expect(poolCheckExitCode([])).toBe(2);
  });
});

describe('policy keys insurancePool.minDepthRatio and insurancePool.reserves', () => {
  const withPool = (extra: string) => examplePolicyText().replace('  allowFullDrain: false', `  allowFullDrain: false\n${extra}`);

  it('absent, they change no revision: a policy written before them hashes as it always did', () => {
    const before = parsePolicyText(readFileSync('test/policy/fixtures/example-before-pool-keys.yaml', 'utf8'), 'example-before-pool-keys.yaml');
    expect(before.ok && before.revision).toBe('503c4ae0a3b3f5d026da1c09b1375f44a0db563cf41fa6cbcd77018b0cc39484');
    expect(before.ok && 'minDepthRatio' in before.policy.insurancePool).toBe(false);
    expect(before.ok && 'reserves' in before.policy.insurancePool).toBe(false);
  });
  it('present, they are part of the revision', () => {
    const base = examplePolicy();
    const ratio = examplePolicy((raw) => (raw['insurancePool'].minDepthRatio = '0.05'));
    const reserves = examplePolicy((raw) => (raw['insurancePool'].reserves = [SANDBOX.reserve]));
    expect(new Set([policyRevision(base), policyRevision(ratio), policyRevision(reserves)]).size).toBe(3);
  });
  it('accept a quoted fraction from 0 to 1 and a list of addresses', () => {
    const r = parsePolicyText(withPool(`  minDepthRatio: "0.05"\n  reserves: [${SANDBOX.reserve}]`), 'p.yaml');
    expect(r.ok && r.policy.insurancePool.minDepthRatio).toBe('0.05');
    expect(r.ok && r.policy.insurancePool.reserves).toEqual([SANDBOX.reserve]);
  });
  it('refuse a YAML number, a ratio above 1, and a reserve that is not an address, each at its path', () => {
    const problems = (extra: string) => {
      const r = parsePolicyText(withPool(extra), 'p.yaml');
      return r.ok ? [] : r.problems;
    };
    expect(problems('  minDepthRatio: 0.05')).toEqual([{ path: 'insurancePool.minDepthRatio', message: 'write it as a quoted string, e.g. "0.05" (a YAML number loses precision)' }]);
    expect(problems('  minDepthRatio: "1.5"')[0]?.path).toBe('insurancePool.minDepthRatio');
    expect(problems('  reserves: [not-an-address]')[0]?.path).toBe('insurancePool.reserves[0]');
    expect(validatePolicy({}).ok).toBe(false);
  });
});
