/**
 * How many bytes a base58 string decodes to, without building the number as a bigint: the request
 * schemas check every address and signature of every request, and @solana/kit's isAddress /
 * isSignature decode through a BigInt, which cost more than the rest of a refusal's validation.
 * Same answers as kit's (test/server/base58.test.ts compares them).
 */

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** Digit of each char code below 128; -1 outside the alphabet. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** Bytes `s` decodes to (each leading '1' is a zero byte), or -1 when a character is not base58. */
export function base58ByteLength(s: string): number {
  let zeros = 0;
  while (zeros < s.length && s.charCodeAt(zeros) === 49) zeros++; // '1'
  // Little-endian 24-bit limbs: limb * 58 + carry stays below 2^30, so small-integer arithmetic.
  const limbs = new Int32Array(Math.ceil(((s.length - zeros) * 0.7323) / 3) + 1); // log(58)/log(256) < 0.7323 bytes a char
  let used = 0;
  for (let i = zeros; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const digit = c < 128 ? DIGIT[c]! : -1;
    if (digit < 0) return -1;
    let carry = digit;
    for (let j = 0; j < used; j++) {
      const x = limbs[j]! * 58 + carry;
      limbs[j] = x & 0xff_ffff;
      carry = x >>> 24;
    }
    if (carry > 0) limbs[used++] = carry;
  }
  if (used === 0) return zeros;
  const top = limbs[used - 1]!;
  return zeros + 3 * (used - 1) + (top >= 0x1_0000 ? 3 : top >= 0x100 ? 2 : 1);
}

/** As kit's isAddress: 32–44 base58 characters that decode to 32 bytes. */
export function isBase58Address(s: string): boolean {
  return s.length >= 32 && s.length <= 44 && base58ByteLength(s) === 32;
}

/** As kit's isSignature: 64–88 base58 characters that decode to 64 bytes. */
export function isBase58Signature(s: string): boolean {
  return s.length >= 64 && s.length <= 88 && base58ByteLength(s) === 64;
}
