/**
 * The running service: wires the store, the chain, the policies, the co-signer, the Telegram bot,
 * the HTTP API and the periodic loops (poller, timers, policy reload, card retries) around the
 * workflow. Production and the sandbox both start through here; only their parts differ.
 */
import type { Address } from '@solana/kit';
import express from 'express';
import { anchorPublisher } from './anchor-publisher.ts';
import type { MultiRpc } from './chain/multi-rpc.ts';
import type { ChainReader } from './chain/reader.ts';
import { ChainCoSigner } from './cosign/cosigner.ts';
import { ChainProposalCreator } from './cosign/creator.ts';
import type { Signer } from './cosign/signer.ts';
import type { SimulationMode } from './cosign/simulate.ts';
import { auditAnchorUrl } from './config.ts';
import type { PolicyRegistry } from './policy/registry.ts';
import { createApp, createMetrics, countDecisions, feeBalanceReady, rpcReady, startHttpServer, storeReady, type Readiness } from './server/index.ts';
import { databaseIdentity } from './store/anchor.ts';
import { InstanceLocked } from './store/errors.ts';
import type { SqlStore } from './store/sql-store.ts';
import { createBot, WEBHOOK_PATH, type BotHandle } from './telegram/bot.ts';
import { clusterOf } from './telegram/links.ts';
import { TelegramNotifier } from './telegram/notifier.ts';
import { Loop } from './workflow/loop.ts';
import { SILENT_NOTIFIER, type Log } from './workflow/ports.ts';
import { runDueTimers } from './workflow/tick.ts';
import { pollOnce } from './workflow/watch.ts';
import { Workflow } from './workflow/workflow.ts';

export interface ServiceParts {
  readonly store: SqlStore;
  /** One RPC provider, or several that must agree (SOLANA_RPC_URL, comma-separated). */
  readonly chain: ChainReader | MultiRpc;
  /** The RPC's URL: card links go to the cluster it is on. */
  readonly rpcUrl?: string;
  readonly policies: PolicyRegistry;
  readonly signer: Signer;
  readonly feePayer?: Signer;
  readonly telegram?: { readonly token: string; readonly apiRoot?: string; readonly webhook?: { readonly url: string; readonly secret: string } };
  readonly apiReadToken: string;
  readonly port: number;
  readonly log: Log;
  /** Reload the policy directory every `reloadMs` and on SIGHUP (production, sandbox). */
  readonly reloadPolicies?: boolean;
  readonly intervals?: Partial<Intervals>;
  /** Leave the periodic loops stopped until `startLoops()` (the sandbox seeds its story first). */
  readonly deferLoops?: boolean;
  /** Where copies of the audit head are posted (SPEC §8); default `AUDIT_ANCHOR_URL`, null for none. */
  readonly anchorUrl?: string | null;
  /** The co-signer's pre-sign simulation; only the sandbox in recorded mode passes `skip-recorded-mode`. */
  readonly simulation?: SimulationMode;
}

export interface Intervals {
  readonly pollMs: number;
  readonly timersMs: number;
  readonly reloadMs: number;
  readonly cardsMs: number;
  readonly pruneMs: number;
}

export const DEFAULT_INTERVALS: Intervals = { pollMs: 5_000, timersMs: 1_000, reloadMs: 60_000, cardsMs: 5_000, pruneMs: 3_600_000 };

export interface RunningService {
  readonly url: string;
  readonly port: number;
  readonly workflow: Workflow;
  readonly bot: BotHandle | null;
  /** Runs one poll now (tests, the sandbox's first look). */
  pollNow(): Promise<void>;
  /** Starts the periodic loops (when started with `deferLoops`). */
  startLoops(): void;
  stop(): Promise<void>;
}

export async function startService(parts: ServiceParts): Promise<RunningService> {
  const { store, chain, policies, log } = parts;
  const intervals = { ...DEFAULT_INTERVALS, ...parts.intervals };
  const anchorUrl = parts.anchorUrl === undefined ? auditAnchorUrl(process.env) : (parts.anchorUrl ?? undefined);
  const lock = await store.acquireInstanceLock(); // a second instance on this database refuses here
  if (lock.tookOverFrom) log.warn({ previous: lock.tookOverFrom.holder }, 'took over the instance lock of a process that is gone');

  const metrics = createMetrics({ chain });
  const counted = countDecisions(store, metrics.decisions) as SqlStore;
  const cosigner = new ChainCoSigner({
    chain, store: counted, signer: parts.signer, ...(parts.feePayer ? { feePayer: parts.feePayer } : {}), log, ...(parts.simulation ? { simulation: parts.simulation } : {}),
  });
  const creator = new ChainProposalCreator({ chain, store: counted, signer: parts.signer, ...(parts.feePayer ? { feePayer: parts.feePayer } : {}), log });
  const notifier = parts.telegram
    ? new TelegramNotifier({ token: parts.telegram.token, ...(parts.telegram.apiRoot ? { apiRoot: parts.telegram.apiRoot } : {}), store: counted, policies, log, cluster: clusterOf(parts.rpcUrl) })
    : null;
  // Copies of the audit head leave the machine after each signing step: every policy chat, and the URL.
  const anchor =
    notifier || anchorUrl !== undefined
      ? anchorPublisher({
          head: () => store.auditHead(),
          database: databaseIdentity(store.location),
          chats: () => policies.all().map((p) => p.policy.telegram.chatId),
          ...(notifier ? { alert: (chatId: number, text: string) => notifier.alert(chatId, text) } : {}),
          ...(anchorUrl !== undefined ? { url: anchorUrl } : {}),
          log,
        })
      : undefined;
  const workflow = new Workflow({ store: counted, chain, policies, notifier: notifier ?? SILENT_NOTIFIER, cosigner, creator, log, ...(anchor ? { anchor } : {}) });
  const bot = parts.telegram && notifier
    ? createBot({
        token: parts.telegram.token,
        ...(parts.telegram.apiRoot ? { apiRoot: parts.telegram.apiRoot } : {}),
        ...(parts.telegram.webhook ? { webhook: parts.telegram.webhook } : {}),
        workflow,
        notifier,
        log,
      })
    : null;

  const readiness: Readiness = {
    store: storeReady(store),
    rpc: rpcReady(chain),
    feeBalance: feeBalanceReady(chain, (parts.feePayer ?? parts.signer).address as Address),
    ...(bot ? { telegram: async () => void (await bot.bot.api.getMe()) } : {}),
  };
  const api = createApp({ workflow, apiReadToken: parts.apiReadToken, readiness, metrics, log });
  let app = api;
  if (bot?.webhookHandler) {
    // Telegram's webhook lives beside the API; it is checked by its own secret header, not by source signatures.
    const handler = bot.webhookHandler;
    app = express();
    // No body parser here: the handler checks the secret header before it reads the body.
    app.post(WEBHOOK_PATH, (req, res) => void handler(req, res));
    app.use(api);
  }
  const http = await startHttpServer({ app, port: parts.port });

  const loops: Loop[] = [];
  const started = Date.now();
  const poll = new Loop('poll', intervals.pollMs, async () => {
    try {
      await store.ensureInstanceLock(); // never sign while another instance may act on this database
    } catch (err) {
      if (err instanceof InstanceLocked) {
        log.error({ err: err.message }, 'another instance holds this database: stopping');
        process.exitCode = 1;
        void running.stop();
      }
      throw err;
    }
    const report = await pollOnce(workflow);
    if (report.errors.length > 0) throw new Error(report.errors.join('; ')); // back off; lastSuccess stays old
  }, log);
  const timers = new Loop('timers', intervals.timersMs, async () => {
    metrics.poller.setLag(((poll.lastSuccess?.getTime() ?? started) - Date.now()) / -1000);
    await runDueTimers(workflow);
  }, log);
  loops.push(poll, timers);
  if (notifier) loops.push(new Loop('cards', intervals.cardsMs, () => notifier.retryPending(), log));
  loops.push(new Loop('prune', intervals.pruneMs, () => store.pruneWebhookState({ deliveriesBefore: new Date(Date.now() - 86_400_000), signaturesBefore: new Date(Date.now() - 3_600_000) }), log));
  const onHup = () => void workflow.reloadPolicies().catch((err: Error) => log.error({ err: err.message }, 'policy reload failed'));
  if (parts.reloadPolicies) {
    loops.push(new Loop('policy-reload', intervals.reloadMs, () => workflow.reloadPolicies(), log));
    process.on('SIGHUP', onHup);
  }
  if (bot) await bot.start();
  let loopsStarted = false;
  const startLoops = () => {
    if (loopsStarted) return;
    loopsStarted = true;
    for (const loop of loops) loop.start();
  };
  if (!parts.deferLoops) startLoops();
  log.info({ url: http.url, policies: policies.all().map((p) => p.file), telegram: bot ? (parts.telegram?.webhook ? 'webhook' : 'long polling') : 'off' }, 'backstop is running');

  let stopped = false;
  const running: RunningService = {
    url: http.url,
    port: http.port,
    workflow,
    bot,
    pollNow: () => poll.runNow(),
    startLoops,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('SIGHUP', onHup);
      await Promise.all(loops.map((l) => l.stop()));
      if (bot) await bot.stop();
      await http.close();
      await store.close();
    },
  };
  return running;
}
