import { check, unreadable, type PoolCheck, type PoolContext } from './context.ts';

/** `flc-farm`: the vault's `first_loss_capital_farm` is set and is a farms-program FarmState. */
export function flcFarmCheck(ctx: PoolContext): PoolCheck {
  const vaultAddress = ctx.target.vault;
  const noVault = unreadable(ctx.vault, `kvault ${vaultAddress}`);
  if (noVault || ctx.vault.status !== 'ok') {
    const bad = noVault ?? { outcome: 'unknown' as const, evidence: 'unreachable' };
    return check('flc-farm', bad.outcome, bad.evidence, bad.outcome === 'fail' ? 'check --vault: it must be a kvault VaultState account' : null, { vault: vaultAddress });
  }
  const vault = ctx.vault.value;
  if (ctx.farmAddress === null || ctx.farm === null) {
    return check(
      'flc-farm',
      'fail',
      `kvault ${vaultAddress} has no first_loss_capital_farm: it has no Insurance Pool`,
      `create the FLC farm (klend-sdk createVaultFLCFarm: a farm staking the shares mint ${vault.sharesMint} with a 30-day cooldown), then the vault admin ${vault.vaultAdminAuthority} signs kvault update_vault_config(FirstLossCapitalFarm, <farm>)`,
      { vault: vaultAddress, firstLossCapitalFarm: null },
    );
  }
  const farmAddress = ctx.farmAddress;
  const noFarm = unreadable(ctx.farm, `first_loss_capital_farm ${farmAddress}`);
  if (noFarm || ctx.farm.status !== 'ok') {
    const bad = noFarm ?? { outcome: 'unknown' as const, evidence: 'unreachable' };
    const fix = bad.outcome === 'fail' ? `register a Farms FarmState: the vault admin ${vault.vaultAdminAuthority} signs kvault update_vault_config(FirstLossCapitalFarm, <farm>)` : null;
    return check('flc-farm', bad.outcome, bad.evidence, fix, { vault: vaultAddress, firstLossCapitalFarm: farmAddress });
  }
  const vaultId = ctx.farm.value.vaultId;
  return check('flc-farm', 'pass', `first_loss_capital_farm ${farmAddress} is a Farms FarmState (vault_id ${vaultId}${vaultId === vaultAddress ? ', this vault' : ', not this vault'})`, null, {
    vault: vaultAddress,
    firstLossCapitalFarm: farmAddress,
    vaultId,
  });
}
