/**
 * The co-signer's and fee payer's keys behind a small `Signer` interface, so a remote signer (an
 * HSM, a KMS) can replace the local keypair file without touching the co-signing logic. Key bytes
 * never leave this module: not in logs, errors, `JSON.stringify` or `util.inspect`.
 */
import { inspect } from 'node:util';
import type { Address } from '@solana/kit';
import { loadKeypairFile, type Ed25519Keypair } from '../store/keys.ts';

/** Signs Solana transaction messages with one ed25519 key. */
export interface Signer {
  /** The base58 public key. */
  readonly address: Address;
  /** The 64-byte ed25519 signature of `message` (the serialized transaction message). */
  signMessage(message: Uint8Array): Promise<Uint8Array>;
}

/** The co-signer key file does not fit the policies (SPEC §9: start-up refuses it). */
export class CosignerKeyMismatch extends Error {
  override readonly name = 'CosignerKeyMismatch';
  constructor(readonly path: string, readonly keyAddress: Address, readonly expected: readonly Address[]) {
    super(
      `the key in ${path} is ${keyAddress}, but the policies name the co-signer ${expected.join(', ')}; ` +
        'point COSIGNER_KEYPAIR at the co-signer key or fix the policies’ `cosigner`',
    );
  }
}

/** A `Signer` over a local keypair; the secret stays inside the keypair object. */
export function keypairSigner(keypair: Ed25519Keypair): Signer {
  const signer: Signer & { toJSON(): object; toString(): string; [inspect.custom](): string } = {
    address: keypair.publicKey,
    signMessage: async (message) => keypair.sign(message),
    toJSON: () => ({ address: keypair.publicKey }),
    toString: () => `Signer(${keypair.publicKey})`,
    [inspect.custom]: () => `Signer(${keypair.publicKey})`,
  };
  return signer;
}

/**
 * Loads `COSIGNER_KEYPAIR` (`loadKeypairFile` refuses group/other-readable files and a public half
 * that does not match the seed) and refuses a key that differs from the policies' `cosigner`
 * (one address, or every policy's). Throws `KeyFileError` or `CosignerKeyMismatch`.
 */
export function loadCosignerKey(path: string, policyCosigner?: Address | readonly Address[]): Signer {
  const keypair = loadKeypairFile(path);
  const expected = policyCosigner === undefined ? [] : typeof policyCosigner === 'string' ? [policyCosigner] : [...new Set(policyCosigner)];
  if (expected.some((a) => a !== keypair.publicKey)) throw new CosignerKeyMismatch(path, keypair.publicKey, expected);
  return keypairSigner(keypair);
}

/** Loads the optional `FEE_PAYER_KEYPAIR`; without a path the co-signer pays fees (undefined). */
export function loadFeePayerKey(path: string | undefined): Signer | undefined {
  return path === undefined || path === '' ? undefined : keypairSigner(loadKeypairFile(path));
}
