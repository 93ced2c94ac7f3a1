/**
 * The sandbox (docs/configuration.md): the whole service on one machine with no token, RPC endpoint or key of
 * anyone's — a LiteSVM chain behind a loopback JSON-RPC, the telegram-test-api emulator, SQLite in
 * the data dir, and policies/example.yaml. Each start is fresh. Loaded by dynamic import only.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { ChainReader } from '../chain/reader.ts';
import { keypairSigner } from '../cosign/signer.ts';
import { PolicyRegistry } from '../policy/registry.ts';
import { startService, type Intervals, type RunningService } from '../service.ts';
import { defaultAnchorFile } from '../store/anchor.ts';
import { InstanceLocked } from '../store/errors.ts';
import { Ed25519Keypair, writeKeypairFile } from '../store/keys.ts';
import { openStore } from '../store/open.ts';
import { takeInstanceLock, type EarlyInstanceLock } from '../store/sqlite.ts';
import type { Address } from '@solana/kit';
import type { Log } from '../workflow/ports.ts';
import { SANDBOX_VAULT_LOSS } from './fixtures/scenario.ts';
import { startHarness, type Harness } from './harness/index.ts';
import { canProduceRealLoss } from './klend/loss.ts';
import { SANDBOX, SANDBOX_KEYPAIRS, SANDBOX_TELEGRAM } from './seeds.ts';
import { seedSandboxChainWithRealLoss } from './klend/sandbox-loss.ts';
import { seedSandboxChain } from './world.ts';
import { AFTER_LOSS_SLOT, runPostLossTransfers } from './fixtures/depositors.ts';
import { distributorAccount } from './fixtures/distributor.ts';
import { storeLossEventPlan } from '../workflow/compensation.ts';
import type { Store } from '../store/types.ts';
import { packagePath } from '../util/package-root.ts';

export const DEFAULT_DATA_DIR = 'data/sandbox';
/** The sandbox's bot token: the emulator accepts any; this one is public on purpose. */
export const SANDBOX_BOT_TOKEN = '4242:SANDBOX-not-a-real-token';

/** What `sandbox.json` holds (docs/configuration.md), for other programs to drive the sandbox. */
export interface SandboxInfo {
  readonly httpUrl: string;
  readonly rpcUrl: string;
  readonly database: string;
  readonly policy: string;
  readonly apiReadToken: string;
  readonly vault: string;
  readonly multisig: string;
  readonly escrow: string;
  readonly lossEventId: string;
  readonly pendingProposal: string;
  readonly deniedProposal: string;
  readonly mode: 'recorded' | 'real';
  /** How the recorded loss came to be: a served recording of a mainnet-shaped transaction, or executed here by the real klend program. */
  readonly lossSource: 'served' | 'executed';
  /** The compensation distributor (issue 15): the escrow's owner, holding the sandbox loss's stored plan. Absent in a rehearsal. */
  readonly distributor?: string;
  /** A second vault whose Insurance Pool `backstop pool check` fails (unset withdraw_authority, 7-day cooldown); absent in a rehearsal. */
  readonly misconfiguredVault?: string;
  /** Set when the chain is a rehearsal's copy of a vault read from another RPC (`backstop rehearse`). */
  readonly rehearsal?: {
    /** The source RPC's origin (never its path or query: they may hold an API key). */
    readonly source: string;
    readonly slot: string;
    readonly clonedAccounts: number;
    readonly notes: readonly string[];
  };
  readonly webhookSource: { readonly id: string; readonly keypair: string };
  /** This run's audit keypair file: CLI commands on the sandbox's store verify and sign with it. */
  readonly audit: { readonly keypair: string };
  readonly telegram: {
    readonly apiRoot: string;
    readonly botToken: string;
    readonly chatId: number;
    readonly users: { readonly curators: readonly number[]; readonly council: readonly number[]; readonly outsider: number };
  };
}

/** What a seeded chain holds for the sandbox to record, decide and show. */
export interface SeededScenario {
  readonly vault: Address;
  readonly reserve: Address;
  readonly multisig: Address;
  readonly escrow: Address;
  readonly loss: { readonly signature: string; readonly vaultLoss: bigint; readonly note: string; readonly source: SandboxInfo['lossSource'] };
  readonly pendingIndex: bigint;
  readonly deniedIndex: bigint;
  /** The directory the service loads policies from, and the file covering the vault. */
  readonly policyDir: string;
  readonly policyFile: string;
  readonly telegram: SandboxInfo['telegram']['users'] & { readonly chatId: number };
  readonly rehearsal?: SandboxInfo['rehearsal'];
  readonly misconfiguredVault?: Address;
  /** Plan the loss once recorded and seed a distributor whose root matches it (the docs/configuration.md world). */
  readonly compensation?: boolean;
}

/** A chain for the sandbox to run on: its program dumps (decided before it starts) and how it is seeded. */
export interface SandboxScenario {
  programsDir(dataDir: string): Promise<string | undefined>;
  seed(harness: Harness, o: { dataDir: string; log: Log }): Promise<SeededScenario>;
}

/**
 * The docs/configuration.md world: seeds.ts addresses, policies/example.yaml. In real mode with the klend and farms
 * dumps the loss is produced by the real klend program, else served as a recording.
 */
export function sandboxScenario(programsDir?: string): SandboxScenario {
  return {
    programsDir: async () => programsDir,
    async seed(harness) {
      const real = canProduceRealLoss(harness);
      const world = real ? await seedSandboxChainWithRealLoss(harness) : seedSandboxChain(harness);
      // After the loss, depositors keep trading: the plan must not see it (issue 15).
      harness.svm.warpToSlot(AFTER_LOSS_SLOT);
      await runPostLossTransfers(harness.url, (a, l) => harness.airdrop(a, l));
      const policyDir = packagePath('policies');
      return {
        vault: SANDBOX.vault,
        reserve: SANDBOX.reserve,
        multisig: SANDBOX.multisig,
        escrow: SANDBOX.escrow,
        loss: {
          signature: world.lossSignature,
          vaultLoss: SANDBOX_VAULT_LOSS,
          note: real ? 'sandbox: socialize_loss executed by the klend program' : 'sandbox: the seeded socialize_loss',
          source: real ? 'executed' : 'served',
        },
        pendingIndex: world.pendingIndex,
        deniedIndex: world.deniedIndex,
        policyDir,
        policyFile: join(policyDir, 'example.yaml'),
        telegram: { chatId: SANDBOX_TELEGRAM.chatId, curators: [...SANDBOX_TELEGRAM.curators], council: [...SANDBOX_TELEGRAM.council], outsider: SANDBOX_TELEGRAM.outsider },
        misconfiguredVault: SANDBOX.misconfiguredVault,
        compensation: true,
      };
    },
  };
}

export interface RunningSandbox {
  readonly info: SandboxInfo;
  readonly infoFile: string;
  readonly service: RunningService;
  readonly harness: Harness;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** Ports: unset → 8080 (HTTP), 8899 (RPC), 9000 (Telegram); N → N, N+1, N+2; 0 → free ones. */
async function ports(port: number | undefined): Promise<{ http: number; rpc: number; telegram: number }> {
  if (port === undefined) return { http: 8080, rpc: 8899, telegram: 9000 };
  if (port === 0) return { http: 0, rpc: 0, telegram: await freePort() };
  return { http: port, rpc: port + 1, telegram: port + 2 };
}

/** A second sandbox on a data dir that a live one uses: refused before anything is touched (docs/storage.md). */
export class SandboxInUse extends InstanceLocked {
  constructor(holder: InstanceLocked, dataDir: string) {
    super(holder.holder, dataDir);
    const pid = /^pid (\d+)/.exec(holder.holder)?.[1] ?? 'unknown';
    this.message = `another backstop (pid ${pid}) is running on ${relative(process.cwd(), dataDir) || dataDir}; stop it or pass --data-dir`;
  }
}

/**
 * Removes what an earlier sandbox left in its data dir (each start is fresh), and that database's
 * anchor. Only called while holding the data dir's instance lock, which it keeps.
 */
function freshDataDir(dir: string, anchorFile: string): void {
  for (const name of ['backstop.db', 'backstop.db-wal', 'backstop.db-shm', 'backstop.db.head', 'sandbox.json', 'audit-keypair.json', 'webhook-source.json']) {
    rmSync(join(dir, name), { force: true });
  }
  rmSync(anchorFile, { force: true }); // the last run's anchor would refuse this run's new log
}

export async function startSandbox(options: {
  dataDir?: string;
  port?: number;
  programsDir?: string;
  /** Another chain than the docs/configuration.md world (a rehearsal); its own programs decide real mode. */
  scenario?: SandboxScenario;
  log: Log;
  intervals?: Partial<Intervals>;
}): Promise<RunningSandbox> {
  const { log } = options;
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const database = join(dataDir, 'backstop.db');
  // The instance lock first: a second sandbox must not wipe the data dir of a live one.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let early: EarlyInstanceLock;
  try {
    early = takeInstanceLock(database);
  } catch (err) {
    throw err instanceof InstanceLocked ? new SandboxInUse(err, dataDir) : err;
  }
  chmodSync(dataDir, 0o700); // it holds the audit key and the read token
  if (early.tookOverFrom) log.warn({ previous: early.tookOverFrom.holder }, 'took over the instance lock of a sandbox that is gone');
  try {
    return await startLocked({ ...options, dataDir, database, lockToken: early.token });
  } catch (err) {
    early.release();
    throw err;
  }
}

async function startLocked(options: {
  dataDir: string;
  database: string;
  lockToken: string;
  port?: number;
  programsDir?: string;
  scenario?: SandboxScenario;
  log: Log;
  intervals?: Partial<Intervals>;
}): Promise<RunningSandbox> {
  const { log, dataDir, database } = options;
  const anchorFile = defaultAnchorFile(database);
  freshDataDir(dataDir, anchorFile);
  const p = await ports(options.port);

  const scenario = options.scenario ?? sandboxScenario(options.programsDir);
  const programsDir = await scenario.programsDir(dataDir);
  const harness = await startHarness({ port: p.rpc, ...(programsDir ? { programsDir } : {}) });
  let world: SeededScenario;
  try {
    world = await scenario.seed(harness, { dataDir, log });
  } catch (err) {
    await harness.close();
    throw err;
  }
  const telegram = new TelegramServer({ port: p.telegram, host: '127.0.0.1', storage: 'RAM', storeTimeout: 48 * 3600 });
  try {
    await telegram.start();
  } catch (err) {
    await harness.close();
    throw err;
  }
  const apiRoot = `http://127.0.0.1:${p.telegram}`;

  // Keys: the co-signer and the webhook source are public sandbox seeds; the audit key is made now.
  const seed = (k: { secretKey: Uint8Array }) => Ed25519Keypair.fromSeed(k.secretKey.slice(0, 32));
  const cosigner = seed(SANDBOX_KEYPAIRS.cosigner);
  const webhookKeyFile = join(dataDir, 'webhook-source.json');
  writeKeypairFile(webhookKeyFile, seed(SANDBOX_KEYPAIRS.webhookSource));
  const auditKey = Ed25519Keypair.generate();
  writeKeypairFile(join(dataDir, 'audit-keypair.json'), auditKey);
  log.info({ auditKey: auditKey.publicKey, file: join(dataDir, 'audit-keypair.json') }, 'sandbox: generated an audit keypair for this run');

  // The sandbox's own head and anchor: never the production AUDIT_HEAD_FILE / AUDIT_ANCHOR_FILE of this shell.
  const store = await openStore({ database, auditKey, headFile: `${database}.head`, anchorFile, instanceLockToken: options.lockToken });
  const policyDir = world.policyDir;
  const policies = await PolicyRegistry.load(policyDir);
  const apiReadToken = randomBytes(18).toString('base64url');

  const service = await startService({
    store,
    chain: new ChainReader({ rpcUrl: harness.url, timeoutMs: 5000 }),
    rpcUrl: harness.url,
    policies,
    signer: keypairSigner(cosigner),
    telegram: { token: SANDBOX_BOT_TOKEN, apiRoot },
    apiReadToken,
    port: p.http,
    log,
    reloadPolicies: true,
    intervals: { pollMs: 1_000, ...options.intervals },
    deferLoops: true,
    // No program binaries loaded (local configuration): the harness cannot execute approve+execute.
    simulation: harness.mode === 'recorded' ? 'skip-recorded-mode' : 'required',
  });

  try {
    const event = await service.workflow.recordLoss({
      vault: world.vault,
      reserve: world.reserve,
      signature: world.loss.signature,
      vaultLoss: world.loss.vaultLoss,
      note: world.loss.note,
      recordedBy: world.rehearsal ? 'rehearsal' : 'sandbox',
    });
    // The loss's compensation plan, stored, and a distributor holding its root (before any reservation moves the default amount).
    const distributor = world.compensation ? await seedPlanAndDistributor({ harness, store, policies, lossEventId: event.id }) : undefined;
    await service.pollNow(); // registers and decides the seeded proposals before anyone looks
    service.startLoops();

    const rel = (f: string) => relative(process.cwd(), f) || f;
    const info: SandboxInfo = {
      httpUrl: service.url,
      rpcUrl: harness.url,
      database: rel(database),
      policy: rel(world.policyFile),
      apiReadToken,
      vault: world.vault,
      multisig: world.multisig,
      escrow: world.escrow,
      lossEventId: event.id,
      pendingProposal: `${world.multisig}:${world.pendingIndex}`,
      deniedProposal: `${world.multisig}:${world.deniedIndex}`,
      mode: harness.mode,
      lossSource: world.loss.source,
      ...(distributor ? { distributor } : {}),
      ...(world.rehearsal ? { rehearsal: world.rehearsal } : {}),
      ...(world.misconfiguredVault ? { misconfiguredVault: world.misconfiguredVault } : {}),
      webhookSource: { id: 'sandbox', keypair: rel(webhookKeyFile) },
      audit: { keypair: rel(join(dataDir, 'audit-keypair.json')) },
      telegram: {
        apiRoot,
        botToken: SANDBOX_BOT_TOKEN,
        chatId: world.telegram.chatId,
        users: { curators: [...world.telegram.curators], council: [...world.telegram.council], outsider: world.telegram.outsider },
      },
    };
    const infoFile = join(dataDir, 'sandbox.json');
    writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 }); // holds the read token
    return {
      info,
      infoFile,
      service,
      harness,
      async stop() {
        await service.stop();
        await telegram.stop();
        await harness.close();
      },
    };
  } catch (err) {
    await service.stop();
    await telegram.stop();
    await harness.close();
    throw err;
  }
}

/** Stores the sandbox loss's plan and writes the distributor whose root and max_total_claim are the plan's; returns its address. */
async function seedPlanAndDistributor(o: { harness: Harness; store: Store; policies: PolicyRegistry; lossEventId: string }): Promise<string> {
  const { stored } = await storeLossEventPlan(
    {
      chain: new ChainReader({ rpcUrl: o.harness.url, timeoutMs: 5000 }),
      store: o.store,
      plans: o.store,
      policyFor: (vault) => o.policies.forVault(vault)?.policy,
    },
    { lossEventId: o.lossEventId, createdBy: 'sandbox' },
  );
  const account = distributorAccount({ rootHex: stored.root, maxTotalClaim: stored.total, maxNumNodes: BigInt(stored.claimants) });
  o.harness.setAccount(account);
  return account.address;
}

/** What the sandbox prints on start: what runs, and what to try next. */
export function sandboxBanner(info: SandboxInfo, infoFile: string): string {
  return [
    '',
    `backstop sandbox is running (${info.mode} mode${info.mode === 'recorded' ? ': co-signer transactions are recorded, not executed' : ''})`,
    `  HTTP API        ${info.httpUrl}   (read token in ${infoFile})`,
    `  Solana RPC      ${info.rpcUrl}   (LiteSVM)`,
    `  Telegram        ${info.telegram.apiRoot}   (telegram-test-api emulator, chat ${info.telegram.chatId})`,
    `  store           ${info.database}`,
    `  policy          ${info.policy}`,
    `  proposals       ${info.pendingProposal} (pays the escrow)  ${info.deniedProposal} (pays a non-escrow account)`,
    '',
    'Try:',
    `  curl -s -H "Authorization: Bearer ${info.apiReadToken}" ${info.httpUrl}/v1/proposals/${info.pendingProposal}`,
    `  npx backstop webhook send --source sandbox --key ${info.webhookSource.keypair} --url ${info.httpUrl} proposal --multisig ${info.multisig} --index 1`,
    `  npx backstop inspect --rpc ${info.rpcUrl} --multisig ${info.multisig} --index 1`,
    `  npx backstop pool check --rpc ${info.rpcUrl} --vault ${info.vault} --policy ${info.policy}`,
    ...(info.misconfiguredVault ? [`  npx backstop pool check --rpc ${info.rpcUrl} --vault ${info.misconfiguredVault}   (a misconfigured pool: exit 1)`] : []),
    '  Press buttons as a user: see README "Sandbox" for the emulator client (curators 1001, council 2001-2003, outsider 3001).',
    '  npm run demo   plays the whole story in a sandbox of its own.',
    '',
  ].join('\n');
}
