/**
 * The active-instance lease on PostgreSQL (docs/storage.md, issue 13 §3): one holder at a time, renewed on
 * the database's clock, taken over only once expired (token + 1), and every write fenced by the
 * token, so an old leader that was paused or partitioned cannot write after a takeover. SQLite has
 * no lease: a second instance still refuses.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { InstanceLocked } from '../../src/store/errors.ts';
import { LeaseLost, leaseTimings, StandbyRefusal } from '../../src/store/lease.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { pgRequired } from '../support/postgres.ts';
import { AUDIT_KEY, auditCount, freshDatabase, lossInput, open, type TestDb } from './helpers.ts';

const opened: SqlStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

async function pgStore(db: TestDb, lease = { ttlMs: 600, renewMs: 150 }): Promise<SqlStore> {
  const s = await openStore({ database: db.database, auditKey: AUDIT_KEY, headFile: `${db.headFile}.${opened.length}`, lease });
  opened.push(s);
  return s;
}
const expire = (s: SqlStore) => s.sql.read.run(`UPDATE lease SET expires_at = clock_timestamp() - interval '1 second'`);
const tokenOf = async (s: SqlStore) => String((await s.sql.read.all('SELECT token::text AS t FROM lease'))[0]?.t);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the lease (postgres)', () => {
  if (inject('pgUrl') === null) {
    const reason = inject('pgUnavailableReason') ?? 'PostgreSQL tests not run';
    if (pgRequired()) it('PostgreSQL is available (BACKSTOP_REQUIRE_PG=1)', () => void expect.fail(reason));
    else it.skip(reason, () => undefined);
    return;
  }

  it('one holder: a second instance is told who is active; renewals keep it past its lifetime', async () => {
    const db = await freshDatabase('postgres');
    const a = await pgStore(db);
    const b = await pgStore(db);
    expect(await a.lease!.tryActivate()).toEqual({ tookOverFrom: null });
    expect(a.lease!.token).toBe('1');
    expect(await b.lease!.tryActivate()).toBeNull();
    const err = await b.acquireInstanceLock().catch((e: Error) => e);
    expect(err).toBeInstanceOf(InstanceLocked);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect((err as Error).message).toContain('lease token 1');
    await sleep(1500); // 2.5 lifetimes: only renewals keep it
    expect(await b.lease!.tryActivate()).toBeNull();
    expect((await b.isInstanceLocked())?.pid).toBe(process.pid);
  });

  it('takes over only once expired, the token goes up by one, and the old leader can no longer write', async () => {
    const db = await freshDatabase('postgres');
    const a = await pgStore(db);
    const b = await pgStore(db);
    await a.acquireInstanceLock();
    await a.recordLossEvent(lossInput()); // the leader writes
    const lost: string[] = [];
    a.lease!.onLost((d) => lost.push(d));
    (a.sql as unknown as { lease: { stopRenewing(): void } }).lease.stopRenewing(); // a paused leader stops renewing
    await expire(a);
    const took = await b.lease!.tryActivate();
    expect(took?.tookOverFrom?.pid).toBe(process.pid); // an expired lease, not a released one
    expect(await tokenOf(b)).toBe('2');
    const before = await auditCount(b);
    const refused = await a.recordLossEvent(lossInput()).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(LeaseLost);
    expect(await auditCount(b)).toBe(before); // nothing written, not even an audit entry
    expect(lost).toHaveLength(1);
    await expect(a.ensureInstanceLock()).rejects.toBeInstanceOf(InstanceLocked);
    await b.recordLossEvent(lossInput()); // the new leader writes
    expect(await auditCount(b)).toBe(before + 1);
  });

  it('a takeover waits for the old leader’s open write transaction; its later writes abort', async () => {
    const db = await freshDatabase('postgres');
    const a = await pgStore(db, { ttlMs: 2000, renewMs: 500 });
    const b = await pgStore(db, { ttlMs: 2000, renewMs: 500 });
    await a.acquireInstanceLock();
    (a.sql as unknown as { lease: { stopRenewing(): void } }).lease.stopRenewing();
    await expire(a); // its lease ran out while it was paused; nobody has taken it over yet, so the fence still passes
    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    let fenced!: () => void;
    const inside = new Promise<void>((r) => (fenced = r));
    // The old leader is inside a write transaction (the fence passed) when it pauses.
    const write = a.sql.transaction(async (tx) => {
      fenced();
      await paused;
      await tx.run(`INSERT INTO store_meta (key, value) VALUES ('paused-write', 'landed')`);
    });
    await inside;
    let settled = false;
    const attempt = b.lease!.tryActivate().finally(() => (settled = true));
    await sleep(300);
    expect(settled).toBe(false); // blocked on the row the open transaction holds FOR SHARE
    resume();
    await write; // it was still the active instance when it began: its write lands
    const took = await attempt.then((r) => r ?? b.lease!.tryActivate());
    expect(took).not.toBeNull();
    expect(await tokenOf(b)).toBe('2');
    const late = await a.sql.transaction((tx) => tx.run(`INSERT INTO store_meta (key, value) VALUES ('late-write', 'x')`)).catch((e: Error) => e);
    expect(late).toBeInstanceOf(LeaseLost);
    const keys = (await b.sql.read.all('SELECT key FROM store_meta ORDER BY key')).map((r) => r.key);
    expect(keys).toContain('paused-write');
    expect(keys).not.toContain('late-write');
  });

  it('a standby reads but writes nothing; a clean stop hands over at once, and says it was not a crash', async () => {
    const db = await freshDatabase('postgres');
    const a = await pgStore(db, { ttlMs: 60_000, renewMs: 20_000 });
    const b = await pgStore(db, { ttlMs: 60_000, renewMs: 20_000 });
    await a.acquireInstanceLock();
    await a.recordLossEvent(lossInput());
    b.lease!.standby();
    expect(await b.listLossEvents()).toHaveLength(1);
    await expect(b.recordLossEvent(lossInput())).rejects.toBeInstanceOf(StandbyRefusal);
    expect(await b.lease!.tryActivate()).toBeNull(); // a minute-long lease, still live
    await a.close();
    opened.splice(opened.indexOf(a), 1);
    expect(await b.lease!.tryActivate()).toEqual({ tookOverFrom: null });
    await b.recordLossEvent(lossInput());
    expect(await b.listLossEvents()).toHaveLength(2);
  });

  it('two standbys racing for an expired lease: exactly one wins', async () => {
    const db = await freshDatabase('postgres');
    const [a, b, c] = [await pgStore(db), await pgStore(db), await pgStore(db)];
    await a.acquireInstanceLock();
    (a.sql as unknown as { lease: { stopRenewing(): void } }).lease.stopRenewing();
    await expire(a);
    const won = await Promise.all([b.lease!.tryActivate(), c.lease!.tryActivate()]);
    expect(won.filter((w) => w !== null)).toHaveLength(1);
    expect(await tokenOf(a)).toBe('2');
  });
});

describe('lease timings', () => {
  it('default to a 10 s lease renewed every 3 s, configurable, renewed at least twice per lifetime', () => {
    expect(leaseTimings({}, {})).toEqual({ ttlMs: 10_000, renewMs: 3_000 });
    expect(leaseTimings({}, { BACKSTOP_LEASE_TTL_MS: '900' })).toEqual({ ttlMs: 900, renewMs: 300 });
    expect(leaseTimings({ ttlMs: 600, renewMs: 150 }, {})).toEqual({ ttlMs: 600, renewMs: 150 });
    expect(() => leaseTimings({ ttlMs: 1000, renewMs: 600 }, {})).toThrow(/at least twice/);
    expect(() => leaseTimings({}, { BACKSTOP_LEASE_TTL_MS: 'soon' })).toThrow(/BACKSTOP_LEASE_TTL_MS/);
  });

  it('SQLite has no lease: its store answers none', async () => {
    const db = await freshDatabase('sqlite');
    const s = await open(db);
    opened.push(s);
    expect(s.lease).toBeNull();
  });
});
