import { check, days, DEFAULT_ADDRESS, FLC_FARM_COOLDOWN_SECONDS, withFarm, type PoolCheck, type PoolContext } from './context.ts';

/**
 * `cooldown`: the normal exit waits ≥ 30 days (in seconds) and the farm is not delegated — the public
 * exit signal depositors rely on. Below 30 days fails without needing a policy.
 */
export function cooldownCheck(ctx: PoolContext): PoolCheck {
  const got = withFarm(ctx, 'cooldown');
  if ('id' in got) return got;
  const { farm } = got;
  const period = farm.withdrawalCooldownPeriod;
  const facts = { withdrawalCooldownPeriod: period, timeUnit: farm.timeUnit, delegateAuthority: farm.delegateAuthority, isFarmDelegated: farm.isFarmDelegated };
  const admin = `the farm admin ${farm.farmAdmin}${farm.farmAdmin === ctx.vaultPda ? " (the 2-of-2's vault, through a Squads vault transaction)" : ''}`;
  if (farm.timeUnit !== 0) {
    return check('cooldown', 'fail', `the cooldown is ${period} slots (time_unit 1), not seconds: 30 days cannot be shown`, 'time_unit cannot be updated: register an FLC farm in seconds (see farm-token)', facts);
  }
  if (period < FLC_FARM_COOLDOWN_SECONDS) {
    return check(
      'cooldown',
      'fail',
      `withdrawal_cooldown_period is ${period} s (${days(period)}), below 30 days (${FLC_FARM_COOLDOWN_SECONDS} s)`,
      `${admin} signs farms update_farm_config(mode 4 WithdrawCooldownPeriod, ${FLC_FARM_COOLDOWN_SECONDS})`,
      facts,
    );
  }
  if (farm.delegateAuthority !== DEFAULT_ADDRESS || farm.isFarmDelegated !== 0) {
    return check(
      'cooldown',
      'fail',
      `the farm is delegated (delegate ${farm.delegateAuthority}, is_farm_delegated ${farm.isFarmDelegated}): withdraw_from_farm_vault refuses a delegated farm`,
      `register a non-delegated FLC farm: the vault admin signs kvault update_vault_config(FirstLossCapitalFarm, <farm>)`,
      facts,
    );
  }
  return check('cooldown', 'pass', `withdrawal_cooldown_period is ${period} s (${days(period)}); not delegated`, null, facts);
}
