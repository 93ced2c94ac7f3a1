/**
 * Program-derived addresses backstop computes on every decision, memoized: a PDA is a pure function
 * of its seeds, and deriving one costs a curve check per bump try.
 */
import type { Address } from '@solana/kit';
import { PublicKey } from '@solana/web3.js';
import * as multisigSdk from '@sqds/multisig';
import { toAddress, toPublicKey } from './keys.ts';
import { PROGRAMS } from './programs.ts';

const ATA_PROGRAM = toPublicKey(PROGRAMS.ata);
const MAX_ENTRIES = 10_000;
const cache = new Map<string, Address | boolean>();

function memo<T extends Address | boolean>(key: string, derive: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) return hit as T;
  if (cache.size >= MAX_ENTRIES) cache.clear();
  const value = derive();
  cache.set(key, value);
  return value;
}

/** The Squads transaction PDA of `index` (shared by Vault, Config and Batch transactions). */
export const transactionPdaOf = (multisig: Address, index: bigint): Address =>
  memo(`tx:${multisig}:${index}`, () => toAddress(multisigSdk.getTransactionPda({ multisigPda: toPublicKey(multisig), index })[0]));

/** The Squads proposal PDA of `index`. */
export const proposalPdaOf = (multisig: Address, index: bigint): Address =>
  memo(`proposal:${multisig}:${index}`, () => toAddress(multisigSdk.getProposalPda({ multisigPda: toPublicKey(multisig), transactionIndex: index })[0]));

/** The Squads vault PDA `vaultIndex` of `multisig`. */
export const vaultPdaOf = (multisig: Address, vaultIndex: number): Address =>
  memo(`vault:${multisig}:${vaultIndex}`, () => toAddress(multisigSdk.getVaultPda({ multisigPda: toPublicKey(multisig), index: vaultIndex })[0]));

/** The associated token account of `owner` for `mint` under `tokenProgram`. */
export const associatedTokenAddressOf = (owner: Address, mint: Address, tokenProgram: Address): Address =>
  memo(`ata:${owner}:${mint}:${tokenProgram}`, () =>
    toAddress(PublicKey.findProgramAddressSync([toPublicKey(owner).toBuffer(), toPublicKey(tokenProgram).toBuffer(), toPublicKey(mint).toBuffer()], ATA_PROGRAM)[0]),
  );

/** True when `key` is not an ed25519 point: no private key exists for it (a PDA). */
export const isOffCurve = (key: Address): boolean => memo(`offcurve:${key}`, () => !PublicKey.isOnCurve(toPublicKey(key).toBytes()));
