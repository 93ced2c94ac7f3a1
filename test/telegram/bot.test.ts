/**
 * docs/telegram.md end to end: the real grammY bot long-polling the telegram-test-api emulator, over a real
 * Workflow (LiteSVM harness, ChainReader, SQLite store, example policy). The emulator's
 * answerCallbackQuery is a no-op, so outcomes are read from the store and from the card as the
 * emulator holds it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { currentTally } from '../../src/workflow/votes.ts';
import { runDueTimers } from '../../src/workflow/tick.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import { botMessage, buttons, CHAT, dataFor, detailsButton, press, startWorld, waitFor, type World } from './support.ts';

let w: World;
beforeAll(async () => {
  w = await startWorld();
  await w.recordLoss();
});
afterAll(async () => {
  await w.close();
});

const freshProposal = (o?: Parameters<World['freshProposal']>[0]) => w.freshProposal(o);

const state = async (rowId: number) => (await w.store.getProposalByRowId(rowId))!.state;
const cardOf = (messageId: number) => botMessage(w.tg, messageId)!;
const refusedCount = async () => (await w.store.auditEntries()).filter((e) => e.type === 'press.refused').length;

describe('the card', () => {
  it('is posted once per proposal in the policy chat with Approve and Reject bound to row, digest and epoch', async () => {
    const { row, messageId } = await freshProposal();
    const card = cardOf(messageId);
    const stored = w.tg.storage.botMessages.find((m) => m.messageId === messageId)!;
    expect(Number(stored.message.chat_id)).toBe(CHAT);
    expect(card.text).toContain('Awaiting approval');
    expect(card.text).toContain('Sandbox USDC vault');
    expect(card.text).toContain('Withdraw <b>100.00 kUSDC</b> ≈ 98.20 USDC');
    expect(card.text).toContain(`distributor-1 <code>${SANDBOX.escrow.slice(0, 4)}…${SANDBOX.escrow.slice(-4)}</code>`);
    expect(card.text).toContain(`<code>${row.digest!.slice(0, 16)}</code>`);
    // The sandbox's RPC is local: links go to the explorer on that cluster, not to mainnet or the Squads app.
    expect(card.text).toContain('cluster=custom&amp;customUrl=');
    expect(card.text).not.toContain('app.squads.so');
    expect(buttons(card.keyboard)).toEqual([await dataFor(w.store, row.rowId, 'a'), await dataFor(w.store, row.rowId, 'r')]);
    expect(w.tg.storage.botMessages.filter((m) => (m.message.text ?? '').startsWith(`<b>#${row.rowId} `))).toHaveLength(1);
  });

  it('a denied proposal gets no Approve button, only Reject', async () => {
    const { row, messageId } = await freshProposal({ pays: 'outsider' });
    expect(await state(row.rowId)).toBe('denied');
    const card = cardOf(messageId);
    expect(card.text).toContain('Denied by policy');
    expect(card.text).toContain('❌ destination-escrow');
    expect(buttons(card.keyboard)).toEqual([await dataFor(w.store, row.rowId, 'r')]);
  });

  it('escapes a claim containing <b>&" and stays valid HTML; callback data stays within 64 bytes', async () => {
    const claim = 'pay <b>me</b> & "friends" <script>';
    const { row, messageId } = await freshProposal({ claim });
    const card = cardOf(messageId);
    expect(card.text).not.toContain('<script>');
    expect(card.text).not.toContain('<b>me');
    expect(htmlProblems(card.text)).toEqual([]);
    // The claim is in the Details view, escaped.
    await press(w.user(2001, 'Bob'), detailsButton(card.keyboard)!, messageId);
    const details = await waitFor(() => w.tg.storage.botMessages.find((m) => (m.message as { reply_parameters?: { message_id: number } }).reply_parameters?.message_id === messageId && (m.message.text ?? '').includes('details')), 'the details reply');
    expect(details.message.text).toContain('pay &lt;b&gt;me&lt;/b&gt; &amp; &quot;friends&quot; &lt;script&gt;');
    expect(details.message.text).toContain(`<code>${SANDBOX.escrow}</code>`);
    expect(htmlProblems(details.message.text!)).toEqual([]);
    for (const data of buttons(card.keyboard)) expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(row.claim).toBe(claim);
  });
});

describe('approval through the buttons', () => {
  it('curator 1001 and council 2001, 2002 approve: approved, the card shows them and loses Approve; then signing shows', async () => {
    const { row, messageId } = await freshProposal();
    const approve = await dataFor(w.store, row.rowId, 'a');
    await press(w.user(1001, 'Alice'), approve, messageId);
    await waitFor(() => cardOf(messageId).text.includes('Curator 1 of 1: alice ✅'), 'alice on the card');
    await press(w.user(2001, 'Bob'), approve, messageId);
    await waitFor(() => cardOf(messageId).text.includes('Council 1 of 2: bob ✅ · 1 more needed'), 'bob on the card');
    expect(await state(row.rowId)).toBe('awaiting-approval');
    await press(w.user(2002, 'Carol'), approve, messageId);
    await waitFor(async () => (await state(row.rowId)) === 'approved', 'approved');
    const card = await waitFor(() => (cardOf(messageId).text.includes('Approved') ? cardOf(messageId) : null), 'the approved card');
    expect(card.text).toContain('Council 2 of 2: bob ✅, carol ✅');
    expect(buttons(card.keyboard)).toEqual([await dataFor(w.store, row.rowId, 'r')]);
    expect((await w.store.votes(row.rowId)).map((v) => [v.telegramId, v.role, v.vote])).toEqual([
      [1001, 'curator', 'approve'],
      [2001, 'council', 'approve'],
      [2002, 'council', 'approve'],
    ]);

    await pollOnce(w.wf); // the curator's on-chain vote is in the fixture: the co-signer signs last
    expect(await state(row.rowId)).toBe('signing');
    const signing = await waitFor(() => (cardOf(messageId).text.includes('Signing') ? cardOf(messageId) : null), 'the signing card');
    expect(signing.text).toContain('Signing</b> — approval sent');
    expect(buttons(signing.keyboard)).toEqual([]);
  });
});

describe('presses that count nothing (each is answered, audit-logged, and changes nothing)', () => {
  let rowId: number;
  let messageId: number;
  beforeEach(async () => {
    ({ row: { rowId }, messageId } = await freshProposal());
  });

  async function expectRefused(act: () => Promise<void>) {
    // A minute later: the press is its user's first refusal of a minute, so it is audited at once (not folded).
    w.clock.now = new Date(w.clock.now.getTime() + 61_000);
    const before = { refused: await refusedCount(), votes: (await w.store.votes(rowId)).length, state: await state(rowId) };
    await act();
    await waitFor(async () => (await refusedCount()) === before.refused + 1, 'the refusal in the audit log');
    expect((await w.store.votes(rowId)).length).toBe(before.votes);
    expect(await state(rowId)).toBe(before.state);
    return (await w.store.auditEntries()).filter((e) => e.type === 'press.refused').at(-1)!.payload as Record<string, unknown>;
  }

  it('a press by a non-member (3001)', async () => {
    const entry = await expectRefused(async () => press(w.user(3001, 'Mallory'), await dataFor(w.store, rowId, 'a'), messageId));
    expect(entry).toMatchObject({ telegramId: 3001, rowId, reason: expect.stringContaining('roster') });
  });

  it('a second press by the same person', async () => {
    await press(w.user(2001), await dataFor(w.store, rowId, 'a'), messageId);
    await waitFor(async () => (await w.store.votes(rowId)).length === 1, 'the first vote');
    const entry = await expectRefused(async () => press(w.user(2001), await dataFor(w.store, rowId, 'a'), messageId));
    expect(entry['reason']).toMatch(/already voted/);
  });

  it('a curator never counts toward the council', async () => {
    await press(w.user(1001), await dataFor(w.store, rowId, 'a'), messageId);
    await waitFor(async () => (await w.store.votes(rowId)).length === 1, 'the curator vote');
    await expectRefused(async () => press(w.user(1001), await dataFor(w.store, rowId, 'a'), messageId));
    const t = (await currentTally(w.wf, (await w.store.getProposalByRowId(rowId))!))!;
    expect(t.curatorApprovals.map((m) => m.telegramId)).toEqual([1001]);
    expect(t.councilApprovals).toEqual([]);
    await waitFor(() => cardOf(messageId).text.includes('Council 0 of 2 · 2 more needed'), 'no council approval on the card');
  });

  it('a press from another chat', async () => {
    const entry = await expectRefused(async () => press(w.user(2001), await dataFor(w.store, rowId, 'a'), messageId, { id: -999, type: 'group' }));
    expect(entry).toMatchObject({ chatId: -999 });
  });

  it('a press on another card (wrong message id)', async () => {
    const entry = await expectRefused(async () => press(w.user(2001), await dataFor(w.store, rowId, 'a'), messageId + 1000));
    expect(entry['reason']).toMatch(/not this proposal/);
  });

  it('a button for an old digest', async () => {
    const entry = await expectRefused(async () => press(w.user(2001), await dataFor(w.store, rowId, 'a', { digest: '0123456789abcdef' }), messageId));
    expect(entry['reason']).toMatch(/out of date/);
  });

  it('a button for an old epoch (approvals voided since)', async () => {
    const old = await dataFor(w.store, rowId, 'a');
    await w.wf.invalidate(rowId, 'the roster changed');
    expect((await w.store.getProposalByRowId(rowId))!.epoch).toBe(2);
    await waitFor(() => buttons(cardOf(messageId).keyboard).includes(old) === false, 'the card with epoch-2 buttons');
    const entry = await expectRefused(async () => press(w.user(2001), old, messageId));
    expect(entry).toMatchObject({ epoch: 1, reason: expect.stringMatching(/out of date/) });
  });

  it('a press after expiry', async () => {
    const data = await dataFor(w.store, rowId, 'a');
    const saved = w.clock.now;
    w.clock.now = new Date(saved.getTime() + 25 * 3600 * 1000);
    try {
      await runDueTimers(w.wf);
    } finally {
      w.clock.now = saved;
    }
    expect(await state(rowId)).toBe('expired');
    const card = await waitFor(() => (cardOf(messageId).text.includes('Expired') ? cardOf(messageId) : null), 'the expired card');
    expect(buttons(card.keyboard)).toEqual([]);
    const entry = await expectRefused(async () => press(w.user(2001), data, messageId));
    expect(entry['reason']).toMatch(/expired/);
  });

  it('malformed button data', async () => {
    const entry = await expectRefused(async () => press(w.user(2001), `a:${rowId}:zz:1`, messageId));
    expect(entry['reason']).toBe('malformed button data');
  });

  it('a presser whose name holds control characters is audited without them', async () => {
    const client = w.tg.getClient(w.bot.bot.token, { userId: 3001, chatId: CHAT, userName: 'mal\u0000lory\u001b[2J\r\nOK', type: 'group', chatTitle: 'backstop', timeout: 5000 } as never);
    const entry = await expectRefused(async () => press(client, await dataFor(w.store, rowId, 'a'), messageId));
    expect(entry['name']).toBe('@mallory[2J OK');
  });
});

describe('Reject', () => {
  it('a Reject racing the last approval holds signing; Confirm rejects it', async () => {
    const { row, messageId } = await freshProposal();
    const approve = await dataFor(w.store, row.rowId, 'a');
    await press(w.user(1001), approve, messageId);
    await press(w.user(2001), approve, messageId);
    await waitFor(async () => (await w.store.votes(row.rowId)).length === 2, 'two approvals');
    await press(w.user(2003, 'Dave'), await dataFor(w.store, row.rowId, 'r'), messageId);
    const held = await waitFor(() => (cardOf(messageId).text.includes('dave’s Reject holds signing') ? cardOf(messageId) : null), 'the hold on the card');
    expect(buttons(held.keyboard)).toEqual([approve, await dataFor(w.store, row.rowId, 'y'), await dataFor(w.store, row.rowId, 'n')]);

    await press(w.user(2002), approve, messageId);
    await waitFor(async () => (await state(row.rowId)) === 'approved', 'approved');
    await pollOnce(w.wf);
    expect(await state(row.rowId)).toBe('approved'); // held: nothing signed
    expect(await w.store.latestIntent(row.id)).toBeNull();

    const refusedBefore = await refusedCount();
    await press(w.user(2002), await dataFor(w.store, row.rowId, 'y'), messageId); // only the holder confirms
    await waitFor(async () => (await refusedCount()) === refusedBefore + 1, 'the refused confirm');
    expect(await state(row.rowId)).toBe('approved');

    await press(w.user(2003), await dataFor(w.store, row.rowId, 'y'), messageId);
    await waitFor(async () => (await state(row.rowId)) === 'rejected', 'rejected');
    const card = await waitFor(() => (cardOf(messageId).text.includes('Rejected</b> by dave') ? cardOf(messageId) : null), 'the rejected card');
    expect(buttons(card.keyboard)).toEqual([]);
    expect(w.cosigner.rejected).toContain(row.id);
    expect((await w.store.ledgerForProposal(row.id)).map((r) => r.state)).toEqual(['released']);
  });

  it('a reason replied to the card by the member who rejected is attached and shown', async () => {
    const { row, messageId } = await freshProposal();
    const dave = w.user(2003, 'Dave');
    await press(dave, await dataFor(w.store, row.rowId, 'r'), messageId);
    await waitFor(() => cardOf(messageId).text.includes('Reject holds signing'), 'the hold');
    await press(dave, await dataFor(w.store, row.rowId, 'y'), messageId);
    await waitFor(async () => (await state(row.rowId)) === 'rejected', 'rejected');

    // Someone else's reply attaches nothing.
    await w.user(2001).sendMessage(w.user(2001).makeMessage('I disagree', { reply_to_message: { message_id: messageId } } as never));
    await dave.sendMessage(dave.makeMessage('escrow <not> verified', { reply_to_message: { message_id: messageId } } as never));
    const vote = await waitFor(async () => (await w.store.votes(row.rowId)).find((v) => v.telegramId === 2003 && v.reason), 'the reason');
    expect(vote.reason).toBe('escrow <not> verified');
    expect((await w.store.votes(row.rowId)).filter((v) => v.reason !== null)).toHaveLength(1);
    await waitFor(() => cardOf(messageId).text.includes('Rejected</b> by dave: escrow &lt;not&gt; verified'), 'the reason on the card');
  });

  it('a reason with control and bidi characters: stored without the controls, the bidi override shown escaped on the card', async () => {
    const { row, messageId } = await freshProposal();
    const dave = w.user(2003, 'Dave');
    await press(dave, await dataFor(w.store, row.rowId, 'r'), messageId);
    await waitFor(() => cardOf(messageId).text.includes('Reject holds signing'), 'the hold');
    await press(dave, await dataFor(w.store, row.rowId, 'y'), messageId);
    await waitFor(async () => (await state(row.rowId)) === 'rejected', 'rejected');
    await dave.sendMessage(dave.makeMessage('bad\u0000 escrow\u0007 \u202Edevorppa', { reply_to_message: { message_id: messageId } } as never));
    const vote = await waitFor(async () => (await w.store.votes(row.rowId)).find((v) => v.telegramId === 2003 && v.reason), 'the reason');
    expect(vote.reason).toBe('bad escrow \u202Edevorppa');
    const card = await waitFor(() => (cardOf(messageId).text.includes('bad escrow') ? cardOf(messageId) : null), 'the reason on the card');
    expect(card.text).toContain('bad escrow &lt;U+202E&gt;devorppa');
    expect(card.text).not.toContain('\u202E');
  });

  it('Cancel lifts the hold and Reject comes back', async () => {
    const { row, messageId } = await freshProposal();
    const dave = w.user(2003);
    await press(dave, await dataFor(w.store, row.rowId, 'r'), messageId);
    await waitFor(() => cardOf(messageId).text.includes('Reject holds signing'), 'the hold');
    await press(dave, await dataFor(w.store, row.rowId, 'n'), messageId);
    const card = await waitFor(() => (!cardOf(messageId).text.includes('Reject holds signing') ? cardOf(messageId) : null), 'the hold lifted');
    expect(buttons(card.keyboard)).toEqual([await dataFor(w.store, row.rowId, 'a'), await dataFor(w.store, row.rowId, 'r')]);
    expect(await w.store.timersFor(row.rowId)).not.toContainEqual(expect.objectContaining({ kind: 'hold-expiry' }));
  });
});

describe('reminders and alerts', () => {
  it('a reminder names who is missing, as a reply to the card', async () => {
    const { row, messageId } = await freshProposal();
    const before = w.tg.storage.botMessages.length;
    await w.notifier.remind(row.rowId, ['alice (curator)', 'carol (council)']);
    const sent = w.tg.storage.botMessages.slice(before).map((m) => botMessage(w.tg, m.messageId)!);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain(`proposal #${row.rowId} (Sandbox USDC vault) still needs approval from alice (curator), carol (council)`);
    expect(sent[0]!.replyTo).toBe(messageId);
  });

  it('an alert goes to the chat, escaped', async () => {
    const before = w.tg.storage.botMessages.length;
    await w.notifier.alert(CHAT, 'policy <x> & "y" refused');
    const sent = w.tg.storage.botMessages.slice(before);
    expect(sent.map((m) => m.message.text)).toEqual(['⚠️ policy &lt;x&gt; &amp; &quot;y&quot; refused']);
  });
});

describe('restart', () => {
  it('a bot restarted in the middle of an approval keeps every approval', async () => {
    const { row, messageId } = await freshProposal();
    const approve = await dataFor(w.store, row.rowId, 'a');
    await press(w.user(1001), approve, messageId);
    await waitFor(async () => (await w.store.votes(row.rowId)).length === 1, 'the first approval');
    await w.restart(); // a new workflow, notifier and bot over the same store
    await press(w.user(2001), approve, messageId);
    await press(w.user(2002), approve, messageId);
    await waitFor(async () => (await state(row.rowId)) === 'approved', 'approved after the restart');
    expect((await w.store.votes(row.rowId)).map((v) => v.telegramId)).toEqual([1001, 2001, 2002]);
    await waitFor(() => cardOf(messageId).text.includes('Council 2 of 2'), 'the card edited by the new bot');
  });
});

describe('commands', () => {
  /** Sends a command as `userId` in `chatId`; returns the bot's reply, or null when it stays silent (300 ms). */
  async function ask(text: string, o: { userId: number; chatId?: number; type?: 'private' | 'group' }): Promise<string | null> {
    const chatId = o.chatId ?? CHAT;
    const client = w.tg.getClient(w.bot.bot.token, { userId: o.userId, chatId, type: o.type ?? 'group', firstName: 'u' });
    const inChat = () => w.tg.storage.botMessages.filter((m) => Number(m.message.chat_id) === chatId);
    const before = inChat().length;
    await client.sendCommand(client.makeCommand(text));
    try {
      await waitFor(() => inChat().length > before, 'the reply', 300);
    } catch {
      return null;
    }
    return inChat()[before]!.message.text;
  }

  it('/status shows the Details of a proposal of this chat, by row id or multisig:index', async () => {
    const { row } = await freshProposal();
    const byRow = await ask(`/status ${row.rowId}`, { userId: 2001 });
    expect(byRow).toContain(`#${row.rowId} details`);
    const byId = await ask(`/status ${row.id}`, { userId: 2001 });
    expect(byId).toContain(`#${row.rowId} details`);
    expect(byId).toContain(`Digest <code>${row.digest}</code>`);
  });

  it('/pending, /losses, /pool and /help answer in the policy chat', async () => {
    const { row } = await freshProposal();
    expect(await ask('/pending', { userId: 2001 })).toContain(`#${row.rowId} <code>${row.id}</code>`);
    expect(await ask('/losses', { userId: 2001 })).toMatch(/le-[^ ]* \(open\)|\(open\)/);
    const pool = await ask('/pool', { userId: 2001 });
    expect(pool).toContain('Staked: 200000 kTokens');
    expect(pool).toMatch(/% of the vault’s AUM/);
    expect(pool).toContain('Curator alice');
    expect(await ask('/help', { userId: 2001 })).toContain('/pending');
  });

  it('/whoami names the role; a roster member may ask in private', async () => {
    expect(await ask('/whoami', { userId: 2002, chatId: 2002, type: 'private' })).toBe('Your Telegram id: <code>2002</code>\nRole: council of Sandbox USDC vault');
    expect(await ask('/whoami', { userId: 1001 })).toContain('Role: curator of Sandbox USDC vault');
    expect(await ask('/pending', { userId: 2002, chatId: 2002, type: 'private' })).toContain('Sandbox USDC vault');
  });

  it('a non-member in private learns nothing but their own id', async () => {
    expect(await ask('/pending', { userId: 3001, chatId: 3001, type: 'private' })).toBeNull();
    expect(await ask('/status 1', { userId: 3001, chatId: 3001, type: 'private' })).toBeNull();
    expect(await ask('/pool', { userId: 3001, chatId: 3001, type: 'private' })).toBeNull();
    expect(await ask('/whoami', { userId: 3001, chatId: 3001, type: 'private' })).toBe('Your Telegram id: <code>3001</code>\nYou are not on a roster this chat can see.');
  });

  it('stays silent in a chat that is not a policy chat', async () => {
    expect(await ask('/pending', { userId: 2001, chatId: -4242 })).toBeNull();
    expect(await ask('/whoami', { userId: 2001, chatId: -4242 })).toBeNull();
  });
});

/** Problems in Telegram-HTML: unknown or unbalanced tags, bare `&`, `<` or `>` outside tags. */
function htmlProblems(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const re = /<(\/?)([a-z]+)((?:\s+[a-z]+="[^"<>]*")*)\s*>|&(amp|lt|gt|quot);|([<>&])/g;
  for (const m of html.matchAll(re)) {
    if (m[5]) problems.push(`bare ${m[5]} at ${m.index}`);
    else if (m[2]) {
      if (!['b', 'i', 'code', 'a'].includes(m[2])) problems.push(`tag ${m[2]}`);
      if (m[1]) {
        if (stack.pop() !== m[2]) problems.push(`unbalanced </${m[2]}>`);
      } else stack.push(m[2]);
    }
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(',')}`);
  return problems;
}
