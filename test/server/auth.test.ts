/**
 * Source lookup and vault scoping (docs/api.md): a request is authorized only if its source, WITH THE
 * KEY THAT VERIFIED IT, is listed in the target policy with the action in its `may`.
 */
import { describe, expect, it } from 'vitest';
import type { LoadedPolicy } from '../../src/policy/load.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { examplePolicy } from '../../src/sandbox/fixtures/scenario.ts';
import { authenticate, authorize, bearerMatches, SourceDirectory, targetPolicy } from '../../src/server/auth.ts';
import { HttpError } from '../../src/server/errors.ts';
import { signRequest } from '../../src/server/signing.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';

const keyA = Ed25519Keypair.generate();
const keyB = Ed25519Keypair.generate();
const vault2 = Ed25519Keypair.generate().publicKey;
const multisig2 = Ed25519Keypair.generate().publicKey;
const p1 = examplePolicy((raw) => {
  raw['webhookSources'] = [{ id: 'dup', publicKey: keyA.publicKey, may: ['loss-events', 'proposals'] }];
});
const p2 = examplePolicy((raw) => {
  raw['vault'] = vault2;
  raw['insurancePool'].multisig = multisig2;
  raw['webhookSources'] = [{ id: 'dup', publicKey: keyB.publicKey, may: ['loss-events'] }];
});
const loaded = (policy: typeof p1, file: string): LoadedPolicy => ({ file, policy, revision: file });
const registry = PolicyRegistry.of([loaded(p1, 'one.yaml'), loaded(p2, 'two.yaml')]);
const directory = new SourceDirectory(registry);

function callerFor(key: Ed25519Keypair, body = '{}') {
  const s = signRequest({ source: 'dup', key, method: 'POST', path: '/v1/loss-events', body });
  return authenticate({ directory, header: (n) => s.headers[n.toLowerCase()], method: 'POST', path: '/v1/loss-events', body: s.body, now: new Date() });
}
const status = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as HttpError).status;
  }
};
const statusOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e as HttpError).status);

describe('vault scoping', () => {
  it('a source id listed with two keys is verified by either, and authorized only where that key is listed', async () => {
    const a = await callerFor(keyA);
    const b = await callerFor(keyB);
    expect(a.publicKey).toBe(keyA.publicKey);
    expect(b.publicKey).toBe(keyB.publicKey);
    expect(status(() => authorize(targetPolicy(registry, { vault: p1.vault }), a, 'loss-events'))).toBe('ok');
    expect(status(() => authorize(targetPolicy(registry, { vault: p1.vault }), b, 'loss-events'))).toBe(403);
    expect(status(() => authorize(targetPolicy(registry, { vault: vault2 }), b, 'loss-events'))).toBe('ok');
    expect(status(() => authorize(targetPolicy(registry, { vault: vault2 }), a, 'loss-events'))).toBe(403);
  });
  it('an action outside `may` is 403; a multisig finds its policy', async () => {
    const b = await callerFor(keyB);
    const a = await callerFor(keyA);
    expect(status(() => authorize(targetPolicy(registry, { multisig: multisig2 }), b, 'proposals'))).toBe(403);
    expect(status(() => authorize(targetPolicy(registry, { multisig: p1.insurancePool.multisig }), a, 'proposals'))).toBe('ok');
  });
  it('a signature by neither key is 401', async () => {
    expect(await statusOf(callerFor(Ed25519Keypair.generate()))).toBe(401);
  });
});

describe('read token', () => {
  it('matches only the exact bearer token; an unset token refuses everyone', () => {
    expect(bearerMatches('Bearer t0k3n', 't0k3n')).toBe(true);
    expect(bearerMatches('Bearer t0k3n ', 't0k3n')).toBe(false);
    expect(bearerMatches('bearer t0k3n', 't0k3n')).toBe(false);
    expect(bearerMatches('Bearer t0k3', 't0k3n')).toBe(false);
    expect(bearerMatches(undefined, 't0k3n')).toBe(false);
    expect(bearerMatches('Bearer ', '')).toBe(false);
    expect(bearerMatches('Bearer x', undefined)).toBe(false);
  });
});
