import type { Command } from 'commander';
import type { ProductionConfig, SandboxConfig } from '../config.ts';
import type { PolicyRegistry } from '../policy/registry.ts';
import type { RunningService } from '../service.ts';

/** What `start` runs on, loaded by its action so `backstop --help` does not load the service. */
const modules = async () => {
  const [reader, config, signer, log, load, registry, seeds, service, errors, keys, open] = await Promise.all([
    import('../chain/multi-rpc.ts'),
    import('../config.ts'),
    import('../cosign/signer.ts'),
    import('../log.ts'),
    import('../policy/load.ts'),
    import('../policy/registry.ts'),
    import('../sandbox/seeds.ts'),
    import('../service.ts'),
    import('../store/errors.ts'),
    import('../store/keys.ts'),
    import('../store/open.ts'),
  ]);
  return { ...reader, ...config, ...signer, ...log, ...load, ...registry, ...seeds, ...service, ...errors, ...keys, ...open };
};

/** A start-up refusal: printed, exit 2, nothing started. */
class StartRefused extends Error {}

async function refuseSandboxKeys(policies: PolicyRegistry, keys: Record<string, string | undefined>): Promise<void> {
  const { addressesFoundIn, SANDBOX_ADDRESSES, SANDBOX_PUBLIC_KEYS } = await modules();
  const problems: string[] = [];
  for (const { file, policy } of policies.all()) for (const hit of addressesFoundIn(policy, SANDBOX_ADDRESSES)) problems.push(`${file}: ${hit}`);
  for (const [name, key] of Object.entries(keys)) if (key && SANDBOX_PUBLIC_KEYS.has(key)) problems.push(`${name} is a public sandbox key (${key})`);
  if (problems.length > 0) {
    throw new StartRefused(`production refuses the sandbox's public keys and addresses:\n  ${problems.join('\n  ')}`);
  }
}

async function startProduction(config: ProductionConfig): Promise<RunningService> {
  const { createLogger, PolicyRegistry, loadCosignerKey, loadFeePayerKey, loadAuditKey, openStore, startService, openChain } = await modules();
  const log = createLogger(config.logLevel);
  const policies = await PolicyRegistry.load(config.policyDir).catch((err: Error) => {
    throw new StartRefused(`POLICY_DIR is not valid: ${err.message}`);
  });
  // Files or pkcs11: URIs alike (an HSM key signs inside the token); all checked before anything starts.
  const keyOptions = config.pkcs11 ? { pkcs11: config.pkcs11 } : {};
  const opened: { close(): void }[] = [];
  const keep = <T extends { close(): void } | undefined>(key: T): T => (key ? (opened.push(key), key) : key);
  let signer, feePayer, auditKey;
  try {
    signer = keep(loadCosignerKey(config.cosignerKeypair, policies.all().map((p) => p.policy.cosigner), keyOptions));
    feePayer = keep(loadFeePayerKey(config.feePayerKeypair, keyOptions));
    auditKey = keep(loadAuditKey(config.auditKeypair, keyOptions));
    await refuseSandboxKeys(policies, { COSIGNER_KEYPAIR: signer.address, FEE_PAYER_KEYPAIR: feePayer?.address, AUDIT_KEYPAIR: auditKey.publicKey });
  } catch (err) {
    for (const key of opened) key.close();
    throw err;
  }
  const store = await openStore({ ...(config.database ? { database: config.database } : {}), auditKey, ...(config.auditHeadFile ? { headFile: config.auditHeadFile } : {}) });
  return startService({
    store,
    chain: openChain(config.rpcUrls, { log }),
    rpcUrl: config.rpcUrl,
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
  const { createLogger } = await import('../log.ts');
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

/**
 * The environment with `--port` applied as PORT (configuration comes from the environment; the flag
 * is a spelling of it). A --port that disagrees with a set PORT is refused rather than one chosen.
 */
export function withPortOption(env: NodeJS.ProcessEnv, port: string | undefined, Refusal: new (message: string) => Error): NodeJS.ProcessEnv {
  if (port === undefined) return env;
  if (!/^[0-9]+$/.test(port) || Number(port) > 65535) throw new Refusal(`--port takes a port number (0 picks free ones), got "${port}"; it sets PORT`);
  const set = env.PORT?.trim();
  if (set && Number(set) !== Number(port)) throw new Refusal(`--port ${port} and PORT=${set} disagree: --port sets PORT, so give one of them`);
  return { ...env, PORT: port };
}

/** `backstop start`: production with configuration, else the sandbox (docs/configuration.md). Runs until SIGINT/SIGTERM. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the service: production with configuration, else the sandbox (docs/configuration.md)')
    .option('--sandbox', 'run the sandbox even when configuration is present')
    .option('--data-dir <dir>', 'sandbox data directory (default ./data/sandbox)')
    .option('--port <n>', 'the HTTP API port: the same as setting PORT (0 picks free ones)')
    .action(async (opts: { sandbox?: boolean; dataDir?: string; port?: string }) => {
      let running: { stop(): Promise<void> };
      let roles = new Map<number, string>();
      const { readConfig, ConfigError, KeyFileError, Pkcs11KeyError, CosignerKeyMismatch, InstanceLocked, SchemaTooNew, StoreUnavailable } = await modules();
      try {
        const config = readConfig(withPortOption(process.env, opts.port, ConfigError), { sandbox: opts.sandbox === true });
        roles = portRoles(config.mode, config.port);
        running = config.mode === 'sandbox' ? await startSandboxMode(config, opts.dataDir) : await startProduction(config);
      } catch (err) {
        const known = [ConfigError, StartRefused, KeyFileError, Pkcs11KeyError, CosignerKeyMismatch, InstanceLocked, SchemaTooNew, StoreUnavailable].some((k) => err instanceof k);
        const port = portProblem(err, roles);
        process.stderr.write(`backstop start: ${port ?? (known ? (err as Error).message : `failed to start: ${(err as Error).stack ?? String(err)}`)}\n`);
        // What a failed start had opened (the sandbox's chain or emulator, a listener) must not keep a half-started process alive.
        process.exit(2);
      }
      await runUntilSignal(running);
    });
}

/** Serves until SIGINT or SIGTERM, then stops cleanly (start and rehearse). */
export function runUntilSignal(running: { stop(): Promise<void> }): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`backstop: ${signal}, stopping\n`);
      void running.stop().finally(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
