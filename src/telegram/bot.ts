/**
 * The grammY bot (docs/telegram.md): button presses go to the workflow's `handlePress` and are answered with
 * its outcome (the card itself is edited by the notifier the workflow calls), a reply to a rejected
 * card attaches the reason, and the commands answer in policy chats and to roster members. Long
 * polling (`@grammyjs/runner`) by default; webhook mode exposes a handler for `/telegram/webhook`.
 */
import { timingSafeEqual } from 'node:crypto';
import { run, type RunnerHandle } from '@grammyjs/runner';
import express, { type Request, type Response } from 'express';
import { Bot, webhookCallback, type Context } from 'grammy';
import type { User } from 'grammy/types';
import type { PolicyRegistry } from '../policy/registry.ts';
import type { Store } from '../store/types.ts';
import { cleanText } from '../util/text.ts';
import type { Log } from '../workflow/ports.ts';
import { foldRefusals, RefusalFolder } from '../workflow/refusals.ts';
import { attachRejectReason, handlePress } from '../workflow/votes.ts';
import type { Workflow } from '../workflow/workflow.ts';
import { clientOptions, configureApi } from './api.ts';
import { parseCallback } from './callback.ts';
import { MAX_MESSAGE_CHARS } from './card.ts';
import { answerCommand, COMMANDS } from './commands.ts';
import { clip } from './html.ts';
import { TelegramNotifier } from './notifier.ts';
import { errorText } from './redact.ts';

/** Where the lead mounts {@link BotHandle.webhookHandler}. */
export const WEBHOOK_PATH = '/telegram/webhook';
/** The header Telegram sends the webhook secret in. */
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;
/** Pause between failed `getUpdates` calls. */
const POLL_RETRY_MS = 1000;

export interface CreateBotOptions {
  readonly token: string;
  /** e.g. `http://127.0.0.1:9600` (the emulator); default the real Bot API. */
  readonly apiRoot?: string;
  readonly workflow: Workflow;
  /** Default: the workflow's. */
  readonly store?: Store;
  /** Default: the workflow's. */
  readonly policies?: Pick<PolicyRegistry, 'all' | 'forMultisig'>;
  readonly log: Log;
  /** The notifier the workflow was built with; default: the workflow's if it is a TelegramNotifier, else a new one. */
  readonly notifier?: TelegramNotifier;
  /** Webhook mode (TELEGRAM_WEBHOOK_URL / TELEGRAM_WEBHOOK_SECRET); long polling when absent. */
  readonly webhook?: { readonly url: string; readonly secret: string };
}

/** Telegram's updates are small; a larger body is refused (413) without being kept. */
const WEBHOOK_BODY_LIMIT = '1mb';

export interface BotHandle {
  readonly bot: Bot;
  readonly notifier: TelegramNotifier;
  /** Initialises the bot, registers the commands, then polls (or sets the webhook). */
  start(): Promise<void>;
  /** Stops polling; safe to call twice. */
  stop(): Promise<void>;
  /**
   * Webhook mode only, mounted as `app.post(WEBHOOK_PATH, handler)` with NO body parser before it:
   * 403 unless `X-Telegram-Bot-Api-Secret-Token` equals the secret, checked before a byte of the body
   * is read; then the JSON body is parsed (400 / 413) and handled.
   */
  readonly webhookHandler?: (req: Request, res: Response) => Promise<void>;
}

/** A Telegram user's name as people wrote it, control characters stripped (src/util/text.ts). */
const nameOf = (u: User): string => cleanText(u.username ? `@${u.username}` : [u.first_name, u.last_name].filter(Boolean).join(' '));

const sameSecret = (got: unknown, want: string): boolean => {
  if (typeof got !== 'string') return false;
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Builds the bot over the workflow. Nothing talks to Telegram until `start()`. */
export function createBot(o: CreateBotOptions): BotHandle {
  const { token, workflow, log } = o;
  const store = o.store ?? workflow.store;
  const policies = o.policies ?? workflow.policies;
  const notifier =
    o.notifier ??
    (workflow.notifier instanceof TelegramNotifier
      ? workflow.notifier
      : new TelegramNotifier({ token, ...(o.apiRoot ? { apiRoot: o.apiRoot } : {}), store, policies, log, clock: () => workflow.now() }));
  if (workflow.notifier !== notifier) log.warn({}, 'the workflow does not use this bot’s notifier: cards will not follow presses');
  // One user's repeated refused presses within a minute become one audit entry (docs/telegram.md); written out on stop().
  const refusals = new RefusalFolder({ store, now: () => workflow.now(), log });
  foldRefusals(workflow, refusals);

  const bot = new Bot(token, { client: clientOptions({ token, ...(o.apiRoot ? { apiRoot: o.apiRoot } : {}) }) });
  configureApi(bot.api, { token, ...(o.apiRoot ? { apiRoot: o.apiRoot } : {}), maxRetryAttempts: 3, maxDelaySeconds: 30 });
  let pollFailures = 0;
  bot.api.config.use(async (prev, method, payload, signal) => {
    if (method !== 'getUpdates') return prev(method, payload, signal);
    try {
      const result = await prev(method, payload, signal);
      if (pollFailures > 0) log.info({ failures: pollFailures }, 'telegram polling recovered');
      pollFailures = 0;
      return result;
    } catch (err) {
      // Logged on the first failure and then every 60th, with the token redacted.
      if (!signal?.aborted && pollFailures++ % 60 === 0) log.warn({ err: errorText(err, token), failures: pollFailures }, 'telegram polling failed; retrying');
      throw err;
    }
  });

  const answer = async (ctx: Context, text: string, alert: boolean) => {
    try {
      await ctx.answerCallbackQuery({ text: clip(text, 200), show_alert: alert });
    } catch (err) {
      log.debug({ err: errorText(err, token) }, 'callback query not answered');
    }
  };

  // Details is read-only: it is posted as a reply to the card, at most once a minute per card, so a
  // button cannot be used to flood the chat.
  const detailsPostedAt = new Map<number, number>();
  const showDetails = async (rowId: number, chatId: number, messageId: number): Promise<string> => {
    const card = await store.getCard(rowId).catch(() => null);
    if (!card || card.chatId !== chatId || card.messageId !== messageId) return "This is not this proposal's card.";
    const last = detailsPostedAt.get(rowId);
    if (last !== undefined && Date.now() - last < 60_000) return 'Details were posted just above.';
    const details = await notifier.details(rowId).catch(() => null);
    if (!details) return 'No policy covers this proposal any more.';
    try {
      await bot.api.sendMessage(chatId, details.text, {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        reply_parameters: { message_id: messageId, allow_sending_without_reply: true },
      });
      detailsPostedAt.set(rowId, Date.now());
      return 'Details posted below the card.';
    } catch (err) {
      log.warn({ proposalRowId: rowId, err: errorText(err, token) }, 'details not sent');
      return 'Details could not be sent — press again.';
    }
  };

  bot.on('callback_query', async (ctx) => {
    const q = ctx.callbackQuery;
    const data = q.data ?? '';
    const parsed = parseCallback(data);
    if (!parsed) {
      await refusals
        .refused(q.from.id, { telegramId: q.from.id, name: nameOf(q.from), data: clip(cleanText(data), 64), reason: 'malformed button data' })
        .catch((err: unknown) => log.error({ err: errorText(err, token) }, 'refused press not audit-logged now (counted into the next folded entry)'));
      await answer(ctx, 'This button is not valid.', true);
      return;
    }
    if (parsed.action === 'details') {
      await answer(ctx, await showDetails(parsed.rowId, q.message?.chat.id ?? 0, q.message?.message_id ?? 0), false);
      return;
    }
    const outcome = await handlePress(workflow, {
      ...parsed,
      action: parsed.action,
      telegramId: q.from.id,
      name: nameOf(q.from),
      // An inline-mode message has no chat: 0 never matches a policy chat, so the press is refused and logged.
      chatId: q.message?.chat.id ?? 0,
      messageId: q.message?.message_id ?? 0,
    });
    await answer(ctx, outcome.text, outcome.kind !== 'counted');
  });

  for (const { command } of COMMANDS) {
    bot.command(command, async (ctx) => {
      const text = await answerCommand(
        command,
        typeof ctx.match === 'string' ? ctx.match : '',
        { chatId: ctx.chat.id, chatType: ctx.chat.type, userId: ctx.from?.id ?? null },
        { store, policies, chain: workflow.chain, renderDetails: async (rowId) => (await notifier.details(rowId)) ?? null },
      );
      if (text === null) return; // not a policy chat, not a member: say nothing
      await ctx.reply(clip(text, MAX_MESSAGE_CHARS), {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true },
      });
    });
  }

  // A reply to a rejected card by the member who rejected it attaches their reason.
  bot.on('message:text', async (ctx) => {
    const reply = ctx.message.reply_to_message;
    if (!reply || ctx.message.text.startsWith('/')) return;
    const chatPolicies = policies.all().filter((p) => p.policy.telegram.chatId === ctx.chat.id);
    for (const p of chatPolicies) {
      for (const row of await store.listProposals({ state: 'rejected', vault: p.policy.vault })) {
        const card = await store.getCard(row.rowId);
        if (!card || card.chatId !== ctx.chat.id || card.messageId !== reply.message_id) continue;
        const ok = await attachRejectReason(workflow, { rowId: row.rowId, telegramId: ctx.from.id, reason: cleanText(ctx.message.text) });
        if (ok) await ctx.reply('Reason attached to the rejection.', { reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true } });
        return;
      }
    }
  });

  bot.catch((err) => log.error({ update: err.ctx.update.update_id, err: errorText(err.error, token) }, 'bot handler failed'));

  let runner: RunnerHandle | null = null;
  const start = async () => {
    await bot.init();
    try {
      await bot.api.setMyCommands(COMMANDS);
    } catch (err) {
      // The emulator answers 500 for setMyCommands; commands work without the menu.
      log.debug({ err: errorText(err, token) }, 'setMyCommands failed; continuing');
    }
    if (o.webhook) {
      await bot.api.setWebhook(o.webhook.url, { secret_token: o.webhook.secret, allowed_updates: [...ALLOWED_UPDATES] });
      log.info({ url: o.webhook.url }, 'telegram webhook set');
      return;
    }
    await bot.api.deleteWebhook().catch((err: unknown) => log.debug({ err: errorText(err, token) }, 'deleteWebhook failed; continuing'));
    runner = run(bot, {
      runner: {
        fetch: { allowed_updates: [...ALLOWED_UPDATES] },
        // The runner's own error logging prints the request URL, token included: we log instead.
        silent: true,
        // A steady retry, forever: a long outage must not stretch the backoff to hours or stop polling.
        retryInterval: POLL_RETRY_MS,
        maxRetryTime: Number.MAX_SAFE_INTEGER,
      },
    });
    void runner.task()?.catch((err: unknown) => log.error({ err: errorText(err, token) }, 'telegram polling stopped'));
    log.info({ bot: bot.botInfo.username }, 'telegram long polling started');
  };
  const stop = async () => {
    const r = runner;
    runner = null;
    if (r?.isRunning()) await r.stop();
    await refusals.flush(); // counted refusals are written before the store closes
  };

  let webhookHandler: BotHandle['webhookHandler'];
  if (o.webhook) {
    const secret = o.webhook.secret;
    const callback = webhookCallback(bot, 'express');
    const parse = express.json({ limit: WEBHOOK_BODY_LIMIT, strict: true });
    webhookHandler = async (req, res) => {
      const got = req.headers[SECRET_HEADER];
      if (!sameSecret(Array.isArray(got) ? got[0] : got, secret)) {
        // Refused before reading: the connection closes rather than draining a stranger's body.
        res.set('Connection', 'close').status(403).end();
        return;
      }
      const parsed = await new Promise<number | null>((resolve) => {
        parse(req, res, (err?: unknown) => {
          const status = (err as { status?: unknown } | undefined)?.status;
          resolve(err === undefined ? null : typeof status === 'number' && status >= 400 && status < 500 ? status : 400);
        });
      });
      if (parsed !== null) {
        res.status(parsed).end();
        return;
      }
      if (typeof req.body !== 'object' || req.body === null) {
        res.status(400).end();
        return;
      }
      await (callback as (req: unknown, res: unknown) => Promise<void>)(req, res);
    };
  }

  return { bot, notifier, start, stop, ...(webhookHandler ? { webhookHandler } : {}) };
}
