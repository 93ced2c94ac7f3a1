import type { Command } from 'commander';
import { openChain } from '../chain/multi-rpc.ts';
import { ConfigError, readConfig, type ProductionConfig, type SandboxConfig } from '../config.ts';
import { CosignerKeyMismatch, loadCosignerKey, loadFeePayerKey } from '../cosign/signer.ts';
import { createLogger } from '../log.ts';
import { addressesFoundIn } from '../policy/load.ts';
import { PolicyRegistry } from '../policy/registry.ts';
import { SANDBOX_ADDRESSES, SANDBOX_PUBLIC_KEYS } from '../sandbox/seeds.ts';
import { startService, type RunningService } from '../service.ts';
import { InstanceLocked, SchemaTooNew, StoreUnavailable } from '../store/errors.ts';
import { KeyFileError, loadKeypairFile } from '../store/keys.ts';
import { openStore } from '../store/open.ts';

/** A start-up refusal: printed, exit 2, nothing started. */
class StartRefused extends Error {}

function refuseSandboxKeys(policies: PolicyRegistry, keys: Record<string, string | undefined>): void {
  const problems: string[] = [];
  for (const { file, policy } of policies.all()) for (const hit of addressesFoundIn(policy, SANDBOX_ADDRESSES)) problems.push(`${file}: ${hit}`);
  for (const [name, key] of Object.entries(keys)) if (key && SANDBOX_PUBLIC_KEYS.has(key)) problems.push(`${name} is a public sandbox key (${key})`);
  if (problems.length > 0) {
    throw new StartRefused(`production refuses the sandbox's public keys and addresses:\n  ${problems.join('\n  ')}`);
  }
}

async function startProduction(config: ProductionConfig): Promise<RunningService> {
  const log = createLogger(config.logLevel);
  const policies = await PolicyRegistry.load(config.policyDir).catch((err: Error) => {
    throw new StartRefused(`POLICY_DIR is not valid: ${err.message}`);
  });
  const signer = loadCosignerKey(config.cosignerKeypair, policies.all().map((p) => p.policy.cosigner));
  const feePayer = loadFeePayerKey(config.feePayerKeypair);
  const auditKey = loadKeypairFile(config.auditKeypair);
  refuseSandboxKeys(policies, { COSIGNER_KEYPAIR: signer.address, FEE_PAYER_KEYPAIR: feePayer?.address, AUDIT_KEYPAIR: auditKey.publicKey });
  const store = await openStore({ ...(config.database ? { database: config.database } : {}), auditKey, ...(config.auditHeadFile ? { headFile: config.auditHeadFile } : {}) });
  return startService({
    store,
    chain: openChain(config.rpcUrls, { log }),
    policies,
    signer,
    ...(feePayer ? { feePayer } : {}),
    telegram: {
      token: config.telegram.token,
      ...(config.telegram.apiRoot ? { apiRoot: config.telegram.apiRoot } : {}),
      ...(config.telegram.webhookUrl && config.telegram.webhookSecret ? { webhook: { url: config.telegram.webhookUrl, secret: config.telegram.webhookSecret } } : {}),
    },
    apiReadToken: config.apiReadToken,
    port: config.port,
    log,
    reloadPolicies: true,
  }).catch(async (err) => {
    await store.close().catch(() => undefined);
    throw err;
  });
}

async function startSandboxMode(config: SandboxConfig, dataDir: string | undefined): Promise<{ stop(): Promise<void> }> {
  const log = createLogger(config.logLevel);
  // Loaded only here: production never imports litesvm or telegram-test-api.
  const { startSandbox, sandboxBanner } = await import('../sandbox/start.ts');
  const sandbox = await startSandbox({
    log,
    ...(dataDir ? { dataDir } : {}),
    ...(config.port !== undefined ? { port: config.port } : {}),
    ...(config.programsDir ? { programsDir: config.programsDir } : {}),
  });
  process.stderr.write(sandboxBanner(sandbox.info, sandbox.infoFile));
  return sandbox;
}

/** The ports a start listens on, by what they serve (the sandbox: PORT, PORT+1, PORT+2; unset 8080, 8899, 9000). */
function portRoles(mode: 'production' | 'sandbox', port: number | undefined): Map<number, string> {
  if (mode === 'production') return new Map([[port ?? 8080, 'the HTTP API']]);
  if (port === undefined) return new Map([[8080, 'the HTTP API'], [8899, 'the sandbox Solana RPC'], [9000, 'the sandbox Telegram emulator']]);
  return new Map([[port, 'the HTTP API (PORT)'], [port + 1, 'the sandbox Solana RPC (PORT+1)'], [port + 2, 'the sandbox Telegram emulator (PORT+2)']]);
}

/** One line for a port that cannot be listened on (in use, or privileged), or null for any other error. */
export function portProblem(err: unknown, roles: ReadonlyMap<number, string> = new Map()): string | null {
  const e = err as { code?: unknown; port?: unknown } | null;
  if (typeof e !== 'object' || e === null || typeof e.port !== 'number') return null;
  const what = roles.get(e.port);
  const port = `port ${e.port}${what ? ` (${what})` : ''}`;
  if (e.code === 'EADDRINUSE') return `${port} is already in use: stop the program listening on it, or set PORT to a free port (PORT=0 picks free ones)`;
  if (e.code === 'EACCES') return `${port} may not be opened by this user: set PORT to a port above 1023`;
  return null;
}

/** `backstop start`: production with configuration, else the sandbox (SPEC §9). Runs until SIGINT/SIGTERM. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the service: production with configuration, else the sandbox of SPEC §9')
    .option('--sandbox', 'run the sandbox even when configuration is present')
    .option('--data-dir <dir>', 'sandbox data directory (default ./data/sandbox)')
    .action(async (opts: { sandbox?: boolean; dataDir?: string }) => {
      let running: { stop(): Promise<void> };
      let roles = new Map<number, string>();
      try {
        const config = readConfig(process.env, { sandbox: opts.sandbox === true });
        roles = portRoles(config.mode, config.port);
        running = config.mode === 'sandbox' ? await startSandboxMode(config, opts.dataDir) : await startProduction(config);
      } catch (err) {
        const known = [ConfigError, StartRefused, KeyFileError, CosignerKeyMismatch, InstanceLocked, SchemaTooNew, StoreUnavailable].some((k) => err instanceof k);
        const port = portProblem(err, roles);
        process.stderr.write(`backstop start: ${port ?? (known ? (err as Error).message : `failed to start: ${(err as Error).stack ?? String(err)}`)}\n`);
        // What a failed start had opened (the sandbox's chain or emulator, a listener) must not keep a half-started process alive.
        process.exit(2);
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stderr.write(`backstop: ${signal}, stopping\n`);
          void running.stop().finally(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
