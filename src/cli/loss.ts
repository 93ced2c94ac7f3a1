import type { Address } from '@solana/kit';
import type { Command } from 'commander';
import { toJsonText } from '../util/json.ts';
import { cleanText } from '../util/text.ts';
import { sandboxForStore, sandboxNotice, shown, type SandboxDefaults } from './sandbox-defaults.ts';

interface LossRecordOptions {
  vault: string;
  reserve: string;
  signature: string;
  vaultLoss: string;
  note?: string;
  rpc?: string;
  database?: string;
  policyDir?: string;
}

class Refusal extends Error {
  constructor(readonly exitCode: 1 | 2, message: string) {
    super(message);
  }
}

/** The modules `loss record` runs on, loaded by its action (not at `backstop --help`). */
const modules = async () => {
  const [kit, errors, multi, load, recording, storeErrors, keys, open, signer, config, providers, ports] = await Promise.all([
    import('@solana/kit'),
    import('../chain/errors.ts'),
    import('../chain/multi-rpc.ts'),
    import('../policy/load.ts'),
    import('../policy/loss-recording.ts'),
    import('../store/errors.ts'),
    import('../store/keys.ts'),
    import('../store/open.ts'),
    import('../cosign/signer.ts'),
    import('../config.ts'),
    import('../workflow/providers.ts'),
    import('../workflow/ports.ts'),
  ]);
  return { isAddress: kit.isAddress, ...errors, ...multi, ...load, ...recording, ...storeErrors, ...keys, ...open, ...signer, ...config, ...providers, ...ports };
};

async function record(opts: LossRecordOptions, m: Awaited<ReturnType<typeof modules>>): Promise<void> {
  const { isAddress, openChain, parseRpcUrls, loadPolicyDir, policyForVault, verifyLossOnEveryProvider, SILENT_NOTIFIER, SILENT_LOG, loadAuditKey, pkcs11Settings, openStore, resolveDatabase } = m;
  for (const [flag, v] of [['--vault', opts.vault], ['--reserve', opts.reserve]] as const) {
    if (!isAddress(v)) throw new Refusal(2, `${flag} ${v} is not a base58 address`);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(opts.vaultLoss)) throw new Refusal(2, `--vault-loss must be an integer amount in the underlying token's base units, got ${opts.vaultLoss}`);
  // The sandbox's store, audit key and RPC when no production variable is set (docs/configuration.md).
  let sandbox: SandboxDefaults | null;
  try {
    sandbox = sandboxForStore(opts.database);
  } catch (err) {
    throw new Refusal(2, (err as Error).message);
  }
  const used: string[] = [];
  const take = (value: string | undefined, what: string): string | undefined => {
    if (value !== undefined) used.push(what);
    return value;
  };
  const database = opts.database ?? take(sandbox?.database, `database ${shown(sandbox?.database ?? '')}`);
  const rpcUrl = opts.rpc ?? process.env.SOLANA_RPC_URL ?? take(sandbox?.rpcUrl, `RPC ${sandbox?.rpcUrl}`);
  const auditPath = process.env.AUDIT_KEYPAIR ?? take(sandbox?.auditKeypair, `audit key ${shown(sandbox?.auditKeypair ?? '')}`);
  if (sandbox && used.length > 0) process.stderr.write(sandboxNotice('loss record', sandbox, used));
  if (!rpcUrl) throw new Refusal(2, 'no RPC: pass --rpc URL or set SOLANA_RPC_URL');
  // Several endpoints (comma-separated): the loss must verify alike on every one (issue 13 §4).
  const chain = openChain(parseRpcUrls(rpcUrl, opts.rpc ? '--rpc' : 'SOLANA_RPC_URL'));
  if (!auditPath) throw new Refusal(2, 'AUDIT_KEYPAIR must name the audit keypair file: every store change is signed into the audit log');
  const policyDir = opts.policyDir ?? process.env.POLICY_DIR;
  if (policyDir) {
    const dir = await loadPolicyDir(policyDir);
    if (!policyForVault(dir.policies, opts.vault)) throw new Refusal(1, `no policy in ${policyDir} covers vault ${opts.vault}`);
  }
  // A pkcs11: URI signs the audit entries inside the HSM (PKCS11_MODULE, PKCS11_PIN_FILE).
  const settings = pkcs11Settings(process.env, ['AUDIT_KEYPAIR']);
  const auditKey = loadAuditKey(auditPath, settings ? { pkcs11: settings } : {});
  const store = await openStore({ database: resolveDatabase(database), auditKey }).catch((err: unknown) => {
    auditKey.close();
    throw err;
  });
  try {
    const holder = await store.isInstanceLocked();
    if (holder) throw new Refusal(1, `a running backstop instance holds ${store.location} (${holder.holder}); record the loss with POST /v1/loss-events instead`);
    await store.acquireInstanceLock();
    const vault = opts.vault as Address;
    const reserve = opts.reserve as Address;
    const existing = await store.listLossEvents({ vault });
    if (existing.some((e) => e.signature === opts.signature && e.reserve === reserve)) {
      throw new Refusal(1, `a loss event for ${opts.signature} on reserve ${reserve} is already recorded for vault ${vault}`);
    }
    const verified = await verifyLossOnEveryProvider({ chain, notifier: SILENT_NOTIFIER, log: SILENT_LOG }, { vault, reserve, signature: opts.signature, vaultLoss: BigInt(opts.vaultLoss) }, null);
    const event = await store.recordLossEvent({
      ...verified,
      slot: verified.slot ?? verified.evidence.readAtSlot,
      recordedBy: 'cli',
      ...(opts.note ? { note: cleanText(opts.note) } : {}),
    });
    const { transaction: _tx, ...summary } = event;
    process.stdout.write(`${toJsonText(summary)}\n`);
  } finally {
    await store.close();
    auditKey.close();
  }
}

/** `backstop loss record …` (docs/flow.md step 1): verify from the chain and write through the store. */
export function registerLoss(program: Command): void {
  const loss = program.command('loss').description('loss events');
  loss
    .command('record')
    .description('verify a klend socialize_loss from the chain and record it (refused while a running instance holds the store)')
    .requiredOption('--vault <address>', 'the kvault')
    .requiredOption('--reserve <address>', 'the klend reserve the loss was socialized on')
    .requiredOption('--signature <sig>', 'the loss transaction signature')
    .requiredOption('--vault-loss <amount>', "declared vault loss, underlying token base units")
    .option('--note <text>', 'a note for the humans')
    .option('--rpc <url>', 'Solana JSON-RPC, or several comma-separated that must agree (default SOLANA_RPC_URL)')
    .option('--database <db>', 'SQLite file or postgres:// URL (default DATABASE_URL, else the sandbox’s, else ./data/backstop.db)')
    .option('--policy-dir <dir>', 'refuse a vault no policy covers (default POLICY_DIR when set)')
    .action(async (opts: LossRecordOptions) => {
      const m = await modules();
      const { LossUnverifiable, ChainUnavailable, StoreUnavailable, KeyFileError, Pkcs11KeyError, ConfigError } = m;
      try {
        await record(opts, m);
      } catch (err) {
        const code = err instanceof Refusal ? err.exitCode : err instanceof LossUnverifiable ? 1 : err instanceof ChainUnavailable || err instanceof StoreUnavailable || err instanceof KeyFileError || err instanceof Pkcs11KeyError || err instanceof ConfigError ? 2 : null;
        if (code === null) throw err;
        process.stderr.write(`backstop loss record: ${(err as Error).message}\n`);
        process.exitCode = code;
      }
    });
}
