/**
 * Base58 (Bitcoin alphabet) decoding without a BigInt: little-endian 24-bit limbs, where
 * `limb × 58 + carry` stays below 2³⁰. The request schemas check every address and signature of
 * every request with it, and the compensation plan decodes 100,000 claimants' keys; kit's codec
 * goes through a BigInt per string at several times the cost. Same bytes as kit's
 * (test/server/base58.test.ts, test/chain/curve.test.ts compare them).
 */

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** Digit of each char code below 128; -1 outside the alphabet. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** The bytes `s` encodes (each leading '1' a zero byte), or null when a character is not base58. */
export function base58Decode(s: string): Uint8Array | null {
  let zeros = 0;
  while (zeros < s.length && s.charCodeAt(zeros) === 49) zeros++; // '1'
  const limbs = new Int32Array(Math.ceil(((s.length - zeros) * 0.7323) / 3) + 1); // log(58)/log(256) < 0.7323 bytes a char
  let used = 0;
  for (let i = zeros; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const digit = c < 128 ? DIGIT[c]! : -1;
    if (digit < 0) return null;
    let carry = digit;
    for (let j = 0; j < used; j++) {
      const x = limbs[j]! * 58 + carry;
      limbs[j] = x & 0xff_ffff;
      carry = x >>> 24;
    }
    if (carry > 0) limbs[used++] = carry;
  }
  let length = 3 * used;
  while (length > 0 && ((limbs[Math.floor((length - 1) / 3)]! >>> (8 * ((length - 1) % 3))) & 0xff) === 0) length--;
  const out = new Uint8Array(zeros + length);
  for (let i = 0; i < length; i++) out[out.length - 1 - i] = (limbs[Math.floor(i / 3)]! >>> (8 * (i % 3))) & 0xff;
  return out;
}
