/**
 * Hostile input at the HTTP API (docs/api.md "bad input never yields a 5xx"): malformed percent-escapes
 * in path parameters, signatures with characters outside base58, control and bidirectional
 * characters in human text. Each is a 4xx naming what is wrong (or is cleaned), never a 500, and the
 * log carries no stack trace and no attacker bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { toHttpError } from '../../src/server/errors.ts';
import { unexpectedErrorLog } from '../../src/server/pipeline.ts';
import { domainState, lossBody, LOSS_SIGNATURE, raw, READ_TOKEN, send, startTestApi, type TestApi } from './helpers.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
}, 60_000);
afterAll(async () => {
  await api.close();
});

const read = (path: string) => raw(api, { method: 'GET', path, headers: { authorization: `Bearer ${READ_TOKEN}` } });
const errorLines = () => api.log.lines.filter((l) => l.includes('"level":"error"'));

describe('a malformed percent-escape in a path parameter', () => {
  it('POST /v1/loss-events/%ff/close unauthenticated → 400 naming `id`, nothing logged as an error', async () => {
    const r = await raw(api, { path: '/v1/loss-events/%ff/close', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'invalid-path-parameter', message: expect.stringContaining('id') } });
    expect(errorLines()).toEqual([]);
  });

  it('GET /v1/proposals/%zz and /v1/loss-events/%E0%A4%A with the read token → 400 naming `id`', async () => {
    for (const path of ['/v1/proposals/%zz', '/v1/loss-events/%E0%A4%A', '/v1/proposals/abc%']) {
      const r = await read(path);
      expect(r.status, path).toBe(400);
      expect(r.body, path).toMatchObject({ error: { code: 'invalid-path-parameter', message: expect.stringContaining('path parameter id') } });
    }
    expect(errorLines()).toEqual([]);
  });

  it('a signed close with a malformed escape → 400, and a well-formed escape still reaches the route (404)', async () => {
    const bad = await send(api, { path: '/v1/loss-events/%c0%af/close', body: { vault: SANDBOX.vault } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid-path-parameter');
    const ok = await send(api, { path: '/v1/loss-events/le-%41%42/close', body: { vault: SANDBOX.vault } });
    expect(ok.status).toBe(404);
    expect(ok.body.error.message).toContain('le-AB');
  });

  it('an unknown route with a malformed escape is still a 404', async () => {
    const r = await read('/v1/nothing/%zz');
    expect(r.status).toBe(404);
  });
});

describe('a signature field with a character outside base58', () => {
  const variants: Record<string, string> = {
    zero: '0' + LOSS_SIGNATURE.slice(1),
    'capital O': LOSS_SIGNATURE.slice(0, -1) + 'O',
    'capital I': 'I'.repeat(70),
    'small l': LOSS_SIGNATURE.slice(0, 10) + 'l' + LOSS_SIGNATURE.slice(11),
    'Cyrillic а': LOSS_SIGNATURE.slice(0, -1) + 'а',
    'trailing newline': LOSS_SIGNATURE + '\n',
    '88 zeros': '0'.repeat(88),
  };
  for (const [what, signature] of Object.entries(variants)) {
    it(`${what}: 422 invalid-value naming \`signature\`, nothing stored`, async () => {
      const before = await domainState(api.store);
      const r = await send(api, { path: '/v1/loss-events', body: lossBody({ signature }) });
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe('invalid-value');
      expect(r.body.error.details).toEqual([{ path: 'signature', message: expect.stringContaining('base58') }]);
      expect(await domainState(api.store)).toBe(before);
    });
  }
  it('and no error is logged for any of them', () => {
    expect(errorLines()).toEqual([]);
  });
});

describe('control and bidirectional characters in human text', () => {
  it('a note with NUL and other control characters is stored without them; bidi controls are kept as sent', async () => {
    const r = await send(api, { path: '/v1/loss-events', body: lossBody({ note: 'a\u0000b\u0007c\r\nd\u202Ee\u009bf' }) });
    expect(r.status).toBe(201);
    expect(r.body.note).toBe('abc d\u202Eef');
    expect((await api.store.getLossEvent(r.body.id))!.note).toBe('abc d\u202Eef');
  });

  it('a claim with NUL is stored without it', async () => {
    const r = await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '1', claim: 'pay\u0000 le-1\u202E1-el' } });
    expect(r.status).toBe(202);
    expect(r.body.claim).toBe('pay le-1\u202E1-el');
  });
});

describe('the error mapping', () => {
  it('a client error thrown by express or its parsers (status 4xx) is that 4xx, never echoing its message', () => {
    const err = Object.assign(new Error("Failed to decode param '%ff\u202E'"), { status: 400, expose: true });
    const mapped = toHttpError(err, 'r-1');
    expect(mapped.unexpected).toBe(false);
    expect(mapped.error.status).toBe(400);
    expect(mapped.error.message).not.toContain('%ff');
    const tooBig = toHttpError(Object.assign(new Error('request entity too large'), { status: 413, expose: true, type: 'entity.too.large' }), 'r-2');
    expect(tooBig.error.status).toBe(413);
    expect(toHttpError(new URIError('URI malformed'), 'r-5')).toMatchObject({ unexpected: false, error: { status: 400 } });
  });

  it('our own bugs stay 500 and are flagged unexpected', () => {
    expect(toHttpError(new TypeError('x is undefined'), 'r-3')).toMatchObject({ unexpected: true, error: { status: 500 } });
    expect(toHttpError(Object.assign(new Error('x'), { status: 500 }), 'r-4')).toMatchObject({ unexpected: true, error: { status: 500 } });
    // A 4xx status from one of our own upstreams (not an http-errors client error) is not passed off as the client's fault.
    expect(toHttpError(Object.assign(new Error('upstream said 401'), { status: 401 }), 'r-6')).toMatchObject({ unexpected: true, error: { status: 500 } });
  });
});

describe('the log line of one of our own bugs', () => {
  it('has the route pattern, the frames and a shortened, escaped message: not the attacker bytes verbatim', () => {
    const attacker = `\u202E${'x'.repeat(500)}\u0000`;
    const err = new Error(`Invalid value ${attacker} for base 58`);
    const entry = unexpectedErrorLog({ route: { path: '/v1/loss-events' } } as never, err);
    expect(entry.route).toBe('/v1/loss-events');
    expect(entry.err.name).toBe('Error');
    expect(entry.err.message).toContain('<U+202E>');
    expect(entry.err.message).not.toContain(attacker);
    expect(entry.err.message.length).toBeLessThan(120);
    expect(entry.err.frames).toMatch(/^at /);
    expect(entry.err.frames).not.toContain('Invalid value');
    expect(unexpectedErrorLog({} as never, 'a string').route).toBe('unmatched');
  });
});
