/**
 * The proposal card (SPEC §7), pure: from what the store knows to the HTML text, the inline keyboard
 * and a hash of both (an unchanged hash means no edit is sent). Everything user- or chain-derived is
 * escaped (bidi and control characters shown as <U+XXXX>, line feeds too); the final state stays visible on the card.
 */
import { createHash } from 'node:crypto';
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import type { Address } from '@solana/kit';
import { formatUnits } from '../policy/amounts.ts';
import type { Decision, JsonFact, RuleResult } from '../policy/decision.ts';
import type { Policy } from '../policy/schema.ts';
import type { IntentRecord, ProposalRecord, TransitionRecord } from '../store/types.ts';
import type { Member, Tally } from '../workflow/quorum.ts';
import { holdEndsAt, type RejectHold } from '../workflow/timers.ts';
import { digestField, type PressAction } from '../workflow/votes.ts';
import { formatCallback } from './callback.ts';
import { clip, code, escapeLine, link } from './html.ts';

/** Telegram's limit on a message's text. */
export const MAX_MESSAGE_CHARS = 4096;

/** A loss event as the card shows it: what was recorded and what is already used. Underlying base units. */
export interface CardLossEvent {
  readonly id: string;
  readonly reserve: Address;
  readonly state: 'open' | 'closed';
  readonly recordedLoss: bigint;
  readonly compensated: bigint;
  readonly reserved: bigint;
}

/** Where the card links to. */
export interface CardLinks {
  /** The Squads app page of the transaction. */
  readonly squads: string;
  /** An explorer page of the Proposal PDA. */
  readonly explorer: string;
  /** An explorer page of a transaction signature (executed / signing). */
  readonly tx?: (signature: string) => string;
}

/** Everything a card shows. */
export interface CardInput {
  readonly row: ProposalRecord;
  readonly policy: Policy;
  /** The latest stored decision, or null before the first one. */
  readonly decision: Decision | null;
  /** The current epoch's tally against the current policy (`currentTally`). */
  readonly tally: Tally | null;
  /** The active Reject hold, if any (`activeHold`). */
  readonly hold: RejectHold | null;
  /** The latest co-signer intent, if any. */
  readonly intent: IntentRecord | null;
  readonly lossEvents: readonly CardLossEvent[];
  readonly now: Date;
  readonly links: CardLinks;
  /** The latest transition: its detail explains final states (signature, reason). */
  readonly lastTransition?: TransitionRecord | null;
  /** The rejection that ended the proposal, with the reason replied later. */
  readonly rejection?: { readonly name: string; readonly reason: string | null } | null;
}

/** A rendered card. */
export interface RenderedCard {
  /** HTML parse mode text. */
  readonly text: string;
  readonly keyboard: InlineKeyboardMarkup;
  /** sha256 of text and keyboard: equal hashes need no edit. */
  readonly hash: string;
}

const RULE_ICON: Readonly<Record<RuleResult['outcome'], string>> = { pass: '✅', fail: '❌', unknown: '❔' };

const STATE_LINE: Readonly<Record<ProposalRecord['state'], string>> = {
  received: '⏳ Received — deciding',
  denied: '⛔ Denied by policy',
  'awaiting-approval': '🗳 Awaiting approval',
  invalidated: '♻️ Approvals voided — deciding again',
  approved: '✅ Approved — waiting for the curator’s on-chain vote, then backstop co-signs last',
  signing: '✍️ Signing — the co-signer’s approval is sent',
  signed: '✍️ Signed on-chain — not executed yet',
  executed: '🏁 Executed',
  rejected: '🚫 Rejected',
  expired: '⌛ Expired',
  failed: '💥 Failed',
};

/** "2026-12-02 10:00 UTC" */
export function formatTime(t: Date): string {
  return `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const factOf = (decision: Decision | null, rule: string, key: string): JsonFact | undefined =>
  decision?.rules.find((r) => r.id === rule)?.facts[key];

const bigOf = (v: JsonFact | undefined): bigint | null => (typeof v === 'string' && /^[0-9]+$/.test(v) ? BigInt(v) : null);

const detailOf = (t: TransitionRecord | null | undefined): Record<string, unknown> =>
  t && t.detail !== null && typeof t.detail === 'object' ? (t.detail as Record<string, unknown>) : {};

/** Which buttons a card carries in `state` (SPEC §7). */
export function cardActions(state: ProposalRecord['state'], holdActive: boolean): PressAction[] {
  const approve: PressAction[] = state === 'awaiting-approval' ? ['approve'] : [];
  const rejectable = state === 'denied' || state === 'awaiting-approval' || state === 'approved';
  if (!rejectable) return approve;
  return [...approve, ...(holdActive ? (['confirm-reject', 'cancel-reject'] as const) : (['reject'] as const))];
}

const LABEL: Readonly<Record<PressAction, string>> = {
  approve: '✅ Approve',
  reject: '🚫 Reject',
  'confirm-reject': '🚫 Confirm reject',
  'cancel-reject': '↩️ Cancel reject',
};

/** The card's inline keyboard: one row of buttons bound to the row id, digest prefix and epoch. */
export function cardKeyboard(row: Pick<ProposalRecord, 'rowId' | 'state' | 'digest' | 'epoch'>, holdActive: boolean): InlineKeyboardMarkup {
  const buttons: InlineKeyboardButton[] = cardActions(row.state, holdActive).map((action) => ({
    text: LABEL[action],
    callback_data: formatCallback({ action, rowId: row.rowId, digestPrefix: digestField(row.digest), epoch: row.epoch }),
  }));
  return { inline_keyboard: buttons.length > 0 ? [buttons] : [] };
}

/** Renders the card. Pure. */
export function renderCard(input: CardInput): RenderedCard {
  // Shorter reasons and claim when the whole card would exceed Telegram's limit.
  let text = '';
  for (const [reasonMax, claimMax] of [[400, 1000], [140, 300], [60, 80], [0, 0]] as const) {
    text = cardText(input, reasonMax, claimMax);
    if (text.length <= MAX_MESSAGE_CHARS) break;
  }
  if (text.length > MAX_MESSAGE_CHARS) text = text.slice(0, MAX_MESSAGE_CHARS); // unreachable with sane inputs
  const keyboard = cardKeyboard(input.row, input.hold !== null);
  const hash = createHash('sha256').update(JSON.stringify({ text, keyboard })).digest('hex');
  return { text, keyboard, hash };
}

function cardText(input: CardInput, reasonMax: number, claimMax: number): string {
  const { row, policy, decision } = input;
  const decimals = factOf(decision, 'limits', 'decimals');
  const units = (v: bigint): string => (typeof decimals === 'number' ? formatUnits(v, decimals) : `${v} base units`);
  const lines: string[] = [];

  lines.push(`<b>Emergency withdrawal #${row.rowId}</b> — ${escapeLine(policy.name)}`);
  lines.push(`<b>${escapeLine(STATE_LINE[row.state])}</b>${stateDetail(input)}`);
  lines.push('');
  lines.push(`Proposal: ${code(row.id)}`);
  lines.push(`Vault: ${escapeLine(policy.name)} ${code(row.vault)}`);

  const amount = bigOf(factOf(decision, 'amount-within-loss', 'amount')) ?? bigOf(factOf(decision, 'farm-binding', 'amount'));
  const value = bigOf(factOf(decision, 'amount-within-loss', 'value'));
  if (amount !== null) {
    lines.push(`Amount: <b>${escapeLine(units(amount))} kTokens</b>${value !== null ? ` ≈ ${escapeLine(units(value))} underlying` : ' (value unknown)'}`);
  } else {
    lines.push('Amount: unknown (see the rules)');
  }

  const destination = factOf(decision, 'destination-escrow', 'destination');
  const escrowName = factOf(decision, 'destination-escrow', 'escrow');
  if (typeof destination === 'string') {
    const named = typeof escrowName === 'string' ? escapeLine(escrowName) : '<i>not a registered escrow</i>';
    lines.push(`Escrow: ${named} ${code(destination)}`);
  }

  if (input.lossEvents.length > 0) {
    lines.push('Loss events:');
    for (const e of input.lossEvents.slice(0, 5)) {
      const remaining = e.recordedLoss - e.compensated - e.reserved;
      lines.push(
        `• ${code(e.id)}${e.state === 'closed' ? ' (closed)' : ''}: recorded ${escapeLine(units(e.recordedLoss))}, ` +
          `compensated ${escapeLine(units(e.compensated))}, reserved ${escapeLine(units(e.reserved))} → remains ${escapeLine(units(remaining > 0n ? remaining : 0n))}`,
      );
    }
    if (input.lossEvents.length > 5) lines.push(`• … and ${input.lossEvents.length - 5} more (/losses)`);
  } else {
    lines.push('Loss events: none recorded');
  }

  lines.push(
    `Digest: ${row.digest ? code(row.digest.slice(0, 16)) : '<i>none</i>'} · policy ${row.policyRevision ? code(row.policyRevision.slice(0, 8)) : '<i>none</i>'} · epoch ${row.epoch}`,
  );
  if (row.claim) lines.push(`Claim (shown, never used to decide): <i>${escapeLine(clip(row.claim, Math.max(claimMax, 1)))}</i>`);

  lines.push('');
  if (decision) {
    lines.push(`<b>Rules</b> (decision ${code(decision.id.slice(0, 12))})`);
    for (const r of decision.rules) {
      const reason = reasonMax > 0 ? ` — ${escapeLine(clip(r.reason, reasonMax))}` : '';
      lines.push(`${RULE_ICON[r.outcome]} ${escapeLine(r.id)}${reason}`);
    }
  } else {
    lines.push('<b>Rules</b>: not decided yet');
  }

  lines.push('');
  lines.push(...approvalLines(input));

  if (row.deadline) lines.push(`Deadline: ${escapeLine(formatTime(row.deadline))}`);
  lines.push(`${link(input.links.squads, 'Squads app')} · ${link(input.links.explorer, 'Explorer')}`);
  return lines.join('\n');
}

function approvalLines(input: CardInput): string[] {
  const { tally, policy, hold } = input;
  if (!tally) return ['<b>Approvals</b>: no policy covers this proposal any more'];
  const names = (ms: readonly Member[]) => ms.map((m) => escapeLine(m.name)).join(', ');
  const role = (label: string, approved: readonly Member[], missing: readonly Member[], needed: number, required: number) =>
    `${label} ${approved.length}/${required}: ${approved.length > 0 ? `✅ ${names(approved)}` : '—'}` +
    (needed > 0 && missing.length > 0 ? ` · missing: ${names(missing)}` : '');
  const out = [
    '<b>Approvals</b>',
    role('Curators', tally.curatorApprovals, tally.missingCurators, tally.curatorsNeeded, policy.curators.required),
    role('Council', tally.councilApprovals, tally.missingCouncil, tally.councilNeeded, policy.council.quorum),
  ];
  if (tally.rejections.length > 0) out.push(`Rejected by: ${names(tally.rejections.map((r) => r.member))}`);
  if (hold) {
    const by = [...policy.curators.members, ...policy.council.members].find((m) => m.telegramId === hold.by);
    out.push(`⏸ Signing held by ${escapeLine(by?.name ?? String(hold.by))}’s Reject until ${escapeLine(formatTime(holdEndsAt(hold)))} — Confirm or Cancel`);
  }
  return out;
}

/** What follows the state line: the signature, reason or cause that explains it. */
function stateDetail(input: CardInput): string {
  const { row, intent, lastTransition, rejection, links } = input;
  const detail = lastTransition && lastTransition.to === row.state ? detailOf(lastTransition) : {};
  const sig = (s: string) => ` ${links.tx ? link(links.tx(s), s) : code(s)}`;
  switch (row.state) {
    case 'executed': {
      const s = typeof detail['signature'] === 'string' ? detail['signature'] : intent?.signature;
      return s ? `: ${sig(s)}` : '';
    }
    case 'signing':
    case 'signed':
      return intent ? `:${sig(intent.signature)}` : '';
    case 'rejected': {
      if (lastTransition?.cause === 'chain') return ' on-chain';
      if (rejection) return ` by ${escapeLine(rejection.name)}${rejection.reason ? `: ${escapeLine(clip(rejection.reason, 1000))}` : ' (reply to this card to add a reason)'}`;
      return '';
    }
    case 'expired':
      return row.deadline ? ` at ${escapeLine(formatTime(row.deadline))}` : '';
    case 'invalidated':
    case 'failed':
    case 'denied': {
      const reason = detail['reason'];
      return typeof reason === 'string' ? `: ${escapeLine(clip(reason, 300))}` : '';
    }
    default:
      return '';
  }
}
