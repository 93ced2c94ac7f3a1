/**
 * The read-only page over HTTP (issue 16 §3): the read token as a bearer or through the login form's
 * session cookie (HttpOnly, SameSite=Strict, expiring, worthless when forged), the overview (proposals
 * with state and tally, loss events with evidence, the guardian's pool checks, the audit head), one
 * proposal with every rule, headers that forbid framing, and no secret in any page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { SESSION_COOKIE, SESSION_SECONDS } from '../../src/server/page/session.ts';
import { guardPools } from '../../src/workflow/guardian.ts';
import { BOT_TOKEN, READ_TOKEN, startSignedServer, type SignedServer } from '../support/signed-approval.ts';

let s: SignedServer;
let clock = new Date();
beforeAll(async () => {
  s = await startSignedServer({ clock: () => clock });
  // The guardian's first two looks (the first learns the vault's addresses): the pool checks the page shows.
  await guardPools(s.world.wf);
  await guardPools(s.world.wf);
  // A stored compensation plan of the loss (issue 15): the page shows it with the loss and the proposal.
  const [event] = await s.world.store.lossEventsForVault(SANDBOX.vault);
  await s.world.store.recordPlan({
    lossEventId: event!.id, vault: SANDBOX.vault, lossSlot: event!.slot, sharesMint: SANDBOX.sharesMint, root: PLAN_ROOT,
    total: 9_000_000_000n, amount: 9_000_000_000n, remainder: 0n, claimants: 3, json: '{"test":true}', createdBy: 'test',
  });
});
const PLAN_ROOT = '5e'.repeat(32);
afterAll(async () => {
  await s.close();
});

const bearer = { authorization: `Bearer ${READ_TOKEN}` };
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.url}${path}`, { headers, redirect: 'manual' });
const login = (token: string, headers: Record<string, string> = {}) =>
  fetch(`${s.url}/page/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ token }).toString() });

describe('who may read the page', () => {
  it('without the token: 401 and the sign-in form, nothing of the vault', async () => {
    const res = await get('/page');
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('action="/page/login"');
    expect(html).not.toContain(SANDBOX.vault);
    expect((await get('/page', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(`/page/proposals/${s.row.rowId}`)).status).toBe(401);
  });

  it('the sign-in form sets a session cookie that is not the token; a wrong token, a forged or expired cookie are refused', async () => {
    const wrong = await login('not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const ok = await login(READ_TOKEN);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/page');
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[0-9]+\\.[A-Za-z0-9_-]{43}; Path=/page; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict$`));
    expect(cookie).not.toContain(READ_TOKEN);
    expect((await login(READ_TOKEN, { 'x-forwarded-proto': 'https' })).headers.get('set-cookie')).toMatch(/; Secure$/); // behind a TLS proxy
    const session = cookie.split(';')[0]!;
    expect((await get('/page', { cookie: session })).status).toBe(200);
    const forged = session.replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    expect((await get('/page', { cookie: forged })).status).toBe(401);
    const [name, value] = session.split('=') as [string, string];
    const later = `${name}=${Number(value.split('.')[0]) + 3600}.${value.split('.')[1]}`;
    expect((await get('/page', { cookie: later })).status).toBe(401); // the expiry is signed too
    const saved = clock;
    clock = new Date(saved.getTime() + (SESSION_SECONDS + 1) * 1000);
    try {
      expect((await get('/page', { cookie: session })).status).toBe(401);
    } finally {
      clock = saved;
    }
    const out = await fetch(`${s.url}/page/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: session } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; Path=/page; Max-Age=0`));
  });

  it('forbids framing and inline scripts', async () => {
    const res = await get('/page', bearer);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await get('/page/style.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });
});

describe('what the page shows', () => {
  it('the overview: proposals with state and tally, loss events with evidence, pool checks, the audit head; no secret', async () => {
    const res = await get('/page', bearer);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`data-vault="${SANDBOX.vault}"`);
    expect(html).toContain(`data-row="${s.row.rowId}" data-state="awaiting-approval"`);
    expect(html).toContain('🗳 Awaiting approval');
    expect(html).toContain('Curator 0 of 1 · 1 more needed · Council 0 of 2 · 2 more needed');
    expect(html).toContain(`href="/page/proposals/${s.row.rowId}"`);
    const [event] = await s.world.store.lossEventsForVault(SANDBOX.vault);
    expect(html).toContain(`data-loss="${event!.id}"`);
    expect(html).toContain(event!.signature);
    expect(html).toContain(`${event!.evidence.vaultCTokens} of ${event!.evidence.reserveCTokenSupply} cTokens at slot ${event!.evidence.readAtSlot}`);
    expect(html).toMatch(/<h3>Pool checks<\/h3><p>\d+ passed, \d+ failed/);
    expect(html.match(new RegExp(`<dt>Plan</dt><dd>3 holders, total 9,000.00 kUSDC, root <code class="mono">${PLAN_ROOT}</code>`, 'g'))).toHaveLength(2); // the loss's and the proposal's
    const head = (await s.world.store.auditHead())!;
    expect(html).toContain(head.hash);
    expect(html).toContain(`<dd>${head.seq}</dd>`);
    for (const secret of [READ_TOKEN, BOT_TOKEN]) expect(html).not.toContain(secret);
    expect(html).not.toContain('&lt;code'); // markup is escaped once, text always
  });

  it('one proposal: the decision with every rule and its reason, the full digest and revision', async () => {
    const res = await get(`/page/proposals/${s.row.rowId}`, bearer);
    expect(res.status).toBe(200);
    const html = await res.text();
    const decision = (await s.world.store.latestDecision(s.row.rowId))!.decision;
    expect(decision.rules.length).toBeGreaterThan(5);
    for (const rule of decision.rules) expect(html).toContain(`<b>${rule.id}</b>`);
    expect(html.match(/<li class="rule rule-/g)).toHaveLength(decision.rules.length);
    expect(html).toContain(s.row.digest!);
    expect(html).toContain(s.row.policyRevision!);
    expect((await get('/page/proposals/999', bearer)).status).toBe(404);
    expect((await get('/page/proposals/abc', bearer)).status).toBe(404);
  });
});
