/**
 * The fast curve check and base58 decoding the compensation snapshot uses for 100,000 claimants
 * (src/chain/curve.ts) give web3.js's and kit's answers exactly.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keypair, PublicKey } from '@solana/web3.js';
import { getAddressDecoder, getAddressEncoder, type Address } from '@solana/kit';
import { addressBytes, isOffCurve, isOnCurveBytes } from '../../src/chain/curve.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';

describe('isOnCurveBytes', () => {
  it('agrees with PublicKey.isOnCurve on random bytes, wallets, PDAs and edge values', () => {
    const cases = [
      ...Array.from({ length: 2_000 }, () => new Uint8Array(randomBytes(32))),
      ...Array.from({ length: 50 }, () => Keypair.generate().publicKey.toBytes()),
      new PublicKey(SANDBOX.escrowAuthority).toBytes(),
      new PublicKey(SANDBOX.vaultBaseAuthority).toBytes(),
      new Uint8Array(32),
      Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)), // y = 1: x = 0
      Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : i === 31 ? 0x80 : 0)), // y = 1 with the sign bit
      Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xed : i === 31 ? 0x7f : 0xff)), // y = p: non-canonical
    ];
    let on = 0;
    for (const b of cases) {
      const expected = PublicKey.isOnCurve(b);
      expect(isOnCurveBytes(b), Buffer.from(b).toString('hex')).toBe(expected);
      if (expected) on++;
    }
    expect(on).toBeGreaterThan(1_000); // about half of random points, and every wallet
    expect(isOffCurve(SANDBOX.escrowAuthority)).toBe(true);
    expect(isOffCurve(SANDBOX.curator)).toBe(false);
  });
});

describe('addressBytes', () => {
  it('decodes as kit does, leading zero bytes included', () => {
    const dec = getAddressDecoder();
    const enc = getAddressEncoder();
    for (let i = 0; i < 2_000; i++) {
      const b = new Uint8Array(randomBytes(32));
      if (i % 3 === 0) b[0] = 0;
      if (i % 9 === 0) b[1] = 0;
      const a = dec.decode(b);
      expect(Buffer.compare(addressBytes(a), new Uint8Array(enc.encode(a)))).toBe(0);
    }
    expect(addressBytes('11111111111111111111111111111111' as Address)).toEqual(new Uint8Array(32));
    expect(() => addressBytes('1111111111111111111111111111111l' as Address)).toThrow();
  });
});
