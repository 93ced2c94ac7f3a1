/**
 * What the HTTP API keeps in memory after a burst is bounded: the idempotency cache by entries and
 * bytes (the store still answers every key for the whole 24 h window), and rate-limit buckets that
 * have refilled are dropped (a full bucket is the same as none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_WINDOW_MS, IdempotencyStore } from '../../src/server/idempotency.ts';
import { RateLimiter } from '../../src/server/rate-limit.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

describe('the idempotency cache', () => {
  let store: SqlStore;
  const t0 = new Date('2026-11-30T12:00:00Z');
  let now = t0;
  beforeAll(async () => {
    store = await openStore({ database: ':memory:', auditKey: Ed25519Keypair.generate() });
  });
  afterAll(() => store.close());

  const body = (i: number) => JSON.stringify({ id: `le-${i}`, note: 'x'.repeat(2000) });

  it('holds at most its entries and bytes while every stored answer stays answerable from the store', async () => {
    const limits = { entries: 50, bytes: 64 * 1024 };
    const idem = new IdempotencyStore(store, () => now, limits);
    for (let i = 0; i < 200; i++) await idem.save({ source: 'sandbox', key: `k${i}`, hash: `h${i}`, answer: { status: 201, body: body(i) } });
    for (let i = 0; i < 200; i++) expect(await idem.lookup('sandbox', `k${i}`, `h${i}`)).toEqual({ status: 201, body: body(i) });
    const size = idem.cacheSize();
    expect(size.bytes).toBeLessThanOrEqual(limits.bytes);
    expect(size.entries).toBeGreaterThan(0);
    expect(size.entries).toBeLessThan(limits.entries); // the bytes bound bit first (about 4 kB an entry)
    // Evicted keys still refuse another request under them (422), from the stored row.
    await expect(idem.lookup('sandbox', 'k0', 'other')).rejects.toMatchObject({ status: 422 });
  });

  it('caps the count when bodies are small, and forgets an answer past the window', async () => {
    const idem = new IdempotencyStore(store, () => now, { entries: 20, bytes: 1024 * 1024 });
    for (let i = 0; i < 100; i++) {
      await idem.save({ source: 'small', key: `s${i}`, hash: 'h', answer: { status: 404, body: '{}' } });
      await idem.lookup('small', `s${i}`, 'h');
    }
    expect(idem.cacheSize().entries).toBe(20);
    now = new Date(t0.getTime() + IDEMPOTENCY_WINDOW_MS + 1000);
    expect(await idem.lookup('small', 's99', 'h')).toBeNull();
    expect(idem.cacheSize().entries).toBe(19);
    now = t0;
  });

  it('answers a body larger than its whole budget without keeping it', async () => {
    const idem = new IdempotencyStore(store, () => now, { entries: 20, bytes: 1024 });
    await idem.save({ source: 'big', key: 'b', hash: 'h', answer: { status: 201, body: body(1) } });
    expect(await idem.lookup('big', 'b', 'h')).toEqual({ status: 201, body: body(1) });
    expect(idem.cacheSize()).toEqual({ entries: 0, bytes: 0 });
  });
});

describe('rate-limit buckets', () => {
  it('drops buckets that have refilled, and a dropped source starts again with a full burst', () => {
    let ms = 0;
    const limiter = new RateLimiter({ burst: 3, perSecond: 1, nowMs: () => ms });
    for (let i = 0; i < 100; i++) limiter.take(`source-${i}`);
    for (let i = 0; i < 3; i++) limiter.take('busy');
    expect(limiter.size()).toBe(101);
    expect(limiter.take('busy').ok).toBe(false);
    ms = 61_000; // past the sweep interval; every bucket has refilled
    expect(limiter.take('busy').ok).toBe(true);
    expect(limiter.size()).toBe(1);
    expect([limiter.take('source-1').ok, limiter.take('source-1').ok, limiter.take('source-1').ok, limiter.take('source-1').ok]).toEqual([true, true, true, false]);
  });

  it('keeps a bucket that has not refilled', () => {
    let ms = 0;
    const limiter = new RateLimiter({ burst: 100, perSecond: 1, nowMs: () => ms });
    for (let i = 0; i < 100; i++) limiter.take('slow');
    ms = 60_000; // 60 of 100 tokens back
    limiter.take('other');
    expect(limiter.size()).toBe(2);
    expect(limiter.take('slow').ok).toBe(true);
  });
});
