/**
 * Solana CLI keypair files (docs/configuration.md): a JSON array of 64 numbers, the 32-byte ed25519 seed then the
 * public key. A file readable by group or others, or whose public half does not match its seed, is
 * refused. Key bytes never appear in messages, logs, `JSON.stringify` or `util.inspect`.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as edSign, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { inspect } from 'node:util';
import { getBase58Decoder, type Address } from '@solana/kit';

/** The key file cannot be used; the message says why and which file, never its bytes. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An ed25519 keypair whose secret stays inside (sign with it; export it only on purpose). */
export class Ed25519Keypair {
  readonly #seed: Uint8Array;
  readonly #privateKey: KeyObject;
  /** Raw 32-byte public key. */
  readonly publicKeyBytes: Uint8Array;
  /** Base58 public key. */
  readonly publicKey: Address;

  private constructor(seed: Uint8Array) {
    this.#seed = Uint8Array.from(seed);
    this.#privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
    const jwk = createPublicKey(this.#privateKey).export({ format: 'jwk' });
    this.publicKeyBytes = new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
    this.publicKey = getBase58Decoder().decode(this.publicKeyBytes) as Address;
  }

  /** The keypair of a 32-byte seed. */
  static fromSeed(seed: Uint8Array): Ed25519Keypair {
    if (seed.length !== 32) throw new KeyFileError(`an ed25519 seed is 32 bytes, got ${seed.length}`);
    return new Ed25519Keypair(seed);
  }

  /** A fresh random keypair (tests, sandbox). */
  static generate(): Ed25519Keypair {
    return new Ed25519Keypair(randomBytes(32));
  }

  /** ed25519 signature (64 bytes) of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(edSign(null, message, this.#privateKey));
  }

  /** The 64-byte Solana secret key (seed ‖ public key), e.g. for web3.js `Keypair.fromSecretKey`. Handle with care. */
  secretKeyBytes(): Uint8Array {
    return Uint8Array.from([...this.#seed, ...this.publicKeyBytes]);
  }

  toJSON(): { publicKey: string } {
    return { publicKey: this.publicKey };
  }

  toString(): string {
    return `Ed25519Keypair(${this.publicKey})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Reads and checks a Solana CLI keypair file. Throws `KeyFileError` naming the file and the problem. */
export function loadKeypairFile(path: string): Ed25519Keypair {
  // A key held in an HSM is opened through the cosign layer's loadKey, never read as a file.
  if (path.startsWith('pkcs11:')) throw new KeyFileError(`${path.split('?')[0]} is a PKCS#11 URI, not a keypair file; this command needs a keypair file path`);
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new KeyFileError(`cannot read keypair file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new KeyFileError(
      `keypair file ${path} is readable or writable by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  let numbers: unknown;
  try {
    numbers = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new KeyFileError(`keypair file ${path} is not JSON (expected an array of 64 numbers)`);
  }
  if (!Array.isArray(numbers) || numbers.length !== 64 || !numbers.every((n) => Number.isInteger(n) && n >= 0 && n <= 255)) {
    throw new KeyFileError(`keypair file ${path} is not a Solana keypair (expected an array of 64 numbers 0..255)`);
  }
  const bytes = Uint8Array.from(numbers as number[]);
  const keypair = Ed25519Keypair.fromSeed(bytes.subarray(0, 32));
  if (!Buffer.from(bytes.subarray(32)).equals(Buffer.from(keypair.publicKeyBytes))) {
    throw new KeyFileError(`keypair file ${path}: its public half does not match its seed`);
  }
  return keypair;
}

/** Writes a keypair file with mode 0600 (sandbox, tests). */
export function writeKeypairFile(path: string, keypair: Ed25519Keypair): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    chmodSync(path, 0o600);
    writeSync(fd, JSON.stringify([...keypair.secretKeyBytes()]));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
