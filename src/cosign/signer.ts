/**
 * The co-signer's, fee payer's and audit keys behind one small `Signer` interface: a Solana CLI
 * keypair file, or a key held in a PKCS#11 token (`pkcs11:` URI; its private key never enters the
 * process). Key bytes never leave this module: not in logs, errors, `JSON.stringify` or `util.inspect`.
 */
import { inspect } from 'node:util';
import type { Address } from '@solana/kit';
import { keyLocation, type Pkcs11Settings } from '../config.ts';
import type { AuditSigner } from '../store/audit.ts';
import { loadKeypairFile, type Ed25519Keypair } from '../store/keys.ts';
import { openPkcs11Key, Pkcs11KeyError } from './pkcs11.ts';

export { Pkcs11KeyError };

/** Signs Solana transaction messages with one ed25519 key. */
export interface Signer {
  /** The base58 public key. */
  readonly address: Address;
  /** The 64-byte ed25519 signature of `message` (the serialized transaction message). */
  signMessage(message: Uint8Array): Promise<Uint8Array>;
}

/** The co-signer key file does not fit the policies (docs/configuration.md: start-up refuses it). */
export class CosignerKeyMismatch extends Error {
  override readonly name = 'CosignerKeyMismatch';
  constructor(readonly path: string, readonly keyAddress: Address, readonly expected: readonly Address[]) {
    super(
      `the key ${path.startsWith('pkcs11:') ? 'at' : 'in'} ${path} is ${keyAddress}, but the policies name the co-signer ${expected.join(', ')}; ` +
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

/** How keys named by a `pkcs11:` URI are reached (`PKCS11_MODULE`, `PKCS11_PIN_FILE`). */
export interface KeyOptions {
  readonly pkcs11?: Pkcs11Settings;
}

/** A key that signs both transactions (`Signer`) and audit entries (`AuditSigner`); `close()` ends an HSM session. */
export interface LoadedKey extends Signer, AuditSigner {
  readonly publicKey: Address;
  close(): void;
}

/**
 * Opens the key at `location` — a keypair file path (`loadKeypairFile` refuses group/other-readable
 * files and a public half that does not match the seed) or a `pkcs11:` URI (opened through
 * `options.pkcs11`). Throws `KeyFileError`, `Pkcs11KeyError` or `ConfigError` (a malformed URI).
 */
export function loadKey(location: string, options: KeyOptions = {}, variable = 'the key'): LoadedKey {
  const where = keyLocation(location);
  if (where.kind === 'pkcs11') {
    if (options.pkcs11 === undefined) throw new Pkcs11KeyError(`${variable} is a pkcs11: URI; set PKCS11_MODULE and PKCS11_PIN_FILE`);
    return openPkcs11Key(where.uri, options.pkcs11);
  }
  const keypair = loadKeypairFile(where.path);
  const signer = keypairSigner(keypair);
  const key: LoadedKey & { toJSON(): object; toString(): string; [inspect.custom](): string } = {
    address: keypair.publicKey,
    publicKey: keypair.publicKey,
    publicKeyBytes: keypair.publicKeyBytes,
    sign: (message) => keypair.sign(message),
    signMessage: signer.signMessage,
    close: () => undefined,
    toJSON: () => ({ address: keypair.publicKey }),
    toString: () => `Signer(${keypair.publicKey})`,
    [inspect.custom]: () => `Signer(${keypair.publicKey})`,
  };
  return key;
}

/**
 * Loads `COSIGNER_KEYPAIR` (a file or a `pkcs11:` URI, see `loadKey`) and refuses a key that
 * differs from the policies' `cosigner` (one address, or every policy's). Throws `KeyFileError`,
 * `Pkcs11KeyError` or `CosignerKeyMismatch`.
 */
export function loadCosignerKey(location: string, policyCosigner?: Address | readonly Address[], options: KeyOptions = {}): LoadedKey {
  const key = loadKey(location, options, 'COSIGNER_KEYPAIR');
  const expected = policyCosigner === undefined ? [] : typeof policyCosigner === 'string' ? [policyCosigner] : [...new Set(policyCosigner)];
  if (expected.some((a) => a !== key.address)) {
    key.close();
    throw new CosignerKeyMismatch(location, key.address, expected);
  }
  return key;
}

/** Loads the optional `FEE_PAYER_KEYPAIR` (file or `pkcs11:` URI); without one the co-signer pays fees (undefined). */
export function loadFeePayerKey(location: string | undefined, options: KeyOptions = {}): LoadedKey | undefined {
  return location === undefined || location === '' ? undefined : loadKey(location, options, 'FEE_PAYER_KEYPAIR');
}

/** Loads `AUDIT_KEYPAIR` (file or `pkcs11:` URI): audit entries are then signed through the token. */
export function loadAuditKey(location: string, options: KeyOptions = {}): LoadedKey {
  return loadKey(location, options, 'AUDIT_KEYPAIR');
}
