/**
 * The Mini App's pages (docs/approvals.md), server-rendered: the opening shell, the approval page (the
 * decoded proposal, the FULL digest, the exact message to sign and how), and the answer to a vote.
 * `initData` rides along in hidden fields: it is the member's own Telegram-signed data, already in
 * the page's URL, and expires after 10 minutes; nothing of the server's is ever in a page.
 */
import type { ProposalView } from '../../workflow/views.ts';
import { documentHtml, esc, mono, proposalHtml, rulesHtml } from '../page/html.ts';

export const MINIAPP_SCRIPT_PATH = '/miniapp/app.js';

const hiddenInitData = (initData: string): string => `<input type="hidden" name="initData" value="${esc(initData)}">`;

/** The page Telegram opens: the script submits `initData` to /miniapp/open. */
export function shellPage(): string {
  return documentHtml({
    title: 'backstop',
    scripts: [MINIAPP_SCRIPT_PATH],
    body:
      '<h1>backstop</h1><form id="open" method="post" action="/miniapp/open"><input type="hidden" name="initData" value="">' +
      '<p id="status">Opening…</p><noscript><p>This page needs JavaScript to read what Telegram passed it.</p></noscript></form>',
  });
}

/** A page that says one thing (a refusal, an error), with a way back when there is one. */
export function messagePage(o: { title: string; text: string; kind: 'ok' | 'refused'; initData?: string }): string {
  const back = o.initData
    ? `<form method="post" action="/miniapp/open">${hiddenInitData(o.initData)}<button type="submit" class="secondary">Back to the proposal</button></form>`
    : '';
  return documentHtml({
    title: o.title,
    scripts: [MINIAPP_SCRIPT_PATH],
    body: `<h1>${esc(o.title)}</h1><p class="notice ${o.kind}" id="outcome" data-outcome="${o.kind}">${esc(o.text)}</p>${back}`,
  });
}

/** What the approval page offers the member. */
export type ApproveOffer =
  | { readonly kind: 'sign'; readonly message: string; readonly signer: string }
  | { readonly kind: 'button' }
  | { readonly kind: 'none'; readonly why: string };

/** The approval page: the proposal as decoded, the way to approve that fits the member's role, then every rule. */
export function approvePage(o: { view: ProposalView; member: { name: string; role: string }; offer: ApproveOffer; initData: string; notice?: { kind: 'ok' | 'refused'; text: string } }): string {
  const { view, offer } = o;
  const parts: string[] = [`<h1>Approve #${view.rowId}?</h1>`, `<p class="muted">You are ${esc(o.member.name)} (${esc(o.member.role)}).</p>`];
  if (o.notice) parts.push(`<p class="notice ${o.notice.kind}" id="outcome" data-outcome="${o.notice.kind}">${esc(o.notice.text)}</p>`);
  // What, why, where, verdict, who and the digest first; the way to approve; then every rule.
  parts.push(proposalHtml(view, { rules: false }));
  const common = `${hiddenInitData(o.initData)}<input type="hidden" name="digest" value="${esc(view.digest ?? '')}">`;
  if (offer.kind === 'none') {
    parts.push(`<p class="notice" id="no-approve">${esc(offer.why)}</p>`);
  } else if (offer.kind === 'button') {
    parts.push(
      `<form id="approve" method="post" action="/miniapp/approve">${common}<input type="hidden" name="signature" value="">` +
        '<p>Your role approves without a signature: check the digest above against the card and Squads, then approve.</p>' +
        '<button type="submit">✅ Approve</button></form>',
    );
  } else {
    const quoted = `'${offer.message}'`;
    parts.push(
      `<form id="approve" method="post" action="/miniapp/approve" data-message="${esc(offer.message)}" data-signer="${esc(offer.signer)}">${common}` +
        '<h2>Sign this message</h2>' +
        `<pre id="message">${esc(offer.message)}</pre>` +
        `<p>with your key ${mono(offer.signer)}. On a computer (the key file or a Ledger):</p>` +
        `<pre id="command">solana sign-offchain-message -k usb://ledger ${esc(quoted)}</pre>` +
        '<p class="muted">(or <code>-k ~/path/to/keypair.json</code>). Check the digest in the message against the card and Squads first.</p>' +
        '<section id="wallet" hidden><h2>Or sign with a wallet</h2><div id="wallets"></div><p id="wallet-status" class="muted" hidden></p></section>' +
        '<label for="signature">Signature (base58)</label>' +
        '<textarea id="signature" name="signature" rows="3" autocomplete="off" autocapitalize="off" spellcheck="false" required></textarea>' +
        '<button type="submit">✅ Approve with this signature</button></form>',
    );
  }
  parts.push('<p class="muted">Reject stays on the card: it holds signing for 10 minutes until you confirm or cancel.</p>');
  parts.push(rulesHtml(view));
  return documentHtml({ title: `Approve #${view.rowId}`, scripts: [MINIAPP_SCRIPT_PATH], body: parts.join('') });
}
