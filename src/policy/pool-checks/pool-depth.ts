import { decodeReserve } from '../../chain/accounts/klend.ts';
import { readAccount } from '../../chain/types.ts';
import { ceilDiv, floorFrac, formatUnits, frac, mulFrac } from '../amounts.ts';
import { computeAum } from '../valuation.ts';
import { check, withFarm, type PoolCheck, type PoolContext } from './context.ts';

/** A ratio string of the policy ("0.05") as an exact fraction. */
export function ratioFraction(text: string): { num: bigint; den: bigint } {
  const [whole = '0', fraction = ''] = text.split('.');
  const den = 10n ** BigInt(fraction.length);
  return { num: BigInt(whole) * den + BigInt(fraction || '0'), den };
}

/**
 * `pool-depth`: the pool's value in the underlying (staked + pending, valued after any loss: the
 * pool's kTokens lose what every kToken loses) as a fraction of the vault's TVL, against
 * `insurancePool.minDepthRatio` (warn below it; absent: pass, reporting the ratio). Both sides are
 * kTokens × AUM / shares, so the ratio is pool kTokens / shares issued, exactly.
 */
export function poolDepthCheck(ctx: PoolContext): PoolCheck {
  const got = withFarm(ctx, 'pool-depth');
  if ('id' in got) return got;
  const { farm, vault } = got;
  const decimals = Number(vault.sharesMintDecimals);
  const pool = farm.totalStakedAmount + farm.totalPendingAmount;
  const shares = vault.sharesIssued;
  if (shares === 0n) return check('pool-depth', 'unknown', 'the vault has issued no shares: no TVL to compare the pool with', null, { poolKTokens: pool.toString(), sharesIssued: '0' });
  const ratio = formatUnits((pool * 1_000_000n) / shares, 6);
  const aum = computeAum(vault, (r) => readAccount(ctx.accounts, r, decodeReserve));
  const value = aum.outcome === 'pass' ? floorFrac(mulFrac(frac(pool), mulFrac(aum.aum, frac(1n, shares)))) : null;
  const tvl = aum.outcome === 'pass' ? floorFrac(aum.aum) : null;
  const min = ctx.policy?.insurancePool.minDepthRatio;
  const facts = {
    poolKTokens: pool.toString(),
    sharesIssued: shares.toString(),
    ratio,
    value: value?.toString() ?? null,
    tvl: tvl?.toString() ?? null,
    minDepthRatio: min ?? null,
  };
  const valued =
    value !== null && tvl !== null
      ? `pool ≈ ${formatUnits(value, decimals)} of TVL ${formatUnits(tvl, decimals)} underlying`
      : `pool value unknown (${aum.outcome === 'pass' ? '' : aum.reason})`;
  const evidence = `${valued}; ${formatUnits(pool, decimals)} of ${formatUnits(shares, decimals)} kTokens = ratio ${ratio}`;
  if (min === undefined) return check('pool-depth', 'pass', `${evidence} (the policy sets no insurancePool.minDepthRatio)`, null, facts);
  const { num, den } = ratioFraction(min);
  if (pool * den >= num * shares) return check('pool-depth', 'pass', `${evidence} ≥ minDepthRatio ${min}`, null, facts);
  const missing = ceilDiv(num * shares, den) - pool;
  return check(
    'pool-depth',
    'warn',
    `${evidence} < minDepthRatio ${min}`,
    `the curator stakes ${formatUnits(missing, decimals)} more kTokens into farm ${ctx.farmAddress} (klend-sdk stakeSharesInFlcFarmIxs, a farms stake)`,
    facts,
  );
}
