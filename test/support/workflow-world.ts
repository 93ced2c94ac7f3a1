/**
 * A real Workflow on real parts for workflow tests: the LiteSVM harness over HTTP with the production
 * ChainReader, a real SQLite store with its audit log, the example policy, the sandbox world with
 * proposals 1 (pays the escrow) and 2 (pays a non-escrow account), and an in-process co-signer.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainReader } from '../../src/chain/reader.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { PENDING_AMOUNT, proposalAccounts, sandboxLoss, SANDBOX_VAULT_LOSS, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX, SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { SILENT_LOG, type Notifier } from '../../src/workflow/ports.ts';
import { digestField, handlePress, type Press, type PressAction } from '../../src/workflow/votes.ts';
import { Workflow, type WorkflowDeps } from '../../src/workflow/workflow.ts';
import { exampleRegistry, RecordingCoSigner } from './workflow-doubles.ts';

export interface WorkflowWorld {
  readonly harness: Harness;
  readonly store: SqlStore;
  readonly wf: Workflow;
  readonly auditKey: Ed25519Keypair;
  readonly cosigner: RecordingCoSigner;
  /** rowId → the card's message id. */
  readonly cards: Map<number, number>;
  readonly reminders: { rowId: number; missing: readonly string[] }[];
  readonly alerts: string[];
  /** Moves the workflow's clock. */
  clock: Date;
  recordLoss(): ReturnType<Workflow['recordLoss']>;
  /** A press on the proposal's current card, digest and epoch unless `over` says otherwise. */
  press(rowId: number, action: PressAction, telegramId: number, over?: Partial<Press>): ReturnType<typeof handlePress>;
  /** Writes proposal `index` (paying the escrow) to the chain. */
  addProposal(index: bigint): void;
  close(): Promise<void>;
}

/** Starts the world; `deps` overrides workflow dependencies. */
export async function startWorkflowWorld(deps: Partial<WorkflowDeps> = {}): Promise<WorkflowWorld> {
  const harness = await startHarness();
  const put = (a: AccountData) => harness.setAccount(a);
  worldAccounts().forEach(put);
  proposalAccounts({ index: 1n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) }).forEach(put);
  proposalAccounts({ index: 2n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) }).slice(1).forEach(put);
  const loss = sandboxLoss();
  harness.addTransaction(loss.transaction.signature, (loss.transaction.stored as { result: unknown }).result);
  const auditKey = Ed25519Keypair.generate();
  const store = await openStore({ database: join(mkdtempSync(join(tmpdir(), 'backstop-wf-')), 'b.db'), auditKey });
  const cards = new Map<number, number>();
  const reminders: { rowId: number; missing: readonly string[] }[] = [];
  const alerts: string[] = [];
  let nextMessageId = 100;
  const notifier: Notifier = {
    async proposalChanged(rowId) {
      if (cards.has(rowId)) return;
      const messageId = nextMessageId++;
      cards.set(rowId, messageId);
      await store.upsertCard({ proposalRowId: rowId, chatId: SANDBOX_TELEGRAM.chatId, messageId, lastRenderedHash: null, pendingRender: false });
    },
    async remind(rowId, missing) {
      reminders.push({ rowId, missing });
    },
    async alert(_chat, text) {
      alerts.push(text);
    },
  };
  const cosigner = new RecordingCoSigner(() => store);
  const world: WorkflowWorld = {
    harness, store, auditKey, cosigner, cards, reminders, alerts,
    clock: new Date('2026-12-01T10:00:00Z'),
    wf: undefined as unknown as Workflow,
    recordLoss: () => world.wf.recordLoss({ vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: sandboxLoss().event.signature, vaultLoss: SANDBOX_VAULT_LOSS, recordedBy: 'test' }),
    async press(rowId, action, telegramId, over = {}) {
      const row = (await store.getProposalByRowId(rowId))!;
      return handlePress(world.wf, {
        rowId, action, telegramId, name: String(telegramId), chatId: SANDBOX_TELEGRAM.chatId, messageId: cards.get(rowId)!,
        digestPrefix: digestField(row.digest), epoch: row.epoch, ...over,
      });
    },
    addProposal(index) {
      proposalAccounts({ index, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) }).forEach(put);
    },
    async close() {
      await store.close();
      await harness.close();
    },
  };
  (world as { wf: Workflow }).wf = new Workflow({
    store,
    chain: new ChainReader({ rpcUrl: harness.url, retries: 0, timeoutMs: 3000 }),
    policies: exampleRegistry(),
    notifier,
    cosigner,
    log: SILENT_LOG,
    clock: () => world.clock,
    ...deps,
  });
  return world;
}
