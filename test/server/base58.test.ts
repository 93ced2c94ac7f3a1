/** The schemas' base58 checks (src/server/base58.ts) answer exactly as @solana/kit's isAddress and isSignature. */
import { randomBytes } from 'node:crypto';
import { getBase58Decoder, isAddress, isSignature } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import { base58ByteLength, isBase58Address, isBase58Signature } from '../../src/server/base58.ts';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const b58 = (bytes: Uint8Array) => getBase58Decoder().decode(bytes);

/** The schemas' refinements turned kit's throw on a foreign character into false. */
const kitSignature = (s: string) => {
  try {
    return isSignature(s);
  } catch {
    return false;
  }
};

/** Deterministic pseudo-random numbers, so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('base58 checks', () => {
  it('decoded lengths of encoded bytes, leading zero bytes included', () => {
    for (const n of [0, 1, 2, 3, 4, 31, 32, 33, 63, 64, 65]) {
      for (const fill of [0, 1, 255]) expect(base58ByteLength(b58(new Uint8Array(n).fill(fill)))).toBe(n);
      for (let i = 0; i < 20; i++) {
        const bytes = randomBytes(n);
        if (n > 2) bytes[0] = 0; // a leading zero byte is a leading '1'
        expect(base58ByteLength(b58(bytes))).toBe(n);
      }
    }
  });

  it('every length up to 66 bytes with the top byte 1 (each limb boundary) or 255', () => {
    for (let n = 1; n <= 66; n++) {
      for (const top of [1, 255]) {
        const bytes = new Uint8Array(n);
        bytes[0] = top;
        expect(base58ByteLength(b58(bytes)), `${n} bytes from ${top}`).toBe(n);
      }
    }
  });

  it('a character outside the alphabet (0, O, I, l, +, non-ASCII) is not base58', () => {
    for (const bad of ['0', 'O', 'I', 'l', '+', '/', ' ', 'é', '١']) expect(base58ByteLength(`11A${bad}B`)).toBe(-1);
  });

  it('the same answers as kit on boundaries and on 20,000 random strings', () => {
    const cases: string[] = [
      '1'.repeat(32), '1'.repeat(44), '1'.repeat(45), '1'.repeat(64), '1'.repeat(88), 'z'.repeat(44), 'z'.repeat(43), 'z'.repeat(88), 'z'.repeat(87),
      b58(new Uint8Array(32).fill(255)), b58(new Uint8Array(33).fill(1)), b58(new Uint8Array(64).fill(255)), b58(new Uint8Array(65).fill(1)),
      '11111111111111111111111111111111', 'So11111111111111111111111111111111111111112',
    ];
    const next = rng(18);
    const pick = (from: string) => from[Math.floor(next() * from.length)]!;
    for (let i = 0; i < 20_000; i++) {
      let s: string;
      if (i % 2 === 0) {
        // Around the boundaries: an encoding of 31–33 or 63–65 bytes, sometimes with one character changed.
        const bytes = Uint8Array.from({ length: [31, 32, 33, 63, 64, 65][Math.floor(next() * 6)]! }, () => (next() < 0.1 ? 0 : Math.floor(next() * 256)));
        s = b58(bytes);
        if (next() < 0.5) {
          const at = Math.floor(next() * s.length);
          s = s.slice(0, at) + (next() < 0.05 ? pick('0OIl+é') : pick(ALPHABET)) + s.slice(at + 1);
        }
      } else {
        const length = 28 + Math.floor(next() * 64);
        s = '1'.repeat(next() < 0.3 ? Math.floor(next() * 6) : 0);
        while (s.length < length) s += next() < 0.002 ? pick('0OIl+é') : pick(ALPHABET);
      }
      cases.push(s);
    }
    let addresses = 0;
    let signatures = 0;
    for (const s of cases) {
      expect(isBase58Address(s), s).toBe(isAddress(s));
      expect(isBase58Signature(s), s).toBe(kitSignature(s));
      if (isAddress(s)) addresses++;
      if (kitSignature(s)) signatures++;
    }
    // Both answers occur, so agreement is not agreement on "always false".
    expect(addresses).toBeGreaterThan(100);
    expect(signatures).toBeGreaterThan(100);
  });
});
