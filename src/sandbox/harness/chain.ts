/**
 * The harness's chain: a LiteSVM instance plus what a validator remembers around it (block
 * height, transaction history, recorded-not-executed transactions). Transactions to programs the
 * instance cannot run are verified and recorded, never imitated (docs/configuration.md recorded mode).
 */
import { createHash } from 'node:crypto';
import { getBase58Decoder, getCompiledTransactionMessageEncoder, type Address } from '@solana/kit';
import type { FailedTransactionMetadata, LiteSVM, TransactionMetadata } from 'litesvm';
import { decodeMint, decodeTokenAccount } from '../../chain/accounts/spl.ts';
import { PROGRAMS } from '../../chain/programs.ts';
import type { AccountData } from '../../chain/types.ts';
import { decodeLookupTable } from '../../chain/accounts/squads.ts';
import { decodeTransaction, RpcError, topLevelPrograms, verifyTransaction, type DecodedMessage, type VerifiedTransaction } from './wire.ts';

/** Blocks a blockhash stays valid for, as on mainnet. */
export const BLOCKHASH_VALIDITY = 150;
const LAMPORTS_PER_SIGNATURE = 5000;
/** Largest page `getSignaturesForAddress` answers, as on mainnet. */
export const MAX_SIGNATURES_LIMIT = 1000;

/** A token account's balance as `meta.preTokenBalances`/`postTokenBalances` list it. */
export interface TokenBalanceJson {
  readonly accountIndex: number;
  readonly mint: string;
  readonly owner: string;
  readonly programId: string;
  readonly uiTokenAmount: { readonly amount: string; readonly decimals: number; readonly uiAmount: number; readonly uiAmountString: string };
}

/** A landed transaction as address history lists it: executed here, or served as a recording of one that landed. */
interface HistoryEntry {
  readonly signature: string;
  readonly slot: number;
  readonly blockTime: number | null;
  readonly err: unknown;
  readonly accounts: ReadonlySet<string>;
  /** Arrival order: breaks ties within a slot (later = newer). */
  readonly seq: number;
}

/** A transaction checked and kept, not executed: it invokes a program LiteSVM does not have. */
export interface RecordedTransaction {
  readonly signature: string;
  readonly signatures: readonly string[];
  readonly bytes: Uint8Array;
  readonly message: DecodedMessage;
  /** Top-level programs the instance could not execute. */
  readonly missingPrograms: readonly Address[];
  readonly recordedAt: Date;
}

/** A transaction LiteSVM executed (successfully or with an error that still lands, e.g. InstructionError). */
export interface ExecutedTransaction {
  readonly signature: string;
  readonly slot: number;
  readonly blockTime: number;
  readonly verified: VerifiedTransaction;
  readonly loadedAddresses: { readonly writable: readonly Address[]; readonly readonly: readonly Address[] };
  readonly err: unknown;
  readonly fee: number;
  readonly preBalances: readonly number[];
  readonly postBalances: readonly number[];
  readonly preTokenBalances: readonly TokenBalanceJson[];
  readonly postTokenBalances: readonly TokenBalanceJson[];
  readonly logs: readonly string[];
  readonly innerInstructions: readonly { index: number; instructions: unknown[] }[];
  readonly computeUnitsConsumed: number;
}

type LiteResult = TransactionMetadata | FailedTransactionMetadata;
type LiteTx = Parameters<LiteSVM['sendTransaction']>[0];
type LiteAccount = Parameters<LiteSVM['setAccount']>[0];

/** The chain state behind the JSON-RPC methods. */
export class HarnessChain {
  private height: number;
  private readonly executed = new Map<string, ExecutedTransaction>();
  private readonly recorded = new Map<string, RecordedTransaction>();
  private readonly served = new Map<string, unknown>();
  /** Wire bytes of every `simulateTransaction` request, as received (tests prove what was handed over). */
  private readonly simulations: Uint8Array[] = [];
  /** Landed transactions (never the recorded ones, which did not land), for `getSignaturesForAddress`. */
  private readonly history = new Map<string, HistoryEntry>();
  private historySeq = 0;
  /** Deterministic per instance: LiteSVM has no genesis block. */
  readonly genesisHash = getBase58Decoder().decode(createHash('sha256').update('backstop-sandbox-genesis').digest());

  constructor(readonly svm: LiteSVM) {
    this.height = this.slot();
  }

  slot(): number {
    return Number(this.svm.getClock().slot);
  }

  blockHeight(): number {
    return this.height;
  }

  latestBlockhash(): { blockhash: string; lastValidBlockHeight: number } {
    return { blockhash: this.svm.latestBlockhash(), lastValidBlockHeight: this.height + BLOCKHASH_VALIDITY };
  }

  isBlockhashValid(blockhash: string): boolean {
    return blockhash === this.svm.latestBlockhash();
  }

  /** New blockhash; height (and slot) move past the old one's lastValidBlockHeight, proving it expired. */
  expireBlockhash(): void {
    const step = BLOCKHASH_VALIDITY + 1;
    this.svm.expireBlockhash();
    this.height += step;
    this.svm.warpToSlot(BigInt(this.slot() + step));
  }

  // ---- accounts ----

  getAccount(addr: Address): AccountData | null {
    const a = this.svm.getAccount(addr as Parameters<LiteSVM['getAccount']>[0]);
    // A validator does not serve zero-lamport accounts: they are garbage-collected.
    if (!a.exists || a.lamports === 0n) return null;
    return { address: addr, owner: a.programAddress as string as Address, lamports: a.lamports, data: new Uint8Array(a.data), executable: a.executable };
  }

  /** Every account `program` owns (zero-lamport ones are gone, as on a validator), for `getProgramAccounts`. */
  programAccounts(program: Address): AccountData[] {
    return this.svm
      .getProgramAccounts(program as Parameters<LiteSVM['getProgramAccounts']>[0])
      .filter((a) => a.lamports > 0n)
      .map((a) => ({ address: a.address as string as Address, owner: program, lamports: a.lamports, data: new Uint8Array(a.data), executable: a.executable }));
  }

  setAccount(a: AccountData): void {
    this.svm.setAccount({
      address: a.address,
      data: a.data,
      executable: a.executable,
      lamports: a.lamports,
      programAddress: a.owner,
      space: BigInt(a.data.length),
    } as unknown as LiteAccount);
  }

  airdrop(addr: Address, lamports: bigint): void {
    const r = this.svm.airdrop(addr as Parameters<LiteSVM['airdrop']>[0], lamports as Parameters<LiteSVM['airdrop']>[1]);
    if (r === null || isFailed(r)) throw new Error(`airdrop to ${addr} failed: ${r === null ? 'no result' : r.toString()}`);
  }

  isExecutable(program: Address): boolean {
    return this.getAccount(program)?.executable === true;
  }

  // ---- transactions ----

  /** Serves `result` as the `getTransaction` answer for `signature` (e.g. a recorded klend loss). */
  addTransaction(signature: string, result: unknown): void {
    this.served.set(signature, result);
    const landed = servedHistory(result);
    if (landed) this.remember({ signature, ...landed });
    else this.history.delete(signature);
  }

  /**
   * `getSignaturesForAddress`: landed transactions mentioning `addr`, newest first (slot, then arrival),
   * older than `before` and newer than `until` (both placed by their own slot and position, as a
   * validator does; an unknown `before` answers nothing, an unknown `until` bounds nothing).
   */
  signaturesForAddress(addr: string, o: { before?: string; until?: string; limit: number }): Record<string, unknown>[] {
    const newerThan = (a: HistoryEntry, b: HistoryEntry) => a.slot > b.slot || (a.slot === b.slot && a.seq > b.seq);
    let before: HistoryEntry | undefined;
    if (o.before !== undefined) {
      before = this.history.get(o.before);
      if (!before) return [];
    }
    const until = o.until !== undefined ? this.history.get(o.until) : undefined;
    return [...this.history.values()]
      .filter((e) => e.accounts.has(addr) && (!before || newerThan(before, e)) && (!until || newerThan(e, until)))
      .sort((a, b) => (newerThan(a, b) ? -1 : 1))
      .slice(0, o.limit)
      .map((e) => ({ signature: e.signature, slot: e.slot, err: e.err, memo: null, blockTime: e.blockTime, confirmationStatus: 'finalized' }));
  }

  /** Transactions executed (landed) so far. */
  transactionCount(): number {
    return this.executed.size;
  }

  recordedTransactions(): RecordedTransaction[] {
    return [...this.recorded.values()];
  }

  /**
   * `sendTransaction`: verify, then record (a top-level program is not executable here) or execute.
   * A signature already seen answers itself and changes nothing, like a validator's dedup.
   */
  send(bytes: Uint8Array, { skipPreflight }: { skipPreflight: boolean }): string {
    const v = verifyTransaction(bytes);
    if (this.executed.has(v.signature) || this.recorded.has(v.signature)) return v.signature;
    const missingPrograms = topLevelPrograms(v.message).filter((p) => !this.isExecutable(p));
    if (missingPrograms.length > 0) {
      this.recorded.set(v.signature, {
        signature: v.signature,
        signatures: v.signatures,
        bytes,
        message: v.message,
        missingPrograms,
        recordedAt: new Date(),
      });
      return v.signature;
    }
    const tx = v.transaction as unknown as LiteTx;
    if (!skipPreflight) {
      const sim = this.svm.simulateTransaction(tx);
      if (isFailed(sim)) {
        const err = transactionErrorJson(sim.err());
        throw new RpcError(-32002, `Transaction simulation failed: ${errorText(err)}`, simulationValue(err, sim.meta(), null));
      }
    }
    const loaded = this.loadedAddresses(v.message);
    const keys = [...v.message.staticAccounts, ...loaded.writable, ...loaded.readonly];
    const preBalances = keys.map((k) => this.balance(k));
    const preTokenBalances = this.tokenBalances(keys);
    const r: LiteResult = this.svm.sendTransaction(tx);
    let err: unknown = null;
    if (isFailed(r)) {
      err = transactionErrorJson(r.err());
      // Errors before execution (bad blockhash, unfunded fee payer, ...) never land on a validator.
      if (!landsWhenFailed(err)) throw new RpcError(-32002, `Transaction failed: ${errorText(err)}`, { err, logs: r.meta().logs() });
    }
    const meta = isFailed(r) ? r.meta() : r;
    this.executed.set(v.signature, {
      signature: v.signature,
      slot: this.slot(),
      blockTime: Number(this.svm.getClock().unixTimestamp),
      verified: v,
      loadedAddresses: loaded,
      err,
      fee: LAMPORTS_PER_SIGNATURE * v.signatures.length,
      preBalances,
      postBalances: keys.map((k) => this.balance(k)),
      preTokenBalances,
      postTokenBalances: this.tokenBalances(keys),
      logs: meta.logs(),
      innerInstructions: innerInstructionsJson(meta),
      computeUnitsConsumed: Number(meta.computeUnitsConsumed()),
    });
    this.remember({ signature: v.signature, slot: this.slot(), blockTime: Number(this.svm.getClock().unixTimestamp), err, accounts: keys });
    return v.signature;
  }

  /** The wire bytes of every simulation request received, in arrival order. */
  simulatedTransactions(): Uint8Array[] {
    return this.simulations.map((b) => Uint8Array.from(b));
  }

  /**
   * `simulateTransaction` value (signature check, blockhash replacement, post-simulation `accounts`
   * and inner instructions as a validator offers them). Changes nothing on the chain.
   */
  simulate(
    bytes: Uint8Array,
    opts: { sigVerify: boolean; replaceRecentBlockhash: boolean; accounts: readonly Address[] | null; innerInstructions?: boolean },
  ): Record<string, unknown> {
    this.simulations.push(Uint8Array.from(bytes));
    if (opts.sigVerify && opts.replaceRecentBlockhash) {
      throw new RpcError(-32602, 'sigVerify may not be used with replaceRecentBlockhash');
    }
    const v = decodeTransaction(bytes, { verifySignatures: opts.sigVerify });
    const loaded = this.loadedAddresses(v.message);
    const keys = [...v.message.staticAccounts, ...loaded.writable, ...loaded.readonly];
    if (opts.accounts && opts.accounts.length > keys.length) {
      throw new RpcError(-32602, `Too many accounts provided; max ${keys.length}`);
    }
    let tx = v.transaction as unknown as LiteTx;
    if (opts.replaceRecentBlockhash) {
      const messageBytes = getCompiledTransactionMessageEncoder().encode({
        ...(v.message as object),
        lifetimeToken: this.svm.latestBlockhash(),
      } as never);
      tx = { ...(v.transaction as object), messageBytes } as unknown as LiteTx;
    }
    // Signatures were checked above when asked; LiteSVM's own check would refuse unsigned simulations.
    this.svm.withSigverify(false);
    let sim: ReturnType<LiteSVM['simulateTransaction']>;
    try {
      sim = this.svm.simulateTransaction(tx);
    } finally {
      this.svm.withSigverify(true);
    }
    const extra = {
      innerInstructions: opts.innerInstructions ? partiallyDecodedInner(sim.meta(), keys) : null,
      ...(opts.replaceRecentBlockhash ? { replacementBlockhash: this.latestBlockhash() } : {}),
    };
    if (isFailed(sim)) return { ...simulationValue(transactionErrorJson(sim.err()), sim.meta(), opts.accounts && opts.accounts.map(() => null)), ...extra };
    const post = new Map(sim.postAccounts().map((a) => [a.address as string, a]));
    const accounts =
      opts.accounts &&
      opts.accounts.map((addr) => {
        const p = post.get(addr);
        if (p) {
          return p.lamports === 0n
            ? null
            : accountJson({ address: addr, owner: p.programAddress as string as Address, lamports: p.lamports, data: new Uint8Array(p.data), executable: p.executable });
        }
        const cur = this.getAccount(addr);
        return cur && accountJson(cur);
      });
    return { ...simulationValue(null, sim.meta(), accounts), ...extra };
  }

  signatureStatus(signature: string): Record<string, unknown> | null {
    const e = this.executed.get(signature);
    if (!e) return null; // unknown, or recorded and not executed
    return {
      slot: e.slot,
      confirmations: null,
      err: e.err,
      status: e.err === null ? { Ok: null } : { Err: e.err },
      confirmationStatus: 'finalized',
    };
  }

  /** The getTransaction result: a served recording first, then an executed transaction. */
  transactionJson(signature: string, encoding: 'json' | 'base64'): unknown {
    if (this.served.has(signature)) return this.served.get(signature);
    const e = this.executed.get(signature);
    if (!e) return null;
    const m = e.verified.message;
    const b58 = getBase58Decoder();
    const transaction =
      encoding === 'base64'
        ? [Buffer.from(e.verified.bytes).toString('base64'), 'base64']
        : {
            signatures: e.verified.signatures,
            message: {
              accountKeys: m.staticAccounts,
              header: {
                numRequiredSignatures: m.header.numSignerAccounts,
                numReadonlySignedAccounts: m.header.numReadonlySignerAccounts,
                numReadonlyUnsignedAccounts: m.header.numReadonlyNonSignerAccounts,
              },
              recentBlockhash: m.lifetimeToken,
              instructions: m.instructions.map((ix) => ({
                programIdIndex: ix.programAddressIndex,
                accounts: [...(ix.accountIndices ?? [])],
                data: b58.decode(Uint8Array.from(ix.data ?? [])),
                stackHeight: null,
              })),
              ...(m.version === 0
                ? {
                    addressTableLookups: (m.addressTableLookups ?? []).map((l) => ({
                      accountKey: l.lookupTableAddress,
                      writableIndexes: [...l.writableIndexes],
                      readonlyIndexes: [...l.readonlyIndexes],
                    })),
                  }
                : {}),
            },
          };
    return {
      slot: e.slot,
      blockTime: e.blockTime,
      version: m.version,
      transaction,
      meta: {
        err: e.err,
        status: e.err === null ? { Ok: null } : { Err: e.err },
        fee: e.fee,
        preBalances: e.preBalances,
        postBalances: e.postBalances,
        innerInstructions: e.innerInstructions,
        logMessages: e.logs,
        preTokenBalances: e.preTokenBalances,
        postTokenBalances: e.postTokenBalances,
        rewards: [],
        loadedAddresses: e.loadedAddresses,
        computeUnitsConsumed: e.computeUnitsConsumed,
      },
    };
  }

  private balance(addr: Address): number {
    return Number(this.getAccount(addr)?.lamports ?? 0n);
  }

  private remember(e: { signature: string; slot: number; blockTime: number | null; err: unknown; accounts: readonly string[] }): void {
    this.history.set(e.signature, { ...e, accounts: new Set(e.accounts), seq: this.historySeq++ });
  }

  /** The token balances a validator records for `keys`: initialized token accounts whose mint exists. */
  private tokenBalances(keys: readonly Address[]): TokenBalanceJson[] {
    const out: TokenBalanceJson[] = [];
    keys.forEach((key, accountIndex) => {
      const a = this.getAccount(key);
      if (!a || (a.owner !== PROGRAMS.token && a.owner !== PROGRAMS.token2022)) return;
      try {
        const t = decodeTokenAccount(a);
        const mint = this.getAccount(t.mint);
        if (t.state === 'uninitialized' || !mint) return;
        const { decimals } = decodeMint(mint);
        const ui = uiAmountString(t.amount, decimals);
        out.push({ accountIndex, mint: t.mint, owner: t.owner, programId: a.owner, uiTokenAmount: { amount: t.amount.toString(), decimals, uiAmount: Number(ui), uiAmountString: ui } });
      } catch {
        // Not a token account (a mint, or bytes that do not decode): validators list none for it.
      }
    });
    return out;
  }

  /** Addresses a v0 message loads from lookup tables (writable first), read from the table accounts. */
  private loadedAddresses(m: DecodedMessage): { writable: Address[]; readonly: Address[] } {
    const writable: Address[] = [];
    const readonly: Address[] = [];
    for (const l of m.addressTableLookups ?? []) {
      const table = this.getAccount(l.lookupTableAddress);
      let addresses: readonly Address[] = [];
      try {
        // Owner and layout checked as a validator does (web3.js AddressLookupTableAccount.deserialize).
        if (table) addresses = decodeLookupTable(table).addresses;
      } catch (e) {
        throw new RpcError(-32602, `address table ${l.lookupTableAddress} is not a valid lookup table: ${(e as Error).message}`);
      }
      const at = (i: number): Address => {
        const a = addresses[i];
        if (a === undefined) throw new RpcError(-32602, `address table ${l.lookupTableAddress} has no index ${i}`);
        return a;
      };
      writable.push(...l.writableIndexes.map(at));
      readonly.push(...l.readonlyIndexes.map(at));
    }
    return { writable, readonly };
  }
}

/** `amount` as a decimal string with `decimals` fraction digits, trailing zeros trimmed (as the RPC prints it). */
function uiAmountString(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const digits = amount.toString().padStart(decimals + 1, '0');
  const fraction = digits.slice(-decimals).replace(/0+$/, '');
  return fraction ? `${digits.slice(0, -decimals)}.${fraction}` : digits.slice(0, -decimals);
}

/** Where a served getTransaction result landed and which accounts it mentions; null when it names none. */
function servedHistory(result: unknown): Omit<HistoryEntry, 'signature' | 'seq' | 'accounts'> & { accounts: string[] } | null {
  const r = result as { slot?: unknown; blockTime?: unknown; transaction?: { message?: { accountKeys?: unknown } }; meta?: { err?: unknown; loadedAddresses?: { writable?: unknown; readonly?: unknown } } | null } | null;
  if (typeof r?.slot !== 'number' || !Array.isArray(r.transaction?.message?.accountKeys)) return null;
  const keyOf = (k: unknown) => (typeof k === 'string' ? k : typeof (k as { pubkey?: unknown })?.pubkey === 'string' ? (k as { pubkey: string }).pubkey : null);
  const loaded = r.meta?.loadedAddresses;
  const all = [...r.transaction.message.accountKeys, ...(Array.isArray(loaded?.writable) ? loaded.writable : []), ...(Array.isArray(loaded?.readonly) ? loaded.readonly : [])];
  const accounts = all.map(keyOf).filter((k): k is string => k !== null);
  if (accounts.length === 0) return null;
  return { slot: r.slot, blockTime: typeof r.blockTime === 'number' ? r.blockTime : null, err: r.meta?.err ?? null, accounts };
}

/** The Solana CLI / RPC JSON form of an account (base64 data). */
export function accountJson(a: AccountData): Record<string, unknown> {
  return {
    data: [Buffer.from(a.data).toString('base64'), 'base64'],
    executable: a.executable,
    lamports: Number(a.lamports),
    owner: a.owner,
    rentEpoch: 0,
    space: a.data.length,
  };
}

function isFailed(r: unknown): r is FailedTransactionMetadata {
  return typeof (r as { err?: unknown }).err === 'function';
}

function simulationValue(err: unknown, meta: TransactionMetadata, accounts: unknown[] | null): Record<string, unknown> {
  const rd = meta.returnData();
  const rdData = rd.data();
  return {
    err,
    logs: meta.logs(),
    accounts,
    unitsConsumed: Number(meta.computeUnitsConsumed()),
    returnData: rdData.length === 0 ? null : { programId: getBase58Decoder().decode(rd.programId()), data: [Buffer.from(rdData).toString('base64'), 'base64'] },
    // A validator answers inner instructions only when asked (`innerInstructions: true`).
    innerInstructions: null,
  };
}

/** Inner instructions as `simulateTransaction` answers them (jsonParsed, partially decoded: keys and base58 data). */
function partiallyDecodedInner(meta: TransactionMetadata, keys: readonly Address[]): { index: number; instructions: unknown[] }[] {
  const b58 = getBase58Decoder();
  return meta
    .innerInstructions()
    .map((list, index) => ({
      index,
      instructions: list.map((inner) => {
        const ix = inner.instruction();
        return { programId: keys[ix.programIdIndex()], accounts: [...ix.accounts()].map((i) => keys[i]), data: b58.decode(ix.data()), stackHeight: inner.stackHeight() };
      }),
    }))
    .filter((g) => g.instructions.length > 0);
}

function innerInstructionsJson(meta: TransactionMetadata): { index: number; instructions: unknown[] }[] {
  const b58 = getBase58Decoder();
  return meta
    .innerInstructions()
    .map((list, index) => ({
      index,
      instructions: list.map((inner) => {
        const ix = inner.instruction();
        return { programIdIndex: ix.programIdIndex(), accounts: [...ix.accounts()], data: b58.decode(ix.data()), stackHeight: inner.stackHeight() };
      }),
    }))
    .filter((g) => g.instructions.length > 0);
}

const TX_ERRORS = [
  'AccountInUse', 'AccountLoadedTwice', 'AccountNotFound', 'ProgramAccountNotFound', 'InsufficientFundsForFee',
  'InvalidAccountForFee', 'AlreadyProcessed', 'BlockhashNotFound', 'CallChainTooDeep', 'MissingSignatureForFee',
  'InvalidAccountIndex', 'SignatureFailure', 'InvalidProgramForExecution', 'SanitizeFailure', 'ClusterMaintenance',
  'AccountBorrowOutstanding', 'WouldExceedMaxBlockCostLimit', 'UnsupportedVersion', 'InvalidWritableAccount',
  'WouldExceedMaxAccountCostLimit', 'WouldExceedAccountDataBlockLimit', 'TooManyAccountLocks',
  'AddressLookupTableNotFound', 'InvalidAddressLookupTableOwner', 'InvalidAddressLookupTableData',
  'InvalidAddressLookupTableIndex', 'InvalidRentPayingAccount', 'WouldExceedMaxVoteCostLimit',
  'WouldExceedAccountDataTotalLimit', 'MaxLoadedAccountsDataSizeExceeded', 'ResanitizationNeeded',
  'InvalidLoadedAccountsDataSizeLimit', 'UnbalancedTransaction', 'ProgramCacheHitMaxLimit', 'CommitCancelled',
] as const;

const IX_ERRORS = [
  'GenericError', 'InvalidArgument', 'InvalidInstructionData', 'InvalidAccountData', 'AccountDataTooSmall',
  'InsufficientFunds', 'IncorrectProgramId', 'MissingRequiredSignature', 'AccountAlreadyInitialized',
  'UninitializedAccount', 'UnbalancedInstruction', 'ModifiedProgramId', 'ExternalAccountLamportSpend',
  'ExternalAccountDataModified', 'ReadonlyLamportChange', 'ReadonlyDataModified', 'DuplicateAccountIndex',
  'ExecutableModified', 'RentEpochModified', 'NotEnoughAccountKeys', 'AccountDataSizeChanged', 'AccountNotExecutable',
  'AccountBorrowFailed', 'AccountBorrowOutstanding', 'DuplicateAccountOutOfSync', 'InvalidError',
  'ExecutableDataModified', 'ExecutableLamportChange', 'ExecutableAccountNotRentExempt', 'UnsupportedProgramId',
  'CallDepth', 'MissingAccount', 'ReentrancyNotAllowed', 'MaxSeedLengthExceeded', 'InvalidSeeds', 'InvalidRealloc',
  'ComputationalBudgetExceeded', 'PrivilegeEscalation', 'ProgramEnvironmentSetupFailure', 'ProgramFailedToComplete',
  'ProgramFailedToCompile', 'Immutable', 'IncorrectAuthority', 'AccountNotRentExempt', 'InvalidAccountOwner',
  'ArithmeticOverflow', 'UnsupportedSysvar', 'IllegalOwner', 'MaxAccountsDataAllocationsExceeded',
  'MaxAccountsExceeded', 'MaxInstructionTraceLengthExceeded', 'BuiltinProgramsMustConsumeComputeUnits', 'BorshIoError',
] as const;

/** LiteSVM's transaction error in the RPC JSON form (`"BlockhashNotFound"`, `{InstructionError:[0,{Custom:1}]}`). */
export function transactionErrorJson(err: unknown): unknown {
  if (typeof err === 'number') return TX_ERRORS[err] ?? `TransactionError(${err})`;
  const o = err as { constructor: { name: string }; index?: number; accountIndex?: number; err?: () => unknown };
  switch (o.constructor.name) {
    case 'TransactionErrorInstructionError':
      return { InstructionError: [o.index, instructionErrorJson(o.err!())] };
    case 'TransactionErrorDuplicateInstruction':
      return { DuplicateInstruction: o.index };
    case 'TransactionErrorInsufficientFundsForRent':
      return { InsufficientFundsForRent: { account_index: o.accountIndex } };
    case 'TransactionErrorProgramExecutionTemporarilyRestricted':
      return { ProgramExecutionTemporarilyRestricted: { account_index: o.accountIndex } };
    default:
      return String(err);
  }
}

function instructionErrorJson(err: unknown): unknown {
  if (typeof err === 'number') return IX_ERRORS[err] ?? `InstructionError(${err})`;
  const o = err as { constructor: { name: string }; code?: number; msg?: string };
  if (o.constructor.name === 'InstructionErrorCustom') return { Custom: o.code };
  if (o.constructor.name.startsWith('InstructionErrorBorsh')) return { BorshIoError: o.msg };
  return String(err);
}

function landsWhenFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && ('InstructionError' in err || 'InsufficientFundsForRent' in err);
}

function errorText(err: unknown): string {
  return typeof err === 'string' ? err : JSON.stringify(err);
}

