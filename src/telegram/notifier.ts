/**
 * The Telegram side of the workflow's Notifier port (docs/telegram.md): one card per proposal, posted once
 * and edited in place, rendered from the store. It never throws: what Telegram could not take is
 * marked `pendingRender` in the store (a card not yet posted is stored with message id 0) and sent
 * again by {@link TelegramNotifier.retryPending}, so an outage loses nothing.
 */
import { GrammyError, type Api, type RawApi } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { proposalPdaOf } from '../chain/pda.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import type { PolicyRegistry } from '../policy/registry.ts';
import type { CardRecord, ProposalRecord, Store } from '../store/types.ts';
import { KeyedMutex } from '../workflow/mutex.ts';
import { usesSignedApproval } from '../workflow/signed-approval.ts';
import type { Log, Notifier } from '../workflow/ports.ts';
import { proposalView, type ProposalView } from '../workflow/views.ts';
import { formatTime, renderCard, renderDetails, type CardLinks, type RenderedCard } from './card.ts';
import { escapeHtml } from './html.ts';
import { explorerAddressLink, explorerTxLink, squadsLink, type Cluster } from './links.ts';
import { notifierApi } from './api.ts';
import { errorText } from './redact.ts';

/** A card stored before Telegram gave it a message id (Telegram's ids start at 1). */
export const UNPOSTED_MESSAGE_ID = 0;

/** What the notifier reads policies from. */
export type PolicyLookup = Pick<PolicyRegistry, 'forMultisig'>;

export interface TelegramNotifierOptions {
  readonly store: Store;
  readonly policies: PolicyLookup;
  readonly log: Log;
  /** The bot token (also used to keep it out of log lines). */
  readonly token: string;
  /** e.g. `http://127.0.0.1:9600` for the emulator. */
  readonly apiRoot?: string;
  /** An API client to use instead of building one (tests). */
  readonly api?: Api<RawApi>;
  /** The workflow's clock (Reject holds are judged against it). */
  readonly clock?: () => Date;
  /** The cluster the RPC is on, for links (`clusterOf(rpcUrl)`); mainnet when absent. */
  readonly cluster?: Cluster;
  /** `TELEGRAM_MINIAPP` (`<bot>/<app>`): a signed role's card Approve opens this Mini App (docs/approvals.md). */
  readonly miniApp?: string;
}

const SEND_OPTIONS = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as const;

/** Posts and edits proposal cards; sends reminders and operator alerts. */
export class TelegramNotifier implements Notifier {
  readonly api: Api<RawApi>;
  private readonly store: Store;
  private readonly policies: PolicyLookup;
  private readonly log: Log;
  private readonly token: string;
  private readonly clock: () => Date;
  private readonly cluster: Cluster;
  private readonly miniApp: string | undefined;
  private readonly cards = new KeyedMutex();

  constructor(o: TelegramNotifierOptions) {
    this.store = o.store;
    this.policies = o.policies;
    this.log = o.log;
    this.token = o.token;
    this.clock = o.clock ?? (() => new Date());
    this.cluster = o.cluster ?? { kind: 'mainnet' };
    this.miniApp = o.miniApp;
    this.api = o.api ?? notifierApi({ token: o.token, ...(o.apiRoot ? { apiRoot: o.apiRoot } : {}) });
  }

  /** Posts the card the first time, edits it afterwards (skipped when nothing visible changed). */
  async proposalChanged(rowId: number): Promise<void> {
    await this.cards.run(`card:${rowId}`, () => this.sync(rowId));
  }

  /** Sends again every card or edit Telegram did not take; returns how many are still pending. */
  async retryPending(): Promise<number> {
    let pending: CardRecord[];
    try {
      pending = await this.store.pendingCards();
    } catch (err) {
      this.log.warn({ err: errorText(err, this.token) }, 'pending cards not read; retrying later');
      return -1;
    }
    let left = 0;
    for (const card of pending) {
      await this.proposalChanged(card.proposalRowId);
      const after = await this.store.getCard(card.proposalRowId).catch(() => null);
      if (after?.pendingRender !== false) left += 1;
    }
    return left;
  }

  /** A reminder naming who is missing, as a reply to the card. */
  async remind(rowId: number, missing: readonly string[]): Promise<void> {
    try {
      const row = await this.store.getProposalByRowId(rowId);
      const loaded = row ? this.policies.forMultisig(row.multisig) : undefined;
      if (!row || !loaded) return;
      const card = await this.store.getCard(rowId);
      const who = missing.length > 0 ? missing.map(escapeHtml).join(', ') : 'nobody (quorum is met)';
      const text =
        `⏰ <b>Reminder</b>: proposal #${row.rowId} (${escapeHtml(loaded.policy.name)}) still needs approval from ${who}.` +
        (row.deadline ? `\nIt expires ${escapeHtml(formatTime(row.deadline))}.` : '');
      const reply = card && card.messageId !== UNPOSTED_MESSAGE_ID && card.chatId === loaded.policy.telegram.chatId
        ? { reply_parameters: { message_id: card.messageId, allow_sending_without_reply: true } }
        : {};
      await this.api.sendMessage(loaded.policy.telegram.chatId, text, { ...SEND_OPTIONS, ...reply });
    } catch (err) {
      this.log.warn({ proposalRowId: rowId, err: errorText(err, this.token) }, 'reminder not sent; the next one follows');
    }
  }

  /** An operator alert to a chat. */
  async alert(chatId: number, text: string): Promise<void> {
    try {
      await this.api.sendMessage(chatId, `⚠️ ${escapeHtml(text)}`, SEND_OPTIONS);
    } catch (err) {
      this.log.warn({ chatId, err: errorText(err, this.token) }, 'alert not sent');
    }
  }

  /** The card as it would be rendered now; null for an unknown row or policy. */
  async render(rowId: number): Promise<{ row: ProposalRecord; loaded: LoadedPolicy; view: ProposalView; card: RenderedCard } | null> {
    const row = await this.store.getProposalByRowId(rowId);
    if (!row) return null;
    const loaded = this.policies.forMultisig(row.multisig);
    if (!loaded) return null;
    const view = await this.view(row);
    return { row, loaded, view, card: renderCard(view, this.links(row)) };
  }

  /** The Details view of a proposal (the card's ℹ️ button, `/status`); null for an unknown row or policy. */
  async details(rowId: number): Promise<{ row: ProposalRecord; loaded: LoadedPolicy; text: string } | null> {
    const rendered = await this.render(rowId);
    return rendered ? { row: rendered.row, loaded: rendered.loaded, text: renderDetails(rendered.view, this.links(rendered.row)) } : null;
  }

  private async sync(rowId: number): Promise<void> {
    let rendered: Awaited<ReturnType<TelegramNotifier['render']>>;
    let card: CardRecord | null;
    try {
      rendered = await this.render(rowId);
      if (!rendered) {
        this.log.warn({ proposalRowId: rowId }, 'no card: unknown proposal or no policy covers it');
        return;
      }
      card = await this.store.getCard(rowId);
    } catch (err) {
      this.log.error({ proposalRowId: rowId, err: errorText(err, this.token) }, 'card not rendered (store); it follows with the next change');
      return;
    }
    const chatId = rendered.loaded.policy.telegram.chatId;
    const { text, keyboard, hash } = rendered.card;
    if (card && card.messageId !== UNPOSTED_MESSAGE_ID && card.chatId === chatId) {
      if (card.lastRenderedHash === hash && !card.pendingRender) return;
      await this.edit(card, text, keyboard, hash);
    } else {
      await this.post(rowId, chatId, text, keyboard, hash, card);
    }
  }

  private async post(rowId: number, chatId: number, text: string, keyboard: InlineKeyboardMarkup, hash: string, card: CardRecord | null): Promise<void> {
    let messageId: number;
    try {
      messageId = (await this.api.sendMessage(chatId, text, { ...SEND_OPTIONS, reply_markup: keyboard })).message_id;
    } catch (err) {
      this.log.warn({ proposalRowId: rowId, err: errorText(err, this.token) }, 'card not posted; it will be retried');
      if (!card || !card.pendingRender || card.messageId !== UNPOSTED_MESSAGE_ID) {
        await this.store
          .upsertCard({ proposalRowId: rowId, chatId, messageId: UNPOSTED_MESSAGE_ID, lastRenderedHash: null, pendingRender: true })
          .catch((e: unknown) => this.log.error({ proposalRowId: rowId, err: errorText(e, this.token) }, 'pending card not stored'));
      }
      return;
    }
    await this.store
      .upsertCard({ proposalRowId: rowId, chatId, messageId, lastRenderedHash: hash, pendingRender: false })
      .catch((e: unknown) => this.log.error({ proposalRowId: rowId, messageId, err: errorText(e, this.token) }, 'card posted but not stored: presses on it will be refused'));
  }

  private async edit(card: CardRecord, text: string, keyboard: InlineKeyboardMarkup, hash: string): Promise<void> {
    const rowId = card.proposalRowId;
    try {
      await this.api.editMessageText(card.chatId, card.messageId, text, { ...SEND_OPTIONS, reply_markup: keyboard });
    } catch (err) {
      if (err instanceof GrammyError && /message is not modified/i.test(err.description)) {
        // Telegram already shows exactly this: only the stored hash is behind.
      } else if (err instanceof GrammyError && /message to edit not found/i.test(err.description)) {
        this.log.warn({ proposalRowId: rowId }, 'the card was deleted in Telegram; posting a new one');
        await this.post(rowId, card.chatId, text, keyboard, hash, card);
        return;
      } else {
        this.log.warn({ proposalRowId: rowId, err: errorText(err, this.token) }, 'card not edited; it will be retried');
        if (!card.pendingRender) {
          await this.store
            .setCardRender({ proposalRowId: rowId, pendingRender: true })
            .catch((e: unknown) => this.log.error({ proposalRowId: rowId, err: errorText(e, this.token) }, 'pending edit not stored'));
        }
        return;
      }
    }
    await this.store
      .setCardRender({ proposalRowId: rowId, lastRenderedHash: hash, pendingRender: false })
      .catch((e: unknown) => this.log.error({ proposalRowId: rowId, err: errorText(e, this.token) }, 'card edited but not stored'));
  }

  /** The proposal's read model as of now (src/workflow/views.ts). */
  view(row: ProposalRecord): Promise<ProposalView> {
    return proposalView({ store: this.store, policyFor: (r) => this.policies.forMultisig(r.multisig) }, row, this.clock());
  }

  /** Links on the cluster the RPC is on. */
  links(row: Pick<ProposalRecord, 'multisig' | 'transactionIndex'>): CardLinks {
    const cluster = this.cluster;
    const loaded = this.miniApp ? this.policies.forMultisig(row.multisig) : undefined;
    return {
      ...(loaded && usesSignedApproval(loaded.policy) ? { approveApp: `https://t.me/${this.miniApp}` } : {}),
      ...(squadsLink(row.multisig, row.transactionIndex, cluster) ? { squads: squadsLink(row.multisig, row.transactionIndex, cluster)! } : {}),
      explorer: explorerAddressLink(proposalPdaOf(row.multisig, row.transactionIndex), cluster),
      tx: (signature) => explorerTxLink(signature, cluster),
    };
  }
}
