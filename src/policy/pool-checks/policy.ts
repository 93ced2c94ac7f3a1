import { decodeTokenAccount } from '../../chain/accounts/spl.ts';
import { readAccount } from '../../chain/types.ts';
import { check, unreadable, type PoolCheck, type PoolContext } from './context.ts';

/**
 * `policy`: the policy file covers this vault — vault, farm, multisig and escrows match the chain —
 * and, with `insurancePool.reserves`, the vault allocates only to listed reserves. Facts
 * `mismatches` and `outsideReserves` let the guardian tell the two apart.
 */
export function policyCheck(ctx: PoolContext): PoolCheck {
  const policy = ctx.policy;
  if (!policy) return check('policy', 'unknown', 'no policy given: pass --policy to check that it covers this vault', null, { mismatches: [], outsideReserves: [] });
  const mismatches: string[] = [];
  const unknowns: string[] = [];
  const outside: string[] = [];
  const pool = policy.insurancePool;
  if (policy.vault !== ctx.target.vault) mismatches.push(`the policy is for vault ${policy.vault}, not ${ctx.target.vault}`);
  if (ctx.target.multisig && ctx.target.multisig !== pool.multisig) mismatches.push(`--multisig ${ctx.target.multisig} is not the policy's multisig ${pool.multisig}`);
  const vault = ctx.vault.status === 'ok' ? ctx.vault.value : null;
  if (!vault) unknowns.push(`the kvault ${ctx.target.vault} is not readable (see flc-farm)`);
  else {
    if (ctx.farmAddress !== pool.farm) mismatches.push(`insurancePool.farm is ${pool.farm}, the vault's first_loss_capital_farm is ${ctx.farmAddress ?? 'unset'}`);
    for (const e of policy.escrows) {
      if (e.mint !== vault.sharesMint) mismatches.push(`escrow ${e.name}'s mint ${e.mint} is not the vault's shares mint ${vault.sharesMint}`);
      const read = readAccount(ctx.accounts, e.address, decodeTokenAccount);
      const bad = unreadable(read, `escrow ${e.name} ${e.address}`);
      if (bad) (bad.outcome === 'fail' ? mismatches : unknowns).push(bad.evidence);
      else if (read.status === 'ok') {
        if (read.value.mint !== vault.sharesMint) mismatches.push(`escrow ${e.name} holds ${read.value.mint}, not the vault's shares mint`);
        if (read.value.owner !== e.authority) mismatches.push(`escrow ${e.name} is owned by ${read.value.owner}, not its registered authority ${e.authority}`);
      }
    }
    if (pool.reserves !== undefined) {
      const listed = new Set<string>(pool.reserves);
      for (const a of vault.activeAllocations) if (!listed.has(a.reserve)) outside.push(a.reserve);
    }
  }
  const facts = { mismatches, outsideReserves: outside, reservesListed: pool.reserves !== undefined };
  const problems = [...mismatches, ...outside.map((r) => `the vault allocates to reserve ${r}, not in insurancePool.reserves`)];
  if (problems.length > 0) {
    const fix = [
      mismatches.length > 0 ? 'correct the policy file to this vault (vault, insurancePool.farm, multisig, escrows) — or check the vault with its own policy' : null,
      outside.length > 0 ? `the allocation admin removes the allocation (kvault remove_allocation / update_reserve_allocation weight 0), or add the reserve to insurancePool.reserves` : null,
    ].filter((x): x is string => x !== null);
    return check('policy', 'fail', problems.join('; '), fix.join('; '), facts);
  }
  if (unknowns.length > 0) return check('policy', 'unknown', unknowns.join('; '), null, facts);
  const reserves = pool.reserves === undefined ? 'no reserves list' : `allocates only to listed reserves (${vault!.activeAllocations.length} allocation(s))`;
  return check('policy', 'pass', `covers this vault: farm, multisig, ${policy.escrows.length} escrow(s) match; ${reserves}`, null, facts);
}
