import { check, DEFAULT_ADDRESS, withFarm, type PoolCheck, type PoolContext } from './context.ts';

/**
 * `farm-admin`: `farm_admin` (and any `pending_farm_admin`) is the 2-of-2's vault PDA or an address
 * the policy trusts (`insurancePool.farmAdmins`); otherwise one key can re-point `withdraw_authority`
 * or shorten the cooldown (docs/chain.md#farms-the-insurance-pool).
 */
export function farmAdminCheck(ctx: PoolContext): PoolCheck {
  const got = withFarm(ctx, 'farm-admin');
  if ('id' in got) return got;
  const { farm } = got;
  const facts = { farmAdmin: farm.farmAdmin, pendingFarmAdmin: farm.pendingFarmAdmin, expected: ctx.vaultPda };
  if (ctx.vaultPda === null) {
    return check('farm-admin', 'unknown', `farm_admin is ${farm.farmAdmin}; pass --policy or --multisig to check it is the 2-of-2's vault PDA`, null, facts);
  }
  const trusted = new Set<string>([ctx.vaultPda, ...(ctx.policy?.insurancePool.farmAdmins ?? [])]);
  const target = ctx.vaultPda;
  if (!trusted.has(farm.farmAdmin)) {
    return check(
      'farm-admin',
      'fail',
      `farm_admin is ${farm.farmAdmin}, neither the 2-of-2's vault ${target} nor a policy farmAdmins entry: that key alone can re-point withdraw_authority or shorten the cooldown`,
      `${farm.farmAdmin} signs farms update_farm_config(mode 17 UpdatePendingFarmAdmin, ${target}), then the 2-of-2 executes update_farm_admin through a Squads vault transaction`,
      facts,
    );
  }
  const pending = farm.pendingFarmAdmin;
  if (pending !== DEFAULT_ADDRESS && pending !== farm.farmAdmin && !trusted.has(pending)) {
    return check(
      'farm-admin',
      'fail',
      `pending_farm_admin is ${pending}: it can take the farm over with update_farm_admin`,
      `the farm admin ${farm.farmAdmin}${farm.farmAdmin === target ? " (the 2-of-2's vault, through a Squads vault transaction)" : ''} signs farms update_farm_config(mode 17 UpdatePendingFarmAdmin, ${farm.farmAdmin}) to withdraw the offer`,
      facts,
    );
  }
  const who = farm.farmAdmin === target ? `the 2-of-2's vault ${target}` : `${farm.farmAdmin}, a policy farmAdmins entry`;
  return check('farm-admin', 'pass', `farm_admin is ${who}; ${pending === DEFAULT_ADDRESS || pending === farm.farmAdmin ? 'no other pending admin' : `pending admin ${pending} is trusted`}`, null, facts);
}
