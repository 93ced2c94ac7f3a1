/**
 * docs/telegram.md "an outage loses nothing": with the Telegram emulator stopped while a card and an edit are
 * due, both arrive once it is back (`retryPending`), and no press is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlePress, digestField } from '../../src/workflow/votes.ts';
import type { Log } from '../../src/workflow/ports.ts';
import { botMessage, CHAT, dataFor, press, startWorld, TOKEN, waitFor, type World } from './support.ts';

const lines: string[] = [];
const log: Log = {
  info: (o, m) => void lines.push(`info ${m} ${JSON.stringify(o)}`),
  warn: (o, m) => void lines.push(`warn ${m} ${JSON.stringify(o)}`),
  error: (o, m) => void lines.push(`error ${m} ${JSON.stringify(o)}`),
  debug: (o, m) => void lines.push(`debug ${m} ${JSON.stringify(o)}`),
};

let w: World;
beforeAll(async () => {
  w = await startWorld({ log });
  await w.recordLoss();
});
afterAll(async () => {
  await w.close();
});

describe('Telegram outage', () => {
  it('a card and an edit due while Telegram is down both arrive after it is back; no press is lost', async () => {
    const a = await w.freshProposal();
    await press(w.user(1001), await dataFor(w.store, a.row.rowId, 'a'), a.messageId);
    await waitFor(async () => (await w.store.votes(a.row.rowId)).length === 1, 'the first approval');
    await waitFor(() => botMessage(w.tg, a.messageId)!.text.includes('Curator 1 of 1'), 'the first edit');

    // The emulator's stop() empties its storage; keep it, as Telegram keeps its messages through an outage.
    const saved = w.tg.storage;
    await w.tg.stop();

    // A press that reached the bot just before the outage: it counts, but its card edit cannot be sent.
    const row = (await w.store.getProposalByRowId(a.row.rowId))!;
    const outcome = await handlePress(w.wf, {
      rowId: row.rowId, action: 'approve', digestPrefix: digestField(row.digest), epoch: row.epoch,
      telegramId: 2001, name: 'bob', chatId: CHAT, messageId: a.messageId,
    });
    expect(outcome.kind).toBe('counted');
    expect((await w.store.getCard(a.row.rowId))!.pendingRender).toBe(true);

    // A new proposal while Telegram is down: its card is stored as pending, without a message id yet.
    const b = await w.freshProposal({ waitForCard: false });
    expect(await w.store.getCard(b.row.rowId)).toMatchObject({ messageId: 0, pendingRender: true });
    expect(await w.notifier.retryPending()).toBe(2); // still down: both stay pending

    await w.tg.start();
    w.tg.storage = saved;
    expect(await w.notifier.retryPending()).toBe(0);

    const cardB = (await w.store.getCard(b.row.rowId))!;
    expect(cardB.pendingRender).toBe(false);
    expect(cardB.messageId).toBeGreaterThan(0);
    expect(botMessage(w.tg, cardB.messageId)!.text).toContain(`<b>#${b.row.rowId} `);
    expect((await w.store.getCard(a.row.rowId))!.pendingRender).toBe(false);
    expect(botMessage(w.tg, a.messageId)!.text).toContain('Council 1 of 2: bob ✅');

    // Polling resumed: the last approval through the emulator reaches quorum.
    await press(w.user(2002), await dataFor(w.store, a.row.rowId, 'a'), a.messageId);
    await waitFor(async () => (await w.store.getProposalByRowId(a.row.rowId))!.state === 'approved', 'approved after the outage', 8000);
    expect((await w.store.votes(a.row.rowId)).map((v) => v.telegramId)).toEqual([1001, 2001, 2002]);
    // And the new card takes presses.
    await press(w.user(1001), await dataFor(w.store, b.row.rowId, 'a'), cardB.messageId);
    await waitFor(async () => (await w.store.votes(b.row.rowId)).length === 1, 'a press on the late card');
  });

  it('logs the failures without the bot token', () => {
    expect(lines.some((l) => l.startsWith('warn card not posted'))).toBe(true);
    expect(lines.some((l) => l.startsWith('warn card not edited'))).toBe(true);
    expect(lines.some((l) => l.includes('setMyCommands failed'))).toBe(true);
    const secret = TOKEN.split(':')[1]!;
    if (process.env.SHOW_LOG) console.log(lines.join('\n'));
    expect(lines.filter((l) => l.includes(secret))).toEqual([]);
  });
});
