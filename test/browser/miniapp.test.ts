/**
 * The Mini App in a real headless Chromium (issue 16 §2), opened as Telegram opens a direct link:
 * /miniapp with `#tgWebAppData=<initData>`. Two ways to sign, both real ed25519: a page-injected
 * Wallet Standard wallet (WebCrypto key, `solana:signMessage` over the raw bytes) and a signature
 * pasted as `solana sign-offchain-message` prints it. A valid signature is recorded, audited with it
 * and counts toward quorum; a wrong key, a stale digest, a signature of the round before an
 * invalidation and forged `initData` are refused and change nothing. The page fits 360 px.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRecord } from '../../src/store/types.ts';
import { MINIAPP_CHANNEL } from '../../src/workflow/votes.ts';
import { IDS, KEYS, makeInitData, messageOf, signMessage, startSignedServer, type SignedServer } from '../support/signed-approval.ts';
import { injectWallet, launchBrowser, screenshot, scrollWidth, walletSigned, type Browser } from './browser.ts';

let s: SignedServer;
let browser: Browser;
beforeAll(async () => {
  [s, browser] = await Promise.all([startSignedServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

const current = async (): Promise<ProposalRecord> => (await s.world.store.getProposalByRowId(s.row.rowId))!;
/** What a refusal must leave as it was. */
const state = async () => {
  const row = await current();
  return { state: row.state, epoch: row.epoch, votes: (await s.world.store.votes(row.rowId)).length, recorded: (await s.world.store.auditEntries()).filter((e) => e.type === 'vote.recorded').length };
};

/** Opens the Mini App as Telegram does for a direct link, and waits for the server's answer. */
async function open(page: Page, userId: number, o: { epoch?: number; token?: string } = {}): Promise<void> {
  const row = await current();
  const initData = makeInitData({ userId, startParam: `${row.rowId}_${o.epoch ?? row.epoch}`, ...(o.token ? { token: o.token } : {}) });
  await page.goto(`${s.url}/miniapp#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0&tgWebAppPlatform=android`);
  await page.waitForURL('**/miniapp/open');
}

const outcome = (page: Page) => page.locator('#outcome').textContent();

async function paste(page: Page, signature: string): Promise<void> {
  await page.fill('#signature', signature);
  await Promise.all([page.waitForURL('**/miniapp/approve'), page.click('#approve button[type=submit]')]);
}

async function withWallet(page: Page): Promise<void> {
  await page.locator('button.wallet').waitFor({ state: 'visible' });
  await Promise.all([page.waitForURL('**/miniapp/approve'), page.click('button.wallet')]);
}

describe('the Mini App in Chromium', () => {
  it('shows the decoded proposal, the full digest and the message at phone width (screenshot kept)', async () => {
    const page = await browser.phone();
    await open(page, IDS.bob);
    const row = await current();
    expect(await page.locator('h1').textContent()).toBe(`Approve #${row.rowId}?`);
    expect(await page.locator('#message').textContent()).toBe(messageOf(row));
    expect(await page.locator('.facts').first().textContent()).toContain(row.digest!);
    expect(await page.locator('#wallet').isHidden()).toBe(true); // no wallet in this webview: paste only
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    await screenshot(page, 'miniapp-approve-360');
    await page.close();
  });

  it('a wallet’s signature and a pasted off-chain one are recorded, audited with the signature, and count', async () => {
    const before = await current();
    const alice = await browser.phone();
    await injectWallet(alice, KEYS.alice);
    await open(alice, IDS.alice);
    await withWallet(alice);
    expect(await outcome(alice)).toBe('Approval recorded.');
    expect(await walletSigned(alice)).toEqual([messageOf(before)]);
    await screenshot(alice, 'miniapp-recorded-360');
    await alice.close();

    const bob = await browser.phone();
    await open(bob, IDS.bob);
    await paste(bob, signMessage(KEYS.bob, messageOf(before), 'offchain-v0'));
    expect(await outcome(bob)).toBe('Approval recorded.');
    expect(await bob.locator('.facts').first().textContent()).toContain('Curator 1 of 1: alice ✅ · Council 1 of 2: bob ✅ · 1 more needed');
    await bob.close();

    const recorded = (await s.world.store.auditEntries()).filter((e) => e.type === 'vote.recorded').map((e) => e.payload as { name: string; channel: string; proof: { preimage: string; signer: string; signature: string } });
    expect(recorded.map((p) => [p.name, p.channel, p.proof.preimage, p.proof.signer])).toEqual([
      ['alice', MINIAPP_CHANNEL, 'raw', KEYS.alice.publicKey],
      ['bob', MINIAPP_CHANNEL, 'offchain-v0', KEYS.bob.publicKey],
    ]);
    expect(recorded[1]!.proof.signature).toBe(signMessage(KEYS.bob, messageOf(before), 'offchain-v0'));
    const tally = (await s.world.store.votes(before.rowId)).map((v) => v.name);
    expect(tally).toEqual(['alice', 'bob']);
    expect((await current()).state).toBe('awaiting-approval');
  });

  it('a wrong key (wallet or pasted), a stale digest and forged initData are refused and change nothing', async () => {
    const row = await current();
    const before = await state();

    // A wallet that claims carol's address but holds dave's key.
    const wallet = await browser.phone();
    await injectWallet(wallet, KEYS.dave, KEYS.carol.publicKey);
    await open(wallet, IDS.carol);
    await withWallet(wallet);
    expect(await outcome(wallet)).toMatch(/^The signature does not verify with your key/);
    await wallet.close();

    const carol = await browser.phone();
    await open(carol, IDS.carol);
    await paste(carol, signMessage(KEYS.dave, messageOf(row)));
    expect(await outcome(carol)).toMatch(/^The signature does not verify with your key/);
    await paste(carol, signMessage(KEYS.carol, messageOf(row, { digest: 'ee'.repeat(32) })));
    expect(await outcome(carol)).toMatch(/^The signature does not verify with your key/);
    await paste(carol, 'not a signature');
    expect(await outcome(carol)).toMatch(/^Paste the signature/);

    // initData changed to name bob (hash kept): refused before the workflow sees it.
    const tampered = makeInitData({ userId: IDS.carol, startParam: `${row.rowId}_${row.epoch}` }).replace(/user=[^&]*/, `user=${encodeURIComponent(JSON.stringify({ id: IDS.bob }))}`);
    await carol.evaluate(`document.querySelectorAll('input[name=initData]').forEach((el) => { el.value = ${JSON.stringify(tampered)}; })`);
    await paste(carol, signMessage(KEYS.carol, messageOf(row)));
    expect(await outcome(carol)).toMatch(/^This page works only when opened from a backstop card’s Approve button in Telegram \(initData is not signed with this bot’s token\)/);
    await carol.close();

    // Signed with another bot's token: the Mini App does not even open.
    const forged = await browser.phone();
    await open(forged, IDS.carol, { token: '987654321:another-bot' });
    expect(await forged.locator('h1').textContent()).toBe('Not opened from Telegram');
    expect(await forged.locator('#approve').count()).toBe(0);
    await forged.close();

    expect(await state()).toEqual(before);
  });

  it('a signature from the round before an invalidation is refused; the new round reaches quorum', async () => {
    const old = await current();
    const carolsOld = signMessage(KEYS.carol, messageOf(old));
    await s.world.wf.invalidate(old.rowId, 'test: the roster changed');
    const row = await current();
    expect(row.epoch).toBe(old.epoch + 1);
    expect(row.state).toBe('awaiting-approval');
    const before = await state();

    const stale = await browser.phone();
    await open(stale, IDS.carol, { epoch: old.epoch });
    expect(await stale.locator('#no-approve').textContent()).toContain(`This Approve is from round ${old.epoch}`);
    expect(await stale.locator('#approve').count()).toBe(0);
    await stale.close();

    const carol = await browser.phone();
    await open(carol, IDS.carol);
    expect(await carol.locator('#message').textContent()).toBe(messageOf(row));
    await paste(carol, carolsOld);
    expect(await outcome(carol)).toMatch(/^The signature does not verify with your key/);
    expect(await state()).toEqual(before);

    await paste(carol, signMessage(KEYS.carol, messageOf(row), 'offchain-legacy'));
    expect(await outcome(carol)).toBe('Approval recorded.');
    await carol.close();
    const bob = await browser.phone();
    await open(bob, IDS.bob);
    await paste(bob, signMessage(KEYS.bob, messageOf(row)));
    expect(await outcome(bob)).toBe('Approval recorded.');
    expect((await current()).state).toBe('awaiting-approval'); // the curator is still needed
    await bob.close();

    const alice = await browser.phone();
    await injectWallet(alice, KEYS.alice);
    await open(alice, IDS.alice);
    await withWallet(alice);
    expect(await outcome(alice)).toBe('Approved — quorum reached.');
    expect(await alice.locator('.state').first().textContent()).toBe('✅ Approved — signs after the curator');
    await alice.close();
    expect((await current()).state).toBe('approved');
    expect((await s.world.store.votes(row.rowId, row.epoch)).map((v) => v.name)).toEqual(['carol', 'bob', 'alice']);
  });
});
