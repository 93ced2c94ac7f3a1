/**
 * Who is calling: signed webhook requests (docs/api.md) verified against the webhook sources the
 * policies list, the vault scoping of what a verified source may do, and the read API's bearer
 * token. Verification uses node:crypto with one KeyObject per source key, built once, and runs on
 * libuv's thread pool: the event loop keeps reading and answering other requests meanwhile.
 */
import { createHash, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { getBase58Encoder } from '@solana/kit';
import type { LoadedPolicy } from '../policy/load.ts';
import type { PolicyRegistry } from '../policy/registry.ts';
import { HttpError } from './errors.ts';
import { SIGNATURE_HEADERS, signedMessage } from './signing.ts';

/** Seconds a request timestamp may differ from the server clock. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** What a verified request proves: the source, and the key (base58) that verified it. */
export interface Caller {
  readonly source: string;
  readonly publicKey: string;
  /** The verified signature's 64 bytes as base64 (the replay key). */
  readonly signature: string;
}

export type WebhookAction = 'loss-events' | 'proposals';

const BASE64_SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

const unauthenticated = (message: string) => new HttpError(401, 'unauthenticated', message);

/** The webhook sources of the policies in force, with their keys ready to verify. */
export class SourceDirectory {
  private readonly keyObjects = new Map<string, KeyObject>();
  private indexedFrom: readonly LoadedPolicy[] | null = null;
  private keysBySource = new Map<string, string[]>();

  constructor(private readonly policies: PolicyRegistry) {}

  /** The distinct keys the policies list for `source` (normally one, docs/policy.md). */
  keysOf(source: string): readonly string[] {
    const all = this.policies.all();
    if (all !== this.indexedFrom) this.reindex(all);
    return this.keysBySource.get(source) ?? [];
  }

  keyObject(publicKey: string): KeyObject {
    let key = this.keyObjects.get(publicKey);
    if (!key) {
      const raw = Buffer.from(getBase58Encoder().encode(publicKey));
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
      this.keyObjects.set(publicKey, key);
    }
    return key;
  }

  private reindex(all: readonly LoadedPolicy[]): void {
    const index = new Map<string, string[]>();
    for (const p of all) {
      for (const s of p.policy.webhookSources) {
        const keys = index.get(s.id) ?? [];
        if (!keys.includes(s.publicKey)) keys.push(s.publicKey);
        index.set(s.id, keys);
      }
    }
    this.keysBySource = index;
    this.indexedFrom = all;
  }
}

/** node:crypto's ed25519 verify on the thread pool (same algorithm and bytes as the synchronous call). */
function verifyOffThread(message: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => verify(null, message, key, signature, (err, ok) => (err ? reject(err) : resolve(ok))));
}

/**
 * Verifies the signature headers over the raw body (401 otherwise). `path` is the request target
 * as sent (path and query).
 */
export async function authenticate(input: {
  readonly directory: SourceDirectory;
  readonly header: (name: string) => string | undefined;
  readonly method: string;
  readonly path: string;
  readonly body: Buffer;
  readonly now: Date;
}): Promise<Caller> {
  const source = input.header(SIGNATURE_HEADERS.source);
  const timestamp = input.header(SIGNATURE_HEADERS.timestamp);
  const signature = input.header(SIGNATURE_HEADERS.signature);
  if (!source || !timestamp || !signature) {
    throw unauthenticated('signed requests need X-Backstop-Source, X-Backstop-Timestamp and X-Backstop-Signature');
  }
  if (!TIMESTAMP.test(timestamp)) throw unauthenticated('X-Backstop-Timestamp must be unix seconds');
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp));
  if (skew > TIMESTAMP_TOLERANCE_SECONDS) throw unauthenticated(`X-Backstop-Timestamp is ${skew} s from the server clock (at most ${TIMESTAMP_TOLERANCE_SECONDS} s)`);
  const keys = input.directory.keysOf(source);
  if (keys.length === 0) throw unauthenticated('unknown webhook source');
  if (!BASE64_SIGNATURE.test(signature)) throw unauthenticated('X-Backstop-Signature must be a base64 ed25519 signature (64 bytes)');
  const sig = Buffer.from(signature, 'base64');
  const message = signedMessage(timestamp, input.method, input.path, input.body);
  // In the policies' order, one at a time: the first key that verifies is the caller's.
  for (const publicKey of keys) {
    if (await verifyOffThread(message, input.directory.keyObject(publicKey), sig)) return { source, publicKey, signature: sig.toString('base64') };
  }
  throw unauthenticated('the signature does not verify');
}

/** The policy a request targets: by `vault`, or by `multisig` (one multisig belongs to one policy). */
export function targetPolicy(policies: PolicyRegistry, target: { readonly vault?: string; readonly multisig?: string }): LoadedPolicy | undefined {
  if (target.vault !== undefined) return policies.forVault(target.vault);
  if (target.multisig !== undefined) return policies.forMultisig(target.multisig);
  return undefined;
}

/**
 * docs/api.md: authorized only if the source, WITH THE KEY THAT VERIFIED IT, is listed in the target
 * policy and `action` is in its `may` (403 otherwise). A target no policy covers passes here and is
 * answered 404 by the workflow.
 */
export function authorize(policy: LoadedPolicy | undefined, caller: Caller, action: WebhookAction): void {
  if (!policy) return;
  const entry = policy.policy.webhookSources.find((s) => s.id === caller.source && s.publicKey === caller.publicKey);
  if (!entry) throw new HttpError(403, 'forbidden', `source ${caller.source} is not allowed for vault ${policy.policy.vault}`);
  if (!entry.may.includes(action)) throw new HttpError(403, 'forbidden', `source ${caller.source} may not use ${action} for vault ${policy.policy.vault}`);
}

/** Constant-time check of `Authorization: Bearer <token>`; an unset token refuses everyone. */
export function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header) return false;
  const m = /^Bearer (.+)$/.exec(header);
  if (!m) return false;
  const given = createHash('sha256').update(m[1]!).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected);
}
