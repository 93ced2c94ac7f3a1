/**
 * Fuzzing the signed webhook API (docs/api.md "bad input never yields a 5xx and changes no domain
 * state"): thousands of mutated bodies and headers, most re-signed after mutation so they pass
 * authentication and reach the later checks. Every base request is one that must be refused, so
 * domain state must not move at all. The seed is fixed (and printed on failure) to reproduce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBase58Decoder } from '@solana/kit';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { signRequest } from '../../src/server/signing.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { domainState, freshTimestamp, lossBody, OTHER, OTHER_SOURCE, raw, SANDBOX_SOURCE, send, startTestApi, type TestApi } from './helpers.ts';

const SEED = 0x5eed_b5;
const TOTAL = 2400;
const CONCURRENCY = 8;

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
const b58 = (n: number) => getBase58Decoder().decode(randomBytes(n));

const SOURCES = [SANDBOX_SOURCE, OTHER_SOURCE];
const STRANGER = { id: 'stranger', key: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(3)) };

/** Requests that must all be refused (never an effect), with the source that sends them. */
function baseRequest(): { path: string; body: Record<string, unknown>; source: typeof SANDBOX_SOURCE } {
  const unknownTx = b58(64);
  return pick([
    // 422: a transaction the chain does not have
    { path: '/v1/loss-events', body: lossBody({ signature: unknownTx }), source: SANDBOX_SOURCE },
    // 404: a vault no policy covers
    { path: '/v1/loss-events', body: lossBody({ vault: SANDBOX.outsider, signature: unknownTx }), source: SANDBOX_SOURCE },
    // 403: a source acting on another vault, or an action outside its `may`
    { path: '/v1/loss-events', body: lossBody({ signature: unknownTx }), source: OTHER_SOURCE },
    { path: '/v1/loss-events', body: lossBody({ vault: OTHER.vault, signature: unknownTx }), source: SANDBOX_SOURCE },
    { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: String(int(1000)) }, source: OTHER_SOURCE },
    { path: '/v1/proposals', body: { multisig: OTHER.multisig, transactionIndex: String(int(1000)) }, source: OTHER_SOURCE },
    // 404: an unknown multisig
    { path: '/v1/proposals', body: { multisig: SANDBOX.outsider, transactionIndex: String(int(1000)), claim: 'fuzz' }, source: SANDBOX_SOURCE },
    // create: 404 unknown loss event, 422 unknown escrow
    { path: '/v1/proposals', body: { vault: SANDBOX.vault, lossEventId: `le-${b58(4)}`, amount: '1000', escrow: SANDBOX.escrow }, source: SANDBOX_SOURCE },
    { path: '/v1/proposals', body: { vault: SANDBOX.vault, lossEventId: `le-${b58(4)}`, amount: '1000', escrow: SANDBOX.outsiderSharesAta }, source: SANDBOX_SOURCE },
    // close: 404 unknown event, 403 other source
    { path: `/v1/loss-events/le-${b58(6)}/close`, body: { vault: SANDBOX.vault }, source: SANDBOX_SOURCE },
    { path: `/v1/loss-events/le-${b58(6)}/close`, body: { vault: SANDBOX.vault }, source: OTHER_SOURCE },
  ]);
}

/** Signature-length strings with one character outside base58 (isSignature() threw on these: a 500). */
const NOT_BASE58 = (): string => {
  const sig = b58(64).padEnd(64, '1');
  const at = int(sig.length);
  return pick([
    sig.slice(0, at) + pick(['0', 'O', 'I', 'l', '\u0430', '+', '/', '=']) + sig.slice(at + 1),
    sig + '\n',
    '0'.repeat(64 + int(25)),
  ]);
};
/** Human text with control and bidirectional characters. */
const CONTROL_TEXT = ['a\u0000b', '\u0007\u001b[31mred', 'line\r\nbreak', 'pay \u202Eevil\u202C', '\u2066iso\u2069', '\u200F\u061C', '\u009b', '\u2028'];
/** Path segments that are not valid percent-encoded UTF-8 (decoding them threw in the router: a 500). */
const BAD_ESCAPES = ['%ff', '%zz', '%', '%E0%A4%A', '%c0%af', 'le-%g1', '%ed%a0%80', 'x%2'];

const JUNK: readonly unknown[] = [
  null, true, 0, -1, 1.5, 2 ** 64, '', ' ', '-1', '1e9', '0x10', '18446744073709551616', '99999999999999999999999', 'é', '\u0000', '💥',
  'x'.repeat(2000), [], {}, [1, 2], { nested: { deep: [null] } }, SANDBOX.outsider, OTHER.vault, b58(32), b58(31), b58(64), '11111111111111111111111111111111',
  ...CONTROL_TEXT,
];

/** Mutates the JSON value structurally. */
function mutateJson(body: Record<string, unknown>): unknown {
  const b = { ...body };
  const keys = Object.keys(b);
  switch (int(9)) {
    case 7:
      // Signature-like values outside base58, in the field that is checked as one or anywhere else.
      b['signature' in b && rand() < 0.7 ? 'signature' : pick(keys)] = NOT_BASE58();
      return b;
    case 8:
      return { ...b, ['vault' in b && !('multisig' in b) && 'reserve' in b ? 'note' : 'claim']: pick(CONTROL_TEXT) };
    case 0:
      delete b[pick(keys)];
      return b;
    case 1:
      b[pick(keys)] = pick(JUNK);
      return b;
    case 2:
      b[pick(['extra', '__proto__', 'constructor', 'VAULT', 'vault '])] = pick(JUNK);
      return b;
    case 3:
      return pick(JUNK);
    case 4:
      return [b];
    case 5:
      b[pick(keys)] = pick(JUNK);
      b[pick(keys)] = pick(JUNK);
      return b;
    default:
      return { ...b, note: 'n'.repeat(int(1500)), claim: 'c'.repeat(int(1500)) };
  }
}

/** Mutates the raw bytes. */
function mutateBytes(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  switch (int(6)) {
    case 0:
      if (out.length) out[int(out.length)] = int(256);
      return out;
    case 1:
      return out.subarray(0, int(out.length));
    case 2: {
      const at = int(out.length + 1);
      return Buffer.concat([out.subarray(0, at), Buffer.from(randomBytes(1 + int(8))), out.subarray(at)]);
    }
    case 3:
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), out]);
    case 4:
      return Buffer.concat([out, Buffer.from(pick([',', '}', ' trailing', '\n\n', '{}']))]);
    default:
      return Buffer.from(pick(['', 'null', '[]', '{', '{"a":', '"string"', '{"vault":1}', '\u0000']));
  }
}

const CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/xml', '', 'json'];

interface Fuzzed {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  resigned: boolean;
}

/** A path whose parameter (or another segment) holds a malformed percent-escape. */
function badEscapePath(): string {
  const bad = pick(BAD_ESCAPES);
  return pick([`/v1/loss-events/${bad}/close`, `/v1/proposals/${bad}`, `/v1/loss-events/${bad}`, `/v1/loss-events/le-1${bad}/close`, `/v1/${bad}/x`]);
}

function fuzzedRequest(previous: Fuzzed[]): Fuzzed {
  // Replays of an earlier request, byte for byte.
  if (previous.length > 0 && rand() < 0.06) return { ...pick(previous) };
  const base = baseRequest();
  if (rand() < 0.05) base.path = badEscapePath();
  let source = base.source;
  let bodyBytes: Buffer = Buffer.from(JSON.stringify(base.body));
  const r = rand();
  if (r < 0.35) bodyBytes = Buffer.from(JSON.stringify(mutateJson(base.body)) ?? 'undefined');
  else if (r < 0.6) bodyBytes = mutateBytes(bodyBytes);
  else if (r < 0.64) bodyBytes = Buffer.concat([bodyBytes, Buffer.alloc(64 * 1024, 0x20)]); // oversized
  const headersToo = rand();
  if (headersToo < 0.08) source = pick([...SOURCES, STRANGER]);
  const resigned = rand() < 0.65;
  const signedBody = resigned ? bodyBytes : Buffer.from(JSON.stringify(base.body));
  const signed = signRequest({ source: source.id, key: source.key, method: 'POST', path: base.path, body: signedBody, timestamp: freshTimestamp(source.id, base.path, signedBody) });
  const headers: Record<string, string> = { ...signed.headers, 'content-type': 'application/json' };
  if (headersToo < 0.2) {
    switch (int(8)) {
      case 0:
        delete headers[pick(['x-backstop-source', 'x-backstop-timestamp', 'x-backstop-signature'])];
        break;
      case 1:
        headers['x-backstop-timestamp'] = pick(['0', '-5', 'abc', '1e10', '99999999999999', String(Math.floor(Date.now() / 1000) - 400), String(Math.floor(Date.now() / 1000) + 400), ' 1']);
        break;
      case 2: {
        const s = headers['x-backstop-signature']!;
        const i = int(86);
        headers['x-backstop-signature'] = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
        break;
      }
      case 3:
        headers['x-backstop-signature'] = pick(['', 'AAAA', Buffer.from(randomBytes(64)).toString('base64'), Buffer.from(randomBytes(63)).toString('base64')]);
        break;
      case 4:
        headers['x-backstop-source'] = pick(['', 'SANDBOX', 'sandbox ', 'other', 'nobody', 'x'.repeat(200)]);
        break;
      case 5:
        headers['idempotency-key'] = pick(['x'.repeat(300), 'ok-key-' + int(5)]);
        break;
      case 6:
        headers['content-encoding'] = 'gzip';
        break;
      default:
        headers['content-type'] = pick(CONTENT_TYPES);
    }
  }
  if (rand() < 0.1) headers['content-type'] = pick(CONTENT_TYPES);
  return { path: base.path, headers, body: bodyBytes, resigned };
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ limits: { rate: { burst: 1e9, perSecond: 1e9 } } });
  // Some real state to protect: a loss event and a decided proposal with its reservation.
  expect((await send(api, { path: '/v1/loss-events', body: lossBody() })).status).toBe(201);
  expect((await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '1' } })).status).toBe(202);
}, 60_000);
afterAll(async () => {
  await api.close();
});

describe('fuzz: mutated signed requests', () => {
  it(`${TOTAL} mutated requests: no 5xx, no crash, every refusal class, no domain state changed (seed ${SEED})`, async () => {
    const before = await domainState(api.store);
    const counts = new Map<number, number>();
    const codes = new Map<string, number>();
    const sent: Fuzzed[] = [];
    let resigned = 0;
    const fiveHundreds: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        next += 1;
        const req = fuzzedRequest(sent);
        sent.push(req);
        if (req.resigned) resigned += 1;
        const r = await raw(api, { path: req.path, headers: req.headers, body: req.body });
        counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
        if (r.status >= 500) fiveHundreds.push(`${r.status} ${req.path} ${JSON.stringify(r.body)} ${req.body.subarray(0, 200).toString()}`);
        if (r.status >= 400) expect(r.body, `error shape for ${r.status}`).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
        const code = r.body?.error?.code as string | undefined;
        const field = (r.body?.error?.details as { path?: string }[] | undefined)?.[0]?.path;
        if (code) codes.set(field ? `${code}:${field}` : code, (codes.get(field ? `${code}:${field}` : code) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const summary = Object.fromEntries([...counts].sort(([a], [b]) => a - b));
    process.stderr.write(`fuzz seed ${SEED}: ${JSON.stringify(summary)}, re-signed ${resigned} of ${TOTAL}\n`);
    expect(fiveHundreds, `seed ${SEED}: ${JSON.stringify(summary)}`).toEqual([]);
    for (const status of [400, 403, 404, 409, 413, 415, 422]) expect(counts.get(status) ?? 0, `seed ${SEED}: status ${status} in ${JSON.stringify(summary)}`).toBeGreaterThan(0);
    expect([...counts.keys()].every((s) => [400, 401, 403, 404, 409, 413, 415, 422].includes(s)), JSON.stringify(summary)).toBe(true);
    expect(resigned).toBeGreaterThanOrEqual(TOTAL / 2);
    // The hostile classes were sent and refused as the client's fault.
    expect(codes.get('invalid-path-parameter') ?? 0, JSON.stringify(Object.fromEntries(codes))).toBeGreaterThan(0);
    expect(codes.get('invalid-request:signature') ?? 0, JSON.stringify(Object.fromEntries(codes))).toBeGreaterThan(0);
    expect(await domainState(api.store)).toBe(before);
    expect((await raw(api, { method: 'GET', path: '/healthz', headers: {} })).status).toBe(200);
    expect(api.log.lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  }, 300_000);
});
