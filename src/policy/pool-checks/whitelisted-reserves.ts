import { check, DEPENDS_ON_FLC_FARM, type PoolCheck, type PoolContext } from './context.ts';

/** `whitelisted-reserves`: both whitelisted-only flags on the vault (off is a warning: best practice, and Kamino's UI needs them). */
export function whitelistedReservesCheck(ctx: PoolContext): PoolCheck {
  if (ctx.vault.status !== 'ok') return check('whitelisted-reserves', 'unknown', `needs the kvault ${ctx.target.vault} (see flc-farm)`, null, DEPENDS_ON_FLC_FARM);
  const v = ctx.vault.value;
  const allocations = v.allowAllocationsInWhitelistedReservesOnly !== 0;
  const invest = v.allowInvestInWhitelistedReservesOnly !== 0;
  const facts = { allowAllocationsInWhitelistedReservesOnly: allocations, allowInvestInWhitelistedReservesOnly: invest };
  if (allocations && invest) return check('whitelisted-reserves', 'pass', 'allocations and investments are limited to whitelisted reserves', null, facts);
  const off = [!allocations ? 'AllowAllocationsInWhitelistedReservesOnly' : null, !invest ? 'AllowInvestInWhitelistedReservesOnly' : null].filter((x): x is string => x !== null);
  return check(
    'whitelisted-reserves',
    'warn',
    `${off.join(' and ')} ${off.length === 1 ? 'is' : 'are'} off: the vault may use reserves Kamino has not whitelisted`,
    `the vault admin ${v.vaultAdminAuthority} signs kvault update_vault_config(${off.join(' / ')}, 1) (one-way)`,
    facts,
  );
}
