/**
 * The compensation merkle tree exactly as the Kamino merkle distributor (KdisqEc…) verifies a claim:
 * leaf = sha256(0x00 ‖ sha256(claimant ‖ amount_unlocked u64 LE ‖ amount_locked u64 LE)); leaves in
 * claimant-byte order; parent = sha256(0x01 ‖ min(a, b) ‖ max(a, b)) in byte order; an odd level
 * pairs its last node with itself (the distributor's merkle-tree crate). Pure.
 */
import { createHash } from 'node:crypto';
import type { Address } from '@solana/kit';
import { addressBytes } from '../../chain/curve.ts';

const LEAF_PREFIX = Uint8Array.of(0);
const NODE_PREFIX = Uint8Array.of(1);

/** One claim: who and how much (base units of the distributed mint). */
export interface MerkleClaim {
  readonly claimant: Address;
  readonly amountUnlocked: bigint;
  readonly amountLocked: bigint;
}

/** -1, 0 or 1 comparing two byte strings lexicographically. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The claimant's 32 bytes. */
export const claimantBytes = (claimant: Address): Uint8Array => addressBytes(claimant);

// Scratch buffers: a plan hashes ~300,000 times; one allocation each would dominate.
const leafInput = Buffer.alloc(48);
const leafOuter = Buffer.alloc(33);
const nodeInput = Buffer.alloc(65);
nodeInput[0] = NODE_PREFIX[0]!;
leafOuter[0] = LEAF_PREFIX[0]!;

/** The leaf hash of one claim. */
export function leafHash(claim: MerkleClaim): Uint8Array {
  for (const v of [claim.amountUnlocked, claim.amountLocked]) if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${v} does not fit in a u64`);
  leafInput.set(claimantBytes(claim.claimant), 0);
  leafInput.writeBigUInt64LE(claim.amountUnlocked, 32);
  leafInput.writeBigUInt64LE(claim.amountLocked, 40);
  createHash('sha256').update(leafInput).digest().copy(leafOuter, 1);
  return new Uint8Array(createHash('sha256').update(leafOuter).digest());
}

/** A parent: the sorted pair under the node prefix. */
export function parentHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  const [lo, hi] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
  nodeInput.set(lo, 1);
  nodeInput.set(hi, 33);
  return new Uint8Array(createHash('sha256').update(nodeInput).digest());
}

/** A built tree: its levels (leaves first, root last) with each node's hex kept once. */
export interface MerkleTree {
  readonly root: Uint8Array;
  readonly rootHex: string;
  /** levels[0] = leaves in claim order; hex strings are shared by every proof that names them. */
  readonly levels: readonly (readonly Uint8Array[])[];
  readonly hex: readonly (readonly string[])[];
  readonly size: number;
}

/**
 * Builds the tree over `claims`, which must already be ordered by claimant bytes ascending with no
 * claimant twice (one ClaimStatus PDA per claimant). Throws on an empty list or a bad order.
 */
export function buildMerkleTree(claims: readonly MerkleClaim[]): MerkleTree {
  if (claims.length === 0) throw new RangeError('a merkle tree needs at least one claim');
  let prev: Uint8Array | null = null;
  const leaves: Uint8Array[] = new Array(claims.length);
  claims.forEach((c, i) => {
    const bytes = claimantBytes(c.claimant);
    if (prev !== null && compareBytes(prev, bytes) >= 0) throw new RangeError(`claims must be in ascending claimant order without repeats (at ${c.claimant})`);
    prev = bytes;
    leaves[i] = leafHash(c);
  });
  const levels: Uint8Array[][] = [leaves];
  while (levels[levels.length - 1]!.length > 1) {
    const level = levels[levels.length - 1]!;
    const next: Uint8Array[] = new Array(Math.ceil(level.length / 2));
    for (let i = 0; i < level.length; i += 2) next[i >> 1] = parentHash(level[i]!, level[i + 1] ?? level[i]!);
    levels.push(next);
  }
  const hex = levels.map((l) => l.map((n) => Buffer.from(n).toString('hex')));
  const root = levels[levels.length - 1]![0]!;
  return { root, rootHex: hex[hex.length - 1]![0]!, levels, hex, size: claims.length };
}

/** The proof of claim `index` as hex siblings, leaf level first (an odd level's last node is its own sibling). */
export function proofHex(tree: MerkleTree, index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= tree.size) throw new RangeError(`no claim ${index} in a tree of ${tree.size}`);
  const proof: string[] = [];
  let i = index;
  for (let l = 0; l < tree.hex.length - 1; l++) {
    const level = tree.hex[l]!;
    proof.push(level[i ^ 1] ?? level[i]!);
    i >>= 1;
  }
  return proof;
}

/** Verifies a proof the way the distributor's `new_claim` does. */
export function verifyProof(proof: readonly Uint8Array[], root: Uint8Array, leaf: Uint8Array): boolean {
  let node = leaf;
  for (const sibling of proof) node = parentHash(node, sibling);
  return compareBytes(node, root) === 0;
}
