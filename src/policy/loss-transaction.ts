/**
 * Verifies that a stored `getTransaction` JSON result is a klend `socialize_loss` on a reserve, and
 * how much debt it forgave there (docs/rules.md#how-the-numbers-are-computed "Forgiven", docs/chain.md#klend). Pure: no I/O.
 */
import { getBase58Encoder } from '@solana/kit';
import { PROGRAMS } from '../chain/programs.ts';

export const KLEND_PROGRAM: string = PROGRAMS.klend;
const SOCIALIZE_LOSS = 'f54b5b00ec611303';
const SOCIALIZE_LOSS_V2 = 'ee5f62dcbb28cc9a';
const FORGIVING = /^Program log: Forgiving debt amount (\d+)(?:\.(\d+))?$/;

/** The parts of a `getTransaction` (encoding json) result this module reads. */
export interface TransactionJson {
  slot?: number;
  blockTime?: number | null;
  transaction: {
    signatures?: string[];
    message: {
      accountKeys: string[];
      instructions: CompiledInstructionJson[];
    };
  };
  meta: {
    err: unknown;
    logMessages?: string[] | null;
    innerInstructions?: { index: number; instructions: CompiledInstructionJson[] }[] | null;
    loadedAddresses?: { writable: string[]; readonly: string[] } | null;
  } | null;
}

interface CompiledInstructionJson {
  programIdIndex: number;
  accounts: number[];
  data: string;
  stackHeight?: number | null;
}

/** One socialize_loss instruction on the declared reserve and what its log said. */
export interface SocializeLossFinding {
  readonly version: 1 | 2;
  readonly position: string; // "top-level 2" or "inner 1.3"
  readonly liquidityAmount: bigint;
  readonly obligation: string;
  readonly lendingMarket: string;
  readonly loggedForgiven: bigint | null;
  readonly problem: string | null;
}

export type LossTransactionVerdict =
  | { readonly outcome: 'pass'; readonly forgiven: bigint; readonly findings: readonly SocializeLossFinding[]; readonly slot: bigint | null; readonly blockTime: number | null }
  | { readonly outcome: 'fail' | 'unknown'; readonly reason: string; readonly findings: readonly SocializeLossFinding[] };

const base58 = getBase58Encoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface FlatInstruction {
  programId: string | undefined;
  accounts: (string | undefined)[];
  data: Uint8Array | null;
  position: string;
}

interface InvokeBlock {
  programId: string;
  lines: string[]; // direct log lines of this invocation (not of nested ones)
}

function flatten(tx: TransactionJson, keys: string[]): FlatInstruction[] {
  const inner = new Map<number, CompiledInstructionJson[]>();
  for (const group of tx.meta?.innerInstructions ?? []) inner.set(group.index, group.instructions);
  const toFlat = (ix: CompiledInstructionJson, position: string): FlatInstruction => {
    let data: Uint8Array | null;
    try {
      data = new Uint8Array(base58.encode(ix.data));
    } catch {
      data = null;
    }
    return { programId: keys[ix.programIdIndex], accounts: ix.accounts.map((i) => keys[i]), data, position };
  };
  const out: FlatInstruction[] = [];
  tx.transaction.message.instructions.forEach((ix, i) => {
    out.push(toFlat(ix, `top-level ${i}`));
    (inner.get(i) ?? []).forEach((innerIx, j) => out.push(toFlat(innerIx, `inner ${i}.${j}`)));
  });
  return out;
}

/** Splits the log into invocation blocks in execution (pre-)order, each with its direct lines. */
function invokeBlocks(logs: readonly string[]): InvokeBlock[] {
  const blocks: InvokeBlock[] = [];
  const stack: InvokeBlock[] = [];
  for (const line of logs) {
    const invoke = /^Program (\S+) invoke \[\d+\]$/.exec(line);
    if (invoke) {
      const block = { programId: invoke[1] ?? '', lines: [] };
      blocks.push(block);
      stack.push(block);
      continue;
    }
    const end = /^Program (\S+) (success|failed: .*)$/.exec(line);
    if (end && stack.length > 0 && stack[stack.length - 1]?.programId === end[1]) {
      stack.pop();
      continue;
    }
    stack[stack.length - 1]?.lines.push(line);
  }
  return blocks;
}

/**
 * Judges one stored loss transaction for one reserve. `fail`: the data says no (failed transaction,
 * no socialize_loss on that reserve, a logged amount above its `liquidity_amount`); `unknown`: the
 * log cannot be matched (no line, two lines, truncated). Never falls back to `liquidity_amount`.
 */
export function verifyLossTransaction(tx: TransactionJson, reserve: string): LossTransactionVerdict {
  if (!tx.meta) return { outcome: 'unknown', reason: 'the transaction has no status metadata', findings: [] };
  if (tx.meta.err !== null && tx.meta.err !== undefined) {
    return { outcome: 'fail', reason: `the loss transaction failed on-chain (${JSON.stringify(tx.meta.err)})`, findings: [] };
  }
  const loaded = tx.meta.loadedAddresses ?? { writable: [], readonly: [] };
  const keys = [...tx.transaction.message.accountKeys, ...loaded.writable, ...loaded.readonly];
  const flat = flatten(tx, keys);

  const matches: { ix: FlatInstruction; version: 1 | 2; flatIndex: number }[] = [];
  let sawKlendSocialize = false;
  flat.forEach((ix, flatIndex) => {
    if (ix.programId !== KLEND_PROGRAM || !ix.data || ix.data.length < 16) return;
    const disc = hex(ix.data.subarray(0, 8));
    const version = disc === SOCIALIZE_LOSS ? 1 : disc === SOCIALIZE_LOSS_V2 ? 2 : null;
    if (version === null) return;
    sawKlendSocialize = true;
    if (ix.accounts[3] === reserve) matches.push({ ix, version, flatIndex });
  });
  if (matches.length === 0) {
    const reason = sawKlendSocialize
      ? `the transaction socializes a loss on another reserve, not ${reserve}`
      : 'the transaction contains no klend socialize_loss or socialize_loss_v2 instruction';
    return { outcome: 'fail', reason, findings: [] };
  }

  const logs = tx.meta.logMessages;
  const truncated = !logs || logs.some((l) => l === 'Log truncated' || l.startsWith('Log truncated'));
  // Pair instructions with invoke blocks in execution order, matching program ids.
  const blocks = truncated ? [] : invokeBlocks(logs);
  const blockOf = new Map<number, InvokeBlock>();
  let cursor = 0;
  flat.forEach((ix, flatIndex) => {
    const found = blocks.findIndex((b, i) => i >= cursor && b.programId === ix.programId);
    if (found >= 0) {
      blockOf.set(flatIndex, blocks[found]!);
      cursor = found + 1;
    }
  });

  const findings: SocializeLossFinding[] = matches.map(({ ix, version, flatIndex }) => {
    const liquidityAmount = Buffer.from(ix.data!.subarray(8, 16)).readBigUInt64LE(0);
    const base = { version, position: ix.position, liquidityAmount, obligation: ix.accounts[1] ?? '', lendingMarket: ix.accounts[2] ?? '' };
    if (truncated) return { ...base, loggedForgiven: null, problem: 'the log is missing or truncated' };
    const block = blockOf.get(flatIndex);
    const lines = (block?.lines ?? []).map((l) => FORGIVING.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    if (lines.length === 0) return { ...base, loggedForgiven: null, problem: 'no "Forgiving debt amount" line in its invoke block' };
    if (lines.length > 1) return { ...base, loggedForgiven: null, problem: `${lines.length} "Forgiving debt amount" lines in one invoke block` };
    const logged = BigInt(lines[0]![1]!); // fraction dropped (docs/rules.md#how-the-numbers-are-computed)
    if (logged > liquidityAmount) {
      return { ...base, loggedForgiven: logged, problem: `logged forgiven amount ${logged} exceeds its liquidity_amount ${liquidityAmount}` };
    }
    return { ...base, loggedForgiven: logged, problem: null };
  });

  const over = findings.find((f) => f.loggedForgiven !== null && f.problem !== null);
  if (over) return { outcome: 'fail', reason: `${over.position}: ${over.problem}`, findings };
  const unmatched = findings.find((f) => f.problem !== null);
  if (unmatched) return { outcome: 'unknown', reason: `${unmatched.position}: ${unmatched.problem}`, findings };
  const forgiven = findings.reduce((s, f) => s + (f.loggedForgiven ?? 0n), 0n);
  return {
    outcome: 'pass',
    forgiven,
    findings,
    slot: tx.slot === undefined ? null : BigInt(tx.slot),
    blockTime: tx.blockTime ?? null,
  };
}
