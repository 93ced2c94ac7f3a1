/**
 * The HTTP API of docs/api.md against a running server (real HTTP on 127.0.0.1), a real SQLite store,
 * the harness chain and a real Workflow: accepted requests, every refusal with its status and error
 * shape and NO domain state changed, idempotency, rate limits, outages, the read API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { feeBalanceReady, MIN_FEE_LAMPORTS, rpcReady, storeReady } from '../../src/server/readiness.ts';
import { signRequest } from '../../src/server/signing.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { auditCount, domainState, lossBody, OTHER, OTHER_SOURCE, raw, READ_TOKEN, SANDBOX_SOURCE, send, startTestApi, type TestApi } from './helpers.ts';

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

const read = (path: string, token: string | null = READ_TOKEN) => raw(api, { method: 'GET', path, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
const expectError = (r: { status: number; body: any }, status: number, code?: string) => {
  expect(r.status).toBe(status);
  expect(r.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  if (code) expect(r.body.error.code).toBe(code);
};

/** Runs `act` and checks that domain state is unchanged and the audit log grew by `auditDelta`. */
async function unchanged(act: () => Promise<void>, auditDelta: number) {
  const before = await domainState(api.store);
  const auditBefore = await auditCount(api.store);
  await act();
  expect(await domainState(api.store)).toBe(before);
  expect((await auditCount(api.store)) - auditBefore).toBe(auditDelta);
}

describe('POST /v1/loss-events: a signed loss event is recorded', () => {
  it('answers 201 with the event and its evidence as decimal strings', async () => {
    const r = await send(api, { path: '/v1/loss-events', body: lossBody({ note: 'klend socialize_loss' }) });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      vault: SANDBOX.vault,
      reserve: SANDBOX.reserve,
      state: 'open',
      recordedBy: 'sandbox',
      note: 'klend socialize_loss',
      evidence: { vaultCTokens: expect.stringMatching(/^[0-9]+$/), reserveCTokenSupply: expect.stringMatching(/^[0-9]+$/), readAtSlot: expect.stringMatching(/^[0-9]+$/) },
    });
    expect(r.headers.get('x-request-id')).toMatch(/.+/);
    const stored = await api.store.listLossEvents();
    expect(stored.map((e) => e.id)).toEqual([r.body.id]);
    expect(stored[0]!.evidence.vaultCTokens.toString()).toBe(r.body.evidence.vaultCTokens);
    const entries = await api.store.auditEntries();
    expect(entries.at(-1)).toMatchObject({ type: 'webhook.accepted', payload: { source: 'sandbox', status: 201 } });
  });

  it('answers 409 when (vault, signature, reserve) exists, and 200 then 409 when closing', async () => {
    const first = await send(api, { path: '/v1/loss-events', body: lossBody() });
    expect(first.status).toBe(201);
    await unchanged(async () => expectError(await send(api, { path: '/v1/loss-events', body: lossBody() }), 409, 'loss-event-exists'), 1);
    const id = first.body.id as string;
    const closed = await send(api, { path: `/v1/loss-events/${id}/close`, body: { vault: SANDBOX.vault } });
    expect(closed.status).toBe(200);
    expect(closed.body.state).toBe('closed');
    expectError(await send(api, { path: `/v1/loss-events/${id}/close`, body: { vault: SANDBOX.vault } }), 409, 'already-closed');
  });

  it('answers 422 loss-unverifiable, nothing stored, for a transaction that is not on the chain', async () => {
    const body = lossBody({ signature: '5'.repeat(88) });
    await unchanged(async () => expectError(await send(api, { path: '/v1/loss-events', body }), 422, 'loss-unverifiable'), 1);
  });
});

describe('POST /v1/proposals: register and create', () => {
  it('registers a proposal (202) and GET /v1/proposals/:id shows it with its decision', async () => {
    await send(api, { path: '/v1/loss-events', body: lossBody() });
    const r = await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '1', claim: 'compensate le-1' } });
    expect(r.status).toBe(202);
    const id = `${SANDBOX.multisig}:1`;
    expect(r.body).toMatchObject({ id, multisig: SANDBOX.multisig, transactionIndex: '1', state: 'awaiting-approval', claim: 'compensate le-1', approvals: [], intent: null });
    const g = await read(`/v1/proposals/${id}`);
    expect(g.status).toBe(200);
    expect(g.body.state).toBe('awaiting-approval');
    expect(g.body.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(g.body.decision).toMatchObject({ allowed: true, digest: g.body.digest });
    expect(g.body.decision.rules).toHaveLength(9);
    const list = await read('/v1/proposals?state=awaiting-approval');
    expect(list.body.proposals.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await read('/v1/proposals?state=denied')).body.proposals).toEqual([]);
    // A known id answers 202 with its current state.
    const again = await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: 1 } });
    expect(again.status).toBe(202);
    expect(again.body.state).toBe('awaiting-approval');
    expect((await api.store.listProposals()).length).toBe(1);
  });

  it('a proposal paying a non-escrow account is registered as denied', async () => {
    await send(api, { path: '/v1/loss-events', body: lossBody() });
    const r = await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '2' } });
    expect(r.status).toBe(202);
    expect(r.body.state).toBe('denied');
    expect(r.body.decision.allowed).toBe(false);
  });

  it('create mode answers 501 not-implemented without a proposal creator, 422 for an unknown escrow', async () => {
    const ev = await send(api, { path: '/v1/loss-events', body: lossBody() });
    const create = { vault: SANDBOX.vault, lossEventId: ev.body.id, amount: '1000000', escrow: SANDBOX.escrow };
    await unchanged(async () => expectError(await send(api, { path: '/v1/proposals', body: create }), 501, 'not-implemented'), 0);
    await unchanged(async () => expectError(await send(api, { path: '/v1/proposals', body: { ...create, escrow: SANDBOX.outsiderSharesAta } }), 422, 'unknown-escrow'), 1);
  });
});

describe('signed requests: refusals change no domain state', () => {
  const path = '/v1/loss-events';
  it('unsigned → 401, no audit entry', async () => {
    await unchanged(async () => expectError(await send(api, { path, body: lossBody(), unsigned: true }), 401, 'unauthenticated'), 0);
  });
  it('signed with the wrong key → 401', async () => {
    const forger = { id: 'sandbox', key: Ed25519Keypair.generate() };
    await unchanged(async () => expectError(await send(api, { path, body: lossBody(), source: forger }), 401), 0);
  });
  it('an unknown source → 401', async () => {
    await unchanged(async () => expectError(await send(api, { path, body: lossBody(), source: { id: 'nobody', key: Ed25519Keypair.generate() } }), 401), 0);
  });
  it('an expired timestamp (301 s old) → 401, and one from the future too', async () => {
    const now = Math.floor(Date.now() / 1000);
    await unchanged(async () => {
      expectError(await send(api, { path, body: lossBody(), timestamp: now - 301 }), 401);
      expectError(await send(api, { path, body: lossBody(), timestamp: now + 301 }), 401);
    }, 0);
  });
  it('a body changed after signing → 401', async () => {
    const s = signRequest({ source: 'sandbox', key: SANDBOX_SOURCE.key, method: 'POST', path, body: lossBody() });
    const tampered = Buffer.from(s.body.toString().replace(SANDBOX.vault, OTHER.vault));
    await unchanged(async () => expectError(await raw(api, { path, headers: { ...s.headers, 'content-type': 'application/json' }, body: tampered }), 401), 0);
  });
  it('a source acting on another vault → 403, one audit entry and one replay record', async () => {
    await unchanged(async () => expectError(await send(api, { path, body: lossBody(), source: OTHER_SOURCE }), 403, 'forbidden'), 1);
    // sandbox is listed for the second vault, but only for proposals
    await unchanged(async () => expectError(await send(api, { path, body: lossBody({ vault: OTHER.vault }) }), 403, 'forbidden'), 1);
    await unchanged(async () => expectError(await send(api, { path: '/v1/proposals', body: { multisig: OTHER.multisig, transactionIndex: '1' }, source: OTHER_SOURCE }), 403), 1);
    await unchanged(async () => expectError(await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '1' }, source: OTHER_SOURCE }), 403), 1);
    // with an Idempotency-Key the stored answer rides on the same single audit entry
    await unchanged(async () => expectError(await send(api, { path, body: lossBody({ note: 'keyed' }), source: OTHER_SOURCE, headers: { 'idempotency-key': 'k-403' } }), 403), 1);
  });
  it('a replayed signature → 409, even when the first answer was a refusal', async () => {
    const s = signRequest({ source: OTHER_SOURCE.id, key: OTHER_SOURCE.key, method: 'POST', path, body: lossBody() });
    const again = () => raw(api, { path, headers: { ...s.headers, 'content-type': 'application/json' }, body: s.body });
    expectError(await again(), 403);
    await unchanged(async () => expectError(await again(), 409, 'replayed'), 1);
  });
  it('a replayed accepted request → 409, not a second event', async () => {
    const s = signRequest({ source: 'sandbox', key: SANDBOX_SOURCE.key, method: 'POST', path, body: lossBody() });
    const go = () => raw(api, { path, headers: { ...s.headers, 'content-type': 'application/json' }, body: s.body });
    expect((await go()).status).toBe(201);
    await unchanged(async () => expectError(await go(), 409, 'replayed'), 1);
  });
  it('oversized (over 64 KiB) → 413, before authentication', async () => {
    const body = lossBody({ note: 'x'.repeat(70_000) });
    await unchanged(async () => expectError(await send(api, { path, body }), 413, 'payload-too-large'), 0);
    await unchanged(async () => expectError(await send(api, { path, body, unsigned: true }), 413), 0);
  });
  it('wrong content type → 415', async () => {
    await unchanged(async () => expectError(await send(api, { path, body: lossBody(), contentType: 'text/plain' }), 415, 'unsupported-media-type'), 1);
    await unchanged(async () => expectError(await send(api, { path, body: lossBody(), contentType: null }), 415), 1);
  });
  it('malformed JSON → 400', async () => {
    await unchanged(async () => expectError(await send(api, { path, body: '{"vault": ' }), 400, 'malformed-json'), 1);
  });
  it('schema-invalid → 400 with details naming the fields', async () => {
    const r = await send(api, { path, body: lossBody({ vaultLoss: '-1', reserve: 'not-an-address', extra: 1 }) });
    expectError(r, 400, 'invalid-request');
    const fields = (r.body.error.details as { path: string }[]).map((d) => d.path);
    expect(fields).toEqual(expect.arrayContaining(['vaultLoss', 'reserve', '']));
    await unchanged(async () => expectError(await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '1', claim: 'c'.repeat(1001) } }), 400), 1);
  });
  it('an unknown vault → 404 after authentication', async () => {
    await unchanged(async () => expectError(await send(api, { path, body: lossBody({ vault: SANDBOX.outsider }) }), 404, 'unknown-vault'), 1);
    await unchanged(async () => expectError(await send(api, { path: '/v1/loss-events/le-none/close', body: { vault: SANDBOX.vault } }), 404), 1);
  });
  it('the order of checks: 413 before 401, 401 before 415, 415 before 400, 400 before 403', async () => {
    expectError(await send(api, { path, body: 'x'.repeat(70_000), unsigned: true, contentType: 'text/plain' }), 413);
    expectError(await send(api, { path, body: '{', unsigned: true, contentType: 'text/plain' }), 401);
    expectError(await send(api, { path, body: '{', contentType: 'text/plain' }), 415);
    expectError(await send(api, { path, body: { vault: OTHER.vault }, source: OTHER_SOURCE }), 400);
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body get the same stored answer, with no second effect', async () => {
    const body = lossBody();
    const a = await send(api, { path: '/v1/loss-events', body, headers: { 'idempotency-key': 'k-1' } });
    expect(a.status).toBe(201);
    const state = await domainState(api.store);
    const b = await send(api, { path: '/v1/loss-events', body, headers: { 'idempotency-key': 'k-1' } });
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(await domainState(api.store)).toBe(state);
    expect((await api.store.listLossEvents()).length).toBe(1);
  });
  it('the same key with a different body → 422 idempotency-key-reused', async () => {
    await send(api, { path: '/v1/loss-events', body: lossBody(), headers: { 'idempotency-key': 'k-2' } });
    await unchanged(async () => expectError(await send(api, { path: '/v1/loss-events', body: lossBody({ note: 'other' }), headers: { 'idempotency-key': 'k-2' } }), 422, 'idempotency-key-reused'), 1);
  });
  it('a stored refusal is answered again for the same key', async () => {
    const body = lossBody({ vault: SANDBOX.outsider });
    const a = await send(api, { path: '/v1/loss-events', body, headers: { 'idempotency-key': 'k-3' } });
    expect(a.status).toBe(404);
    const b = await send(api, { path: '/v1/loss-events', body, headers: { 'idempotency-key': 'k-3' } });
    expect(b.status).toBe(404);
    expect(b.body).toEqual(a.body);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After after the per-source burst; other sources are not affected', async () => {
    await api.close();
    api = await startTestApi({ limits: { rate: { burst: 3, perSecond: 0.001 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(api, { path: '/v1/loss-events', body: lossBody({ vault: SANDBOX.outsider }) })).status);
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    const limited = await send(api, { path: '/v1/loss-events', body: lossBody({ vault: SANDBOX.outsider }) });
    expectError(limited, 429, 'rate-limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await send(api, { path: '/v1/loss-events', body: lossBody({ vault: SANDBOX.outsider }), source: OTHER_SOURCE })).status).toBe(404);
  });
});

describe('outages: 503 with Retry-After, nothing changed', () => {
  it('the store unavailable → 503 at the replay check; nothing stored', async () => {
    const before = await domainState(api.store);
    api.setStoreDown(true);
    const r = await send(api, { path: '/v1/loss-events', body: lossBody() });
    expectError(r, 503, 'store-unavailable');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    // Authentication needs no store: a forgery is still 401.
    expectError(await send(api, { path: '/v1/loss-events', body: lossBody(), unsigned: true }), 401);
    expectError(await read('/v1/loss-events'), 503);
    const ready = await raw(api, { method: 'GET', path: '/readyz', headers: {} });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.store.ok).toBe(false);
    api.setStoreDown(false);
    expect(await domainState(api.store)).toBe(before);
    // Not remembered: the same request succeeds once the store is back.
    expect((await send(api, { path: '/v1/loss-events', body: lossBody() })).status).toBe(201);
  });
  it('the store closed → 503', async () => {
    await api.rawStore.close();
    expectError(await send(api, { path: '/v1/loss-events', body: lossBody() }), 503, 'store-unavailable');
  });
  it('the chain down → 503 chain-unavailable; nothing stored, not remembered', async () => {
    api.harness.faults.set('getTransaction', { httpStatus: 500 });
    const s = signRequest({ source: 'sandbox', key: SANDBOX_SOURCE.key, method: 'POST', path: '/v1/loss-events', body: lossBody() });
    const go = () => raw(api, { path: '/v1/loss-events', headers: { ...s.headers, 'content-type': 'application/json' }, body: s.body });
    await unchanged(async () => {
      const r = await go();
      expectError(r, 503, 'chain-unavailable');
      expect(r.headers.get('retry-after')).toBe('5');
    }, 0);
    api.harness.faults.clear();
    expect((await go()).status).toBe(201);
  });
  it('a proposal registered with the chain down → 503; nothing stored; accepted once the chain is back', async () => {
    api.harness.faults.set('getMultipleAccounts', { httpStatus: 500 });
    const body = { multisig: SANDBOX.multisig, transactionIndex: '1' };
    const s = signRequest({ source: 'sandbox', key: SANDBOX_SOURCE.key, method: 'POST', path: '/v1/proposals', body });
    const go = () => raw(api, { path: '/v1/proposals', headers: { ...s.headers, 'content-type': 'application/json' }, body: s.body });
    await unchanged(async () => {
      const r = await go();
      expectError(r, 503, 'chain-unavailable');
    }, 0);
    api.harness.faults.clear();
    expect((await go()).status).toBe(202);
  });
});

describe('read API and operational routes', () => {
  it('GETs need the bearer token (401 without, with a wrong one)', async () => {
    expectError(await read('/v1/loss-events', null), 401);
    expectError(await read('/v1/proposals', 'wrong'), 401);
    expectError(await raw(api, { method: 'GET', path: '/v1/proposals', headers: { authorization: READ_TOKEN } }), 401);
    expect((await read('/v1/loss-events')).status).toBe(200);
    expectError(await read('/v1/proposals?state=bogus'), 400);
    expectError(await read('/v1/proposals/nope:1'), 404);
    expectError(await read('/v1/loss-events/nope'), 404);
  });
  it('GET /v1/loss-events[/:id] lists and shows events', async () => {
    const ev = await send(api, { path: '/v1/loss-events', body: lossBody() });
    const list = await read('/v1/loss-events');
    expect(list.body.lossEvents.map((e: { id: string }) => e.id)).toEqual([ev.body.id]);
    expect((await read(`/v1/loss-events/${ev.body.id}`)).body).toEqual(ev.body);
  });
  it('/healthz, /readyz, /metrics and /openapi.json need no token', async () => {
    expect((await raw(api, { method: 'GET', path: '/healthz', headers: {} })).body).toEqual({ ok: true });
    const ready = await raw(api, { method: 'GET', path: '/readyz', headers: {} });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, checks: { store: { ok: true }, rpc: { ok: true }, feeBalance: { ok: true } } });
    await send(api, { path: '/v1/loss-events', body: lossBody() });
    const metrics = await raw(api, { method: 'GET', path: '/metrics', headers: {} });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/backstop_http_requests_total\{route="\/v1\/loss-events",method="POST",status="201"\} 1/);
    expect(metrics.body).toMatch(/backstop_rpc_round_trips_total [1-9]/);
    expect(metrics.body).toMatch(/backstop_poller_lag_seconds 0/);
  });
  it('/metrics counts decisions by outcome and rule, and the poller lag the service sets', async () => {
    await send(api, { path: '/v1/loss-events', body: lossBody() });
    await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '1' } });
    await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '2' } });
    api.metrics.poller.setLag(7);
    const text = (await raw(api, { method: 'GET', path: '/metrics', headers: {} })).body as string;
    expect(text).toMatch(/backstop_decisions_total\{outcome="allowed"\} 1/);
    expect(text).toMatch(/backstop_decisions_total\{outcome="denied"\} 1/);
    expect(text).toMatch(/backstop_decision_rules_total\{rule="destination-escrow",outcome="fail"\} 1/);
    expect(text).toMatch(/backstop_poller_lag_seconds 7/);
  });
  it('/readyz is 503 with Retry-After when the co-signer fee balance is below 0.05 SOL', async () => {
    await api.close();
    const poor = Ed25519Keypair.generate().publicKey;
    api = await startTestApi({ readiness: ({ store, chain }) => ({ store: storeReady(store), rpc: rpcReady(chain), feeBalance: feeBalanceReady(chain, poor) }) });
    api.harness.airdrop(poor, MIN_FEE_LAMPORTS - 1n);
    const ready = await raw(api, { method: 'GET', path: '/readyz', headers: {} });
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(ready.body.checks).toEqual({ store: { ok: true }, rpc: { ok: true }, feeBalance: { ok: false, detail: expect.stringContaining('below 50000000 (0.05 SOL)') } });
    api.harness.airdrop(poor, 1n);
    expect((await raw(api, { method: 'GET', path: '/readyz', headers: {} })).status).toBe(200);
  });
  it('/readyz reports an RPC outage by name, without the RPC URL', async () => {
    api.harness.faults.set('getSlot', { httpStatus: 500 });
    const ready = await raw(api, { method: 'GET', path: '/readyz', headers: {} });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.rpc).toEqual({ ok: false, detail: 'ChainUnavailable' });
  });
  it('/openapi.json lists every route', async () => {
    const doc = (await raw(api, { method: 'GET', path: '/openapi.json', headers: {} })).body;
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.sort()).toEqual(
      [
        'POST /v1/loss-events',
        'GET /v1/loss-events',
        'GET /v1/loss-events/{id}',
        'POST /v1/loss-events/{id}/close',
        'POST /v1/loss-events/{id}/plan',
        'GET /v1/loss-events/{id}/plan',
        'POST /v1/proposals',
        'GET /v1/proposals',
        'GET /v1/proposals/{id}',
        'GET /v1/vaults/{vault}/pool-check',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
      ].sort(),
    );
    expect(doc.paths['/v1/loss-events'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/LossEventRequest' });
    const lossSchema = doc.components.schemas.LossEventRequest;
    expect(lossSchema.required).toEqual(['vault', 'reserve', 'signature', 'vaultLoss']);
    expect(lossSchema.additionalProperties).toBe(false);
    expect(JSON.stringify(doc)).not.toContain('"$id"');
    for (const m of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([A-Za-z]+)"/g)) expect(doc.components.schemas).toHaveProperty(m[1]!);
  });
  it('echoes a sane X-Request-Id and logs no signature, token or body', async () => {
    const s = await send(api, { path: '/v1/loss-events', body: lossBody({ note: 'secret-note-text' }), headers: { 'x-request-id': 'req-123' } });
    expect(s.headers.get('x-request-id')).toBe('req-123');
    await read('/v1/loss-events');
    const logged = api.log.lines.join('\n');
    expect(logged).toContain('req-123');
    expect(logged).not.toContain(READ_TOKEN);
    expect(logged).not.toContain('secret-note-text');
    const sig = signRequest({ source: 'sandbox', key: SANDBOX_SOURCE.key, method: 'POST', path: '/x', body: 'y', timestamp: 1 });
    expect(sig.headers['x-backstop-signature']).toBeDefined();
    expect(logged).not.toMatch(/[A-Za-z0-9+/]{86}==/);
  });
});
