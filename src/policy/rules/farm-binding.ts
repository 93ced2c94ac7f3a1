import { formatUnits } from '../amounts.ts';
import { unusable } from '../context.ts';
import { fail, pass, unknown, type Rule } from './rule.ts';

const DEFAULT_KEY = '11111111111111111111111111111111';

/**
 * The withdrawal drains the vault's own Insurance Pool: the policy farm, registered as the kvault's
 * first-loss farm, staking its shares, controlled only by the multisig, not delegated, not emptied.
 */
export const farmBinding: Rule = {
  id: 'farm-binding',
  evaluate(ctx) {
    const { policy, vaultPda, farmAddress } = ctx;
    const base = { farm: farmAddress, policyFarm: policy.insurancePool.farm };
    if (ctx.withdrawals.length === 0) return fail('the message has no withdraw_from_farm_vault, so no farm to bind', base);
    const distinct = new Set(ctx.withdrawals.map((w) => w.farmState));
    if (distinct.size > 1) return fail(`the message withdraws from several farms: ${[...distinct].join(', ')}`, base);
    if (farmAddress !== policy.insurancePool.farm) return fail(`the withdrawal is from farm ${farmAddress}, not the policy's ${policy.insurancePool.farm}`, base);
    const farmProblem = unusable(ctx.farm, `farm ${farmAddress}`);
    if (farmProblem) return { ...farmProblem, facts: base };
    const vaultProblem = unusable(ctx.kvault, `kvault ${policy.vault}`);
    if (vaultProblem) return { ...vaultProblem, facts: base };
    if (ctx.farm.status !== 'ok' || ctx.kvault.status !== 'ok') return unknown('unreachable', base);
    const farm = ctx.farm.value;
    const vault = ctx.kvault.value;
    const amount = ctx.withdrawals.reduce((s, w) => s + w.amount, 0n);
    const facts = {
      ...base,
      firstLossCapitalFarm: vault.firstLossCapitalFarm,
      stakedMint: farm.token.mint,
      sharesMint: vault.sharesMint,
      withdrawAuthority: farm.withdrawAuthority,
      farmAdmin: farm.farmAdmin,
      pendingFarmAdmin: farm.pendingFarmAdmin,
      delegateAuthority: farm.delegateAuthority,
      isFarmDelegated: farm.isFarmDelegated,
      totalStakedAmount: farm.totalStakedAmount,
      totalPendingAmount: farm.totalPendingAmount,
      amount,
      // reported, not judged (docs/rules.md farm-binding)
      vaultId: farm.vaultId,
      timeUnit: farm.timeUnit,
      withdrawalCooldownPeriod: farm.withdrawalCooldownPeriod,
      isFarmFrozen: farm.isFarmFrozen,
    };
    if (vault.firstLossCapitalFarm !== farmAddress) {
      return fail(`farm ${farmAddress} is not the kvault's first-loss capital farm (${vault.firstLossCapitalFarm})`, facts);
    }
    if (farm.token.mint !== vault.sharesMint) return fail(`the farm stakes ${farm.token.mint}, not the vault's shares mint ${vault.sharesMint}`, facts);
    if (farm.withdrawAuthority !== vaultPda) return fail(`the farm's withdraw authority is ${farm.withdrawAuthority}, not the multisig vault ${vaultPda}`, facts);
    const admins = new Set<string>([vaultPda, ...policy.insurancePool.farmAdmins]);
    if (!admins.has(farm.farmAdmin)) return fail(`the farm admin ${farm.farmAdmin} is neither the multisig vault nor a listed farm admin`, facts);
    if (farm.pendingFarmAdmin !== DEFAULT_KEY && farm.pendingFarmAdmin !== farm.farmAdmin && !admins.has(farm.pendingFarmAdmin)) {
      return fail(`the farm's pending admin ${farm.pendingFarmAdmin} could take over the farm`, facts);
    }
    if (farm.delegateAuthority !== DEFAULT_KEY || farm.isFarmDelegated !== 0) {
      return fail(`the farm is delegated (delegate ${farm.delegateAuthority}, flag ${farm.isFarmDelegated})`, facts);
    }
    const pool = farm.totalStakedAmount + farm.totalPendingAmount;
    if (amount >= pool && !policy.insurancePool.allowFullDrain) {
      return fail(`the withdrawal of ${formatUnits(amount, Number(farm.token.decimals))} would drain the whole pool of ${formatUnits(pool, Number(farm.token.decimals))} kTokens and freeze the farm; allowFullDrain is off`, facts);
    }
    const k = (x: bigint) => formatUnits(x, Number(farm.token.decimals));
    return pass(`the vault's first-loss farm, withdraw authority and admin are the multisig vault; ${k(amount)} of ${k(pool)} kTokens`, facts);
  },
};
