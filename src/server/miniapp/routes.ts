/**
 * The Telegram Mini App a `signed` role's card Approve opens (docs/approvals.md):
 * - GET  /miniapp          the shell Telegram loads; its script posts `initData` to /miniapp/open;
 * - GET  /miniapp/app.js   that script (client.ts);
 * - POST /miniapp/open     validates `initData` (init-data.ts), identifies the member by `user.id`, and
 *                          shows the proposal of `start_param` (`<row>_<epoch>`) with the message to
 *                          sign — or, opened without one, the read-only overview of the member's vaults;
 * - POST /miniapp/approve  validates `initData` again and hands the signature to the workflow's
 *                          `recordSignedVote`, which verifies it and only then records the vote.
 * `initData` that does not validate is answered 401 and changes nothing; it is logged, not audited
 * (it names no one Telegram vouches for, so a stranger cannot fill the audit log with it).
 */
import type { Response, Router } from 'express';
import type { LoadedPolicy } from '../../policy/load.ts';
import type { Log } from '../../workflow/ports.ts';
import { roleOf } from '../../workflow/quorum.ts';
import { approvalMessage, approvalOf } from '../../workflow/signed-approval.ts';
import { acceptsApprove } from '../../workflow/states.ts';
import { proposalView } from '../../workflow/views.ts';
import { recordSignedVote } from '../../workflow/votes.ts';
import type { Workflow } from '../../workflow/workflow.ts';
import { overviewPage } from '../page/overview.ts';
import { field, formBody, htmlHeaders } from '../page/headers.ts';
import { MINIAPP_SCRIPT } from './client.ts';
import { parseStartParam, validateInitData, type ValidInitData } from './init-data.ts';
import { approvePage, messagePage, shellPage, type ApproveOffer } from './render.ts';

export interface MiniAppOptions {
  readonly workflow: Workflow;
  /** TELEGRAM_BOT_TOKEN: the key `initData` is checked with; absent, the Mini App refuses everyone. */
  readonly botToken: string | undefined;
  readonly log: Log;
  /** The wall clock `auth_date` is judged against (tests). */
  readonly clock?: () => Date;
}

const INIT_DATA_MAX = 8192;

export function registerMiniAppRoutes(router: Router, o: MiniAppOptions): void {
  const wf = o.workflow;
  const clock = o.clock ?? (() => new Date());
  const headers = htmlHeaders({ framedByTelegram: true });

  router.get('/miniapp', headers, (_req, res) => {
    res.type('html').send(shellPage());
  });
  router.get('/miniapp/app.js', (_req, res) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' }).type('application/javascript').send(MINIAPP_SCRIPT);
  });

  /** The member `initData` names, or an answer already sent. */
  const who = (body: unknown, res: Response): ValidInitData | null => {
    const auth = validateInitData(field(body, 'initData', INIT_DATA_MAX), o.botToken ?? '', clock());
    if (auth.ok) return auth;
    o.log.warn({ reason: auth.reason }, 'mini app: initData refused');
    res.status(401).type('html').send(messagePage({
      title: 'Not opened from Telegram',
      kind: 'refused',
      text: `This page works only when opened from a backstop card’s Approve button in Telegram (${auth.reason}). Nothing was recorded.`,
    }));
    return null;
  };

  const failed = (res: Response, err: unknown): void => {
    const requestId = String(res.locals['requestId'] ?? '');
    o.log.error({ requestId, err: (err as Error).message }, 'mini app: unexpected error');
    if (!res.headersSent) res.status(500).type('html').send(messagePage({ title: 'Something went wrong', kind: 'refused', text: `Nothing was recorded. Try again in a moment (request ${requestId}).` }));
  };

  /** The approval page of a proposal for a member, with an optional outcome above it. */
  const approval = async (auth: ValidInitData, initData: string, target: { rowId: number; epoch: number }, notice?: { kind: 'ok' | 'refused'; text: string }): Promise<{ status: number; html: string }> => {
    const row = await wf.store.getProposalByRowId(target.rowId);
    if (!row) return { status: 404, html: messagePage({ title: 'Unknown proposal', kind: 'refused', text: `Proposal #${target.rowId} is unknown to backstop.` }) };
    const loaded = wf.policyFor(row);
    const role = loaded ? roleOf(loaded.policy, auth.user.id) : null;
    if (!loaded || !role) {
      return { status: 403, html: messagePage({ title: 'Not on the roster', kind: 'refused', text: 'You are not on this vault’s roster: nothing to approve here.' }) };
    }
    const policy = loaded.policy;
    const member = (role === 'curator' ? policy.curators.members : policy.council.members).find((m) => m.telegramId === auth.user.id)!;
    const view = await proposalView({ store: wf.store, policyFor: (r) => wf.policyFor(r) }, row, wf.now());
    const voted = view.approvals.find((a) => a.telegramId === auth.user.id);
    let offer: ApproveOffer;
    if (target.epoch !== row.epoch) offer = { kind: 'none', why: `This Approve is from round ${target.epoch}; the proposal changed and is now in round ${row.epoch}. Open Approve on the current card.` };
    else if (!acceptsApprove(row.state)) offer = { kind: 'none', why: `Approvals are not accepted while the proposal is ${row.state}.` };
    else if (voted) offer = { kind: 'none', why: `You have already voted in this round (${voted.vote}).` };
    else if (approvalOf(policy, role) === 'button') offer = { kind: 'button' };
    else if (!member.signer) offer = { kind: 'none', why: 'The policy names no signer key for you: ask the operator to add yours (members[].signer).' };
    else if (row.digest === null || row.policyRevision === null) offer = { kind: 'none', why: 'This proposal has no digest to sign yet.' };
    else {
      offer = {
        kind: 'sign',
        signer: member.signer,
        message: approvalMessage({ multisig: row.multisig, transactionIndex: row.transactionIndex, digest: row.digest, policyRevision: row.policyRevision, epoch: row.epoch }),
      };
    }
    return { status: 200, html: approvePage({ view, member: { name: member.name, role }, offer, initData, ...(notice ? { notice } : {}) }) };
  };

  router.post('/miniapp/open', headers, formBody, async (req, res) => {
    try {
      const auth = who(req.body, res);
      if (!auth) return;
      const initData = field(req.body, 'initData', INIT_DATA_MAX);
      const target = parseStartParam(auth.startParam);
      if (!target) {
        // Opened from the bot's menu or profile: the read-only overview of the member's own vaults.
        const mine: LoadedPolicy[] = wf.policies.all().filter((p) => roleOf(p.policy, auth.user.id) !== null);
        if (mine.length === 0) {
          res.status(403).type('html').send(messagePage({ title: 'Not on a roster', kind: 'refused', text: 'You are on no vault’s roster in this backstop.' }));
          return;
        }
        res.type('html').send(await overviewPage(wf, { policies: mine, base: null }));
        return;
      }
      const page = await approval(auth, initData, target);
      res.status(page.status).type('html').send(page.html);
    } catch (err) {
      failed(res, err);
    }
  });

  router.post('/miniapp/approve', headers, formBody, async (req, res) => {
    try {
      const auth = who(req.body, res);
      if (!auth) return;
      const initData = field(req.body, 'initData', INIT_DATA_MAX);
      // Which proposal and round come from Telegram's signed start_param, never from a form field.
      const target = parseStartParam(auth.startParam);
      if (!target) {
        res.status(400).type('html').send(messagePage({ title: 'No proposal', kind: 'refused', text: 'Open Approve on a proposal’s card: this Mini App was opened without one.' }));
        return;
      }
      const outcome = await recordSignedVote(wf, {
        rowId: target.rowId,
        epoch: target.epoch,
        telegramId: auth.user.id,
        digestShown: field(req.body, 'digest', 64),
        signature: field(req.body, 'signature', 200),
      });
      const status = outcome.kind === 'counted' ? 200 : outcome.kind === 'refused' ? 409 : 503;
      const page = await approval(auth, initData, target, { kind: outcome.kind === 'counted' ? 'ok' : 'refused', text: outcome.text });
      res.status(page.status === 200 ? status : page.status).type('html').send(page.html);
    } catch (err) {
      failed(res, err);
    }
  });
}
