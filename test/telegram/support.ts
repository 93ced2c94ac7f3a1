/**
 * A real grammY bot over a real Workflow for the Telegram tests: the LiteSVM harness with the
 * production ChainReader, a SQLite store, the example policy, an in-process co-signer that stores
 * intents, and the telegram-test-api emulator on a free port (one per test file).
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';
import { ChainReader } from '../../src/chain/reader.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { exampleRegistry, RecordingCoSigner } from '../support/workflow-doubles.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { clusterOf } from '../../src/telegram/links.ts';
import { PENDING_AMOUNT, proposalAccounts, sandboxLoss, SANDBOX_VAULT_LOSS, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX, SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { ProposalRecord, Store } from '../../src/store/types.ts';
import { createBot, type BotHandle } from '../../src/telegram/bot.ts';
import { TelegramNotifier } from '../../src/telegram/notifier.ts';
import type { Log } from '../../src/workflow/ports.ts';
import { SILENT_LOG } from '../../src/workflow/ports.ts';
import { digestField } from '../../src/workflow/votes.ts';
import { Workflow } from '../../src/workflow/workflow.ts';
import type { InlineKeyboardMarkup } from 'grammy/types';

export const TOKEN = '4242:TEST-token_secret';
export const CHAT = SANDBOX_TELEGRAM.chatId;

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}


export interface World {
  harness: Harness;
  store: Store;
  dbFile: string;
  auditKey: Ed25519Keypair;
  policies: PolicyRegistry;
  clock: { now: Date };
  tg: TelegramServer;
  apiRoot: string;
  wf: Workflow;
  notifier: TelegramNotifier;
  bot: BotHandle;
  cosigner: RecordingCoSigner;
  /** A Telegram user in the policy chat. */
  user(id: number, name?: string): TelegramClient;
  recordLoss(): Promise<unknown>;
  /** Puts a fresh proposal on-chain (a new index, 100 kTokens), registers it and waits for its card. */
  freshProposal(o?: { claim?: string; pays?: 'escrow' | 'outsider'; waitForCard?: boolean }): Promise<{ row: ProposalRecord; messageId: number }>;
  /** The transaction index of the last fresh proposal. */
  lastIndex: bigint;
  /** Builds a new workflow + notifier + bot over the same store (a restart); the old bot must be stopped. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function seedChain(h: Harness) {
  const put = (a: AccountData) => h.setAccount(a);
  worldAccounts().forEach(put);
  proposalAccounts({ index: 1n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) }).forEach(put);
  proposalAccounts({ index: 2n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) }).slice(1).forEach(put);
}

/** The whole world, bot started and polling the emulator. */
export async function startWorld(o: { log?: Log } = {}): Promise<World> {
  const log = o.log ?? SILENT_LOG;
  const harness = await startHarness();
  seedChain(harness);
  const loss = sandboxLoss();
  harness.addTransaction(loss.transaction.signature, (loss.transaction.stored as { result: unknown }).result);
  const auditKey = Ed25519Keypair.generate();
  const dbFile = join(mkdtempSync(join(tmpdir(), 'backstop-tg-')), 'b.db');
  const store = await openStore({ database: dbFile, auditKey });
  const policies = exampleRegistry();
  const port = await freePort();
  const tg = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 3600 });
  await tg.start();
  const apiRoot = `http://127.0.0.1:${port}`;
  const clock = { now: new Date('2026-12-01T10:00:00Z') };

  const world = { harness, store, dbFile, auditKey, policies, clock, tg, apiRoot } as unknown as World;
  const build = async () => {
    world.cosigner = new RecordingCoSigner(() => world.store);
    world.notifier = new TelegramNotifier({ token: TOKEN, apiRoot, store: world.store, policies, log, clock: () => clock.now, cluster: clusterOf(harness.url) });
    world.wf = new Workflow({
      store: world.store,
      chain: new ChainReader({ rpcUrl: harness.url, retries: 0, timeoutMs: 3000 }),
      policies,
      notifier: world.notifier,
      cosigner: world.cosigner,
      log,
      clock: () => clock.now,
    });
    world.bot = createBot({ token: TOKEN, apiRoot, workflow: world.wf, log, notifier: world.notifier });
    await world.bot.start();
  };
  await build();
  world.user = (id, name) => tg.getClient(TOKEN, { userId: id, chatId: CHAT, firstName: name ?? `user${id}`, type: 'group', chatTitle: 'backstop', timeout: 5000 });
  world.recordLoss = () => world.wf.recordLoss({ vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: loss.event.signature, vaultLoss: SANDBOX_VAULT_LOSS, recordedBy: 'test' });
  world.lastIndex = 10n;
  world.freshProposal = async (o = {}) => {
    const index = (world.lastIndex += 1n);
    const instructions = withdrawalInstructions({ amount: PENDING_AMOUNT / 100n, ...(o.pays === 'outsider' ? { destination: SANDBOX.outsiderSharesAta } : {}) });
    // The multisig (its transaction index raised to this one), the vault transaction and the proposal.
    for (const a of proposalAccounts({ index, instructions })) harness.setAccount(a);
    const row = await world.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: index, ...(o.claim !== undefined ? { claim: o.claim } : {}) });
    if (o.waitForCard === false) return { row, messageId: 0 };
    const card = await waitFor(async () => {
      const c = await world.store.getCard(row.rowId);
      return c && c.messageId > 0 ? c : null;
    }, 'the card');
    return { row, messageId: card.messageId };
  };
  world.restart = async () => {
    await world.bot.stop();
    await build();
  };
  world.close = async () => {
    await world.bot.stop();
    await tg.stop();
    await store.close();
    await harness.close();
  };
  return world;
}

/** The bot's message with `messageId` as the emulator holds it now (edits applied). */
export function botMessage(tg: TelegramServer, messageId: number): { text: string; keyboard: InlineKeyboardMarkup | undefined; replyTo: number | undefined } | undefined {
  const u = tg.storage.botMessages.find((m) => m.messageId === messageId);
  if (!u) return undefined;
  const m = u.message as { text: string; reply_markup?: InlineKeyboardMarkup; reply_parameters?: { message_id: number } };
  return { text: m.text, keyboard: m.reply_markup, replyTo: m.reply_parameters?.message_id };
}

/** Callback data of every voting button on a keyboard (the read-only Details button is left out). */
export const buttons = (k: InlineKeyboardMarkup | undefined): string[] =>
  (k?.inline_keyboard ?? []).flat().map((b) => ('callback_data' in b ? b.callback_data : '')).filter((d) => !d.startsWith('d:'));

/** The Details button's callback data, if the keyboard has one. */
export const detailsButton = (k: InlineKeyboardMarkup | undefined): string | undefined =>
  (k?.inline_keyboard ?? []).flat().map((b) => ('callback_data' in b ? b.callback_data : '')).find((d) => d.startsWith('d:'));

/** Button callback data for a row as it is now (what its current card carries). */
export async function dataFor(store: Store, rowId: number, code: 'a' | 'r' | 'y' | 'n', over: { digest?: string; epoch?: number } = {}): Promise<string> {
  const row = (await store.getProposalByRowId(rowId))!;
  return `${code}:${rowId}:${over.digest ?? digestField(row.digest)}:${over.epoch ?? row.epoch}`;
}

/** Presses a button as `client` on message `messageId` (the emulator needs the id given). */
export async function press(client: TelegramClient, data: string, messageId: number, chat?: { id: number; type: string }): Promise<void> {
  await client.sendCallback(client.makeCallbackQuery(data, { message: { message_id: messageId, ...(chat ? { chat } : {}) } } as never));
}
