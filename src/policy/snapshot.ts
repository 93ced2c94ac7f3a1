/**
 * Snapshots (docs/rules.md#snapshots-replaying-a-decision): every input of one decision as a JSON file, so `evaluate` replays it offline
 * to the same decision id. Parsing is strict: a snapshot that cannot be read is an error, never a
 * guess (duplicate pubkeys, bad base64, bad numbers).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isAddress, type Address } from '@solana/kit';
import { z } from 'zod';
import { parseCliAccountJson, toCliAccountJson } from '../chain/account-json.ts';
import type { AccountResult } from '../chain/types.ts';
import type { Facts, LedgerRow, LossEvent, StoredTransaction } from './facts.ts';
import type { TransactionJson } from './loss-transaction.ts';
import { validatePolicy, type Policy, type PolicyProblem } from './schema.ts';

/** The snapshot could not be read or lacks the docs/rules.md#snapshots-replaying-a-decision shape (exit 2). */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

const address = z.string().refine((s) => isAddress(s), { message: 'must be a base58 32-byte address' });
const u64 = z.string().regex(/^(0|[1-9][0-9]*)$/, { message: 'must be a non-negative integer string' });
const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}T/.test(s), { message: 'must be an RFC 3339 time' });

const LossEventJson = z.strictObject({
  id: z.string().min(1),
  vault: address,
  reserve: address,
  signature: z.string().min(1),
  vaultLoss: u64,
  state: z.enum(['open', 'closed']).optional(),
  evidence: z.strictObject({ vaultCTokens: u64, reserveCTokenSupply: u64, readAtSlot: u64 }),
  plan: z.strictObject({ root: z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex characters' }), total: u64 }).optional(),
});
const LedgerRowJson = z.strictObject({
  lossEventId: z.string().min(1),
  proposal: z.string().min(1),
  amount: u64,
  state: z.enum(['reserved', 'compensated', 'released']),
  at: time.optional(),
});
const TransactionEntryJson = z.strictObject({ signature: z.string().min(1), result: z.record(z.string(), z.unknown()) });

/** `{ lossEvents, ledger, transactions? }`: the `--loss-events FILE` of `backstop inspect` (docs/rules.md#snapshots-replaying-a-decision). */
const LossRecordsSchema = z.strictObject({
  lossEvents: z.array(LossEventJson),
  ledger: z.array(LedgerRowJson),
  transactions: z.array(TransactionEntryJson).optional(),
});

const SnapshotSchema = z.strictObject({
  version: z.literal(1),
  now: time,
  policy: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  proposal: z.strictObject({ multisig: address, transactionIndex: u64, lossEventId: z.string().min(1).optional() }),
  accounts: z.array(z.unknown()),
  unavailable: z.array(z.strictObject({ pubkey: address, error: z.string() })).optional(),
  transactions: z.array(TransactionEntryJson),
  lossEvents: z.array(LossEventJson),
  ledger: z.array(LedgerRowJson),
});

export type SnapshotJson = z.input<typeof SnapshotSchema>;

export interface LoadedSnapshot {
  readonly facts: Facts;
  readonly policy: Policy;
  readonly now: Date;
}

/** The policy in its file form (durations as seconds strings), which re-parses to the same revision. */
export function policyToRaw(policy: Policy): Record<string, unknown> {
  const raw = structuredClone(policy) as unknown as Record<string, any>;
  raw['limits'].window = `${policy.limits.window}s`;
  raw['approvals'] = { ttl: `${policy.approvals.ttl}s`, remindEvery: `${policy.approvals.remindEvery}s` };
  return raw;
}

const problemsText = (problems: readonly PolicyProblem[]) => problems.map((p) => `${p.path}: ${p.message}`).join('; ');

/** Parses a snapshot object; `baseDir` resolves a policy given as a path. Throws SnapshotError. */
export async function parseSnapshot(json: unknown, baseDir: string): Promise<LoadedSnapshot> {
  const parsed = SnapshotSchema.safeParse(json);
  if (!parsed.success) throw new SnapshotError(`the snapshot lacks the docs/rules.md#snapshots-replaying-a-decision shape: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  const s = parsed.data;

  let policy: Policy;
  if (typeof s.policy === 'string') {
    // Loaded here: only a snapshot naming a policy file needs the YAML reader.
    const { loadPolicyFile } = await import('./load.ts');
    const file = await loadPolicyFile(resolve(baseDir, s.policy)).catch((err: Error) => {
      throw new SnapshotError(`the snapshot's policy cannot be read: ${err.message}`);
    });
    if (!file.ok) throw new SnapshotError(`the snapshot's policy is invalid: ${problemsText(file.problems)}`);
    policy = file.policy;
  } else {
    const v = validatePolicy(s.policy);
    if (!v.ok) throw new SnapshotError(`the snapshot's policy is invalid: ${problemsText(v.problems)}`);
    policy = v.policy;
  }

  const accounts = new Map<Address, AccountResult>();
  for (const entry of s.accounts) {
    let account;
    try {
      account = parseCliAccountJson(entry);
    } catch (err) {
      throw new SnapshotError(`accounts: ${(err as Error).message}`);
    }
    if (accounts.has(account.address)) throw new SnapshotError(`accounts: ${account.address} is listed twice`);
    accounts.set(account.address, { kind: 'found', account });
  }
  for (const u of s.unavailable ?? []) {
    if (accounts.has(u.pubkey as Address)) throw new SnapshotError(`unavailable: ${u.pubkey} is also listed in accounts`);
    accounts.set(u.pubkey as Address, { kind: 'unavailable', error: u.error });
  }

  const { lossEvents, ledger, transactions } = toRecords(s);
  const proposal = {
    multisig: s.proposal.multisig as Address,
    transactionIndex: BigInt(s.proposal.transactionIndex),
    ...(s.proposal.lossEventId ? { lossEventId: s.proposal.lossEventId } : {}),
  };
  return { facts: { proposal, accounts, transactions, lossEvents, ledger }, policy, now: new Date(s.now) };
}

function toRecords(s: { lossEvents: z.output<typeof LossEventJson>[]; ledger: z.output<typeof LedgerRowJson>[]; transactions?: z.output<typeof TransactionEntryJson>[] | undefined }) {
  const transactions = new Map<string, StoredTransaction>();
  for (const t of s.transactions ?? []) {
    if (transactions.has(t.signature)) throw new SnapshotError(`transactions: ${t.signature} is listed twice`);
    transactions.set(t.signature, { kind: 'found', result: t.result as unknown as TransactionJson });
  }
  const ids = new Set<string>();
  const lossEvents: LossEvent[] = s.lossEvents.map((e) => {
    if (ids.has(e.id)) throw new SnapshotError(`lossEvents: id ${e.id} is listed twice`);
    ids.add(e.id);
    return {
      id: e.id,
      vault: e.vault as Address,
      reserve: e.reserve as Address,
      signature: e.signature,
      vaultLoss: BigInt(e.vaultLoss),
      state: e.state ?? 'open',
      evidence: {
        vaultCTokens: BigInt(e.evidence.vaultCTokens),
        reserveCTokenSupply: BigInt(e.evidence.reserveCTokenSupply),
        readAtSlot: BigInt(e.evidence.readAtSlot),
      },
      ...(e.plan ? { plan: { root: e.plan.root, total: BigInt(e.plan.total) } } : {}),
    };
  });
  const ledger: LedgerRow[] = s.ledger.map((r) => ({
    lossEventId: r.lossEventId,
    proposal: r.proposal,
    amount: BigInt(r.amount),
    state: r.state,
    ...(r.at ? { at: new Date(r.at) } : {}),
  }));
  return { lossEvents, ledger, transactions };
}

/** Parses `{ lossEvents, ledger, transactions? }` (inspect's `--loss-events FILE`). Throws SnapshotError. */
export function parseLossRecords(json: unknown): ReturnType<typeof toRecords> {
  const parsed = LossRecordsSchema.safeParse(json);
  if (!parsed.success) throw new SnapshotError(`the loss-events file lacks the shape { lossEvents, ledger }: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  return toRecords(parsed.data);
}

/** Reads and parses a snapshot file. Throws SnapshotError for anything unreadable. */
export async function readSnapshotFile(path: string): Promise<LoadedSnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SnapshotError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SnapshotError(`${path} is not JSON: ${(err as Error).message}`);
  }
  return parseSnapshot(json, dirname(resolve(path)));
}

/** The snapshot of a decision's inputs, policy inline. Missing accounts are simply left out. */
export function buildSnapshot(input: { facts: Facts; policy: Policy; now: Date }): SnapshotJson {
  const { facts } = input;
  const accounts: unknown[] = [];
  const unavailable: { pubkey: string; error: string }[] = [];
  const sorted = [...facts.accounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [pubkey, result] of sorted) {
    if (result.kind === 'found') accounts.push(toCliAccountJson(result.account));
    else if (result.kind === 'unavailable') unavailable.push({ pubkey, error: result.error });
  }
  return {
    version: 1,
    now: input.now.toISOString(),
    policy: policyToRaw(input.policy),
    proposal: {
      multisig: facts.proposal.multisig,
      transactionIndex: facts.proposal.transactionIndex.toString(),
      ...(facts.proposal.lossEventId ? { lossEventId: facts.proposal.lossEventId } : {}),
    },
    accounts,
    ...(unavailable.length ? { unavailable } : {}),
    transactions: [...facts.transactions.entries()]
      .filter((entry): entry is [string, Extract<StoredTransaction, { kind: 'found' }>] => entry[1].kind === 'found')
      .map(([signature, t]) => ({ signature, result: t.result as unknown as Record<string, unknown> })),
    lossEvents: facts.lossEvents.map((e) => ({
      id: e.id,
      vault: e.vault,
      reserve: e.reserve,
      signature: e.signature,
      vaultLoss: e.vaultLoss.toString(),
      state: e.state,
      evidence: {
        vaultCTokens: e.evidence.vaultCTokens.toString(),
        reserveCTokenSupply: e.evidence.reserveCTokenSupply.toString(),
        readAtSlot: e.evidence.readAtSlot.toString(),
      },
      ...(e.plan ? { plan: { root: e.plan.root, total: e.plan.total.toString() } } : {}),
    })),
    ledger: facts.ledger.map((r) => ({
      lossEventId: r.lossEventId,
      proposal: r.proposal,
      amount: r.amount.toString(),
      state: r.state,
      ...(r.at ? { at: r.at.toISOString() } : {}),
    })),
  };
}
