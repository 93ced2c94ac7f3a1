/**
 * The Insurance Pool audit (issue 14): accounts + policy → nine checks, each `pass | fail | warn |
 * unknown` with its evidence and, for a failure, the fix. Pure: the accounts are read by
 * `pool-checks/read.ts` (CLI, API) or the guardian's batched poll; this module only decodes and judges.
 */
import type { Address } from '@solana/kit';
import { decodeVaultState } from '../chain/accounts/kvault.ts';
import { readAccount, type AccountMap } from '../chain/types.ts';
import { cooldownCheck } from './pool-checks/cooldown.ts';
import { farmAdminCheck } from './pool-checks/farm-admin.ts';
import { farmTokenCheck } from './pool-checks/farm-token.ts';
import { flcFarmCheck } from './pool-checks/flc-farm.ts';
import { multisigCheck } from './pool-checks/multisig.ts';
import { poolContext, DEFAULT_ADDRESS, type PoolCheck, type PoolContext, type PoolTarget } from './pool-checks/context.ts';
import { poolDepthCheck } from './pool-checks/pool-depth.ts';
import { policyCheck } from './pool-checks/policy.ts';
import { whitelistedReservesCheck } from './pool-checks/whitelisted-reserves.ts';
import { withdrawAuthorityCheck } from './pool-checks/withdraw-authority.ts';

export { POOL_CHECK_IDS, FLC_FARM_COOLDOWN_SECONDS, type PoolCheck, type PoolCheckId, type PoolFacts, type PoolOutcome, type PoolTarget } from './pool-checks/context.ts';

const CHECKS: readonly ((ctx: PoolContext) => PoolCheck)[] = [
  flcFarmCheck,
  farmTokenCheck,
  withdrawAuthorityCheck,
  farmAdminCheck,
  multisigCheck,
  cooldownCheck,
  whitelistedReservesCheck,
  poolDepthCheck,
  policyCheck,
];

/** Runs all nine checks, in the order of `POOL_CHECK_IDS`. */
export function runPoolChecks(target: PoolTarget, accounts: AccountMap): PoolCheck[] {
  const ctx = poolContext(target, accounts);
  return CHECKS.map((c) => c(ctx));
}

/**
 * The addresses the checks would read that `accounts` does not hold yet. Pure; the first call names
 * the vault, the policy's farm, multisig and escrows, the second (after the vault) its first-loss farm
 * and allocated reserves — so two batched reads always suffice.
 */
export function poolAccountsToRead(accounts: AccountMap, target: PoolTarget): Address[] {
  const want = new Set<Address>([target.vault]);
  const policy = target.policy;
  if (policy) {
    want.add(policy.insurancePool.farm);
    want.add(policy.insurancePool.multisig);
    for (const e of policy.escrows) want.add(e.address);
  }
  if (target.multisig) want.add(target.multisig);
  const vault = accounts.has(target.vault) ? readAccount(accounts, target.vault, decodeVaultState) : null;
  if (vault?.status === 'ok') {
    if (vault.value.firstLossCapitalFarm !== DEFAULT_ADDRESS) want.add(vault.value.firstLossCapitalFarm);
    for (const a of vault.value.activeAllocations) if (a.ctokenAllocation > 0n) want.add(a.reserve);
  }
  return [...want].filter((a) => !accounts.has(a));
}

/** How a run ends (issue 14): 0 every check passes or warns, 1 any fails, 2 none fails but one is unknown (or nothing was read). */
export function poolCheckExitCode(checks: readonly Pick<PoolCheck, 'outcome'>[]): 0 | 1 | 2 {
  if (checks.some((c) => c.outcome === 'fail')) return 1;
  if (checks.length === 0 || checks.some((c) => c.outcome === 'unknown')) return 2;
  return 0;
}
