/**
 * Exact money arithmetic of SPEC §4.1: bigint fractions with one rounding at the end,
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

/**
 * Parses a non-negative decimal string ("250000.5") into base units of a token with `decimals`.
 * Returns null when the string has more fractional digits than the token (SPEC §4.1: `limits` fails).
 */
export function decimalToBaseUnits(text: string, decimals: number): bigint | null {
  const m = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (!m) return null;
  const whole = m[1] ?? '0';
  const fraction = m[2] ?? '';
  if (fraction.length > decimals) return null;
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** Formats base units as a decimal string with `decimals` places, trailing zeros trimmed ("1234.5"). */
export function formatUnits(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const fraction = decimals > 0 ? (abs % scale).toString().padStart(decimals, '0').replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** An amount for a reason a reviewer reads: "9820.5 (9820500000 base units)", or base units alone without decimals. */
export function showAmount(amount: bigint, decimals: number | null): string {
  return decimals === null ? `${amount} base units` : `${formatUnits(amount, decimals)} (${amount} base units)`;
}
