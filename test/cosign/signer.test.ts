/**
 * The co-signer's keys (docs/configuration.md): keypair files are refused when readable by others, when their
 * public half does not match, or when the key is not the policy's `cosigner`; keys never leak.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CosignerKeyMismatch, keypairSigner, loadCosignerKey, loadFeePayerKey } from '../../src/cosign/signer.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { Ed25519Keypair, KeyFileError, writeKeypairFile } from '../../src/store/keys.ts';
import { COSIGNER_KEYPAIR, ed25519Verifies } from './support.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'backstop-keys-'));
const secretJson = JSON.stringify([...COSIGNER_KEYPAIR.secretKeyBytes()]);

function keyFile(keypair = COSIGNER_KEYPAIR): string {
  const path = join(dir(), 'cosigner.json');
  writeKeypairFile(path, keypair);
  return path;
}

describe('loadCosignerKey', () => {
  it('loads the co-signer key that the policy names', async () => {
    const signer = loadCosignerKey(keyFile(), SANDBOX.cosigner);
    expect(signer.address).toBe(SANDBOX.cosigner);
    const message = new TextEncoder().encode('a transaction message');
    const signature = await signer.signMessage(message);
    expect(signature).toHaveLength(64);
    expect(ed25519Verifies(COSIGNER_KEYPAIR.publicKeyBytes, message, signature)).toBe(true);
  });

  it('refuses a key that differs from a policy’s cosigner, naming public keys only', () => {
    const other = Ed25519Keypair.generate();
    const path = keyFile(other);
    expect(() => loadCosignerKey(path, SANDBOX.cosigner)).toThrow(CosignerKeyMismatch);
    expect(() => loadCosignerKey(path, [other.publicKey, SANDBOX.cosigner])).toThrow(CosignerKeyMismatch);
    try {
      loadCosignerKey(path, SANDBOX.cosigner);
    } catch (err) {
      expect((err as Error).message).toContain(other.publicKey);
      expect((err as Error).message).not.toContain(JSON.stringify([...other.secretKeyBytes()]).slice(1, 40));
    }
  });

  it('refuses a file readable by group or others', () => {
    const path = keyFile();
    chmodSync(path, 0o644);
    expect(() => loadCosignerKey(path, SANDBOX.cosigner)).toThrow(KeyFileError);
  });

  it('refuses a file whose public half does not match its seed', () => {
    const path = join(dir(), 'bad.json');
    const bytes = [...COSIGNER_KEYPAIR.secretKeyBytes()];
    bytes[40] = (bytes[40]! + 1) % 256;
    writeFileSync(path, JSON.stringify(bytes), { mode: 0o600 });
    expect(() => loadCosignerKey(path)).toThrow(/does not match/);
  });
});

describe('keys never appear in output', () => {
  it('a signer stringifies and inspects to its public key only', () => {
    const signer = keypairSigner(COSIGNER_KEYPAIR);
    for (const text of [JSON.stringify(signer), inspect(signer, { depth: 10 }), String(signer)]) {
      expect(text).toContain(SANDBOX.cosigner);
      expect(text).not.toContain(secretJson.slice(1, 40));
    }
  });

  it('the fee payer is optional: no path means the co-signer pays', () => {
    expect(loadFeePayerKey(undefined)).toBeUndefined();
    expect(loadFeePayerKey(keyFile())?.address).toBe(SANDBOX.cosigner);
  });
});
