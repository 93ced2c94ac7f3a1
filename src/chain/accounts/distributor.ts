/**
 * The Kamino merkle distributor's accounts (docs/chain.md#merkle-distributor): `MerkleDistributor` and `ClaimStatus`,
 * decoded and encoded with kit struct codecs built mechanically, at load time, from the program's
 * IDL (distributor-idl.ts) — field order and types from the IDL, never offsets by hand. The
 * discriminator is Anchor's sha256("account:<Name>")[0..8] (this legacy IDL does not list it).
 */
import type { Address } from '@solana/kit';
import { anchorCodecs, type AnchorAccountCodec } from '../anchor-idl.ts';
import { errorText, MalformedAccount } from '../errors.ts';
import { findProgramAddress, u64Seed } from '../pda.ts';
import { PROGRAMS } from '../programs.ts';
import type { AccountData } from '../types.ts';
import { expectDiscriminator, expectMinLength, expectOwner } from './check.ts';
import { DISTRIBUTOR_IDL } from './distributor-idl.ts';

export const DISTRIBUTOR_PROGRAM_ADDRESS: Address = PROGRAMS.distributor;

const codecs = anchorCodecs(DISTRIBUTOR_IDL);

/** The codec of IDL account `name`, which must have a fixed size (both of the distributor's do). */
function accountCodec(name: string): AnchorAccountCodec & { size: number } {
  const c = codecs.account(name);
  if (c.fixedSize === null) throw new Error(`the distributor IDL's ${name} has a variable size; its decoder expects a fixed one`);
  return { ...c, size: c.fixedSize };
}

/** `MerkleDistributor` as the IDL declares it (u64/i64 as bigint, root as 32 bytes). */
export interface MerkleDistributor {
  readonly bump: number;
  readonly version: bigint;
  readonly root: Uint8Array;
  readonly mint: Address;
  readonly base: Address;
  readonly tokenVault: Address;
  readonly maxTotalClaim: bigint;
  readonly maxNumNodes: bigint;
  readonly totalAmountClaimed: bigint;
  readonly numNodesClaimed: bigint;
  readonly startTs: bigint;
  readonly endTs: bigint;
  readonly clawbackStartTs: bigint;
  readonly clawbackReceiver: Address;
  readonly admin: Address;
  readonly clawedBack: boolean;
  readonly enableSlot: bigint;
  readonly closable: boolean;
  readonly buffer0: Uint8Array;
  readonly buffer1: Uint8Array;
  readonly buffer2: Uint8Array;
}

/** `ClaimStatus`: one per claimant, PDA ["ClaimStatus", claimant, distributor]. */
export interface ClaimStatus {
  readonly claimant: Address;
  readonly lockedAmount: bigint;
  readonly lockedAmountWithdrawn: bigint;
  readonly unlockedAmount: bigint;
  readonly closable: boolean;
  readonly admin: Address;
}

const distributor = accountCodec('MerkleDistributor');
const claimStatus = accountCodec('ClaimStatus');

export const MERKLE_DISTRIBUTOR_DISCRIMINATOR: Uint8Array = distributor.discriminator;
export const MERKLE_DISTRIBUTOR_SIZE: number = distributor.size;
export const CLAIM_STATUS_DISCRIMINATOR: Uint8Array = claimStatus.discriminator;
export const CLAIM_STATUS_SIZE: number = claimStatus.size;

function decodeWith<T>(c: typeof distributor, account: AccountData, what: string): T {
  expectOwner(account, [DISTRIBUTOR_PROGRAM_ADDRESS], what);
  expectDiscriminator(account, c.discriminator, what);
  expectMinLength(account, c.size, what);
  try {
    const { discriminator: _d, ...fields } = c.codec.decode(account.data) as Record<string, unknown>;
    return { ...fields, root: fields['root'] === undefined ? undefined : new Uint8Array(fields['root'] as Uint8Array) } as T;
  } catch (e) {
    throw new MalformedAccount(account.address, what, errorText(e));
  }
}

/** Decodes a `MerkleDistributor`; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeMerkleDistributor(account: AccountData): MerkleDistributor {
  return decodeWith<MerkleDistributor>(distributor, account, 'merkle distributor MerkleDistributor');
}

/** Decodes a `ClaimStatus`; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeClaimStatus(account: AccountData): ClaimStatus {
  const { root: _r, ...fields } = decodeWith<ClaimStatus & { root?: unknown }>(claimStatus, account, 'merkle distributor ClaimStatus');
  return fields;
}

/** The bytes of a `MerkleDistributor` (discriminator included), for fixtures and the sandbox. */
export function encodeMerkleDistributor(value: MerkleDistributor): Uint8Array {
  return new Uint8Array(distributor.codec.encode({ discriminator: distributor.discriminator, ...value }));
}

/** The MerkleDistributor PDA ["MerkleDistributor", base, mint, version u64 LE] of the distributor program. */
export function merkleDistributorPda(base: Address, mint: Address, version: bigint): Address {
  return findProgramAddress([{ text: 'MerkleDistributor' }, base, mint, u64Seed(version)], DISTRIBUTOR_PROGRAM_ADDRESS)[0];
}
