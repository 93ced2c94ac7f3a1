/**
 * Transaction wire bytes as the harness receives them: decoding and ed25519 signature checks,
 * done the way a validator does before anything executes or is recorded.
 */
import { createPublicKey, verify } from 'node:crypto';
import {
  getBase58Decoder,
  getBase58Encoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  type Address,
  type Transaction,
} from '@solana/kit';

/** A compiled legacy or v0 message, as kit's decoder returns it. */
export interface DecodedMessage {
  readonly version: 'legacy' | 0;
  readonly header: {
    readonly numSignerAccounts: number;
    readonly numReadonlySignerAccounts: number;
    readonly numReadonlyNonSignerAccounts: number;
  };
  readonly staticAccounts: readonly Address[];
  readonly lifetimeToken: string;
  readonly instructions: readonly {
    readonly programAddressIndex: number;
    readonly accountIndices?: readonly number[];
    readonly data?: Uint8Array | { readonly length: number; readonly [i: number]: number };
  }[];
  readonly addressTableLookups?: readonly {
    readonly lookupTableAddress: Address;
    readonly writableIndexes: readonly number[];
    readonly readonlyIndexes: readonly number[];
  }[];
}

/** A transaction whose every required signature verified over its message bytes. */
export interface VerifiedTransaction {
  readonly bytes: Uint8Array;
  /** The kit form LiteSVM 1.5 accepts. */
  readonly transaction: Transaction;
  readonly message: DecodedMessage;
  /** Base58 signatures in signer order; the first is the transaction's id. */
  readonly signatures: readonly string[];
  readonly signature: string;
}

/** A JSON-RPC error the harness answers with (code and message as a validator would). */
export class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
  }
}

/** Decodes wire bytes given as base64 or base58, as `sendTransaction`/`simulateTransaction` accept. */
export function decodeWire(encoded: unknown, encoding: unknown): Uint8Array {
  if (typeof encoded !== 'string') throw new RpcError(-32602, 'invalid transaction: expected an encoded string');
  const enc = encoding ?? 'base58';
  if (enc === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new RpcError(-32602, 'invalid transaction: bad base64');
    return new Uint8Array(Buffer.from(encoded, 'base64'));
  }
  if (enc === 'base58') {
    try {
      return new Uint8Array(getBase58Encoder().encode(encoded));
    } catch {
      throw new RpcError(-32602, 'invalid transaction: bad base58');
    }
  }
  throw new RpcError(-32602, `unsupported encoding: ${String(enc)}`);
}

/**
 * Decodes the transaction and its message and verifies every required signature with ed25519
 * over the message bytes; throws `RpcError` (-32602 undecodable, -32003 bad or missing signature).
 */
export function verifyTransaction(bytes: Uint8Array): VerifiedTransaction {
  return decodeTransaction(bytes, { verifySignatures: true });
}

/**
 * Decodes like `verifyTransaction`; with `verifySignatures: false` (simulation without sigVerify)
 * missing or invalid signatures are tolerated and `signatures` lists only the present ones.
 */
export function decodeTransaction(bytes: Uint8Array, { verifySignatures }: { verifySignatures: boolean }): VerifiedTransaction {
  let transaction: Transaction;
  let message: DecodedMessage;
  try {
    transaction = getTransactionDecoder().decode(bytes);
    message = getCompiledTransactionMessageDecoder().decode(transaction.messageBytes) as unknown as DecodedMessage;
  } catch (err) {
    throw new RpcError(-32602, `failed to deserialize transaction: ${(err as Error).message}`);
  }
  if (message.version !== 'legacy' && message.version !== 0) {
    throw new RpcError(-32015, `Transaction version (${String(message.version)}) is not supported`);
  }
  const n = message.header.numSignerAccounts;
  if (n < 1 || message.staticAccounts.length < n || Object.keys(transaction.signatures).length !== n) {
    throw new RpcError(-32602, 'failed to deserialize transaction: signature count does not match the message header');
  }
  const b58 = getBase58Decoder();
  const signatures: string[] = [];
  for (let i = 0; i < n; i++) {
    const signer = message.staticAccounts[i]!;
    const sig = transaction.signatures[signer];
    if (!sig || sig.every((b) => b === 0)) {
      if (!verifySignatures) continue;
      throw new RpcError(-32003, `Transaction signature verification failure: missing signature of ${signer}`);
    }
    if (verifySignatures && !ed25519Verify(signer, transaction.messageBytes, sig)) {
      throw new RpcError(-32003, `Transaction signature verification failure: invalid signature of ${signer}`);
    }
    signatures.push(b58.decode(sig));
  }
  return { bytes, transaction, message, signatures, signature: signatures[0] ?? '' };
}

function ed25519Verify(signer: Address, message: Uint8Array | { length: number }, sig: Uint8Array | { length: number }): boolean {
  const raw = Buffer.from(getBase58Encoder().encode(signer));
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  return verify(null, Buffer.from(message as Uint8Array), key, Buffer.from(sig as Uint8Array));
}

/** The program ids a message invokes at top level (program ids are always static accounts). */
export function topLevelPrograms(message: DecodedMessage): Address[] {
  return [...new Set(message.instructions.map((ix) => message.staticAccounts[ix.programAddressIndex]!))];
}
