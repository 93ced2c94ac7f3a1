import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/policy/decision.ts';
import { readAuditHead, verifyAudit } from '../../src/store/audit.ts';
import { AlreadyDone, Conflict, InstanceLocked, InvalidTransition, NotFound, SchemaTooNew, StaleState, StoreUnavailable } from '../../src/store/errors.ts';
import { CURRENT_SCHEMA_VERSION, MIGRATIONS } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import { PostgresEngine } from '../../src/store/postgres.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { AUDIT_KEY, auditCount, describeEngines, freshDatabase, lossInput, MULTISIG, open, RESERVE, VAULT, VAULT_2, type TestDb } from './helpers.ts';

const decision = (allowed: boolean, digest = 'ab'.repeat(32)): Decision => ({
  id: allowed ? 'd'.repeat(32) : 'e'.repeat(32),
  allowed,
  digest,
  policyRevision: 'f'.repeat(64),
  decidedAt: '2026-11-30T12:00:00.000Z',
  rules: [{ id: 'limits', outcome: allowed ? 'pass' : 'fail', reason: 'r', facts: { value: '5' } }],
});

const WINDOW_START = new Date('2020-01-01T00:00:00Z');

describeEngines('store', (engine) => {
  let db: TestDb;
  let store: SqlStore;
  const extra: SqlStore[] = [];

  beforeEach(async () => {
    db = await freshDatabase(engine);
    store = await open(db);
  });
  afterEach(async () => {
    for (const s of extra.splice(0)) await s.close();
    await store.close();
  });
  const another = async (): Promise<SqlStore> => {
    const s = await open(db);
    extra.push(s);
    return s;
  };

  async function proposal(index = 5n, vault = VAULT) {
    return (await store.insertProposal({ multisig: MULTISIG, transactionIndex: index, vault, mode: 'register' })).proposal;
  }

  describe('migrations', () => {
    it('apply at open and are recorded in schema_migrations', async () => {
      expect(await store.schemaVersion()).toBe(CURRENT_SCHEMA_VERSION);
      const rows = await store.sql.read.all('SELECT version, name FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
      // Reopening applies nothing twice.
      const again = await another();
      expect(await again.schemaVersion()).toBe(CURRENT_SCHEMA_VERSION);
      expect((await store.sql.read.all('SELECT version FROM schema_migrations')).length).toBe(MIGRATIONS.length);
    });

    it('refuse a database whose schema version is newer than this backstop', async () => {
      await store.sql.read.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (7, $1, $2)', ['future', new Date().toISOString()]);
      const err = await open(db).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaTooNew);
      expect((err as Error).message).toBe(`database schema version 7 is newer than this backstop (${CURRENT_SCHEMA_VERSION}); upgrade backstop`);
    });
  });

  describe('one active instance per database', () => {
    it('refuses a second instance and says who holds the lock', async () => {
      expect((await store.acquireInstanceLock()).tookOverFrom).toBeNull();
      const second = await another();
      const err = await second.acquireInstanceLock().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InstanceLocked);
      expect((err as Error).message).toContain(`pid ${process.pid}`);
      expect((err as Error).message).toContain('stop it first');
      const held = await second.isInstanceLocked();
      expect(held?.pid).toBe(process.pid);
      expect(held?.host).toBe(hostname());
    });

    it('is free again after the holder closes', async () => {
      await store.acquireInstanceLock();
      await store.close();
      const second = await another();
      expect(await second.isInstanceLocked()).toBeNull();
      await expect(second.acquireInstanceLock()).resolves.toEqual({ tookOverFrom: null });
      store = await open(db); // for afterEach
    });

    it('a running instance keeps its lock, re-takes a lost one, and learns when another took it', async () => {
      await store.acquireInstanceLock();
      await expect(store.ensureInstanceLock()).resolves.toBeUndefined();
      if (engine === 'sqlite') {
        const { rmSync } = await import('node:fs');
        rmSync(`${db.database}.lock`); // an operator removed the lock file
        await store.ensureInstanceLock();
        expect(JSON.parse(readFileSync(`${db.database}.lock`, 'utf8')).pid).toBe(process.pid);
        writeFileSync(`${db.database}.lock`, JSON.stringify({ pid: 1, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' })); // pid 1 is alive
        await expect(store.ensureInstanceLock()).rejects.toBeInstanceOf(InstanceLocked);
        rmSync(`${db.database}.lock`);
      } else {
        const expire = () => store.sql.read.run(`UPDATE lease SET expires_at = clock_timestamp() - interval '1 second'`);
        await expire(); // the lease ran out (a pause) but nobody took it over: renewing keeps it, same token
        await store.ensureInstanceLock();
        const second = await another();
        await expect(second.acquireInstanceLock()).rejects.toBeInstanceOf(InstanceLocked);
        await expire();
        await second.acquireInstanceLock(); // taken over: token + 1
        await expect(store.ensureInstanceLock()).rejects.toBeInstanceOf(InstanceLocked);
      }
    });

    if (engine === 'sqlite') {
      it('takes over a stale lock whose pid is no longer alive, and says so', async () => {
        const deadPid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
        writeFileSync(`${db.database}.lock`, JSON.stringify({ pid: deadPid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
        expect(await store.isInstanceLocked()).toBeNull();
        const got = await store.acquireInstanceLock();
        expect(got.tookOverFrom?.pid).toBe(deadPid);
        expect(JSON.parse(readFileSync(`${db.database}.lock`, 'utf8')).pid).toBe(process.pid);
      });
    }
  });

  describe('loss events', () => {
    it('round-trips every field, u64 amounts as bigint', async () => {
      const big = 18_446_744_073_709_551_615n;
      const e = await store.recordLossEvent(lossInput({ vaultLoss: big, note: 'reserve X socialized' }));
      expect(e.id).toMatch(/^le-[0-9a-f]{16}$/);
      const got = await store.getLossEvent(e.id);
      expect(got).toMatchObject({ vault: VAULT, reserve: RESERVE, vaultLoss: big, state: 'open', recordedLoss: 1_000_000_000n, forgiven: 5_000_000_000n, note: 'reserve X socialized', recordedBy: 'test' });
      expect(got?.evidence).toEqual({ vaultCTokens: 10_000_000_000_000n, reserveCTokenSupply: 50_000_000_000_000n, readAtSlot: 312_000_123n });
      expect(got?.recordedAt).toBeInstanceOf(Date);
      expect(await store.lossTransaction(e.signature)).toEqual({ kind: 'found', result: lossInput().transaction });
      expect((await store.lossEventsForVault(VAULT)).map((x) => x.id)).toEqual([e.id]);
      expect(await store.lossEventsForVault(VAULT_2)).toEqual([]);
    });

    it('is unique by (vault, signature, reserve): a second one is a Conflict naming the first', async () => {
      const input = lossInput();
      const first = await store.recordLossEvent(input);
      const err = await store.recordLossEvent(input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Conflict);
      expect((err as Conflict).existingId).toBe(first.id);
      // Another reserve with the same signature is a different event.
      await expect(store.recordLossEvent({ ...input, reserve: VAULT_2 })).resolves.toBeTruthy();
    });

    it('closing releases that event’s reserved rows; closing again is refused', async () => {
      const e = await store.recordLossEvent(lossInput());
      const p = await proposal();
      const r = await store.reserve({ vault: VAULT, proposal: p.id, value: 400n, windowStart: WINDOW_START, maxPerWindow: 10n ** 12n });
      expect(r.ok).toBe(true);
      const { event, released } = await store.closeLossEvent(e.id);
      expect(event.state).toBe('closed');
      expect(released.map((x) => x.amount)).toEqual([400n]);
      expect((await store.ledgerForVault(VAULT)).map((x) => x.state)).toEqual(['released']);
      await expect(store.closeLossEvent(e.id)).rejects.toBeInstanceOf(AlreadyDone);
      await expect(store.closeLossEvent('le-missing')).rejects.toBeInstanceOf(NotFound);
    });
  });

  describe('proposals', () => {
    it('registering a known id returns the stored proposal', async () => {
      const a = await store.insertProposal({ multisig: MULTISIG, transactionIndex: 5n, vault: VAULT, mode: 'register', claim: 'pays escrow 1' });
      expect(a.created).toBe(true);
      expect(a.proposal).toMatchObject({ id: `${MULTISIG}:5`, state: 'received', epoch: 1, transactionIndex: 5n, claim: 'pays escrow 1', mode: 'register' });
      const b = await store.insertProposal({ multisig: MULTISIG, transactionIndex: 5n, vault: VAULT, mode: 'register' });
      expect(b).toEqual({ created: false, proposal: a.proposal });
      expect(await store.getProposalByRowId(a.proposal.rowId)).toEqual(a.proposal);
    });

    it('transitions are compare-and-set and recorded with their cause', async () => {
      const p = await proposal();
      const next = await store.transitionProposal({ rowId: p.rowId, from: 'received', to: 'awaiting-approval', cause: 'policy', detail: { decisionId: 'd1' } });
      expect(next.state).toBe('awaiting-approval');
      const err = await store.transitionProposal({ rowId: p.rowId, from: 'received', to: 'denied', cause: 'policy' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StaleState);
      expect((err as StaleState).actual).toBe('awaiting-approval');
      const ts = await store.transitions(p.rowId);
      expect(ts.map((t) => [t.from, t.to, t.cause, t.epoch])).toEqual([['received', 'awaiting-approval', 'policy', 1]]);
      expect(ts[0]!.detail).toEqual({ decisionId: 'd1' });
      expect((await store.getProposal(p.id))?.state).toBe('awaiting-approval');
    });

    it('an impossible transition is refused by the validator and audit-logged', async () => {
      const p = await proposal();
      const before = await auditCount(store);
      const err = await store
        .transitionProposal({ rowId: p.rowId, from: 'received', to: 'executed', cause: 'chain', validate: () => 'received cannot become executed' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidTransition);
      expect((await store.getProposal(p.id))?.state).toBe('received');
      expect(await auditCount(store)).toBe(before + 1);
      expect((await store.auditEntries()).at(-1)?.type).toBe('proposal.transition-refused');
    });

    it('bumpEpoch starts a new epoch', async () => {
      const p = await proposal();
      expect(await store.bumpEpoch(p.rowId)).toBe(2);
      expect((await store.getProposal(p.id))?.epoch).toBe(2);
      await expect(store.bumpEpoch(999999)).rejects.toBeInstanceOf(NotFound);
    });
  });

  describe('decisions', () => {
    it('keeps every decision with its snapshot gzip-compressed; latestDecision is the last', async () => {
      const p = await proposal();
      await store.recordDecision({ proposalRowId: p.rowId, decision: decision(false), snapshot: { version: 1, now: '2026-11-30T12:00:00Z' } });
      await store.recordDecision({ proposalRowId: p.rowId, decision: decision(true), snapshot: { version: 1, amount: 5n } });
      const latest = await store.latestDecision(p.rowId);
      expect(latest?.decision).toEqual(decision(true));
      expect(latest?.snapshot).toEqual({ version: 1, amount: '5' });
      expect((await store.decisions(p.rowId)).map((d) => d.decision.allowed)).toEqual([false, true]);
      const [raw] = await store.sql.read.all('SELECT snapshot_gz FROM decisions ORDER BY id LIMIT 1');
      expect(Buffer.from(raw!.snapshot_gz).subarray(0, 2).toString('hex')).toBe('1f8b');
    });
  });

  describe('approvals', () => {
    it('a person counts once per epoch: a second press is a Duplicate, not a row', async () => {
      const p = await proposal();
      const vote = { proposalRowId: p.rowId, telegramId: 2001, name: 'bob', role: 'council' as const, vote: 'approve' as const, digest: 'ab'.repeat(32), policyRevision: 'f'.repeat(64), epoch: 1, channel: 'telegram' };
      const first = await store.recordVote(vote);
      expect(first.kind).toBe('recorded');
      const second = await store.recordVote({ ...vote, vote: 'reject' });
      expect(second.kind).toBe('duplicate');
      expect(second.kind === 'duplicate' && second.existing.vote).toBe('approve');
      expect(await store.votes(p.rowId)).toHaveLength(1);
      // A new epoch counts again.
      expect((await store.recordVote({ ...vote, epoch: 2 })).kind).toBe('recorded');
      expect(await store.votes(p.rowId, 2)).toHaveLength(1);
      const withReason = await store.attachReason({ proposalRowId: p.rowId, telegramId: 2001, epoch: 1, reason: 'wrong escrow' });
      expect(withReason.reason).toBe('wrong escrow');
      await expect(store.attachReason({ proposalRowId: p.rowId, telegramId: 9, epoch: 1, reason: 'x' })).rejects.toBeInstanceOf(NotFound);
    });
  });

  describe('reservations', () => {
    it('reserve fills events oldest first and refuses over the remaining loss, changing nothing', async () => {
      const older = await store.recordLossEvent(lossInput({ recordedLoss: 300n, blockTime: 100 }));
      const newer = await store.recordLossEvent(lossInput({ recordedLoss: 500n, blockTime: 200 }));
      const ok = await store.reserve({ vault: VAULT, proposal: `${MULTISIG}:1`, value: 400n, windowStart: WINDOW_START, maxPerWindow: 10_000n });
      expect(ok.ok && ok.rows.map((r) => [r.lossEventId, r.amount])).toEqual([
        [older.id, 300n],
        [newer.id, 100n],
      ]);
      const before = await auditCount(store);
      const refused = await store.reserve({ vault: VAULT, proposal: `${MULTISIG}:2`, value: 401n, windowStart: WINDOW_START, maxPerWindow: 10_000n });
      expect(refused).toEqual({ ok: false, reason: 'the remaining loss is 400, less than 401' });
      expect(await auditCount(store)).toBe(before);
      expect(await store.ledgerForVault(VAULT)).toHaveLength(2);
    });

    it('re-reserving releases the proposal’s own earlier rows', async () => {
      await store.recordLossEvent(lossInput({ recordedLoss: 500n }));
      const p = `${MULTISIG}:1`;
      await store.reserve({ vault: VAULT, proposal: p, value: 400n, windowStart: WINDOW_START, maxPerWindow: 10_000n });
      const again = await store.reserve({ vault: VAULT, proposal: p, value: 450n, windowStart: WINDOW_START, maxPerWindow: 10_000n });
      expect(again.ok).toBe(true);
      expect((await store.ledgerForProposal(p)).map((r) => [r.state, r.amount])).toEqual([
        ['released', 400n],
        ['reserved', 450n],
      ]);
    });

    it('the limits window is re-checked inside the lock', async () => {
      await store.recordLossEvent(lossInput({ recordedLoss: 5_000n }));
      await store.reserve({ vault: VAULT, proposal: `${MULTISIG}:1`, value: 400n, windowStart: WINDOW_START, maxPerWindow: 500n });
      const r = await store.reserve({ vault: VAULT, proposal: `${MULTISIG}:2`, value: 101n, windowStart: WINDOW_START, maxPerWindow: 500n });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain('maxPerWindow 500');
    });

    it('release and compensate move reserved rows only', async () => {
      await store.recordLossEvent(lossInput({ recordedLoss: 5_000n }));
      await store.reserve({ vault: VAULT, proposal: `${MULTISIG}:1`, value: 10n, windowStart: WINDOW_START, maxPerWindow: 10_000n });
      await store.reserve({ vault: VAULT, proposal: `${MULTISIG}:2`, value: 20n, windowStart: WINDOW_START, maxPerWindow: 10_000n });
      expect((await store.compensateReservation(`${MULTISIG}:1`)).map((r) => r.state)).toEqual(['compensated']);
      expect((await store.releaseReservation(`${MULTISIG}:2`)).map((r) => r.state)).toEqual(['released']);
      const before = await auditCount(store);
      expect(await store.releaseReservation(`${MULTISIG}:1`)).toEqual([]);
      expect(await auditCount(store)).toBe(before);
      expect((await store.ledgerForVault(VAULT)).map((r) => r.state)).toEqual(['compensated', 'released']);
    });
  });

  describe('intents, webhooks, cards and timers', () => {
    it('intents are stored before sending and their status updated', async () => {
      const bytes = new Uint8Array([1, 2, 3, 250]);
      const i = await store.recordIntent({ proposal: `${MULTISIG}:5`, kind: 'approve-execute', transaction: bytes, signature: 'sigA', blockhash: 'bh', lastValidBlockHeight: 123456789012n });
      expect(i.status).toBe('sent');
      const latest = await store.latestIntent(`${MULTISIG}:5`);
      expect(latest).toMatchObject({ kind: 'approve-execute', signature: 'sigA', blockhash: 'bh', lastValidBlockHeight: 123456789012n });
      expect([...latest!.transaction]).toEqual([1, 2, 3, 250]);
      expect((await store.updateIntentStatus(i.id, 'landed')).status).toBe('landed');
      expect(await store.latestIntent('other:1')).toBeNull();
    });

    it('webhook deliveries answer again by (source, key); replayed signatures are remembered; prune drops old ones', async () => {
      const at = new Date('2026-11-30T12:00:00.000Z');
      await store.storeDelivery({ source: 'kamino-risk', idempotencyKey: 'k1', bodyHash: 'h1', statusCode: 201, responseBody: '{"ok":true}', at });
      expect(await store.getDelivery('kamino-risk', 'k1')).toEqual({ source: 'kamino-risk', idempotencyKey: 'k1', bodyHash: 'h1', statusCode: 201, responseBody: '{"ok":true}', at });
      expect(await store.getDelivery('other', 'k1')).toBeNull();
      expect(await store.rememberSignature({ signature: 'S1', at })).toBe('new');
      expect(await store.rememberSignature({ signature: 'S1', at })).toBe('replayed');
      expect(await store.isSignatureRemembered('S1')).toBe(true);
      const pruned = await store.pruneWebhookState({ deliveriesBefore: new Date(at.getTime() + 1), signaturesBefore: new Date(at.getTime() - 1) });
      expect(pruned).toEqual({ deliveries: 1, signatures: 0 });
      expect(await store.getDelivery('kamino-risk', 'k1')).toBeNull();
      expect(await store.isSignatureRemembered('S1')).toBe(true);
    });

    it('a refusal’s audit entry and replay record are one write', async () => {
      const before = await auditCount(store);
      await store.rememberSignature({ signature: 'S2', at: new Date(), note: { type: 'request.refused', payload: { status: 403, source: 'kamino-risk' } } });
      expect(await auditCount(store)).toBe(before + 1);
      expect((await store.auditEntries()).at(-1)).toMatchObject({ type: 'request.refused', payload: { status: 403, source: 'kamino-risk', signature: 'S2' } });
    });

    it('cards keep chat, message, last rendered hash and a pending render', async () => {
      const p = await proposal();
      await store.upsertCard({ proposalRowId: p.rowId, chatId: -1001234567890, messageId: 42, lastRenderedHash: 'h1', pendingRender: false });
      const c = await store.setCardRender({ proposalRowId: p.rowId, pendingRender: true });
      expect(c).toMatchObject({ chatId: -1001234567890, messageId: 42, lastRenderedHash: 'h1', pendingRender: true });
      expect((await store.pendingCards()).map((x) => x.proposalRowId)).toEqual([p.rowId]);
      await store.setCardRender({ proposalRowId: p.rowId, lastRenderedHash: 'h2', pendingRender: false });
      expect(await store.pendingCards()).toEqual([]);
      expect((await store.getCard(p.rowId))?.lastRenderedHash).toBe('h2');
    });

    it('timers come due in order and survive a restart', async () => {
      const p = await proposal();
      const t1 = await store.addTimer({ kind: 'expire', proposalRowId: p.rowId, dueAt: new Date('2026-12-01T00:00:00Z'), payload: { epoch: 1 } });
      await store.addTimer({ kind: 'remind', proposalRowId: p.rowId, dueAt: new Date('2026-11-30T14:00:00Z') });
      await store.addTimer({ kind: 'poll', proposalRowId: null, dueAt: new Date('2027-01-01T00:00:00Z') });
      await store.close();
      store = await open(db);
      const due = await store.dueTimers(new Date('2026-12-01T00:00:00Z'));
      expect(due.map((t) => t.kind)).toEqual(['remind', 'expire']);
      expect(due[1]!.payload).toEqual({ epoch: 1 });
      expect(await store.deleteTimer(t1.id)).toBe(true);
      expect(await store.deleteTimer(t1.id)).toBe(false);
      expect((await store.timersFor(p.rowId)).map((t) => t.kind)).toEqual(['remind']);
    });
  });

  describe('audit log', () => {
    it('every mutation writes exactly one audit entry, and the chain verifies against the head file', async () => {
      const steps: [string, () => Promise<unknown>][] = [];
      let rowId = 0;
      let leId = '';
      let intentId = 0;
      let timerId = 0;
      steps.push(['recordLossEvent', async () => (leId = (await store.recordLossEvent(lossInput())).id)]);
      steps.push(['insertProposal', async () => (rowId = (await proposal(9n)).rowId)]);
      steps.push(['updateProposal', () => store.updateProposal(rowId, { digest: 'ab'.repeat(32), policyRevision: 'r1' })]);
      steps.push(['transitionProposal', () => store.transitionProposal({ rowId, from: 'received', to: 'awaiting-approval', cause: 'policy' })]);
      steps.push(['bumpEpoch', () => store.bumpEpoch(rowId)]);
      steps.push(['recordDecision', () => store.recordDecision({ proposalRowId: rowId, decision: decision(true), snapshot: {} })]);
      steps.push(['recordVote', () => store.recordVote({ proposalRowId: rowId, telegramId: 1001, name: 'alice', role: 'curator', vote: 'approve', digest: null, policyRevision: 'r1', epoch: 2, channel: 'telegram' })]);
      steps.push(['attachReason', () => store.attachReason({ proposalRowId: rowId, telegramId: 1001, epoch: 2, reason: 'r' })]);
      steps.push(['reserve', () => store.reserve({ vault: VAULT, proposal: `${MULTISIG}:9`, value: 5n, windowStart: WINDOW_START, maxPerWindow: 100n })]);
      steps.push(['compensateReservation', () => store.compensateReservation(`${MULTISIG}:9`)]);
      steps.push(['reserve', () => store.reserve({ vault: VAULT, proposal: `${MULTISIG}:10`, value: 5n, windowStart: WINDOW_START, maxPerWindow: 100n })]);
      steps.push(['releaseReservation', () => store.releaseReservation(`${MULTISIG}:10`)]);
      steps.push(['recordIntent', async () => (intentId = (await store.recordIntent({ proposal: `${MULTISIG}:9`, kind: 'approve', transaction: new Uint8Array([1]), signature: 's', blockhash: 'b', lastValidBlockHeight: 1n })).id)]);
      steps.push(['updateIntentStatus', () => store.updateIntentStatus(intentId, 'recorded')]);
      steps.push(['rememberSignature', () => store.rememberSignature({ signature: 'sig', at: new Date(0) })]);
      steps.push(['pruneWebhookState', () => store.pruneWebhookState({ deliveriesBefore: new Date(), signaturesBefore: new Date(1) })]);
      steps.push(['upsertCard', () => store.upsertCard({ proposalRowId: rowId, chatId: 1, messageId: 2, lastRenderedHash: null, pendingRender: false })]);
      steps.push(['setCardRender', () => store.setCardRender({ proposalRowId: rowId, pendingRender: true })]);
      steps.push(['addTimer', async () => (timerId = (await store.addTimer({ kind: 'remind', proposalRowId: rowId, dueAt: new Date() })).id)]);
      steps.push(['deleteTimer', () => store.deleteTimer(timerId)]);
      steps.push(['closeLossEvent', () => store.closeLossEvent(leId)]);
      steps.push(['appendAudit', () => store.appendAudit('alert', { message: 'policy reload failed' })]);
      for (const [name, step] of steps) {
        const before = await auditCount(store);
        await step();
        expect({ name, added: (await auditCount(store)) - before }).toEqual({ name, added: 1 });
      }
      // An idempotency record is audited by its request's own entry (webhook.accepted / refused), not again.
      const beforeDelivery = await auditCount(store);
      await store.storeDelivery({ source: 's', idempotencyKey: 'k', bodyHash: 'h', statusCode: 201, responseBody: '{}', at: new Date() });
      expect((await auditCount(store)) - beforeDelivery).toBe(0);
      const entries = await store.auditEntries();
      expect(entries.map((e) => e.seq)).toEqual(steps.map((_, i) => i + 1));
      expect(entries[0]!.prevHash).toBe('0'.repeat(64));
      expect(entries[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const head = readAuditHead(db.headFile);
      expect(head).toEqual(await store.auditHead());
      expect(verifyAudit({ entries, publicKey: AUDIT_KEY.publicKey, head })).toMatchObject({ ok: true, unanchored: 0, lastSeq: steps.length });
      expect((await store.auditEntries({ sinceSeq: 20 })).map((e) => e.seq)).toEqual([20, 21, 22]);
    });

    describe('tampering', () => {
      async function logOf(n: number) {
        for (let i = 0; i < n; i++) await store.appendAudit('note', { i, text: `entry ${i + 1}` });
        return readAuditHead(db.headFile);
      }
      const verify = async (head: ReturnType<typeof readAuditHead>) => verifyAudit({ entries: await store.auditEntries(), publicKey: AUDIT_KEY.publicKey, head });

      it('catches an edited payload', async () => {
        const head = await logOf(5);
        await store.sql.read.run('UPDATE audit_log SET payload = $1 WHERE seq = 3', ['{"i":2,"text":"entry 99"}']);
        expect(await verify(head)).toMatchObject({ ok: false, seq: 3, reason: 'edited' });
      });

      it('catches a deleted row', async () => {
        const head = await logOf(5);
        await store.sql.read.run('DELETE FROM audit_log WHERE seq = 2');
        expect(await verify(head)).toMatchObject({ ok: false, seq: 2, reason: 'deleted' });
      });

      it('catches a swapped pair', async () => {
        const head = await logOf(5);
        const rows = await store.sql.read.all('SELECT * FROM audit_log WHERE seq IN (2, 3) ORDER BY seq');
        const [a, b] = rows as [Record<string, unknown>, Record<string, unknown>];
        const put = (seq: number, r: Record<string, unknown>) =>
          store.sql.read.run('UPDATE audit_log SET at = $1, type = $2, payload = $3, prev_hash = $4, hash = $5, signature = $6 WHERE seq = $7', [
            String(r.at), String(r.type), String(r.payload), String(r.prev_hash), String(r.hash), String(r.signature), seq,
          ]);
        await put(2, b);
        await put(3, a);
        expect(await verify(head)).toMatchObject({ ok: false, seq: 2, reason: 'swapped' });
      });

      it('catches a truncated tail', async () => {
        const head = await logOf(5);
        await store.sql.read.run('DELETE FROM audit_log WHERE seq >= 4');
        expect(await verify(head)).toMatchObject({ ok: false, seq: 5, reason: 'truncated' });
      });

      it('catches a re-signed entry (forged) and reports entries after the head as unanchored', async () => {
        const head = await logOf(3);
        // Entries written after the head was saved (e.g. the head write was lost) pass as unanchored.
        await store.appendAudit('late', { n: 1 });
        await store.appendAudit('late', { n: 2 });
        expect(await verify(head)).toMatchObject({ ok: true, anchoredSeq: 3, unanchored: 2 });
        await store.sql.read.run('UPDATE audit_log SET signature = $1 WHERE seq = 4', ['00'.repeat(64)]);
        expect(await verify(head)).toMatchObject({ ok: false, seq: 4, reason: 'forged' });
      });
    });
  });

  describe('errors', () => {
    if (engine === 'sqlite') {
      it('a writer kept out past the bounded wait gets StoreUnavailable', async () => {
        const quick = await open(db, { busyTimeoutMs: 50 });
        extra.push(quick);
        const blocker = new Database(db.database);
        blocker.exec('BEGIN IMMEDIATE');
        try {
          await expect(quick.appendAudit('x', {})).rejects.toBeInstanceOf(StoreUnavailable);
        } finally {
          blocker.exec('ROLLBACK');
          blocker.close();
        }
        await expect(quick.appendAudit('x', {})).resolves.toBeTruthy();
      });
    } else {
      it('a refused connection is StoreUnavailable', async () => {
        const err = await openStore({ database: 'postgres://postgres@127.0.0.1:1/none', auditKey: AUDIT_KEY, headFile: db.headFile }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreUnavailable);
      });

      it('a connection dropped mid-transaction is StoreUnavailable, and the next call reconnects', async () => {
        const engine = store.sql as PostgresEngine;
        const err = await engine.transaction(async (tx) => tx.all('SELECT pg_terminate_backend(pg_backend_pid())')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreUnavailable);
        await expect(store.appendAudit('after', {})).resolves.toBeTruthy();
      });
    }
  });
});

describeEngines('store as the policy engine’s LossRecords', (engine) => {
  it('answers loss events, their transactions and the ledger of a vault', async () => {
    const { lossRecordsFrom } = await import('../../src/store/loss-records.ts');
    const db = await freshDatabase(engine);
    const store = await open(db);
    try {
      const e = await store.recordLossEvent(lossInput());
      await store.reserve({ vault: VAULT, proposal: `${MULTISIG}:1`, value: 10n, windowStart: WINDOW_START, maxPerWindow: 100n });
      const records = lossRecordsFrom(store);
      expect((await records.lossEvents(VAULT)).map((x) => x.id)).toEqual([e.id]);
      expect((await records.ledger(VAULT)).map((r) => r.amount)).toEqual([10n]);
      expect((await records.transaction(e.signature))?.kind).toBe('found');
      expect(await records.transaction('unknown')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
