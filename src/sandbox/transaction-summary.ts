/**
 * What a signed transaction does, for the demo and tests that only see `intent.transaction`
 * (base64): each instruction decoded by backstop's own decoder, and which signatures verify.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { Address } from '@solana/kit';
import { VersionedTransaction } from '@solana/web3.js';
import { decodeInstruction, type DecodedInstruction } from '../chain/instructions.ts';

export interface TransactionSummary {
  readonly signers: readonly Address[];
  /** Signer → whether its ed25519 signature over the message verifies. */
  readonly signatureValid: Readonly<Record<string, boolean>>;
  readonly instructions: readonly DecodedInstruction[];
  readonly message: Uint8Array;
}

const publicKey = (raw: Uint8Array) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });

export function summarizeTransaction(base64: string): TransactionSummary {
  const tx = VersionedTransaction.deserialize(Buffer.from(base64, 'base64'));
  const message = tx.message.serialize();
  const keys = tx.message.staticAccountKeys;
  const header = tx.message.header;
  const signers = keys.slice(0, header.numRequiredSignatures);
  const signatureValid: Record<string, boolean> = {};
  signers.forEach((k, i) => {
    const sig = tx.signatures[i];
    signatureValid[k.toBase58()] = sig !== undefined && verify(null, message, publicKey(k.toBytes()), Buffer.from(sig));
  });
  const isWritable = (i: number) => tx.message.isAccountWritable(i);
  const instructions = tx.message.compiledInstructions.map((ix) =>
    decodeInstruction({
      programId: keys[ix.programIdIndex]!.toBase58() as Address,
      accounts: ix.accountKeyIndexes.map((i) => ({ address: (keys[i]?.toBase58() ?? '(lookup)') as Address, isSigner: i < header.numRequiredSignatures, isWritable: isWritable(i) })),
      data: ix.data,
    }),
  );
  return { signers: signers.map((k) => k.toBase58() as Address), signatureValid, instructions, message };
}
