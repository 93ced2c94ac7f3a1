/**
 * Exact money arithmetic of docs/rules.md#how-the-numbers-are-computed: bigint fractions with one rounding at the end,
 * and the decimal strings used at the edges (policy limits, API bodies).
 */

/** A non-negative exact rational; `den` is always > 0. */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

export const frac = (num: bigint, den: bigint = 1n): Fraction => {
  if (den === 0n) throw new RangeError('fraction with a zero denominator');
  return den < 0n ? { num: -num, den: -den } : { num, den };
};

export const addFrac = (a: Fraction, b: Fraction): Fraction => frac(a.num * b.den + b.num * a.den, a.den * b.den);
export const subFrac = (a: Fraction, b: Fraction): Fraction => frac(a.num * b.den - b.num * a.den, a.den * b.den);
export const mulFrac = (a: Fraction, b: Fraction): Fraction => frac(a.num * b.num, a.den * b.den);

export const floorDiv = (n: bigint, d: bigint): bigint => {
  const q = n / d;
  return (n % d !== 0n && (n < 0n) !== (d < 0n)) ? q - 1n : q;
};
export const ceilDiv = (n: bigint, d: bigint): bigint => -floorDiv(-n, d);
export const ceilFrac = (f: Fraction): bigint => ceilDiv(f.num, f.den);
export const floorFrac = (f: Fraction): bigint => floorDiv(f.num, f.den);

export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** 2^60: klend and kvault `_sf` fields are U68F60 fixed point. */
export const SF_ONE = 1n << 60n;

/** Decimal strings at the edges live at the bottom layer (chain descriptions use them too). */
export { decimalToBaseUnits, formatUnits } from '../util/units.ts';
import { formatUnits } from '../util/units.ts';

/** An amount for a reason a reviewer reads: "9820.5 (9820500000 base units)", or base units alone without decimals. */
export function showAmount(amount: bigint, decimals: number | null): string {
  return decimals === null ? `${amount} base units` : `${formatUnits(amount, decimals)} (${amount} base units)`;
}
