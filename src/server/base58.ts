/** The request schemas' base58 checks, on the chain layer's decoder (src/chain/base58.ts): same answers as kit's isAddress / isSignature. */
import { base58Decode } from '../chain/base58.ts';

/** Bytes `s` decodes to (each leading '1' is a zero byte), or -1 when a character is not base58. */
export function base58ByteLength(s: string): number {
  return base58Decode(s)?.length ?? -1;
}

/** As kit's isAddress: 32–44 base58 characters that decode to 32 bytes. */
export function isBase58Address(s: string): boolean {
  return s.length >= 32 && s.length <= 44 && base58ByteLength(s) === 32;
}

/** As kit's isSignature: 64–88 base58 characters that decode to 64 bytes. */
export function isBase58Signature(s: string): boolean {
  return s.length >= 64 && s.length <= 88 && base58ByteLength(s) === 64;
}
