/**
 * The running service: wires the store, the chain, the policies, the co-signer, the Telegram bot,
 * the HTTP API and the periodic loops (poller, timers, policy reload, card retries) around the
 * workflow. Production and the sandbox both start through here; only their parts differ.
 *
 * On PostgreSQL several instances may run (docs/storage.md): the one holding the lease is active (it polls
 * Telegram, runs the loops and signs); the others are standbys that serve the read API, answer
 * POSTs 503 `standby`, and take over once the active one's lease runs out. On SQLite a second
 * instance refuses to start.
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
import { auditAnchorUrl, telegramMiniApp } from './config.ts';
import type { PolicyRegistry } from './policy/registry.ts';
import { createApp, createMetrics, countDecisions, feeBalanceReady, rpcReady, startHttpServer, storeReady, type Readiness } from './server/index.ts';
import { standbyGate, type Role } from './server/readiness.ts';
import { databaseIdentity } from './store/anchor.ts';
import { InstanceLocked } from './store/errors.ts';
import type { SqlStore } from './store/sql-store.ts';
import { createBot, WEBHOOK_PATH, type BotHandle } from './telegram/bot.ts';
import { clusterOf } from './telegram/links.ts';
import { TelegramNotifier } from './telegram/notifier.ts';
import { Loop } from './workflow/loop.ts';
import { SILENT_NOTIFIER, type Log, type Notifier } from './workflow/ports.ts';
import { usesSignedApproval } from './workflow/signed-approval.ts';
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
  /** Where copies of the audit head are posted (docs/audit.md); default `AUDIT_ANCHOR_URL`, null for none. */
  readonly anchorUrl?: string | null;
  /** The Mini App signed approvals open, `<bot>/<app>` (docs/approvals.md); default TELEGRAM_MINIAPP, null for none. */
  readonly miniApp?: string | null;
  /** The co-signer's pre-sign simulation; only the sandbox in recorded mode passes `skip-recorded-mode`. */
  readonly simulation?: SimulationMode;
  /** Replaces the Telegram notifier (tests and tools that keep cards in the store only). */
  readonly notifier?: Notifier;
  /** PostgreSQL: how often a standby tries to take the lease over (default 1 s). */
  readonly standbyRetryMs?: number;
  /** Told when this instance's role is settled at start, and when a standby becomes active. */
  readonly onRole?: (role: Role) => void;
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
  /** Starts the periodic loops (when started with `deferLoops`; a standby starts them when it takes over). */
  startLoops(): void;
  /** `active` (holds the database: polls, signs) or `standby` (PostgreSQL: reads only, takes over when the active one is gone). */
  role(): Role;
  stop(): Promise<void>;
}

export async function startService(parts: ServiceParts): Promise<RunningService> {
  const { store, chain, policies, log } = parts;
  const intervals = { ...DEFAULT_INTERVALS, ...parts.intervals };
  const anchorUrl = parts.anchorUrl === undefined ? auditAnchorUrl(process.env) : (parts.anchorUrl ?? undefined);
  const miniApp = parts.miniApp === undefined ? telegramMiniApp(process.env) : (parts.miniApp ?? undefined);
  if (!miniApp && policies.all().some((p) => usesSignedApproval(p.policy))) {
    log.error({}, 'a policy approves with signatures but TELEGRAM_MINIAPP is not set: its cards offer no way to sign (docs/approvals.md)');
  }
  const lease = store.lease; // PostgreSQL: active or standby by the lease; SQLite: a second instance refuses
  let role: Role = 'active';
  if (lease === null) {
    const lock = await store.acquireInstanceLock();
    if (lock.tookOverFrom) log.warn({ previous: lock.tookOverFrom.holder }, 'took over the instance lock of a process that is gone');
  } else {
    const got = await lease.tryActivate();
    if (got === null) {
      lease.standby(); // writes are refused from here until this instance takes over
      role = 'standby';
      const holder = await lease.current().catch(() => null);
      log.info({ active: holder?.holder ?? 'unknown', leaseMs: lease.timings.ttlMs }, 'another instance is active: running as a standby (read API only; POSTs answer 503 standby)');
    } else if (got.tookOverFrom) {
      log.warn({ previous: got.tookOverFrom.holder }, 'took over the lease of an instance that stopped renewing it');
    }
  }

  const metrics = createMetrics({ chain });
  const counted = countDecisions(store, metrics.decisions) as SqlStore;
  const cosigner = new ChainCoSigner({
    chain, store: counted, signer: parts.signer, ...(parts.feePayer ? { feePayer: parts.feePayer } : {}), log, ...(parts.simulation ? { simulation: parts.simulation } : {}),
  });
  const creator = new ChainProposalCreator({ chain, store: counted, signer: parts.signer, ...(parts.feePayer ? { feePayer: parts.feePayer } : {}), log });
  const telegramNotifier = parts.telegram
    ? new TelegramNotifier({ token: parts.telegram.token, ...(parts.telegram.apiRoot ? { apiRoot: parts.telegram.apiRoot } : {}), store: counted, policies, log, cluster: clusterOf(parts.rpcUrl), ...(miniApp ? { miniApp } : {}) })
    : null;
  const notifier = parts.notifier ?? telegramNotifier;
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
  const bot = parts.telegram && telegramNotifier
    ? createBot({
        token: parts.telegram.token,
        ...(parts.telegram.apiRoot ? { apiRoot: parts.telegram.apiRoot } : {}),
        ...(parts.telegram.webhook ? { webhook: parts.telegram.webhook } : {}),
        workflow,
        notifier: telegramNotifier,
        log,
      })
    : null;

  const readiness: Readiness = {
    store: storeReady(store),
    rpc: rpcReady(chain),
    feeBalance: feeBalanceReady(chain, (parts.feePayer ?? parts.signer).address as Address),
    ...(bot ? { telegram: async () => void (await bot.bot.api.getMe()) } : {}),
    ...(lease ? { lease: async () => (lease.token !== null && role === 'active' ? { ok: true, detail: `active, lease token ${lease.token}` } : { ok: false, detail: 'this instance does not hold the lease' }) } : {}),
  };
  const api = createApp({ workflow, apiReadToken: parts.apiReadToken, readiness, metrics, log, ...(parts.telegram ? { telegramBotToken: parts.telegram.token } : {}) });
  const app = express();
  app.disable('x-powered-by');
  // A standby answers /readyz with its role and every POST (the Telegram webhook's too) with 503 standby.
  app.use(standbyGate({ role: () => role, retryAfterSeconds: Math.max(1, Math.ceil((lease?.timings.ttlMs ?? 0) / 1000)) }));
  if (bot?.webhookHandler) {
    // Telegram's webhook lives beside the API; it is checked by its own secret header, not by source signatures.
    const handler = bot.webhookHandler;
    // No body parser here: the handler checks the secret header before it reads the body.
    app.post(WEBHOOK_PATH, (req, res) => void handler(req, res));
  }
  app.use(api);
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
  if (telegramNotifier) loops.push(new Loop('cards', intervals.cardsMs, () => telegramNotifier.retryPending(), log));
  loops.push(new Loop('prune', intervals.pruneMs, () => store.pruneWebhookState({ deliveriesBefore: new Date(Date.now() - 86_400_000), signaturesBefore: new Date(Date.now() - 3_600_000) }), log));
  const onHup = () => void workflow.reloadPolicies().catch((err: Error) => log.error({ err: err.message }, 'policy reload failed'));
  if (parts.reloadPolicies) loops.push(new Loop('policy-reload', intervals.reloadMs, () => workflow.reloadPolicies(), log));
  // Only the active instance polls Telegram, runs the loops and signs.
  let loopsWanted = !parts.deferLoops;
  let loopsStarted = false;
  let botStarted = false;
  const startLoops = () => {
    loopsWanted = true;
    if (loopsStarted || role !== 'active') return;
    loopsStarted = true;
    for (const loop of loops) loop.start();
  };
  const activate = async () => {
    if (parts.reloadPolicies) process.on('SIGHUP', onHup);
    if (bot) {
      await bot.start();
      botStarted = true;
    }
    if (loopsWanted) startLoops();
  };
  let standbyLoop: Loop | null = null;
  if (role === 'active') await activate();
  else if (lease) {
    standbyLoop = new Loop('standby', parts.standbyRetryMs ?? 1000, async () => {
      if (stopped || role === 'active') return;
      const got = await lease.tryActivate();
      if (got === null) return;
      role = 'active';
      log.warn({ previous: got.tookOverFrom?.holder ?? null, token: lease.token }, 'took over as the active instance');
      void standbyLoop?.stop();
      await activate();
      parts.onRole?.('active');
    }, log).start();
  }
  // A takeover by another instance (seen by a renewal or a write): stop at once; a supervisor restarts this one as a standby.
  lease?.onLost((detail) => {
    log.error({ detail }, 'this instance is no longer the active one: stopping');
    process.exitCode = 1;
    void running.stop();
  });
  parts.onRole?.(role);
  log.info({ url: http.url, role, policies: policies.all().map((p) => p.file), telegram: bot ? (parts.telegram?.webhook ? 'webhook' : 'long polling') : 'off' }, 'backstop is running');

  let stopped = false;
  const running: RunningService = {
    url: http.url,
    port: http.port,
    workflow,
    bot,
    pollNow: () => poll.runNow(),
    startLoops,
    role: () => role,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('SIGHUP', onHup);
      await standbyLoop?.stop();
      await Promise.all(loops.map((l) => l.stop()));
      if (botStarted && bot) await bot.stop();
      await http.close();
      await store.close();
    },
  };
  return running;
}
