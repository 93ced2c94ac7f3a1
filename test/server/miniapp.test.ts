/**
 * The Mini App over HTTP (issue 16 §2): `initData` validated as Telegram specifies (forged, tampered,
 * old, repeated or nameless data refused), the approval page (decoded proposal, full digest, the exact
 * message, no secret), votes through POST /miniapp/approve, the overview without a proposal, and the
 * card's Approve as a url button to the direct-link Mini App. The browser path is test/browser.
 */
import type { Api, RawApi } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataCheckString, INIT_DATA_MAX_AGE_SECONDS, parseStartParam, validateInitData } from '../../src/server/miniapp/init-data.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { cardKeyboard } from '../../src/telegram/card.ts';
import { TelegramNotifier } from '../../src/telegram/notifier.ts';
import { SILENT_LOG } from '../../src/workflow/ports.ts';
import { MINIAPP_CHANNEL } from '../../src/workflow/votes.ts';
import { exampleRegistry } from '../support/workflow-doubles.ts';
import { BOT_TOKEN, IDS, KEYS, makeInitData, messageOf, READ_TOKEN, signedRegistry, signMessage, startSignedServer, type SignedServer } from '../support/signed-approval.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

describe('initData validation', () => {
  const valid = makeInitData({ userId: IDS.bob, startParam: '3_1', authDate: nowSeconds - 30 });

  it('accepts Telegram-signed data and names the user and start_param', () => {
    const r = validateInitData(valid, BOT_TOKEN, NOW);
    expect(r).toMatchObject({ ok: true, user: { id: IDS.bob, username: 'user2001' }, startParam: '3_1' });
    expect(parseStartParam('3_1')).toEqual({ rowId: 3, epoch: 1 });
    for (const bad of ['3', '0_1', '3_0', '3_1_2', '03_1', 'a_b', null]) expect(parseStartParam(bad)).toBeNull();
  });

  it('refuses data signed with another bot’s token, a changed field, a missing or repeated field, and old data', () => {
    const refused = (data: string, now = NOW) => {
      const r = validateInitData(data, BOT_TOKEN, now);
      return r.ok ? 'accepted' : r.reason;
    };
    expect(refused(makeInitData({ userId: IDS.bob, authDate: nowSeconds, token: '987:another-bot' }))).toMatch(/not signed with this bot/);
    expect(refused(valid.replace('start_param=3_1', 'start_param=4_1'))).toMatch(/not signed with this bot/);
    expect(refused(valid.replace(/user=[^&]*/, `user=${encodeURIComponent(JSON.stringify({ id: IDS.carol, first_name: 'x' }))}`))).toMatch(/not signed with this bot/);
    expect(refused(valid.replace(/&?hash=[0-9a-f]+/, ''))).toMatch(/no valid hash/);
    expect(refused(`${valid}&start_param=3_1`)).toMatch(/repeats start_param/);
    expect(refused('')).toMatch(/no initData/);
    expect(refused('user=%E0%A4%A')).toMatch(/percent-encoded/);
    expect(refused(valid, new Date(NOW.getTime() + INIT_DATA_MAX_AGE_SECONDS * 1000))).toMatch(/minutes old/);
    expect(refused(makeInitData({ userId: IDS.bob, authDate: nowSeconds + 3600 }))).toMatch(/future/);
    expect(validateInitData(valid, '', NOW)).toMatchObject({ ok: false });
    // A user-less payload, correctly signed, names no one.
    const fields = new Map([['auth_date', String(nowSeconds)], ['query_id', 'x']]);
    expect(dataCheckString(new Map([...fields, ['hash', 'h']]))).toBe(`auth_date=${nowSeconds}\nquery_id=x`);
    expect(refused(makeInitData({ userId: IDS.bob, authDate: nowSeconds, extra: { user: 'not json' } }))).toMatch(/names no user/);
  });

  it('exactly 10 minutes old is still accepted, a second more is not', () => {
    const at = makeInitData({ userId: IDS.bob, authDate: nowSeconds - INIT_DATA_MAX_AGE_SECONDS });
    expect(validateInitData(at, BOT_TOKEN, NOW).ok).toBe(true);
    expect(validateInitData(at, BOT_TOKEN, new Date(NOW.getTime() + 1000)).ok).toBe(false);
  });
});

describe('the card’s Approve for a signed role', () => {
  const view = { rowId: 12, digest: 'ab'.repeat(32), epoch: 3, actions: ['approve', 'reject'] as const };
  it('is a url button to https://t.me/<bot>/<app>?startapp=<row>_<epoch>; Reject stays a callback', () => {
    const kb = cardKeyboard({ ...view, actions: [...view.actions] }, 'https://t.me/backstop_bot/approve');
    expect(kb.inline_keyboard[0]).toEqual([
      { text: '✅ Approve', url: 'https://t.me/backstop_bot/approve?startapp=12_3' },
      { text: '🚫 Reject', callback_data: `r:12:${'ab'.repeat(8)}:3` },
      { text: 'ℹ️ Details', callback_data: `d:12:${'ab'.repeat(8)}:3` },
    ]);
    expect(cardKeyboard({ ...view, actions: [...view.actions] }).inline_keyboard[0]![0]).toEqual({ text: '✅ Approve', callback_data: `a:12:${'ab'.repeat(8)}:3` });
  });

  it('the notifier links the Mini App only for a policy with a signed role, and only when TELEGRAM_MINIAPP is set', async () => {
    const notifier = (policies: ReturnType<typeof signedRegistry>, miniApp?: string) =>
      new TelegramNotifier({ token: BOT_TOKEN, store: {} as never, policies, log: SILENT_LOG, api: {} as Api<RawApi>, ...(miniApp ? { miniApp } : {}) });
    const row = { multisig: SANDBOX.multisig, transactionIndex: 1n };
    expect(notifier(signedRegistry(), 'backstop_bot/approve').links(row).approveApp).toBe('https://t.me/backstop_bot/approve');
    expect(notifier(signedRegistry({ curators: 'signed', council: 'button' }), 'backstop_bot/approve').links(row).approveApp).toBe('https://t.me/backstop_bot/approve');
    expect(notifier(exampleRegistry(), 'backstop_bot/approve').links(row).approveApp).toBeUndefined();
    expect(notifier(signedRegistry()).links(row).approveApp).toBeUndefined();
  });
});

describe('the Mini App over HTTP', () => {
  let s: SignedServer;
  beforeAll(async () => {
    s = await startSignedServer();
  });
  afterAll(async () => {
    await s.close();
  });

  const post = (path: string, fields: Record<string, string>) =>
    fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const initFor = (userId: number, over: { startParam?: string; token?: string } = {}) =>
    makeInitData({ userId, startParam: over.startParam ?? `${s.row.rowId}_${s.row.epoch}`, ...(over.token ? { token: over.token } : {}) });
  const votes = async () => (await s.world.store.votes(s.row.rowId)).length;

  it('serves the shell with its script, under a CSP that allows only this server and Telegram Web framing', async () => {
    const res = await fetch(`${s.url}/miniapp`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('frame-ancestors https://web.telegram.org');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('<script src="/miniapp/app.js" defer></script>');
    expect(html).not.toMatch(/<script>/);
    const js = await fetch(`${s.url}/miniapp/app.js`);
    expect(js.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await js.text()).toContain('wallet-standard:app-ready');
  });

  it('refuses forged initData with 401 and changes nothing', async () => {
    const before = await votes();
    const forged = initFor(IDS.bob, { token: '987:another-bot' });
    const open = await post('/miniapp/open', { initData: forged });
    expect(open.status).toBe(401);
    expect(await open.text()).toContain('Nothing was recorded');
    const approve = await post('/miniapp/approve', { initData: forged, digest: s.row.digest!, signature: signMessage(KEYS.bob, messageOf(s.row)) });
    expect(approve.status).toBe(401);
    expect(await votes()).toBe(before);
  });

  it('shows a member the decoded proposal, the full digest and the exact message; no secret is in the page', async () => {
    const res = await post('/miniapp/open', { initData: initFor(IDS.bob) });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(s.row.digest!);
    expect(html).toContain(s.row.policyRevision!);
    expect(html).toContain(`<pre id="message">${messageOf(s.row)}</pre>`);
    expect(html).toContain(`data-signer="${KEYS.bob.publicKey}"`);
    expect(html).toContain('solana sign-offchain-message');
    expect(html).toMatch(/All \d+ checks passed/);
    expect(html).toContain('destination-escrow');
    for (const secret of [BOT_TOKEN, READ_TOKEN]) expect(html).not.toContain(secret);
    expect(html).not.toContain('&lt;code');
  });

  it('records a valid signature (audited with it) and refuses a wrong key, both with the page shown again', async () => {
    const wrong = await post('/miniapp/approve', { initData: initFor(IDS.bob), digest: s.row.digest!, signature: signMessage(KEYS.dave, messageOf(s.row)) });
    expect(wrong.status).toBe(409);
    expect(await wrong.text()).toContain('data-outcome="refused"');
    expect(await votes()).toBe(0);
    const ok = await post('/miniapp/approve', { initData: initFor(IDS.bob), digest: s.row.digest!, signature: signMessage(KEYS.bob, messageOf(s.row)) });
    expect(ok.status).toBe(200);
    const html = await ok.text();
    expect(html).toContain('Approval recorded.');
    expect(html).toContain('You have already voted in this round');
    expect(html).toContain('Council 1 of 2: bob ✅');
    const [vote] = await s.world.store.votes(s.row.rowId);
    expect(vote).toMatchObject({ telegramId: IDS.bob, channel: MINIAPP_CHANNEL, vote: 'approve' });
    const audited = (await s.world.store.auditEntries()).find((e) => e.type === 'vote.recorded')!;
    expect((audited.payload as { proof: { signature: string } }).proof.signature).toBe(signMessage(KEYS.bob, messageOf(s.row)));
  });

  it('an Approve from an earlier round shows no form; a stranger sees nothing of the proposal', async () => {
    const old = await post('/miniapp/open', { initData: initFor(IDS.carol, { startParam: `${s.row.rowId}_${s.row.epoch + 5}` }) });
    const html = await old.text();
    expect(html).toContain(`This Approve is from round ${s.row.epoch + 5}`);
    expect(html).not.toContain('id="approve"');
    const stranger = await post('/miniapp/open', { initData: initFor(424242) });
    expect(stranger.status).toBe(403);
    expect(await stranger.text()).not.toContain(s.row.digest!);
  });

  it('opened without a proposal, it shows the member’s vaults read-only (Telegram login)', async () => {
    const res = await post('/miniapp/open', { initData: makeInitData({ userId: IDS.carol }) });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`data-vault="${SANDBOX.vault}"`);
    expect(html).toContain('Audit head');
    expect(html).not.toContain('href="/page/proposals/');
    expect((await post('/miniapp/open', { initData: makeInitData({ userId: 424242 }) })).status).toBe(403);
  });
});
