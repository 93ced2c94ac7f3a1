/**
 * The bot's commands (docs/telegram.md): `/pending`, `/status <id>`, `/losses`, `/pool`, `/whoami`, `/help`.
 * They answer only in a policy's chat (about that policy) or in private to a roster member (about
 * the vaults they are on the roster of): no one sees another vault's data.
 */
import type { LoadedPolicy } from '../policy/load.ts';
import type { AccountSource } from '../chain/types.ts';
import type { ProposalRecord, Store } from '../store/types.ts';
import { roleOf } from '../workflow/quorum.ts';
import { isFinal } from '../workflow/states.ts';
import { lossEventLine } from '../workflow/views.ts';
import { amountText, formatTime, shortAddress } from './card.ts';
import { code, escapeHtml } from './html.ts';
import { formatPool, readPool } from './pool.ts';

/** The bot's commands with their one-line descriptions (also sent with `setMyCommands`). */
export const COMMANDS: readonly { command: string; description: string }[] = [
  { command: 'pending', description: 'Proposals still open' },
  { command: 'status', description: 'One proposal: /status <row id or multisig:index>' },
  { command: 'losses', description: 'Loss events and what remains of them' },
  { command: 'pool', description: 'Insurance Pool totals, value and pending unstakes' },
  { command: 'whoami', description: 'Your Telegram id and role' },
  { command: 'help', description: 'What the bot does' },
];

/** Who asks, and where. */
export interface Viewer {
  readonly chatId: number;
  readonly chatType: string;
  readonly userId: number | null;
}

export interface CommandDeps {
  readonly store: Store;
  readonly policies: { all(): readonly LoadedPolicy[] };
  readonly chain: AccountSource;
  /** The proposal's Details view as it would be rendered now (TelegramNotifier.details). */
  readonly renderDetails: (rowId: number) => Promise<{ text: string } | null>;
}

/** The policies a viewer may see: the chat's in a group, the viewer's rosters in private. */
export function visiblePolicies(all: readonly LoadedPolicy[], viewer: Viewer): LoadedPolicy[] {
  if (viewer.chatType === 'private') return viewer.userId === null ? [] : all.filter((p) => roleOf(p.policy, viewer.userId!) !== null);
  return all.filter((p) => p.policy.telegram.chatId === viewer.chatId);
}

/**
 * Answers one command as HTML, or null to stay silent (not a policy chat, not a member). `/whoami`
 * also answers a non-member in private — with only their own id, so that they can be put on a roster.
 */
export async function answerCommand(command: string, args: string, viewer: Viewer, deps: CommandDeps): Promise<string | null> {
  const visible = visiblePolicies(deps.policies.all(), viewer);
  if (command === 'whoami' && viewer.userId !== null && (visible.length > 0 || viewer.chatType === 'private')) return whoami(viewer.userId, visible);
  if (visible.length === 0) return null;
  switch (command) {
    case 'help':
      return help();
    case 'pending':
      return pending(deps.store, visible);
    case 'status':
      return status(deps, visible, args.trim());
    case 'losses':
      return losses(deps.store, visible);
    case 'pool':
      return pool(deps.chain, visible);
    default:
      return null;
  }
}

function help(): string {
  return [
    '<b>backstop</b> co-signs emergency withdrawals from the Insurance Pool when the policy allows them and the roster approves.',
    'Each proposal gets a card here: press Approve or Reject on it. A Reject holds signing for 10 minutes until you Confirm or Cancel it; reply to the card to give a reason.',
    '',
    ...COMMANDS.map((c) => `/${c.command} — ${escapeHtml(c.description)}`),
  ].join('\n');
}

function whoami(userId: number, visible: readonly LoadedPolicy[]): string {
  const roles = visible.flatMap((p) => {
    const role = roleOf(p.policy, userId);
    return role ? [`${role} of ${escapeHtml(p.policy.name)}`] : [];
  });
  return `Your Telegram id: ${code(String(userId))}\n${roles.length > 0 ? `Role: ${roles.join('; ')}` : 'You are not on a roster this chat can see.'}`;
}

async function pending(store: Store, visible: readonly LoadedPolicy[]): Promise<string> {
  const lines: string[] = [];
  for (const p of visible) {
    const rows = (await store.listProposals({ vault: p.policy.vault })).filter((r) => !isFinal(r.state));
    lines.push(`<b>${escapeHtml(p.policy.name)}</b>: ${rows.length === 0 ? 'nothing open' : `${rows.length} open`}`);
    for (const r of rows) lines.push(`• #${r.rowId} ${code(r.id)} — ${escapeHtml(r.state)}${r.deadline ? `, expires ${escapeHtml(formatTime(r.deadline))}` : ''}`);
  }
  return lines.join('\n');
}

async function findProposal(store: Store, id: string): Promise<ProposalRecord | null> {
  if (/^[1-9][0-9]{0,14}$/.test(id)) return store.getProposalByRowId(Number(id));
  if (/^[1-9A-HJ-NP-Za-km-z]{32,44}:[0-9]{1,20}$/.test(id)) return store.getProposal(id);
  return null;
}

async function status(deps: CommandDeps, visible: readonly LoadedPolicy[], id: string): Promise<string> {
  if (id === '') return 'Usage: /status &lt;row id or multisig:index&gt;';
  const row = await findProposal(deps.store, id);
  // A proposal of a vault this viewer cannot see is answered exactly like an unknown one.
  if (!row || !visible.some((p) => p.policy.insurancePool.multisig === row.multisig)) return `No proposal ${code(id)} here.`;
  const card = await deps.renderDetails(row.rowId);
  return card ? card.text : `No proposal ${code(id)} here.`;
}

async function losses(store: Store, visible: readonly LoadedPolicy[]): Promise<string> {
  const lines: string[] = [];
  for (const p of visible) {
    const [events, ledger] = await Promise.all([store.lossEventsForVault(p.policy.vault), store.ledgerForVault(p.policy.vault)]);
    const unit = { symbol: p.policy.symbol ?? 'tokens', decimals: null as number | null };
    lines.push(`<b>${escapeHtml(p.policy.name)}</b>: ${events.length === 0 ? 'no loss events' : `${events.length} loss event(s)`}`);
    for (const e of events.map((x) => lossEventLine(x, ledger))) {
      const amount = (v: bigint) => escapeHtml(amountText(v, unit));
      lines.push(
        `• ${code(e.id)} (${e.state}) reserve ${code(shortAddress(e.reserve))}: recorded ${amount(e.recordedLoss)}, compensated ${amount(e.compensated)}, ` +
          `reserved ${amount(e.reserved)}, left ${amount(e.remaining)}`,
      );
    }
  }
  return lines.join('\n');
}

async function pool(chain: AccountSource, visible: readonly LoadedPolicy[]): Promise<string> {
  const parts: string[] = [];
  for (const p of visible) {
    try {
      parts.push(formatPool(await readPool(chain, p.policy)));
    } catch (err) {
      parts.push(`<b>${escapeHtml(p.policy.name)}</b>: the chain could not be read (${escapeHtml((err as Error).message)})`);
    }
  }
  return parts.join('\n\n');
}
