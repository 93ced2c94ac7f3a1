import { check, DEFAULT_ADDRESS, withFarm, type PoolCheck, type PoolContext } from './context.ts';

/**
 * `withdraw-authority`: the farm's `withdraw_authority` is the 2-of-2's vault PDA. Unset (the default
 * key) fails whatever else is known: no emergency withdrawal is possible (docs/chain.md#farms-the-insurance-pool).
 */
export function withdrawAuthorityCheck(ctx: PoolContext): PoolCheck {
  const got = withFarm(ctx, 'withdraw-authority');
  if ('id' in got) return got;
  const { farm } = got;
  const target = ctx.vaultPda;
  const facts = { withdrawAuthority: farm.withdrawAuthority, expected: target, farmAdmin: farm.farmAdmin };
  const signer = `the farm admin ${farm.farmAdmin}${farm.farmAdmin === target ? " (the 2-of-2's vault, through a Squads vault transaction)" : ''}`;
  const fix = `${signer} signs farms update_farm_config(mode 2 WithdrawAuthority, ${target ?? "the 2-of-2 multisig's vault PDA"})`;
  if (farm.withdrawAuthority === DEFAULT_ADDRESS) {
    return check('withdraw-authority', 'fail', 'withdraw_authority is unset (the default key): no emergency withdrawal is possible', fix, facts);
  }
  if (target === null) {
    return check('withdraw-authority', 'unknown', `withdraw_authority is ${farm.withdrawAuthority}; pass --policy or --multisig to check it is the 2-of-2's vault PDA`, null, facts);
  }
  if (farm.withdrawAuthority !== target) {
    return check('withdraw-authority', 'fail', `withdraw_authority is ${farm.withdrawAuthority}, not the 2-of-2's vault ${target} (multisig ${ctx.multisigAddress}, vault index ${ctx.vaultIndex})`, fix, facts);
  }
  return check('withdraw-authority', 'pass', `withdraw_authority is the 2-of-2's vault ${target} (multisig ${ctx.multisigAddress}, vault index ${ctx.vaultIndex})`, null, facts);
}
