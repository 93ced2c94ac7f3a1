import { check, FLC_FARM_COOLDOWN_SECONDS, withFarm, type PoolCheck, type PoolContext } from './context.ts';

/**
 * `farm-token`: the farm stakes the vault's shares mint, and passes klend-sdk's `isFlcFarmValid`
 * (docs/chain.md#farms-the-insurance-pool): `time_unit` 0 (seconds), a non-zero cooldown, token mint = shares mint.
 */
export function farmTokenCheck(ctx: PoolContext): PoolCheck {
  const got = withFarm(ctx, 'farm-token');
  if ('id' in got) return got;
  const { farm, vault } = got;
  const facts = { stakedMint: farm.token.mint, sharesMint: vault.sharesMint, timeUnit: farm.timeUnit, withdrawalCooldownPeriod: farm.withdrawalCooldownPeriod };
  const reregister = `register an FLC farm that does (klend-sdk createVaultFLCFarm), signed into the vault by its admin ${vault.vaultAdminAuthority} with kvault update_vault_config(FirstLossCapitalFarm, <farm>)`;
  if (farm.token.mint !== vault.sharesMint) {
    return check('farm-token', 'fail', `the farm stakes ${farm.token.mint}, not the vault's shares mint ${vault.sharesMint}`, `the pool must hold the vault's kTokens: ${reregister}`, facts);
  }
  if (farm.timeUnit !== 0) {
    return check('farm-token', 'fail', `the farm's time_unit is ${farm.timeUnit} (slots); klend-sdk's isFlcFarmValid requires 0 (seconds)`, `time_unit cannot be updated: ${reregister}`, facts);
  }
  if (farm.withdrawalCooldownPeriod === 0) {
    return check('farm-token', 'fail', "the farm's withdrawal_cooldown_period is 0; klend-sdk's isFlcFarmValid requires one", `the farm admin ${farm.farmAdmin} signs farms update_farm_config(mode 4 WithdrawCooldownPeriod, ${FLC_FARM_COOLDOWN_SECONDS})`, facts);
  }
  return check('farm-token', 'pass', `stakes the vault's shares mint ${vault.sharesMint}; time_unit 0 (seconds) and a cooldown, as klend-sdk's isFlcFarmValid requires`, null, facts);
}
