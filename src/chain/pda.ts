/**
 * Program-derived addresses backstop computes on every decision, memoized: a PDA is a pure function
 * of its seeds, and deriving one costs a curve check per bump try. Derived synchronously (the pure
 * engine needs them; kit's `getProgramDerivedAddress` is async): sha256 from node:crypto, the
 * curve check from curve.ts, the seeds of each program as its SDK writes them.
 */
import { createHash } from 'node:crypto';
import { getAddressDecoder, getAddressEncoder, type Address } from '@solana/kit';
import { isOnCurveBytes } from './curve.ts';
import { PROGRAMS } from './programs.ts';

const MAX_ENTRIES = 10_000;
const cache = new Map<string, Address>();
const addressBytes = getAddressEncoder();
const addressOf = getAddressDecoder();
const PDA_MARKER = Buffer.from('ProgramDerivedAddress');

function memo(key: string, derive: () => Address): Address {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (cache.size >= MAX_ENTRIES) cache.clear();
  const value = derive();
  cache.set(key, value);
  return value;
}

/** A seed: an address (its 32 bytes), UTF-8 text, or raw bytes. */
export type Seed = Address | { readonly text: string } | Uint8Array;

const seedBytes = (s: Seed): Uint8Array => (s instanceof Uint8Array ? s : typeof s === 'string' ? (addressBytes.encode(s) as Uint8Array) : Buffer.from(s.text, 'utf8'));

/**
 * The program-derived address of `seeds` under `program` and its bump: the first bump from 255 down whose
 * sha256(seeds ‖ bump ‖ program ‖ "ProgramDerivedAddress") is off the ed25519 curve, as the runtime's
 * `find_program_address` does. Throws when a seed is over 32 bytes, there are over 16 seeds, or no bump works.
 */
export function findProgramAddress(seeds: readonly Seed[], program: Address): readonly [Address, number] {
  const parts = seeds.map(seedBytes);
  if (parts.length > 15) throw new Error(`${parts.length} seeds: a program address takes at most 15 besides the bump`);
  const long = parts.find((p) => p.length > 32);
  if (long) throw new Error(`a ${long.length}-byte seed: program address seeds are at most 32 bytes`);
  const programBytes = addressBytes.encode(program) as Uint8Array;
  for (let bump = 255; bump >= 0; bump--) {
    const hash = createHash('sha256');
    for (const p of parts) hash.update(p);
    const candidate = hash.update(Uint8Array.of(bump)).update(programBytes).update(PDA_MARKER).digest();
    if (!isOnCurveBytes(candidate)) return [addressOf.decode(candidate), bump];
  }
  throw new Error(`no bump gives an off-curve address for these seeds under ${program}`);
}

/** A u64 seed, little-endian as programs write it. */
export const u64Seed = (n: bigint): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};

/** The Squads transaction PDA of `index` (shared by Vault, Config and Batch transactions). */
export const transactionPdaOf = (multisig: Address, index: bigint): Address =>
  memo(`tx:${multisig}:${index}`, () => findProgramAddress([{ text: 'multisig' }, multisig, { text: 'transaction' }, u64Seed(index)], PROGRAMS.squads)[0]);

/** The Squads proposal PDA of `index`. */
export const proposalPdaOf = (multisig: Address, index: bigint): Address =>
  memo(`proposal:${multisig}:${index}`, () => findProgramAddress([{ text: 'multisig' }, multisig, { text: 'transaction' }, u64Seed(index), { text: 'proposal' }], PROGRAMS.squads)[0]);

/** The Squads vault PDA `vaultIndex` of `multisig`. */
export const vaultPdaOf = (multisig: Address, vaultIndex: number): Address =>
  memo(`vault:${multisig}:${vaultIndex}`, () => {
    if (!Number.isInteger(vaultIndex) || vaultIndex < 0 || vaultIndex > 255) throw new Error(`vault index ${vaultIndex} is not a u8`);
    return findProgramAddress([{ text: 'multisig' }, multisig, { text: 'vault' }, Uint8Array.of(vaultIndex)], PROGRAMS.squads)[0];
  });

/** The associated token account of `owner` for `mint` under `tokenProgram`. */
export const associatedTokenAddressOf = (owner: Address, mint: Address, tokenProgram: Address): Address =>
  memo(`ata:${owner}:${mint}:${tokenProgram}`, () => findProgramAddress([owner, tokenProgram, mint], PROGRAMS.ata)[0]);
