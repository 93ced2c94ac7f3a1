/**
 * Authenticated refusals under a concurrent burst, through the HTTP API: each is answered after its
 * group-committed audit entry is durable and the chain verifies afterwards; a request whose batch
 * cannot be committed is answered 503 with Retry-After and leaves no entry and no replay record, so
 * the same signed request, sent again, is answered as it should have been.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/server/signing.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { freshTimestamp, lossBody, raw, SANDBOX_SOURCE, startTestApi, type TestApi } from './helpers.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ limits: { rate: { burst: 1e9, perSecond: 1e9 } } });
});
afterAll(() => api.close());

/** A signed refusal (an unknown vault: 404 after authentication), as bytes that can be sent again. */
function unknownVault(i: number) {
  const body = lossBody({ vault: SANDBOX.outsider, note: `burst ${i}` });
  const s = signRequest({ source: SANDBOX_SOURCE.id, key: SANDBOX_SOURCE.key, method: 'POST', path: '/v1/loss-events', body, timestamp: freshTimestamp(SANDBOX_SOURCE.id, '/v1/loss-events', body) });
  return (requestId: string) => raw(api, { path: '/v1/loss-events', headers: { ...s.headers, 'content-type': 'application/json', 'x-request-id': requestId }, body: s.body });
}

/** Runs `tasks` with `n` in flight at a time. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  }));
  return out;
}

const refusedIds = async (store: SqlStore) =>
  (await store.verifiedAuditEntries()).filter((e) => e.type === 'webhook.refused').map((e) => (e.payload as { requestId: string }).requestId);

describe('audited refusals in a burst', () => {
  it('300 concurrent refusals: all 404, one entry each, and the chain verifies', async () => {
    const store = api.rawStore as SqlStore;
    const before = (await store.verifiedAuditEntries()).length;
    const answers = await pool(Array.from({ length: 300 }, (_, i) => () => unknownVault(i)(`burst-${i}`)), 32);
    expect(answers.map((a) => a.status)).toEqual(Array(300).fill(404));
    const entries = await store.verifiedAuditEntries();
    expect(entries.length - before).toBe(300);
    expect(new Set(await refusedIds(store))).toEqual(new Set(Array.from({ length: 300 }, (_, i) => `burst-${i}`)));
  });

  it('a batch that cannot commit: its requests are answered 503 and nothing of them is kept; sent again they are answered 404', async () => {
    const store = api.rawStore as SqlStore;
    // Any commit holding an entry with the request id "poison-…" fails (a deferred foreign key), after the batch's other entries were appended.
    await store.sql.transaction(async (tx) => {
      await tx.exec(`CREATE TABLE poison (seq INTEGER REFERENCES audit_log (seq) DEFERRABLE INITIALLY DEFERRED);
        CREATE TRIGGER poison_entry AFTER INSERT ON audit_log WHEN NEW.payload LIKE '%poison-%' BEGIN INSERT INTO poison VALUES (-1); END;`);
    });
    const before = await store.verifiedAuditEntries();
    const requests = Array.from({ length: 40 }, (_, i) => unknownVault(1000 + i));
    const answers = await pool(requests.map((send, i) => () => send(i === 20 ? 'poison-20' : `mixed-${i}`)), 40);
    const failed = answers.flatMap((a, i) => (a.status === 503 ? [i] : []));
    expect(failed).toContain(20);
    for (const i of failed) {
      expect(answers[i]!.body.error.code).toBe('store-unavailable');
      expect(answers[i]!.headers.get('retry-after')).toBe('5');
    }
    expect(answers.every((a) => a.status === 404 || a.status === 503)).toBe(true);
    // Exactly the 404s have their entry; the 503s have none, and the log before the burst is intact.
    const after = await store.verifiedAuditEntries();
    expect(after.slice(0, before.length)).toEqual(before);
    const ids = new Set(await refusedIds(store));
    answers.forEach((a, i) => expect(ids.has(`mixed-${i}`), `request ${i} answered ${a.status}`).toBe(a.status === 404));
    // The same signed bytes again (a new request id): not a replay, since nothing was remembered.
    const again = await Promise.all(failed.map((i) => requests[i]!(`again-${i}`)));
    expect(again.map((a) => a.status)).toEqual(failed.map(() => 404));
    expect((await store.verifiedAuditEntries()).length).toBe(after.length + failed.length);
  });
});
