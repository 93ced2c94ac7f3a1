/**
 * The proposal digest of docs/digest.md: a hash of exactly what would execute (multisig, index, vault and
 * every resolved instruction), so humans and the signing-time check can bind to it. Anything that
 * does not change execution (creator, bumps, votes, whether a key came from a lookup table) is out.
 * How to recompute it by hand: docs/digest.md.
 */
import { createHash } from 'node:crypto';
import { getBase58Encoder, type Address } from '@solana/kit';

const base58 = getBase58Encoder();

/** What the digest covers. */
export interface DigestInput {
  readonly multisig: Address;
  readonly transactionIndex: bigint;
  readonly vaultIndex: number;
  readonly vaultPda: Address;
  readonly instructions: readonly {
    readonly programId: Address;
    readonly accounts: readonly { readonly address: Address; readonly isSigner: boolean; readonly isWritable: boolean }[];
    readonly data: Uint8Array;
  }[];
}

const DOMAIN = 'backstop-digest-v1';

const u8 = (n: number): Buffer => {
  const b = Buffer.alloc(1);
  b.writeUInt8(n); // throws outside 0..255 instead of wrapping
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};

/** The docs/digest.md digest as 64 lowercase hex characters. Throws on out-of-range integers. */
export function computeDigest(input: DigestInput): string {
  const key = (a: Address): Uint8Array => {
    const bytes = base58.encode(a) as Uint8Array; // decoded addresses are already validated; check the length only
    if (bytes.length !== 32) throw new RangeError(`digest: ${a} is not a 32-byte key`);
    return bytes;
  };
  const h = createHash('sha256');
  h.update(DOMAIN, 'utf8');
  h.update(key(input.multisig));
  h.update(u64(input.transactionIndex));
  h.update(u8(input.vaultIndex));
  h.update(key(input.vaultPda));
  h.update(u32(input.instructions.length));
  for (const ix of input.instructions) {
    h.update(key(ix.programId));
    h.update(u32(ix.accounts.length));
    for (const a of ix.accounts) {
      h.update(key(a.address));
      h.update(u8((a.isSigner ? 1 : 0) | ((a.isWritable ? 1 : 0) << 1)));
    }
    h.update(u32(ix.data.length));
    h.update(ix.data);
  }
  return h.digest('hex');
}

/** The first 16 hex characters of a digest, as cards show it. */
export function digestPrefix(digest: string): string {
  return digest.slice(0, 16);
}
