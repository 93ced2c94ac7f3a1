/**
 * The proposal card (docs/telegram.md, phone first), pure: a `ProposalView` (src/workflow/views.ts) rendered to
 * HTML text, an inline keyboard and a hash of both (an unchanged hash means no edit is sent). The card
 * reads in ten seconds on a 360-px phone — what, why, where, the verdict, who, the deadline — and the
 * per-rule table with reasons, full addresses and the full digest live in the Details view. Everything
 * user- or chain-derived is escaped (bidi and control characters shown as <U+XXXX>).
 */
import { createHash } from 'node:crypto';
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import type { Outcome } from '../policy/decision.ts';
import type { ProposalState } from '../store/types.ts';
import { displayAmount } from '../util/units.ts';
import type { Member } from '../workflow/quorum.ts';
import { digestField, type PressAction } from '../workflow/votes.ts';
import { STATE_TEXT, type ProposalView, type Units } from '../workflow/views.ts';
import { formatCallback, type CardAction } from './callback.ts';
import { clip, code, escapeLine, link } from './html.ts';

/** Telegram's limit on a message's text. */
export const MAX_MESSAGE_CHARS = 4096;

/** Where the card links to: pages on the cluster the RPC is on. */
export interface CardLinks {
  /** The Squads app page of the transaction (mainnet only; absent elsewhere). */
  readonly squads?: string;
  /** An explorer page of the Proposal PDA. */
  readonly explorer: string;
  /** An explorer page of a transaction signature. */
  readonly tx: (signature: string) => string;
  /**
   * The direct-link Mini App (`https://t.me/<bot>/<app>`) when a role of the proposal's policy approves
   * with a signature: Approve then opens it (`?startapp=<row>_<epoch>`) instead of sending a callback.
   */
  readonly approveApp?: string;
}

/** A rendered card. */
export interface RenderedCard {
  /** HTML parse mode text. */
  readonly text: string;
  readonly keyboard: InlineKeyboardMarkup;
  /** sha256 of text and keyboard: equal hashes need no edit. */
  readonly hash: string;
}

const ICON: Readonly<Record<Outcome, string>> = { pass: '✅', fail: '❌', unknown: '❔' };

/** "2026-12-02 10:00 UTC" */
export function formatTime(t: Date): string {
  return `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "4nBV…FAFH": enough to recognise an address on a phone; the Details view shows it whole. */
export const shortAddress = (a: string): string => (a.length > 12 ? `${a.slice(0, 4)}…${a.slice(-4)}` : a);

/** An amount with its unit: "9,820.00 USDC", or base units when the decimals are unknown. */
export function amountText(amount: bigint, unit: Units['underlying']): string {
  return unit.decimals === null ? `${amount} base units of ${unit.symbol}` : `${displayAmount(amount, unit.decimals)} ${unit.symbol}`;
}

const LABEL: Readonly<Record<CardAction, string>> = {
  approve: '✅ Approve',
  reject: '🚫 Reject',
  'confirm-reject': '🚫 Confirm reject',
  'cancel-reject': '↩️ Cancel',
  details: 'ℹ️ Details',
};

/** The Mini App link of an Approve bound to the proposal row and its epoch (`startapp` allows [A-Za-z0-9_-]). */
export function approveAppUrl(app: string, view: Pick<ProposalView, 'rowId' | 'epoch'>): string {
  return `${app}?startapp=${view.rowId}_${view.epoch}`;
}

/**
 * The card's inline keyboard: its actions, then Details, bound to the row id, digest prefix and epoch.
 * With `approveApp` the one Approve is a `url` button to the Mini App (a `web_app` button works only in
 * private chats; the card lives in a group); members of a `button` role approve there too, without a
 * signature (docs/approvals.md). Reject, its hold and confirm stay callbacks.
 */
export function cardKeyboard(view: Pick<ProposalView, 'rowId' | 'digest' | 'epoch' | 'actions'>, approveApp?: string): InlineKeyboardMarkup {
  const button = (action: CardAction): InlineKeyboardButton =>
    action === 'approve' && approveApp
      ? { text: LABEL[action], url: approveAppUrl(approveApp, view) }
      : { text: LABEL[action], callback_data: formatCallback({ action, rowId: view.rowId, digestPrefix: digestField(view.digest), epoch: view.epoch }) };
  return { inline_keyboard: [[...view.actions.map(button), button('details')]] };
}

/** Renders the card. Pure. */
export function renderCard(view: ProposalView, links: CardLinks): RenderedCard {
  const text = clip(cardLines(view, links).join('\n'), MAX_MESSAGE_CHARS);
  const keyboard = cardKeyboard(view, links.approveApp);
  const hash = createHash('sha256').update(JSON.stringify({ text, keyboard })).digest('hex');
  return { text, keyboard, hash };
}

// States where the humans' approvals mean something on the card (elsewhere Details lists the votes).
const SHOWS_APPROVALS: ReadonlySet<ProposalState> = new Set(['awaiting-approval', 'approved', 'signing', 'signed', 'executed']);
const FINAL: ReadonlySet<ProposalState> = new Set(['executed', 'rejected', 'expired', 'failed']);

function cardLines(view: ProposalView, links: CardLinks): string[] {
  const { units, summary } = view;
  const lines: string[] = [];
  lines.push(`<b>#${view.rowId} ${escapeLine(clip(view.vaultName ?? shortAddress(view.vault), 30))}</b>`);
  lines.push(`<b>${escapeLine(STATE_TEXT[view.state])}</b>${escapeLine(stateDetail(view))}`);

  // What
  if (summary?.amount != null) {
    const value = summary.value != null ? ` ≈ ${amountText(summary.value, units.underlying)}` : ' (value unknown)';
    lines.push(`Withdraw <b>${escapeLine(amountText(summary.amount, units.shares))}</b>${escapeLine(value)}`);
  } else {
    lines.push('Withdraw: amount unknown (see Details)');
  }
  // A stored compensation plan takes this line's place: the card keeps its 12-line budget.
  lines.push(view.plan ? planText(view.plan, units.shares) : 'from the Insurance Pool');

  // Why
  const [event, ...more] = view.lossEvents;
  if (event) {
    const when = event.at ? ` (${event.at.toISOString().slice(0, 10)})` : '';
    const left = view.lossEvents.reduce((s, e) => s + e.remaining, 0n);
    lines.push(`Why: loss ${code(event.id.slice(0, 11))}${more.length > 0 ? ` +${more.length}` : ''}${escapeLine(when)}`);
    lines.push(`on ${code(shortAddress(event.reserve))} · ${escapeLine(amountText(left, units.underlying))} left`);
  } else {
    lines.push('Why: no loss event recorded');
  }

  // Where
  if (view.destination) {
    const name = view.destination.escrowName ? escapeLine(clip(view.destination.escrowName, 20)) : '⚠️ <i>not an escrow</i>';
    lines.push(`To: ${name} ${code(shortAddress(view.destination.address))}`);
  }

  // Verdict
  lines.push(verdictLine(view, SHOWS_APPROVALS.has(view.state) ? 40 : 78));

  // Who
  if (SHOWS_APPROVALS.has(view.state)) lines.push(...whoLines(view));

  // When, which, where to look
  if (view.hold) lines.push(`⏸ ${escapeLine(clip(view.hold.name, 12))}’s Reject holds signing to ${escapeLine(formatTime(view.hold.until).slice(11, 16))}`);
  else if (view.deadline && !FINAL.has(view.state)) lines.push(`Until ${escapeLine(formatTime(view.deadline))}`);
  const look = [links.squads ? link(links.squads, 'Squads') : null, link(links.explorer, 'Explorer')].filter((x) => x !== null).join(' · ');
  lines.push(`${view.digest ? code(view.digest.slice(0, 16)) : '<i>no digest</i>'} · ${look}`);
  return lines;
}

/** "Plan 1,234 holders · 9,820.00 · 1a2b3c4d" (kTokens, as the line above), shortened to one 40-character phone line. */
export function planText(plan: NonNullable<ProposalView['plan']>, unit: Units['shares']): string {
  // Two decimals, rounded down: the card is a glance; Details and the API have the exact total.
  const d = unit.decimals;
  const total = d === null ? `${plan.total}` : d > 2 ? displayAmount(plan.total / 10n ** BigInt(d - 2), 2) : displayAmount(plan.total, d);
  const root = plan.root.slice(0, 8);
  const h = plan.claimants.toLocaleString('en-US');
  const forms = [`Plan ${h} holders · ${total} ${unit.symbol} · ${root}`, `Plan ${h} holders · ${total} · ${root}`, `Plan ${h} · ${total} · ${root}`, `Plan ${h} holders · root ${root}`];
  return escapeLine(forms.find((t) => [...t].length <= 40) ?? `Plan · root ${root}`);
}

/** One line of at most `width` characters: all checks passed, or the first that did not and why. */
function verdictLine(view: ProposalView, width: number): string {
  const v = view.verdict;
  if (!v) return '⏳ Not decided yet';
  if (v.allowed) return `✅ All ${v.total} checks passed`;
  const first = v.problems[0]!;
  const others = v.problems.length > 1 ? ` (+${v.problems.length - 1})` : '';
  return `${ICON[first.outcome]} ${escapeLine(first.id)}: ${escapeLine(clip(first.reason, Math.max(8, width - first.id.length - others.length - 4)))}${others}`;
}

/** Curator and council: who approved, and how many more are needed (not every missing name). */
function whoLines(view: ProposalView): string[] {
  const { tally, required } = view;
  if (!tally || !required) return ['No policy covers this proposal any more'];
  const names = (ms: readonly Member[]) => ms.map((m) => `${escapeLine(clip(m.name, 12))} ✅`).join(', ');
  const role = (label: string, approved: readonly Member[], needed: number, of: number) =>
    `${label} ${approved.length} of ${of}${approved.length > 0 ? `: ${names(approved)}` : ''}${needed > 0 ? ` · ${needed} more needed` : ''}`;
  return [role('Curator', tally.curatorApprovals, tally.curatorsNeeded, required.curators), role('Council', tally.councilApprovals, tally.councilNeeded, required.council)];
}

/** What follows the state: recorded mode, the reason of a denial or failure, who rejected. */
function stateDetail(view: ProposalView): string {
  switch (view.state) {
    case 'signing':
      return view.intent?.status === 'recorded' ? ' — recorded, not executed' : ' — approval sent';
    case 'rejected':
      if (view.last?.cause === 'chain') return ' on-chain';
      return view.rejection ? ` by ${clip(view.rejection.name, 12)}${view.rejection.reason ? `: ${clip(view.rejection.reason, 40)}` : ''}` : '';
    case 'expired':
      return view.deadline ? ` at ${formatTime(view.deadline)}` : '';
    case 'invalidated':
    case 'failed':
      return view.last?.reason ? `: ${clip(view.last.reason, 40)}` : '';
    default:
      return '';
  }
}

/**
 * The Details view (the card's ℹ️ button, `/status`): every rule with its reason, full addresses, the
 * full digest and revision, the amounts in base units, the loss events, the votes and the intent.
 */
export function renderDetails(view: ProposalView, links: CardLinks): string {
  const { units, summary } = view;
  const lines: string[] = [`<b>#${view.rowId} details</b> — ${escapeLine(STATE_TEXT[view.state])}${escapeLine(stateDetail(view))}`, `Proposal ${code(view.id)}`];
  lines.push(`Vault ${escapeLine(view.vaultName ?? '')} ${code(view.vault)}`);
  if (summary?.amount != null) lines.push(`Amount ${escapeLine(amountText(summary.amount, units.shares))} (${summary.amount} base units)`);
  if (summary?.value != null) lines.push(`Value ${escapeLine(amountText(summary.value, units.underlying))} (${summary.value} base units)`);
  if (summary?.farmTransfer != null) lines.push(`The farm sends ${escapeLine(amountText(summary.farmTransfer, units.shares))}${summary.drainsPool ? ' — the whole pool (the farm freezes)' : ''}`);
  if (view.destination) lines.push(`Destination ${escapeLine(view.destination.escrowName ?? 'not a registered escrow')} ${code(view.destination.address)}`);
  for (const e of view.lossEvents) {
    lines.push(
      `Loss ${code(e.id)}${e.state === 'closed' ? ' (closed)' : ''} on reserve ${code(e.reserve)}: recorded ${escapeLine(amountText(e.recordedLoss, units.underlying))}, ` +
        `compensated ${escapeLine(amountText(e.compensated, units.underlying))}, reserved ${escapeLine(amountText(e.reserved, units.underlying))}, left ${escapeLine(amountText(e.remaining, units.underlying))}`,
    );
  }
  if (view.plan) {
    lines.push(`Plan of ${code(view.plan.lossEventId)}: ${view.plan.claimants} holders, total ${escapeLine(amountText(view.plan.total, units.shares))} (${view.plan.total} base units), root ${code(view.plan.root)}`);
  }
  lines.push(`Digest ${view.digest ? code(view.digest) : '<i>none</i>'}`);
  lines.push(`Policy ${view.policyRevision ? code(view.policyRevision) : '<i>none</i>'} · round ${view.epoch}`);
  if (view.claim) lines.push(`Claim (shown, never used to decide): <i>${escapeLine(clip(view.claim, 1000))}</i>`);
  lines.push('');
  if (view.decision) {
    lines.push(`<b>Rules</b> (decision ${code(view.decision.id)})`);
    for (const r of view.rules) lines.push(`${ICON[r.outcome]} ${escapeLine(r.id)} — ${escapeLine(clip(r.reason, 400))}`);
  } else {
    lines.push('<b>Rules</b>: not decided yet');
  }
  lines.push('');
  lines.push(`<b>Votes</b> (round ${view.epoch}): ${view.approvals.length === 0 ? 'none' : view.approvals.map((a) => `${escapeLine(a.name)} (${a.role}) ${a.vote === 'approve' ? '✅' : '🚫'}`).join(', ')}`);
  if (view.intent) lines.push(`Co-signer ${escapeLine(view.intent.kind)} ${link(links.tx(view.intent.signature), shortAddress(view.intent.signature))} — ${escapeLine(view.intent.status === 'recorded' ? 'recorded, not executed' : view.intent.status)}`);
  if (view.last?.signature) lines.push(`Executed in ${link(links.tx(view.last.signature), shortAddress(view.last.signature))}`);
  if (view.deadline) lines.push(`Deadline ${escapeLine(formatTime(view.deadline))}`);
  return clip(lines.join('\n'), MAX_MESSAGE_CHARS);
}

export type { PressAction };
