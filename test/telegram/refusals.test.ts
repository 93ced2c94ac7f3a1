/**
 * docs/telegram.md: refused presses are answered every time and audit-logged, but one user's repeated
 * refusals within a minute are ONE audit entry with a count (the first is audited at once). Through
 * the real bot and emulator, and the folder's own edges (timer, next refusal, failed writes, stop).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import type { AuditEntry } from '../../src/store/audit.ts';
import type { Log } from '../../src/workflow/ports.ts';
import { RefusalFolder, refusalFolderOf } from '../../src/workflow/refusals.ts';
import { handlePress } from '../../src/workflow/votes.ts';
import { dataFor, press, startWorld, waitFor, type World } from './support.ts';

let w: World;
let answered = 0;
beforeAll(async () => {
  w = await startWorld();
  await w.recordLoss();
  w.bot.bot.api.config.use((prev, method, payload, signal) => {
    if (method === 'answerCallbackQuery') answered += 1;
    return prev(method, payload, signal);
  });
}, 60_000);
afterAll(async () => {
  await w.close();
});

const refusedOf = async (telegramId: number): Promise<AuditEntry[]> =>
  (await w.store.auditEntries()).filter((e) => e.type === 'press.refused' && (e.payload as { telegramId?: number }).telegramId === telegramId);

describe('a burst of refused presses through the bot', () => {
  it('1,000 presses by a non-member within a minute: each answered, one entry at once, one folded entry with the count on stop', async () => {
    const { row, messageId } = await w.freshProposal();
    const data = await dataFor(w.store, row.rowId, 'a');
    const mallory = w.user(SANDBOX_TELEGRAM.outsider, 'Mallory');
    const before = (await refusedOf(SANDBOX_TELEGRAM.outsider)).length;
    const answeredBefore = answered;
    const BURST = 1000;
    for (let i = 0; i < BURST; i++) await press(mallory, data, messageId);
    await waitFor(() => answered - answeredBefore >= BURST, `${BURST} answers`, 30_000);
    expect(answered - answeredBefore).toBe(BURST);
    expect(await w.store.votes(row.rowId)).toEqual([]);
    const during = await refusedOf(SANDBOX_TELEGRAM.outsider);
    expect(during.length - before).toBe(1);
    expect(during.at(-1)!.payload).toMatchObject({ telegramId: SANDBOX_TELEGRAM.outsider, rowId: row.rowId, reason: expect.stringContaining('roster') });
    expect(during.at(-1)!.payload).not.toHaveProperty('count');

    await w.bot.stop(); // a clean stop writes what was counted
    const after = await refusedOf(SANDBOX_TELEGRAM.outsider);
    expect(after.length - before).toBe(2);
    expect(after.at(-1)!.payload).toMatchObject({
      telegramId: SANDBOX_TELEGRAM.outsider,
      rowId: row.rowId,
      count: BURST - 1,
      since: w.clock.now.toISOString(),
      until: w.clock.now.toISOString(),
      reasons: { 'You are not on this vault’s roster.': BURST - 1 },
    });
    await w.restart(); // a polling bot again for the next tests
  }, 60_000);

  it('1,000 concurrent refused presses handled by the workflow with the bot’s folder: every one refused, one entry, then the fold at the next minute', async () => {
    const { row, messageId } = await w.freshProposal();
    const folder = refusalFolderOf(w.wf)!;
    expect(folder).toBeDefined();
    const before = (await refusedOf(2001)).length;
    const base = { rowId: row.rowId, action: 'approve' as const, digestPrefix: '0000000000000000', epoch: row.epoch, telegramId: 2001, name: 'bob', chatId: SANDBOX_TELEGRAM.chatId, messageId };
    const outcomes = await Promise.all(Array.from({ length: 1000 }, () => handlePress(w.wf, base)));
    expect(outcomes.every((o) => o.kind === 'refused' && /out of date/.test(o.text))).toBe(true);
    expect((await refusedOf(2001)).length - before).toBe(1);
    expect(folder.pending).toBe(1);

    // The next refusal after the minute writes the folded entry, then its own.
    w.clock.now = new Date(w.clock.now.getTime() + 60_000);
    expect(await handlePress(w.wf, { ...base, chatId: -1 })).toMatchObject({ kind: 'refused' });
    const entries = await refusedOf(2001);
    expect(entries.length - before).toBe(3);
    expect(entries.at(-2)!.payload).toMatchObject({ count: 999, reasons: { 'This button is out of date: the proposal changed. Use the current card.': 999 } });
    expect(entries.at(-1)!.payload).toMatchObject({ chatId: -1, reason: 'Votes count only in the policy chat.' });
    expect(entries.at(-1)!.payload).not.toHaveProperty('count');
  }, 60_000);
});

/** A store double for the folder's edges: records entries, can fail. */
function recorder() {
  const entries: { type: string; payload: Record<string, unknown> }[] = [];
  let failing = false;
  return {
    entries,
    fail: (f: boolean) => (failing = f),
    store: {
      appendAudit: async (type: string, payload: object) => {
        if (failing) throw new Error('database down');
        entries.push({ type, payload: payload as Record<string, unknown> });
        return {} as AuditEntry;
      },
    },
  };
}
class Errors implements Log {
  readonly lines: object[] = [];
  info() {}
  warn() {}
  debug() {}
  error(obj: object) {
    this.lines.push(obj);
  }
}

describe('the refusal folder', () => {
  const t0 = new Date('2026-12-01T10:00:00Z');

  it('writes the folded entry when the minute ends by its timer, and keeps users apart', async () => {
    const r = recorder();
    const folder = new RefusalFolder({ store: r.store, now: () => t0, log: new Errors(), windowMs: 50 });
    for (let i = 0; i < 5; i++) await folder.refused(1, { telegramId: 1, reason: 'a' });
    await folder.refused(2, { telegramId: 2, reason: 'b' });
    expect(r.entries.map((e) => e.payload)).toEqual([{ telegramId: 1, reason: 'a' }, { telegramId: 2, reason: 'b' }]);
    await waitFor(() => r.entries.length === 3, 'the folded entry', 2000);
    expect(r.entries[2]!.payload).toEqual({ telegramId: 1, reason: 'a', count: 4, since: t0.toISOString(), until: t0.toISOString(), reasons: { a: 4 } });
    expect(folder.pending).toBe(0);
    // A new window after it: audited at once again.
    await folder.refused(1, { telegramId: 1, reason: 'c' });
    expect(r.entries.at(-1)!.payload).toEqual({ telegramId: 1, reason: 'c' });
  });

  it('a first refusal that cannot be written throws and is counted into the folded entry; a failed fold write is logged with its count', async () => {
    const r = recorder();
    const log = new Errors();
    let now = t0;
    const folder = new RefusalFolder({ store: r.store, now: () => now, log });
    r.fail(true);
    await expect(folder.refused(7, { telegramId: 7, reason: 'x' })).rejects.toThrow('database down');
    await folder.refused(7, { telegramId: 7, reason: 'y' });
    r.fail(false);
    now = new Date(t0.getTime() + 30_000);
    await folder.flush();
    expect(r.entries.map((e) => e.payload)).toEqual([{ telegramId: 7, reason: 'y', count: 2, since: t0.toISOString(), until: t0.toISOString(), reasons: { x: 1, y: 1 } }]);

    await folder.refused(8, { telegramId: 8, reason: 'z' });
    await folder.refused(8, { telegramId: 8, reason: 'z' });
    r.fail(true);
    await folder.flush();
    expect(log.lines).toEqual([expect.objectContaining({ telegramId: 8, count: 1 })]);
  });

  it('counts at most 16 distinct reasons per entry, the rest as "other reasons"', async () => {
    const r = recorder();
    const folder = new RefusalFolder({ store: r.store, now: () => t0, log: new Errors() });
    for (let i = 0; i <= 20; i++) await folder.refused(9, { telegramId: 9, reason: `r${i}` });
    await folder.flush();
    const reasons = r.entries[1]!.payload['reasons'] as Record<string, number>;
    expect(Object.keys(reasons)).toHaveLength(17);
    expect(reasons['other reasons']).toBe(4);
    expect(r.entries[1]!.payload['count']).toBe(20);
  });
});
