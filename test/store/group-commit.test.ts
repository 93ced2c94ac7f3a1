/**
 * Group-committed audit entries (audited-writer.ts `mutateGrouped`, used by `rememberSignature` and
 * `appendAudit`): a concurrent burst shares transactions, keeps the chain in queue order and resolves
 * each call only once its entry is visible to another connection; a batch whose commit fails
 * rejects every call in it and writes none of them; a call that fails alone leaves the rest.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { readAuditHead } from '../../src/store/audit.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { describeEngines, freshDatabase, open, type EngineName, type TestDb } from './helpers.ts';

const opened: SqlStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
async function track(p: Promise<SqlStore>): Promise<SqlStore> {
  const s = await p;
  opened.push(s);
  return s;
}

const sig = (i: number) => `sig-${String(i).padStart(4, '0')}`;
const refusal = (i: number, requestId = `req-${i}`) => ({ signature: sig(i), at: new Date(), note: { type: 'webhook.refused', payload: { status: 404, requestId } } });

/**
 * Makes every commit that holds an audit entry naming `poison` fail (a deferred foreign key to a
 * row that does not exist): the failure comes at COMMIT, after the batch's other entries were appended.
 */
async function poisonCommits(store: SqlStore, engine: EngineName): Promise<void> {
  await store.sql.transaction(async (tx) => {
    if (engine === 'sqlite') {
      await tx.exec(`CREATE TABLE poison (seq INTEGER REFERENCES audit_log (seq) DEFERRABLE INITIALLY DEFERRED);
        CREATE TRIGGER poison_entry AFTER INSERT ON audit_log WHEN NEW.payload LIKE '%poison%' BEGIN INSERT INTO poison VALUES (-1); END;`);
    } else {
      await tx.exec(`CREATE TABLE poison (seq BIGINT REFERENCES audit_log (seq) DEFERRABLE INITIALLY DEFERRED);
        CREATE FUNCTION poison_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO poison VALUES (-1); RETURN NEW; END $$;
        CREATE TRIGGER poison_entry AFTER INSERT ON audit_log FOR EACH ROW WHEN (NEW.payload LIKE '%poison%') EXECUTE FUNCTION poison_entry();`);
    }
  });
}

describeEngines('group-committed audit entries', (engine) => {
  let db: TestDb;

  it('a concurrent burst: fewer transactions than entries, the chain verifies in order, each answer after its entry is durable', async () => {
    db = await freshDatabase(engine);
    const store = await track(open(db));
    const other = await track(openStore({ database: db.database, mustExist: true })); // another connection, read-only
    const transactions = vi.spyOn(store.sql, 'transaction');
    const visibleWhenAnswered = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.rememberSignature(refusal(i)).then(async (r) => ({ r, durable: await other.isSignatureRemembered(sig(i)) }))),
    );
    expect(visibleWhenAnswered.every((x) => x.r === 'new' && x.durable)).toBe(true);
    expect(transactions.mock.calls.length).toBeLessThan(20);
    const entries = await store.verifiedAuditEntries();
    const refused = entries.filter((e) => e.type === 'webhook.refused');
    expect(refused.map((e) => (e.payload as { signature: string }).signature)).toEqual(Array.from({ length: 200 }, (_, i) => sig(i)));
    // The head file follows the commits (coalesced): it holds the last entry once the writes are done.
    await vi.waitFor(() => expect(readAuditHead(db.headFile)?.seq).toBe(entries.at(-1)!.seq));
    // A replay is still refused inside a batch: the second of two in one batch is 'replayed', with no entry.
    const [a, b] = await Promise.all([store.rememberSignature(refusal(500)), store.rememberSignature(refusal(500))]);
    expect([a, b]).toEqual(['new', 'replayed']);
    expect((await store.verifiedAuditEntries()).length).toBe(entries.length + 1);
  });

  it('closing the store waits for the head file and anchor to hold the last committed entry', async () => {
    db = await freshDatabase(engine);
    const store = await open(db);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.rememberSignature(refusal(i))));
    const last = await store.auditHead();
    await store.close();
    expect(readAuditHead(db.headFile)).toEqual(last);
  });

  it('a batch whose commit fails rejects every call in it and writes none of them; the calls succeed when retried', async () => {
    db = await freshDatabase(engine);
    const store = await track(open(db));
    await store.appendAudit('note', { before: true });
    await poisonCommits(store, engine);
    const before = await store.verifiedAuditEntries();
    const headBefore = readAuditHead(db.headFile);
    // Queued in one turn: one batch, its middle call poisoned.
    const results = await Promise.allSettled(Array.from({ length: 9 }, (_, i) => store.rememberSignature(refusal(i, i === 4 ? 'poison' : `req-${i}`))));
    expect(results.map((r) => r.status)).toEqual(Array(9).fill('rejected'));
    expect(await store.verifiedAuditEntries()).toEqual(before);
    expect(readAuditHead(db.headFile)).toEqual(headBefore);
    for (let i = 0; i < 9; i++) expect(await store.isSignatureRemembered(sig(i))).toBe(false);
    // Nothing was lost: the clean ones go through when retried, and the chain goes on from the same head.
    const retried = await Promise.all(Array.from({ length: 9 }, (_, i) => (i === 4 ? null : store.rememberSignature(refusal(i)))));
    expect(retried.filter((r) => r === 'new')).toHaveLength(8);
    const after = await store.verifiedAuditEntries();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 8);
  });

  it('during a burst the head trails lazily, but an entry a caller waits for is in the head file when its call resolves', async () => {
    db = await freshDatabase(engine);
    const store = await track(open(db));
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.rememberSignature(refusal(i))));
    // The burst's last batches are offered to the head lazily; an appended entry is waited for, so it is written at once.
    const alert = await store.appendAudit('alert', { n: 1 });
    expect(readAuditHead(db.headFile)).toEqual({ seq: alert.seq, hash: alert.hash, signature: alert.signature });
    // Refusals alone: the head catches up with the last one shortly after (LAZY_HEAD_MS), with no call waiting.
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.rememberSignature(refusal(100 + i))));
    const last = await store.auditHead();
    await vi.waitFor(() => expect(readAuditHead(db.headFile)).toEqual(last));
  });

  it('a call that fails on its own is rejected alone; the others in its batch are written', async () => {
    db = await freshDatabase(engine);
    const store = await track(open(db));
    // A time the database refuses (NOT NULL): the mutation's own statement fails inside the batch.
    const bad = { signature: sig(9), at: { toISOString: () => null } as unknown as Date, note: { type: 'webhook.refused', payload: {} } };
    const results = await Promise.allSettled([store.rememberSignature(refusal(1)), store.rememberSignature(bad), store.rememberSignature(refusal(2))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const entries = await store.verifiedAuditEntries();
    expect(entries.map((e) => (e.payload as { signature?: string }).signature)).toEqual([sig(1), sig(2)]);
    expect(await store.isSignatureRemembered(sig(9))).toBe(false);
  });
});
