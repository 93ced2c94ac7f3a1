/**
 * POST /v1/loss-events/:id/plan and GET /v1/loss-events/:id/plan (issue 15 §3): the signed POST builds
 * the plan from the chain at the loss slot, stores it with one audit entry and answers its summary;
 * GET (read token) serves the stored `--json`; decisions then carry the plan's root and total; an
 * unprovable plan is 422 saying why, an RPC outage 503, an unknown event 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from '@solana/kit';
import { AFTER_LOSS_SLOT, depositorWorld } from '../../src/sandbox/fixtures/depositors.ts';
import { fixtureSignature } from '../../src/sandbox/fixtures/loss-transaction.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { lossRecordsFrom } from '../../src/store/loss-records.ts';
import { auditCount, lossBody, READ_TOKEN, send, startTestApi, type TestApi } from './helpers.ts';

let api: TestApi;
let eventId: string;
const read = async (path: string, token = READ_TOKEN) => {
  const res = await fetch(api.url + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  api = await startTestApi();
  const world = depositorWorld();
  world.accounts.forEach((a) => api.harness.setAccount(a));
  for (const t of world.transactions) api.harness.addTransaction(t.signature, t.result);
  api.harness.svm.warpToSlot(AFTER_LOSS_SLOT);
  const recorded = await send(api, { path: '/v1/loss-events', body: lossBody() });
  expect(recorded.status).toBe(201);
  eventId = recorded.body.id;
}, 60_000);
afterAll(() => api?.close());

describe('/v1/loss-events/:id/plan', () => {
  it('GET answers 404 before any plan, naming how to build one', async () => {
    const r = await read(`/v1/loss-events/${eventId}/plan`);
    expect(r.status).toBe(404);
    expect(r.body.error.message).toMatch(/POST \/v1\/loss-events\/le-\w+\/plan builds one/);
  });

  it('POST builds, stores and audits the plan; GET serves it; decisions carry its root and total', async () => {
    const audits = await auditCount(api.store);
    const r = await send(api, { path: `/v1/loss-events/${eventId}/plan`, body: { vault: SANDBOX.vault } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ lossEventId: eventId, lossSlot: '312000000', claimants: 4, createdBy: 'sandbox', root: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const entries = await api.store.auditEntries();
    expect(entries.length).toBe(audits + 1 + 1); // the plan, and the idempotency/replay record of the signed request
    expect(entries.some((e) => e.type === 'compensation.plan-stored' && (e.payload as { root?: string }).root === r.body.root)).toBe(true);

    const got = await read(`/v1/loss-events/${eventId}/plan`);
    expect(got.status).toBe(200);
    expect(got.body.root).toBe(r.body.root);
    expect(got.body.total).toBe(r.body.total);
    expect(got.body.entries).toHaveLength(4);
    expect(got.body.manualReview).toHaveLength(1);
    expect((await read(`/v1/loss-events/${eventId}/plan`, 'wrong-token')).status).toBe(401);

    const events = await lossRecordsFrom(api.store).lossEvents(SANDBOX.vault as Address);
    expect(events.find((e) => e.id === eventId)?.plan).toEqual({ root: r.body.root, total: BigInt(r.body.total) });
  });

  it('takes an amount, and refuses a bad one as 422 naming it', async () => {
    const r = await send(api, { path: `/v1/loss-events/${eventId}/plan`, body: { vault: SANDBOX.vault, amount: '100' } });
    expect(r.status).toBe(201);
    expect(r.body.amount).toBe('100000000');
    const bad = await send(api, { path: `/v1/loss-events/${eventId}/plan`, body: { vault: SANDBOX.vault, amount: '1.1234567' } });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toMatch(/at most 6 decimals/);
  });

  it('404 for an event of another vault or none', async () => {
    expect((await send(api, { path: '/v1/loss-events/le-nope/plan', body: { vault: SANDBOX.vault } })).status).toBe(404);
  });

  it('503 when the chain cannot be read, storing nothing', async () => {
    const before = await auditCount(api.store);
    api.harness.breakAccount(SANDBOX.sharesMint);
    try {
      const r = await send(api, { path: `/v1/loss-events/${eventId}/plan`, body: { vault: SANDBOX.vault } });
      expect(r.status).toBe(503);
    } finally {
      api.harness.faults.broken.delete(SANDBOX.sharesMint);
    }
    expect(await api.store.latestPlan(eventId)).toMatchObject({ amount: 100_000_000n }); // still the last stored one
    expect(await auditCount(api.store)).toBeLessThanOrEqual(before + 1);
  });

  it('422 with the reason when the history cannot prove the holders at the loss', async () => {
    api.harness.addTransaction(fixtureSignature('sandbox-deposits'), {});
    const r = await send(api, { path: `/v1/loss-events/${eventId}/plan`, body: { vault: SANDBOX.vault } });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(/no plan for loss event le-\w+: the history of token account \w+ ends at slot/);
  });
});
