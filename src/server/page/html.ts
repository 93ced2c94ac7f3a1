/**
 * Server-rendered HTML for the read-only page and the Mini App (docs/approvals.md): escaping, the
 * document shell, and the workflow's read models (`ProposalView`, `LossEventView`, `PoolCheckView`)
 * as phone-first markup. Everything user- or chain-derived is escaped, with bidirectional and control
 * characters shown as <U+XXXX> (src/util/text.ts) so text cannot reorder or hide what people read.
 * No script is inline (the pages' Content-Security-Policy allows scripts from the server only).
 */
import type { AuditHead } from '../../store/audit.ts';
import type { ProposalState } from '../../store/types.ts';
import { showInvisible } from '../../util/text.ts';
import { displayAmount } from '../../util/units.ts';
import { OUTCOME_MARK, type PoolCheckView } from '../../workflow/pool-view.ts';
import type { Member } from '../../workflow/quorum.ts';
import { STATE_TEXT, type LossEventView, type PlanLine, type ProposalView, type Units } from '../../workflow/views.ts';

/** Escapes text for HTML content and attribute values (line feeds shown as <U+000A>). */
export function esc(text: string): string {
  return showInvisible(text, { singleLine: true }).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** An address, hash or signature in full: breaks anywhere so it never widens a phone screen. */
export const mono = (text: string): string => `<code class="mono">${esc(text)}</code>`;

/** "2026-12-02 10:00 UTC" */
export const timeText = (t: Date): string => `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** An amount with its unit, or base units when the decimals are unknown. */
export function amountText(amount: bigint, unit: Units['underlying']): string {
  return unit.decimals === null ? `${amount} base units of ${unit.symbol}` : `${displayAmount(amount, unit.decimals)} ${unit.symbol}`;
}

/** The document around `body`: viewport for phones, the small stylesheet, and the page's scripts (served, never inline). */
export function documentHtml(o: { title: string; body: string; scripts?: readonly string[]; bodyClass?: string }): string {
  const scripts = (o.scripts ?? []).map((src) => `<script src="${esc(src)}" defer></script>`).join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="referrer" content="no-referrer">' +
    `<title>${esc(o.title)}</title><link rel="stylesheet" href="/page/style.css">${scripts}</head>` +
    `<body${o.bodyClass ? ` class="${esc(o.bodyClass)}"` : ''}>${o.body}</body></html>`
  );
}

/** The state as people read it. */
export const stateText = (state: ProposalState): string => STATE_TEXT[state];

const RULE_MARK = { pass: '✅', fail: '❌', unknown: '❔' } as const;

/** Who approved and how many more are needed, per role. */
export function tallyText(view: Pick<ProposalView, 'tally' | 'required'>): string {
  const { tally, required } = view;
  if (!tally || !required) return 'No policy covers this proposal any more';
  const names = (ms: readonly Member[]) => ms.map((m) => `${m.name} ✅`).join(', ');
  const role = (label: string, approved: readonly Member[], needed: number, of: number) =>
    `${label} ${approved.length} of ${of}${approved.length > 0 ? `: ${names(approved)}` : ''}${needed > 0 ? ` · ${needed} more needed` : ''}`;
  return `${role('Curator', tally.curatorApprovals, tally.curatorsNeeded, required.curators)} · ${role('Council', tally.councilApprovals, tally.councilNeeded, required.council)}`;
}

/** One line: all checks passed, or the first that did not and why. */
export function verdictText(view: Pick<ProposalView, 'verdict'>): string {
  const v = view.verdict;
  if (!v) return '⏳ Not decided yet';
  if (v.allowed) return `✅ All ${v.total} checks passed`;
  const first = v.problems[0]!;
  return `${RULE_MARK[first.outcome]} ${first.id}: ${first.reason}${v.problems.length > 1 ? ` (+${v.problems.length - 1} more)` : ''}`;
}

/** A fact whose value is plain text (escaped here). */
const row = (label: string, text: string): string => `<dt>${esc(label)}</dt><dd>${esc(text)}</dd>`;
/** A fact whose value is markup already escaped by the caller. */
const rowHtml = (label: string, html: string): string => `<dt>${esc(label)}</dt><dd>${html}</dd>`;

/**
 * A proposal, decoded: what, why, where, the verdict, who approved, the deadline, the full digest and
 * revision, then (with `rules`) every rule with its reason and the votes of the round.
 */
export function proposalHtml(view: ProposalView, o: { rules: boolean; link?: string }): string {
  const { units, summary } = view;
  const title = `#${view.rowId} ${view.vaultName ?? view.vault}`;
  const heading = o.link ? `<a href="${esc(o.link)}">${esc(title)}</a>` : esc(title);
  const facts: string[] = [];
  if (summary?.amount != null) {
    const value = summary.value != null ? ` ≈ ${amountText(summary.value, units.underlying)}` : ' (value unknown)';
    facts.push(row('Withdraw', `${amountText(summary.amount, units.shares)}${value} from the Insurance Pool`));
  } else {
    facts.push(row('Withdraw', 'amount unknown (the transaction could not be decoded)'));
  }
  if (view.lossEvents.length > 0) {
    const events = view.lossEvents.map(
      (e) => `loss ${mono(e.id)} on reserve ${mono(e.reserve)}${e.at ? ` (${esc(e.at.toISOString().slice(0, 10))})` : ''}: ${esc(amountText(e.remaining, units.underlying))} left`,
    );
    facts.push(rowHtml('Why', events.join('<br>')));
  } else {
    facts.push(row('Why', 'no loss event recorded'));
  }
  if (view.destination) facts.push(rowHtml('To', `${esc(view.destination.escrowName ?? '⚠️ not a registered escrow')} ${mono(view.destination.address)}`));
  facts.push(row('Verdict', verdictText(view)));
  facts.push(row('Approvals', tallyText(view)));
  if (view.hold) facts.push(row('Held', `${view.hold.name}’s Reject holds signing until ${timeText(view.hold.until)}`));
  if (view.rejection) facts.push(row('Rejected by', `${view.rejection.name}${view.rejection.reason ? `: ${view.rejection.reason}` : ''}`));
  if (view.plan) facts.push(rowHtml('Plan', planHtml(view.plan, units)));
  if (view.deadline) facts.push(row('Deadline', timeText(view.deadline)));
  facts.push(rowHtml('Proposal', mono(view.id)));
  facts.push(view.digest ? rowHtml('Digest', mono(view.digest)) : row('Digest', 'none (the message is not fully resolved)'));
  facts.push(rowHtml('Policy', `${view.policyRevision ? mono(view.policyRevision) : 'none'} · round ${view.epoch}`));
  if (view.intent) facts.push(rowHtml('Co-signer', `${esc(view.intent.kind)} ${mono(view.intent.signature)} — ${esc(view.intent.status === 'recorded' ? 'recorded, not executed' : view.intent.status)}`));
  if (view.claim) facts.push(row('Claim', `${view.claim} (shown, never used to decide)`));

  const parts = [
    `<article class="proposal" data-row="${view.rowId}" data-state="${esc(view.state)}">`,
    `<h2>${heading}</h2>`,
    `<p class="state state-${esc(view.state)}">${esc(stateText(view.state))}</p>`,
    `<dl class="facts">${facts.join('')}</dl>`,
  ];
  if (o.rules) parts.push(rulesHtml(view));
  parts.push('</article>');
  return parts.join('');
}

/** The decision with every rule and its reason, then the round's votes. */
export function rulesHtml(view: ProposalView): string {
  const parts: string[] = [];
  parts.push(view.decision ? `<h3>Rules <small>decision ${mono(view.decision.id)}</small></h3>` : '<h3>Rules</h3>');
  parts.push(
    view.rules.length === 0
      ? '<p>Not decided yet.</p>'
      : `<ul class="rules">${view.rules.map((r) => `<li class="rule rule-${esc(r.outcome)}"><span class="mark">${RULE_MARK[r.outcome]}</span> <b>${esc(r.id)}</b> — ${esc(r.reason)}</li>`).join('')}</ul>`,
  );
  parts.push(`<h3>Votes, round ${view.epoch}</h3>`);
  parts.push(
    view.approvals.length === 0
      ? '<p>None yet.</p>'
      : `<ul class="votes">${view.approvals.map((a) => `<li>${esc(a.name)} (${esc(a.role)}) ${a.vote === 'approve' ? '✅ approved' : '🚫 rejected'} ${esc(timeText(a.at))}</li>`).join('')}</ul>`,
  );
  return `<section class="decision">${parts.join('')}</section>`;
}

/** A stored compensation plan: who is paid, how much in all, and the root the distributor must hold. */
function planHtml(plan: PlanLine, units: Units): string {
  return `${esc(`${plan.claimants} holders, total ${amountText(plan.total, units.shares)}`)}, root ${mono(plan.root)}`;
}

/** A loss event with its evidence (the bound it was recorded with) and what is used of it. */
export function lossEventHtml(e: LossEventView, units: Units): string {
  const u = units.underlying;
  return (
    `<article class="loss" data-loss="${esc(e.id)}"><h3>Loss ${mono(e.id)}${e.state === 'closed' ? ' <small>(closed)</small>' : ''}</h3><dl class="facts">` +
    rowHtml('Reserve', mono(e.reserve)) +
    row('Recorded', amountText(e.recordedLoss, u)) +
    row('Compensated', amountText(e.compensated, u)) +
    row('Reserved', amountText(e.reserved, u)) +
    row('Left', amountText(e.remaining, u)) +
    rowHtml(
      'Evidence',
      `transaction ${mono(e.signature)} (slot ${esc(e.slot.toString())}${e.at ? `, ${esc(e.at.toISOString().slice(0, 10))}` : ''}): ` +
        `the vault’s loss ${esc(e.vaultLoss.toString())}, forgiven ${esc(e.forgiven.toString())}; the vault held ${esc(e.evidence.vaultCTokens.toString())} of ` +
        `${esc(e.evidence.reserveCTokenSupply.toString())} cTokens at slot ${esc(e.evidence.readAtSlot.toString())} (base units)`,
    ) +
    (e.plan ? rowHtml('Plan', planHtml(e.plan, units)) : '') +
    row('Recorded by', `${e.recordedBy}, ${timeText(e.recordedAt)}`) +
    (e.note ? row('Note', e.note) : '') +
    '</dl></article>'
  );
}

/** The guardian's latest pool check of a vault: every check with its evidence and fix. */
export function poolCheckHtml(view: PoolCheckView): string {
  const counts = `${view.counts.pass} passed, ${view.counts.fail} failed, ${view.counts.warn} warnings, ${view.counts.unknown} unknown`;
  const items = view.checks
    .map((c) => `<li class="check check-${esc(c.outcome)}"><span class="mark">${OUTCOME_MARK[c.outcome]}</span> <b>${esc(c.id)}</b> — ${esc(c.evidence)}${c.fix ? `<br><i>Fix: ${esc(c.fix)}</i>` : ''}</li>`)
    .join('');
  return `<section class="pool"><h3>Pool checks</h3><p>${esc(counts)}${view.slot !== null ? ` at slot ${esc(String(view.slot))}` : ''}${view.depthRatio ? ` · depth ratio ${esc(view.depthRatio)}` : ''}</p><ul class="checks">${items}</ul></section>`;
}

/** The audit log's head: what an anchor copy is compared with. */
export function auditHeadHtml(head: AuditHead | null): string {
  if (!head) return '<section class="audit"><h2>Audit head</h2><p>The audit log is empty.</p></section>';
  return `<section class="audit"><h2>Audit head</h2><dl class="facts">${row('Entry', String(head.seq))}${rowHtml('Hash', mono(head.hash))}${rowHtml('Signature', mono(head.signature))}</dl></section>`;
}
