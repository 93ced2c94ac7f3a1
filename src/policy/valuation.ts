/**
 * Value of a withdrawal in the underlying token (docs/rules.md#how-the-numbers-are-computed "Value", docs/chain.md#kvault and docs/rules.md#how-the-numbers-are-computed) and what
 * the farm will actually send ("Farm transfer", docs/chain.md#farms-the-insurance-pool). Exact fractions, one rounding.
 */
import type { Address } from '@solana/kit';
import type { Read } from '../chain/types.ts';
import { SF_ONE, addFrac, ceilFrac, frac, mulFrac, subFrac, type Fraction } from './amounts.ts';

/** The kvault fields valuation needs (a subset of the decoded VaultState). */
export interface VaultForValue {
  readonly tokenAvailable: bigint;
  readonly sharesIssued: bigint;
  readonly pendingFeesSf: bigint;
  readonly activeAllocations: readonly { readonly reserve: Address; readonly ctokenAllocation: bigint }[];
}

/** The reserve fields valuation needs (a subset of the decoded klend Reserve). */
export interface ReserveForValue {
  readonly liquidity: {
    readonly totalAvailableAmount: bigint;
    readonly borrowedAmountSf: bigint;
    readonly accumulatedProtocolFeesSf: bigint;
    readonly accumulatedReferrerFeesSf: bigint;
    readonly pendingReferrerFeesSf: bigint;
  };
  readonly collateral: { readonly mintTotalSupply: bigint };
  readonly lastUpdate?: { readonly stale: boolean };
}

export type Computed<T> = ({ readonly outcome: 'pass' } & T) | { readonly outcome: 'fail' | 'unknown'; readonly reason: string };

/** Liquidity per cToken of a reserve as an exact fraction (docs/chain.md#klend exchange rate). */
export function reserveTotalSupply(r: ReserveForValue): Fraction {
  const l = r.liquidity;
  return frac(
    l.totalAvailableAmount * SF_ONE + l.borrowedAmountSf - l.accumulatedProtocolFeesSf - l.accumulatedReferrerFeesSf - l.pendingReferrerFeesSf,
    SF_ONE,
  );
}

/**
 * AUM = token_available + Σ ctoken_allocation × total_supply / mint_total_supply − pending_fees_sf / 2^60,
 * from current state, no interest accrued. `unknown` when an allocated reserve cannot be read or a
 * denominator is zero.
 */
export function computeAum(
  vault: VaultForValue,
  reserveOf: (address: Address) => Read<ReserveForValue>,
): Computed<{ aum: Fraction; staleReserves: Address[] }> {
  let aum = subFrac(frac(vault.tokenAvailable), frac(vault.pendingFeesSf, SF_ONE));
  const staleReserves: Address[] = [];
  for (const allocation of vault.activeAllocations) {
    if (allocation.ctokenAllocation === 0n) continue; // holds nothing there: contributes nothing
    const reserve = reserveOf(allocation.reserve);
    if (reserve.status === 'unavailable') return { outcome: 'unknown', reason: `allocated reserve ${allocation.reserve} could not be read: ${reserve.error}` };
    if (reserve.status === 'missing') return { outcome: 'unknown', reason: `allocated reserve ${allocation.reserve} is missing` };
    if (reserve.status === 'invalid') return { outcome: 'unknown', reason: `allocated reserve ${allocation.reserve} is unreadable: ${reserve.error}` };
    const supply = reserve.value.collateral.mintTotalSupply;
    if (supply === 0n) return { outcome: 'unknown', reason: `reserve ${allocation.reserve} has a zero cToken supply` };
    if (reserve.value.lastUpdate?.stale) staleReserves.push(allocation.reserve);
    aum = addFrac(aum, mulFrac(frac(allocation.ctokenAllocation), mulFrac(reserveTotalSupply(reserve.value), frac(1n, supply))));
  }
  if (aum.num < 0n) return { outcome: 'unknown', reason: 'the vault AUM computes to a negative amount' };
  return { outcome: 'pass', aum, staleReserves };
}

/** Value = ceil(min(a, V) × AUM / shares_issued) in underlying base units. */
export function withdrawalValue(input: { amount: bigint; poolTotal: bigint; aum: Fraction; sharesIssued: bigint }): Computed<{ value: bigint; valuedAmount: bigint }> {
  if (input.sharesIssued === 0n) return { outcome: 'unknown', reason: 'the vault has zero shares issued' };
  const valuedAmount = input.amount < input.poolTotal ? input.amount : input.poolTotal;
  const value = ceilFrac(mulFrac(frac(valuedAmount), mulFrac(input.aum, frac(1n, input.sharesIssued))));
  return { outcome: 'pass', value, valuedAmount };
}

/**
 * kTokens the farm sends for `withdraw_from_farm_vault(amount)`: everything (and it freezes) when
 * amount ≥ staked + pending, else floor(staked × a / V) + floor(pending × a / V).
 */
export function farmTransfer(amount: bigint, staked: bigint, pending: bigint): { transfer: bigint; drainsPool: boolean } {
  const total = staked + pending;
  if (amount >= total) return { transfer: total, drainsPool: true };
  return { transfer: (staked * amount) / total + (pending * amount) / total, drainsPool: false };
}
