/**
 * Telegram (docs/telegram.md): time from a button press to the card edit, against the telegram-test-api
 * emulator with the real bot, workflow and SQLite store. Reject / Cancel alternate on one card so
 * every press edits it.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { ChainReader } from '../src/chain/reader.ts';
import type { AccountData } from '../src/chain/types.ts';
import { parsePolicyText } from '../src/policy/load.ts';
import { PolicyRegistry } from '../src/policy/registry.ts';
import { startHarness } from '../src/sandbox/harness/index.ts';
import { examplePolicyText, PENDING_AMOUNT, proposalAccounts, sandboxLoss, SANDBOX_VAULT_LOSS, worldAccounts } from '../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../src/sandbox/fixtures/squads.ts';
import { SANDBOX, SANDBOX_TELEGRAM } from '../src/sandbox/seeds.ts';
import { Ed25519Keypair } from '../src/store/keys.ts';
import { openStore } from '../src/store/open.ts';
import { createBot } from '../src/telegram/bot.ts';
import { TelegramNotifier } from '../src/telegram/notifier.ts';
import { SILENT_LOG, type CoSigner } from '../src/workflow/ports.ts';
import { digestField } from '../src/workflow/votes.ts';
import { Workflow } from '../src/workflow/workflow.ts';
import type { BenchRow } from './run.ts';
import { ms } from './stats.ts';

const TOKEN = '4242:BENCH';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const PRESSES = 50;

export async function telegramBench(): Promise<BenchRow[]> {
  const harness = await startHarness();
  const put = (a: AccountData) => harness.setAccount(a);
  worldAccounts().forEach(put);
  proposalAccounts({ index: 1n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) }).forEach(put);
  const loss = sandboxLoss();
  harness.addTransaction(loss.transaction.signature, (loss.transaction.stored as { result: unknown }).result);
  const store = await openStore({ database: join(mkdtempSync(join(tmpdir(), 'backstop-bench-tg-')), 'b.db'), auditKey: Ed25519Keypair.generate() });
  const tg = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 3600 });
  await tg.start();
  const apiRoot = tg.config.apiURL;
  const parsed = parsePolicyText(examplePolicyText(), 'policies/example.yaml');
  if (!parsed.ok) throw new Error('example policy invalid');
  const policies = PolicyRegistry.of([{ file: 'policies/example.yaml', policy: parsed.policy, revision: parsed.revision }]);
  const notifier = new TelegramNotifier({ token: TOKEN, apiRoot, store, policies, log: SILENT_LOG });
  const cosigner: CoSigner = {
    address: SANDBOX.cosigner,
    prepareApproval: () => Promise.reject(new Error('not in this bench')),
    send: async () => {},
    approvalStatus: async () => ({ kind: 'pending' }),
    reject: async () => {},
  };
  const wf = new Workflow({ store, chain: new ChainReader({ rpcUrl: harness.url }), policies, notifier, cosigner, log: SILENT_LOG });
  const bot = createBot({ token: TOKEN, apiRoot, workflow: wf, log: SILENT_LOG, notifier });
  try {
    await bot.start();
    await wf.recordLoss({ vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: loss.event.signature, vaultLoss: SANDBOX_VAULT_LOSS, recordedBy: 'bench' });
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    const card = (await store.getCard(row.rowId))!;
    const client = tg.getClient(TOKEN, { userId: 2003, chatId: SANDBOX_TELEGRAM.chatId, type: 'group', firstName: 'dave' });
    const data = (code: 'r' | 'n') => `${code}:${row.rowId}:${digestField(row.digest)}:${row.epoch}`;
    const samples: number[] = [];
    for (let i = 0; i < PRESSES + 4; i++) {
      const edited = new Promise<void>((resolve) => tg.once('EditedMessageText', () => resolve()));
      const t = process.hrtime.bigint();
      await client.sendCallback(client.makeCallbackQuery(data(i % 2 === 0 ? 'r' : 'n'), { message: { message_id: card.messageId } } as never));
      await edited;
      if (i >= 4) samples.push(Number(process.hrtime.bigint() - t) / 1e6); // the first presses warm up
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)]!;
    const p95 = samples[Math.floor(samples.length * 0.95)]!;
    return [
      { name: `button press → card edit (emulator), median of ${PRESSES}`, value: ms(median), goal: '< 50 ms', ok: median < 50 },
      { name: 'button press → card edit (emulator), p95', value: ms(p95) },
    ];
  } finally {
    await bot.stop();
    await tg.stop();
    await store.close();
    await harness.close();
  }
}
