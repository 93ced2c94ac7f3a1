/**
 * The read-only page (docs/approvals.md): GET /page (the overview), GET /page/proposals/:rowId (one
 * proposal with every rule), GET /page/style.css, and the login form that turns the read token into a
 * session cookie (session.ts). It reads through the workflow's read models and changes nothing.
 */
import type { Request, Response, Router } from 'express';
import type { Log } from '../../workflow/ports.ts';
import type { Workflow } from '../../workflow/workflow.ts';
import { field, formBody, htmlHeaders } from './headers.ts';
import { documentHtml, esc } from './html.ts';
import { overviewPage, proposalPage } from './overview.ts';
import { pageAllowed, SESSION_COOKIE, SESSION_SECONDS, sessionValue, tokenMatches } from './session.ts';
import { STYLESHEET } from './style.ts';

export interface PageOptions {
  readonly workflow: Workflow;
  /** API_READ_TOKEN; unset or empty refuses every reader. */
  readonly apiReadToken: string | undefined;
  readonly log: Log;
  /** Session expiry is judged against it (tests). */
  readonly clock?: () => Date;
}

const loginPage = (problem?: string): string =>
  documentHtml({
    title: 'backstop — sign in',
    body:
      '<h1>backstop</h1><p>This read-only page needs the read API’s token (API_READ_TOKEN).</p>' +
      (problem ? `<p class="notice refused" id="problem">${esc(problem)}</p>` : '') +
      '<form method="post" action="/page/login"><label for="token">Read token</label>' +
      '<input type="password" id="token" name="token" autocomplete="current-password" required>' +
      '<button type="submit">Sign in</button></form>',
  });

export function registerPageRoutes(router: Router, o: PageOptions): void {
  const wf = o.workflow;
  const clock = o.clock ?? (() => new Date());
  const headers = htmlHeaders({ framedByTelegram: false });
  const allowed = (req: Request) => pageAllowed({ ...(req.get('authorization') ? { authorization: req.get('authorization')! } : {}), ...(req.get('cookie') ? { cookie: req.get('cookie')! } : {}) }, o.apiReadToken, clock());
  const failed = (res: Response, err: unknown): void => {
    const requestId = String(res.locals['requestId'] ?? '');
    o.log.error({ requestId, err: (err as Error).message }, 'page: unexpected error');
    if (!res.headersSent) res.status(500).type('html').send(documentHtml({ title: 'backstop', body: `<h1>backstop</h1><p class="notice refused">The page could not be read (request ${esc(requestId)}); try again in a moment.</p>` }));
  };

  router.get('/page/style.css', (_req, res) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'public, max-age=300' }).type('text/css').send(STYLESHEET);
  });

  router.get('/page', headers, async (req, res) => {
    if (!allowed(req)) {
      res.status(401).type('html').send(loginPage());
      return;
    }
    try {
      res.type('html').send(await overviewPage(wf, { base: '/page/proposals/', logout: true }));
    } catch (err) {
      failed(res, err);
    }
  });

  router.get('/page/proposals/:rowId', headers, async (req, res) => {
    if (!allowed(req)) {
      res.status(401).type('html').send(loginPage());
      return;
    }
    const rowId = /^[1-9][0-9]{0,14}$/.test(String(req.params['rowId'])) ? Number(req.params['rowId']) : null;
    try {
      const html = rowId === null ? null : await proposalPage(wf, rowId);
      if (html === null) {
        res.status(404).type('html').send(documentHtml({ title: 'backstop', body: '<h1>backstop</h1><p class="notice refused">No such proposal.</p><p><a href="/page">All proposals</a></p>' }));
        return;
      }
      res.type('html').send(html);
    } catch (err) {
      failed(res, err);
    }
  });

  router.post('/page/login', headers, formBody, (req, res) => {
    if (!tokenMatches(field(req.body, 'token', 512), o.apiReadToken)) {
      o.log.warn({}, 'page: sign-in with a wrong read token');
      res.status(401).type('html').send(loginPage('That is not the read token. Nothing else was tried.'));
      return;
    }
    // Behind a TLS proxy the request arrives as http: its X-Forwarded-Proto can only add Secure, never remove it.
    const secure = req.secure || req.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? '; Secure' : '';
    res
      .set('Set-Cookie', `${SESSION_COOKIE}=${sessionValue(o.apiReadToken!, clock())}; Path=/page; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure}`)
      .redirect(303, '/page');
  });

  router.post('/page/logout', headers, (_req, res) => {
    res.set('Set-Cookie', `${SESSION_COOKIE}=; Path=/page; Max-Age=0; HttpOnly; SameSite=Strict`).redirect(303, '/page');
  });
}
