/**
 * The read-only page in a real headless Chromium at a phone's width (issue 16 §3): signing in with the
 * read token through the form (the session cookie is HttpOnly: no script sees it, and the token is
 * nowhere in the page), the overview and one proposal laid out within 360 px (scrollWidth, not pixel
 * goldens: the browser drifts), screenshots kept under test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { guardPools } from '../../src/workflow/guardian.ts';
import { recordSignedVote } from '../../src/workflow/votes.ts';
import { BOT_TOKEN, IDS, KEYS, messageOf, READ_TOKEN, signMessage, startSignedServer, type SignedServer } from '../support/signed-approval.ts';
import { launchBrowser, screenshot, scrollWidth, type Browser } from './browser.ts';

let s: SignedServer;
let browser: Browser;
beforeAll(async () => {
  [s, browser] = await Promise.all([startSignedServer(), launchBrowser()]);
  await guardPools(s.world.wf);
  await guardPools(s.world.wf);
  // One approval, so the tally has a name in it.
  await recordSignedVote(s.world.wf, { rowId: s.row.rowId, epoch: s.row.epoch, telegramId: IDS.bob, digestShown: s.row.digest!, signature: signMessage(KEYS.bob, messageOf(s.row)) });
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('the page in Chromium at 360 px', () => {
  it('signs in with the read token, shows the overview within the phone’s width, and keeps the token out of the page', async () => {
    const page = await browser.phone();
    const first = await page.goto(`${s.url}/page`);
    expect(first!.status()).toBe(401);
    await page.fill('#token', 'wrong-token');
    await Promise.all([page.waitForURL('**/page/login'), page.click('button[type=submit]')]);
    expect(await page.locator('#problem').textContent()).toContain('not the read token');
    await page.fill('#token', READ_TOKEN);
    await Promise.all([page.waitForURL(`${s.url}/page`), page.click('button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('backstop');
    expect(await page.locator(`section.vault[data-vault="${SANDBOX.vault}"] h2`).first().textContent()).toBe('Sandbox USDC vault');
    expect(await page.locator(`article.proposal[data-row="${s.row.rowId}"] .facts`).textContent()).toContain('Council 1 of 2: bob ✅ · 1 more needed');
    expect(await page.locator('article.loss').count()).toBe(1);
    expect(await page.locator('section.pool li.check').count()).toBeGreaterThan(3);
    expect(await page.locator('section.audit').textContent()).toContain((await s.world.store.auditHead())!.hash);
    expect(await page.evaluate<string>('document.cookie')).toBe(''); // HttpOnly
    const html = await page.content();
    for (const secret of [READ_TOKEN, BOT_TOKEN]) expect(html).not.toContain(secret);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    await screenshot(page, 'page-overview-360');

    await Promise.all([page.waitForURL(`**/page/proposals/${s.row.rowId}`), page.click(`article.proposal[data-row="${s.row.rowId}"] h2 a`)]);
    const rules = (await s.world.store.latestDecision(s.row.rowId))!.decision.rules;
    expect(await page.locator('ul.rules li').count()).toBe(rules.length);
    expect(await page.locator('ul.votes li').textContent()).toContain('bob (council) ✅ approved');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(360);
    await screenshot(page, 'page-proposal-360');

    await Promise.all([page.waitForURL(`${s.url}/page`), page.goto(`${s.url}/page`)]);
    await Promise.all([page.waitForURL(`${s.url}/page`), page.click('nav button[type=submit]')]);
    expect(await page.locator('#token').count()).toBe(1); // signed out
    await page.close();
  });
});
