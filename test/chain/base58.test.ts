import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getBase58Decoder, getBase58Encoder } from '@solana/kit';
import { base58Decode } from '../../src/chain/base58.ts';

describe('base58Decode', () => {
  it('gives kit’s bytes for any length, leading zero bytes included, and null for a non-base58 character', () => {
    const toText = getBase58Decoder();
    const toBytes = getBase58Encoder();
    for (let i = 0; i < 3_000; i++) {
      const bytes = new Uint8Array(randomBytes(i % 70));
      if (i % 3 === 0) bytes.fill(0, 0, Math.min(bytes.length, i % 5));
      const text = toText.decode(bytes);
      expect(base58Decode(text), text).toEqual(new Uint8Array(toBytes.encode(text)));
    }
    expect(base58Decode('')).toEqual(new Uint8Array(0));
    expect(base58Decode('111')).toEqual(new Uint8Array(3));
    for (const bad of ['0', 'O', 'I', 'l', '+', 'é']) expect(base58Decode(`2${bad}3`)).toBeNull();
  });
});
