/**
 * Money crosses the edges as decimal strings with a token's decimals; inside it is bigint base units.
 * These two conversions are the only ones: policy limits in, amounts shown out.
 */

/**
 * Parses a non-negative decimal string ("250000.5") into base units of a token with `decimals`.
 * Returns null when the string has more fractional digits than the token (docs/rules.md#how-the-numbers-are-computed: `limits` fails).
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

/**
 * An amount for people reading on a phone: thousands grouped, two decimals at least and every
 * significant one beyond ("9,820.00", "0.000001"), so nothing is rounded away.
 */
export function displayAmount(amount: bigint, decimals: number): string {
  const [whole = '0', fraction = ''] = formatUnits(amount, decimals).split('.');
  const negative = whole.startsWith('-');
  const digits = negative ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const shown = decimals === 0 ? '' : `.${fraction.padEnd(Math.min(2, decimals), '0')}`;
  return `${negative ? '-' : ''}${grouped}${shown}`;
}
