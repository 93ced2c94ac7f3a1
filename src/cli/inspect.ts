import { readFile, writeFile } from 'node:fs/promises';
import type { Address } from '@solana/kit';
import type { Command } from 'commander';
import type { DecodedProposal } from '../chain/proposal.ts';
import type { ChainReader } from '../chain/reader.ts';
import type { StoredTransaction } from '../policy/facts.ts';
import type { LossRecords } from '../policy/gather.ts';
import type { TransactionJson } from '../policy/loss-transaction.ts';
import { toJsonText } from '../util/json.ts';
import { SandboxInfoError, sandboxForStore, sandboxNotice, shown } from './sandbox-defaults.ts';

/** The chain, policy and store modules, loaded when `inspect` runs (not at `backstop --help`). */
const modules = async () => {
  const [kit, farms, describe, proposal, reader, types, engine, format, gather, load, snapshot, lossRecords, open] = await Promise.all([
    import('@solana/kit'),
    import('../chain/accounts/farms.ts'),
    import('../chain/describe.ts'),
    import('../chain/proposal.ts'),
    import('../chain/reader.ts'),
    import('../chain/types.ts'),
    import('../policy/engine.ts'),
    import('../policy/format.ts'),
    import('../policy/gather.ts'),
    import('../policy/load.ts'),
    import('../policy/snapshot.ts'),
    import('../store/loss-records.ts'),
    import('../store/open.ts'),
  ]);
  return { isAddress: kit.isAddress, ...farms, ...describe, ...proposal, ...reader, ...types, ...engine, ...format, ...gather, ...load, ...snapshot, ...lossRecords, ...open };
};

interface InspectOptions {
  rpc: string;
  multisig: string;
  index: string;
  policy?: string;
  database?: string;
  lossEvents?: string;
  json?: boolean;
  snapshot?: string;
}

/** A problem that ends `inspect` with exit 2 and a message naming the account and the problem. */
class InspectError extends Error {}

/**
 * Why a decoded proposal is not "recognised" (docs/rules.md#snapshots-replaying-a-decision: a VaultTransaction decoded, or a Config or
 * Batch named), or null when it is.
 */
export function unrecognised(p: DecodedProposal): string | null {
  const t = p.transaction;
  if (t.status === 'unavailable') return `transaction account ${p.transactionPda} could not be read (RPC unreachable?): ${t.error}`;
  if (t.status === 'missing') return `no transaction account at ${p.transactionPda} (index ${p.transactionIndex} of multisig ${p.multisigAddress})`;
  if (t.status === 'invalid') return t.error;
  if (t.value.type !== 'vault') return null;
  if (p.message?.unresolved) return `the vault transaction is not fully resolved: ${p.message.unresolved}`;
  return null;
}

async function kTokenDecimals(reader: ChainReader, p: DecodedProposal): Promise<number | null> {
  const { decodeFarmState, readAccount } = await modules();
  const withdraw = p.message?.instructions.find((ix) => ix.kind === 'farms-withdraw-from-farm-vault');
  if (!withdraw || withdraw.kind !== 'farms-withdraw-from-farm-vault') return null;
  const farm = readAccount(await reader.getAccounts([withdraw.farmState]), withdraw.farmState, decodeFarmState);
  return farm.status === 'ok' ? Number(farm.value.token.decimals) : null;
}

async function lossRecordsFor(opts: InspectOptions, reader: ChainReader): Promise<LossRecords> {
  const { parseLossRecords, MemoryLossRecords, resolveDatabase, openStore, lossRecordsFrom } = await modules();
  if (opts.lossEvents) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(opts.lossEvents, 'utf8'));
    } catch (err) {
      throw new InspectError(`cannot read ${opts.lossEvents}: ${(err as Error).message}`);
    }
    const records = parseLossRecords(json);
    // Transactions not in the file come from the chain at finalized, as recording would read them.
    for (const e of records.lossEvents) {
      if (records.transactions.has(e.signature)) continue;
      const tx = await reader.getTransactionJson(e.signature, { commitment: 'finalized' });
      const stored: StoredTransaction | undefined =
        tx.kind === 'found' ? { kind: 'found', result: tx.result as unknown as TransactionJson } : tx.kind === 'unavailable' ? { kind: 'unavailable', error: tx.error } : undefined;
      if (stored) records.transactions.set(e.signature, stored);
    }
    return new MemoryLossRecords(records.lossEvents, records.ledger, records.transactions);
  }
  let sandbox;
  try {
    sandbox = sandboxForStore(opts.database);
  } catch (err) {
    throw new InspectError((err as SandboxInfoError).message);
  }
  if (sandbox && opts.database === undefined) process.stderr.write(sandboxNotice('inspect', sandbox, [`database ${shown(sandbox.database)} for loss events`]));
  const database = opts.database ?? sandbox?.database ?? resolveDatabase(undefined);
  let store;
  try {
    store = await openStore({ database, mustExist: true }); // read-only: no audit key, no instance lock
  } catch (err) {
    throw new InspectError(`cannot open the store ${database} for loss events (or pass --loss-events FILE): ${(err as Error).message}`);
  }
  return Object.assign(lossRecordsFrom(store), { close: () => store.close() });
}

async function inspect(opts: InspectOptions): Promise<number> {
  const { isAddress, ChainReader, decodeProposal, describeProposal, loadPolicyFile, gatherFacts, decide, buildSnapshot, formatDecision } = await modules();
  if (!isAddress(opts.multisig)) throw new InspectError(`--multisig ${opts.multisig} is not a base58 address`);
  if (!/^(0|[1-9][0-9]*)$/.test(opts.index)) throw new InspectError(`--index ${opts.index} is not a transaction index`);
  const multisig = opts.multisig as Address;
  const index = BigInt(opts.index);
  const reader = new ChainReader({ rpcUrl: opts.rpc });

  if (!opts.policy) {
    const p = await decodeProposal(reader, multisig, index);
    const problem = unrecognised(p);
    if (opts.json) process.stdout.write(`${toJsonText({ recognised: problem === null, problem, proposal: p })}\n`);
    else process.stdout.write(`${describeProposal(p, await kTokenDecimals(reader, p)).join('\n')}\n`);
    if (problem) throw new InspectError(problem);
    return 0;
  }

  const file = await loadPolicyFile(opts.policy);
  if (!file.ok) throw new InspectError(`${opts.policy} is invalid: ${file.problems.map((x) => `${x.path}: ${x.message}`).join('; ')}`);
  const records = await lossRecordsFor(opts, reader);
  const now = new Date();
  let facts;
  try {
    facts = await gatherFacts({ source: reader, ref: { multisig, transactionIndex: index }, policy: file.policy, records });
  } finally {
    await (records as { close?: () => Promise<void> }).close?.();
  }
  const { decision } = decide(facts, file.policy, now);
  if (opts.snapshot) await writeFile(opts.snapshot, `${toJsonText(buildSnapshot({ facts, policy: file.policy, now }))}\n`);
  process.stdout.write(opts.json ? `${toJsonText(decision)}\n` : formatDecision(decision));
  return decision.allowed ? 0 : 1;
}

/** `backstop inspect`: decode (and with --policy, decide) a proposal from the chain (docs/rules.md#snapshots-replaying-a-decision). */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('decode a Squads proposal from the chain; with --policy, decide it (exit codes as evaluate)')
    .requiredOption('--rpc <url>', 'Solana JSON-RPC URL')
    .requiredOption('--multisig <address>', 'the Squads multisig')
    .requiredOption('--index <n>', 'the transaction index')
    .option('--policy <file>', 'decide with this policy file')
    .option('--database <db>', 'take loss events and ledger rows from this store (default DATABASE_URL, else the sandbox’s, else ./data/backstop.db)')
    .option('--loss-events <file>', 'take loss events and ledger rows from this JSON file ({ lossEvents, ledger })')
    .option('--json', 'print JSON')
    .option('--snapshot <out>', 'save every input of the decision (needs --policy)')
    .action(async (opts: InspectOptions) => {
      const { SnapshotError, PolicyReadError } = await modules();
      try {
        process.exitCode = await inspect(opts);
      } catch (err) {
        if (!(err instanceof InspectError || err instanceof SnapshotError || err instanceof PolicyReadError)) throw err;
        process.stderr.write(`backstop inspect: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}
