/**
 * Pressing buttons in the sandbox's Telegram emulator as a user would, from any process that has
 * `sandbox.json`: find a proposal's card among the bot's messages, press one of its buttons.
 */
import { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';
import type { Address } from '@solana/kit';
import { proposalPdaOf } from '../chain/pda.ts';
import type { SandboxInfo } from './start.ts';

interface BotMessage {
  readonly messageId?: number;
  readonly message?: { readonly chat_id?: number | string; readonly text?: string; readonly reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][] } };
}

export interface Card {
  readonly messageId: number;
  readonly text: string;
  readonly buttons: readonly { readonly text: string; readonly data: string }[];
}

const client = (info: SandboxInfo, userId: number, firstName: string) =>
  new TelegramClient(info.telegram.apiRoot, info.telegram.botToken, { userId, chatId: info.telegram.chatId, firstName, userName: firstName.toLowerCase(), type: 'supergroup', chatTitle: 'backstop sandbox' });

/** Every card the bot posted for proposal `proposalId` (`<multisig>:<index>`, edits applied), newest last. */
export async function cardsOf(info: SandboxInfo, proposalId: string): Promise<Card[]> {
  const history = (await client(info, 1, 'reader').getUpdatesHistory()) as BotMessage[];
  // A card names its proposal through the explorer link to the Proposal account.
  const at = proposalId.lastIndexOf(':');
  const pda = proposalPdaOf(proposalId.slice(0, at) as Address, BigInt(proposalId.slice(at + 1)));
  const cards: Card[] = [];
  for (const m of history) {
    const buttons = (m.message?.reply_markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data ?? '' }));
    const text = m.message?.text ?? '';
    const mine = text.startsWith('<b>#') && text.includes(`/address/${pda}`) && !/^<b>#\d+ details<\/b>/.test(text);
    if (m.messageId !== undefined && mine) cards.push({ messageId: m.messageId, text: m.message?.text ?? '', buttons });
  }
  return cards;
}

/** The text of every message the bot sent to the sandbox chat that `match`es, oldest first. */
export async function botMessages(info: SandboxInfo, match: (text: string) => boolean): Promise<string[]> {
  const history = (await client(info, 1, 'reader').getUpdatesHistory()) as BotMessage[];
  return history.map((m) => m.message?.text ?? '').filter((text) => text !== '' && match(text));
}

/** The card of `proposalId` (its latest version), once `ready(card)` holds. Waits up to `timeoutMs`. */
export async function cardOf(info: SandboxInfo, proposalId: string, ready: (c: Card) => boolean = () => true, timeoutMs = 30_000): Promise<Card> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const cards = await cardsOf(info, proposalId);
    const card = cards[cards.length - 1];
    if (card && ready(card)) return card;
    if (Date.now() > until) throw new Error(`no${card ? ' matching' : ''} Telegram card for proposal ${proposalId} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Presses the button of `card` whose callback data starts with `action` ('a', 'r', 'y', 'n') as `userId`. */
export async function press(info: SandboxInfo, card: Card, action: 'a' | 'r' | 'y' | 'n', userId: number, firstName: string): Promise<void> {
  const button = card.buttons.find((b) => b.data.startsWith(`${action}:`));
  if (!button) throw new Error(`the card has no "${action}" button (buttons: ${card.buttons.map((b) => b.text).join(', ') || 'none'})`);
  const c = client(info, userId, firstName);
  await c.sendCallback(c.makeCallbackQuery(button.data, { message: { message_id: card.messageId } }));
}
