/**
 * Money crosses the edges as decimal strings with a token's decimals; inside it is bigint base units.
 * These two conversions are the only ones: policy limits in, amounts shown out.
 */

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
