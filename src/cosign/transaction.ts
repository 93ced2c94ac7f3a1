/**
 * Compiling and signing outbound v0 transactions with `Signer`s (build → sign; storing and sending
 * are the caller's steps). The fee payer is the first signer; every signature the message needs
 * must come from a signer we were given, and no other signer is used.
 */
import {
  PublicKey,
  TransactionMessage,
  VersionedTransaction,
  type AddressLookupTableAccount,
  type TransactionInstruction,
} from '@solana/web3.js';
import { getBase58Decoder } from '@solana/kit';
import type { Signer } from './signer.ts';

/** Largest serialized transaction a validator accepts (PACKET_DATA_SIZE). */
export const MAX_TRANSACTION_BYTES = 1232;

/** A signed transaction ready to be stored as an intent. */
export interface SignedTransaction {
  readonly bytes: Uint8Array;
  /** The fee payer's signature, base58: the transaction's id. */
  readonly signature: string;
}

/**
 * Compiles `instructions` into an unsigned v0 transaction paid by `payer` (every signature slot
 * zero). Lookup tables are used only when the transaction does not fit without them. Throws when
 * the transaction is too large.
 */
export function compileV0(input: {
  instructions: readonly TransactionInstruction[];
  payer: Signer;
  blockhash: string;
  lookupTables?: readonly AddressLookupTableAccount[];
}): VersionedTransaction {
  const compile = (tables: AddressLookupTableAccount[]) =>
    new VersionedTransaction(
      new TransactionMessage({ payerKey: new PublicKey(input.payer.address), recentBlockhash: input.blockhash, instructions: [...input.instructions] }).compileToV0Message(tables),
    );
  let tx = compile([]);
  // A signature is 64 bytes plus one compact-u16 count byte per transaction.
  const size = (t: VersionedTransaction) => 1 + 64 * t.message.header.numRequiredSignatures + t.message.serialize().length;
  if (size(tx) > MAX_TRANSACTION_BYTES && input.lookupTables && input.lookupTables.length > 0) tx = compile([...input.lookupTables]);
  if (size(tx) > MAX_TRANSACTION_BYTES) throw new Error(`the transaction is ${size(tx)} bytes, above the ${MAX_TRANSACTION_BYTES}-byte limit`);
  return tx;
}

/** The wire bytes of `tx`'s message with every signature zero (what a pre-sign simulation may see). */
export function unsignedBytes(tx: VersionedTransaction): Uint8Array {
  return new VersionedTransaction(tx.message).serialize();
}

/**
 * Signs a compiled transaction with exactly the signers its message requires (looked up among
 * `payer` and `signers`). Throws when a required signature is not available.
 */
export async function signCompiled(tx: VersionedTransaction, input: { payer: Signer; signers: readonly Signer[] }): Promise<SignedTransaction> {
  const byAddress = new Map<string, Signer>([input.payer, ...input.signers].map((s) => [s.address, s]));
  const message = tx.message.serialize();
  const required = tx.message.staticAccountKeys.slice(0, tx.message.header.numRequiredSignatures);
  for (const key of required) {
    const signer = byAddress.get(key.toBase58());
    // An unexpected signer in the message must never be satisfied by guessing: refuse.
    if (!signer) throw new Error(`the transaction needs a signature of ${key.toBase58()}, which is not one of backstop's signers`);
    const signature = await signer.signMessage(message);
    if (signature.length !== 64) throw new Error(`the signer of ${key.toBase58()} returned ${signature.length} bytes, not a 64-byte signature`);
    tx.addSignature(key, signature);
  }
  const first = tx.signatures[0];
  if (!first) throw new Error('the transaction has no signature');
  return { bytes: tx.serialize(), signature: getBase58Decoder().decode(first) };
}

/**
 * Compiles `instructions` into a v0 message paid by `payer` and signs it with exactly the signers
 * the message requires (`compileV0` then `signCompiled`).
 */
export async function signV0(input: {
  instructions: readonly TransactionInstruction[];
  payer: Signer;
  signers: readonly Signer[];
  blockhash: string;
  lookupTables?: readonly AddressLookupTableAccount[];
}): Promise<SignedTransaction> {
  return signCompiled(compileV0(input), input);
}
