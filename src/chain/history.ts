/**
 * The history reader (issue 15 §1): token balances of one mint at a past slot S, rebuilt from the
 * current state and the transactions after S. Current token accounts come from `getProgramAccounts`
 * (memcmp on the mint, under the mint's own token program); each account's transactions after S
 * from `getSignaturesForAddress` (paged with `before`); each transaction's `pre`/`postTokenBalances`
 * from `getTransaction`, undone newest to oldest. Every token account of the mint seen in those
 * balances joins the walk (an account closed after S is not in `getProgramAccounts`). The supply
 * at S comes from the mint's own history, decoding MintTo, MintToChecked, Burn and BurnChecked,
 * inner instructions included.
 *
 * Invariant: the rebuilt balances sum exactly to the supply at S; otherwise the answer is `unknown`
 * with the unexplained difference, never a guess. So is any gap a walk can see (a history that ends
 * before S, a balance that does not chain from one transaction to the next, a transaction the node
 * no longer serves). An RPC failure throws `ChainUnavailable`: the caller can retry, and resume from
 * the last checkpoint. Reads are paged, run a few at a time under a rate limit, counted, and reported.
 */
import { getBase58Encoder, isAddress, type Address } from '@solana/kit';
import { decodeMint, decodeTokenAccount, TOKEN_2022_PROGRAM_ADDRESS, TOKEN_PROGRAM_ADDRESS } from './accounts/spl.ts';
import { ChainUnavailable } from './errors.ts';
import type { BatchReadResult, ProgramAccountsQuery, SignaturesForAddressResult, TransactionJsonResult } from './reader.ts';

/** What the reader needs from an RPC endpoint (ChainReader has all of it). */
export interface HistoryChain {
  readBatch(addresses: readonly Address[], queries?: readonly ProgramAccountsQuery[]): Promise<BatchReadResult>;
  getSignaturesForAddress(
    address: Address,
    o: { before?: string; until?: string; limit?: number; commitment: 'confirmed' | 'finalized' },
  ): Promise<SignaturesForAddressResult>;
  getTransactionJson(signature: string, o: { commitment: 'finalized' | 'confirmed' }): Promise<TransactionJsonResult>;
  /** Several calls of one method in one HTTP request (ChainReader.batchCall); without it, one request per call. */
  batchCall?(method: string, paramsList: readonly unknown[][]): Promise<readonly ({ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string })[]>;
}

/** One instruction of a transaction, top level or inner, with its accounts resolved. */
export interface HistoryInstruction {
  readonly programId: Address;
  readonly accounts: readonly Address[];
  readonly data: Uint8Array;
  /** Index of the top-level instruction it belongs to. */
  readonly topLevel: number;
  readonly inner: boolean;
}

/** A token balance of the mint as `pre`/`postTokenBalances` list it. */
export interface TokenBalanceAt {
  readonly owner: Address;
  readonly amount: bigint;
}

/** A transaction after S, reduced to what the rebuild needs. */
export interface HistoryTransaction {
  readonly signature: string;
  readonly slot: bigint;
  readonly failed: boolean;
  /** Token accounts of the mint before and after it ran (absent: not a token account of the mint then). */
  readonly pre: ReadonlyMap<Address, TokenBalanceAt>;
  readonly post: ReadonlyMap<Address, TokenBalanceAt>;
  readonly instructions: readonly HistoryInstruction[];
}

/** A token account of the mint at S. */
export interface BalanceAtSlot {
  readonly account: Address;
  readonly owner: Address;
  readonly amount: bigint;
}

/** Progress of a walk, for a terminal. */
export interface HistoryProgress {
  readonly accounts: number;
  readonly accountsWalked: number;
  readonly transactions: number;
  readonly transactionsFetched: number;
  readonly rpcCalls: number;
}

/** Where a walk stands: JSON-serialisable, handed to `onCheckpoint` and taken back by `resume`. */
export interface HistoryCheckpoint {
  readonly version: 1;
  readonly mint: string;
  readonly slot: string;
  readonly readAtSlot: string;
  readonly supplyNow: string;
  readonly tokenProgram: string;
  readonly decimals: number;
  /** Current token accounts: [account, owner, amount]. */
  readonly current: readonly (readonly [string, string, string])[];
  /** Per account: its walk's cursor, whether it is done and reached S, and the signatures after S seen. */
  readonly walks: Readonly<Record<string, { readonly before: string | null; readonly done: boolean; readonly reached: boolean; readonly signatures: readonly (readonly [string, string])[] }>>;
  /** Fetched transactions in a compact form. */
  readonly transactions: Readonly<Record<string, CompactTransaction>>;
}

interface CompactTransaction {
  readonly slot: string;
  readonly failed: boolean;
  readonly pre: readonly (readonly [string, string, string])[];
  readonly post: readonly (readonly [string, string, string])[];
  /** [programId, accounts, base64 data, topLevel, inner] */
  readonly instructions: readonly (readonly [string, readonly string[], string, number, boolean])[];
}

export type HoldersAtSlot =
  | {
      readonly kind: 'known';
      readonly mint: Address;
      readonly tokenProgram: Address;
      readonly decimals: number;
      readonly slot: bigint;
      /** The slot the current state was read at; transactions after it are not undone. */
      readonly readAtSlot: bigint;
      readonly supplyNow: bigint;
      readonly supplyAtSlot: bigint;
      /** Every token account of the mint seen, with its balance and owner at S (zero balances included). */
      readonly balances: readonly BalanceAtSlot[];
      /** Transactions after S up to readAtSlot, each once, newest first. */
      readonly transactions: readonly HistoryTransaction[];
      readonly rpcCalls: number;
      /** HTTP requests made: fewer than calls when the chain answers JSON-RPC batches. */
      readonly httpRequests: number;
    }
  | { readonly kind: 'unknown'; readonly reason: string; readonly difference?: bigint; readonly rpcCalls: number };

export interface HistoryOptions {
  readonly chain: HistoryChain;
  readonly mint: Address;
  /** S: balances are rebuilt as they were at the end of this slot. */
  readonly slot: bigint;
  /** Signatures per page (≤ 1000). */
  readonly pageSize?: number;
  /** Calls per JSON-RPC batch when the chain can batch (one HTTP request each). Default 50; 1 = no batches. */
  readonly batchSize?: number;
  /** Requests in flight at once. Default 4. */
  readonly concurrency?: number;
  /** Requests started per second at most. Default 40; 0 = no limit. */
  readonly requestsPerSecond?: number;
  /** Distinct transactions after S walked at most; more is `unknown` (raise it to walk further). Default 200,000. */
  readonly maxTransactions?: number;
  readonly progress?: (p: HistoryProgress) => void;
  /** Called every `checkpointEvery` RPC calls and before a failure is thrown. */
  readonly onCheckpoint?: (c: HistoryCheckpoint) => void;
  readonly checkpointEvery?: number;
  readonly resume?: HistoryCheckpoint;
}

/** The walk came upon something it cannot explain: the answer is `unknown` with this reason. */
class Unexplained extends Error {
  constructor(message: string, readonly difference?: bigint) {
    super(message);
  }
}

const TOKEN_MINT_TO = 7;
const TOKEN_BURN = 8;
const TOKEN_MINT_TO_CHECKED = 14;
const TOKEN_BURN_CHECKED = 15;
const U64_MAX = 0xffff_ffff_ffff_ffffn;
const base58 = getBase58Encoder();

/** Starts requests no faster than `perSecond` (0 = unlimited). */
class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number) {}
  async take(): Promise<void> {
    if (this.perSecond <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

interface Walk {
  before: string | null;
  done: boolean;
  reached: boolean;
  signatures: [string, bigint][];
}

/** A transaction of the mint's history at or after S that changed its supply. */
export interface SupplyChange {
  readonly signature: string;
  readonly slot: bigint;
  /** Minted (positive) or burned (negative), base units. */
  readonly delta: bigint;
}

/**
 * The supply changes of `mint` in the transactions at slot S and after (MintTo, MintToChecked, Burn,
 * BurnChecked, inner instructions included), from the mint's own history: what loss evidence needs to
 * rebuild a reserve's cToken supply at the loss without walking every holder. Each transaction's
 * token balances must move by exactly what it minted or burned. `unknown` when the history ends
 * after S or is inconsistent; throws ChainUnavailable on RPC failure.
 */
export async function readSupplyChanges(
  o: Omit<HistoryOptions, 'chain' | 'resume' | 'onCheckpoint'> & { chain: Pick<HistoryChain, 'getSignaturesForAddress' | 'getTransactionJson'> },
): Promise<{ kind: 'known'; changes: readonly SupplyChange[]; transactions: number; rpcCalls: number } | { kind: 'unknown'; reason: string; rpcCalls: number }> {
  const walk = new HistoryWalk({ ...o, chain: o.chain as HistoryChain }, { expand: false, includeSlot: true });
  try {
    return { kind: 'known', ...(await walk.supplyChanges()), rpcCalls: walk.rpcCalls };
  } catch (err) {
    if (err instanceof Unexplained) return { kind: 'unknown', reason: err.message, rpcCalls: walk.rpcCalls };
    throw err;
  }
}

/** Rebuilds every balance of `mint` at slot S, or says why it cannot. Throws ChainUnavailable on RPC failure. */
export async function readHoldersAtSlot(o: HistoryOptions): Promise<HoldersAtSlot> {
  const reader = new HistoryWalk(o);
  try {
    return await reader.run();
  } catch (err) {
    if (err instanceof Unexplained) return { kind: 'unknown', reason: err.message, ...(err.difference !== undefined ? { difference: err.difference } : {}), rpcCalls: reader.rpcCalls };
    if (err instanceof ChainUnavailable) o.onCheckpoint?.(reader.checkpoint());
    throw err;
  }
}

class HistoryWalk {
  rpcCalls = 0;
  /** HTTP requests made (a batch is one). */
  httpRequests = 0;
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly maxTransactions: number;
  private readonly limiter: RateLimiter;
  private mint: Address;
  private tokenProgram: Address = TOKEN_PROGRAM_ADDRESS;
  private decimals = 0;
  private readAtSlot = 0n;
  private supplyNow = 0n;
  private readonly current = new Map<Address, TokenBalanceAt>();
  private readonly walks = new Map<Address, Walk>();
  private readonly transactions = new Map<string, HistoryTransaction>();
  private readonly inFlight = new Map<string, Promise<HistoryTransaction | null>>();
  private sinceCheckpoint = 0;
  /** Accounts still to walk, in the order they joined. */
  private readonly queue: Address[] = [];
  private walked = 0;
  private listed = 0;

  constructor(
    private readonly o: HistoryOptions,
    /** expand: accounts named by transactions join the walk; includeSlot: walk through slot S itself (stop below it). */
    private readonly mode: { readonly expand: boolean; readonly includeSlot: boolean } = { expand: true, includeSlot: false },
  ) {
    this.mint = o.mint;
    this.pageSize = Math.max(1, Math.min(o.pageSize ?? 1000, 1000));
    this.concurrency = Math.max(1, o.concurrency ?? 4);
    this.maxTransactions = o.maxTransactions ?? 200_000;
    this.limiter = new RateLimiter(o.requestsPerSecond ?? 40);
  }

  async run(): Promise<HoldersAtSlot> {
    const S = this.o.slot;
    if (this.o.resume) this.restore(this.o.resume);
    else await this.readCurrent();
    if (this.readAtSlot < S) throw new Unexplained(`the RPC's state is at slot ${this.readAtSlot}, before slot ${S}: it is behind; use an up-to-date RPC endpoint`);

    // The mint's own history gives the supply; every current account and every account seen joins.
    this.join(this.mint);
    for (const a of this.current.keys()) this.join(a);
    await this.walkAll();

    const txs = [...this.transactions.values()].filter((t) => t.slot > S && t.slot <= this.readAtSlot);
    const balances = this.rebuild();
    const supplyAtSlot = this.supplyAt(txs);
    const sum = balances.reduce((s, b) => s + b.amount, 0n);
    if (sum !== supplyAtSlot) {
      throw new Unexplained(
        `the rebuilt balances of ${this.mint} at slot ${S} sum to ${sum}, but its supply then was ${supplyAtSlot}: ${supplyAtSlot - sum} base units are unexplained (a history the RPC no longer serves); use an RPC endpoint that keeps the full transaction history`,
        supplyAtSlot - sum,
      );
    }
    txs.sort((a, b) => (a.slot === b.slot ? 0 : a.slot > b.slot ? -1 : 1));
    return {
      kind: 'known',
      mint: this.mint,
      tokenProgram: this.tokenProgram,
      decimals: this.decimals,
      slot: S,
      readAtSlot: this.readAtSlot,
      supplyNow: this.supplyNow,
      supplyAtSlot,
      balances,
      transactions: txs,
      rpcCalls: this.rpcCalls,
      httpRequests: this.httpRequests,
    };
  }

  /** The current accounts of the mint and its supply, read in one batch (one round trip). */
  private async readCurrent(): Promise<void> {
    const bytes = this.mint;
    const queries: ProgramAccountsQuery[] = [
      { program: TOKEN_PROGRAM_ADDRESS, filters: [{ dataSize: 165 }, { memcmp: { offset: 0, bytes } }] },
      { program: TOKEN_2022_PROGRAM_ADDRESS, filters: [{ memcmp: { offset: 0, bytes } }] },
    ];
    // One request of three calls: the mint, and its token accounts under each token program.
    const r = await this.call(() => this.o.chain.readBatch([this.mint], queries), 3);
    const mintRead = r.accounts.get(this.mint);
    if (!mintRead || mintRead.kind === 'unavailable') throw new ChainUnavailable(`mint ${this.mint} could not be read: ${mintRead?.kind === 'unavailable' ? mintRead.error : 'not answered'}`);
    if (mintRead.kind === 'missing') throw new Unexplained(`mint ${this.mint} does not exist`);
    let mint;
    try {
      mint = decodeMint(mintRead.account);
    } catch (err) {
      throw new Unexplained(`${this.mint} is not a token mint: ${(err as Error).message}`);
    }
    this.tokenProgram = mint.programId;
    this.decimals = mint.decimals;
    this.supplyNow = mint.supply;
    if (r.slot === null) throw new ChainUnavailable('the RPC answered without a context slot: the current state cannot be placed');
    this.readAtSlot = r.slot;
    const list = r.programAccounts[mint.programId === TOKEN_PROGRAM_ADDRESS ? 0 : 1]!;
    if (list.kind === 'unavailable') throw new ChainUnavailable(`the token accounts of ${this.mint} could not be listed: ${list.error}`);
    for (const a of list.accounts) {
      let t;
      try {
        t = decodeTokenAccount(a);
      } catch {
        continue; // a Token-2022 mint or multisig whose bytes happen to match: not a holder
      }
      if (t.mint !== this.mint || t.state === 'uninitialized') continue;
      this.current.set(a.address, { owner: t.owner, amount: t.amount });
    }
  }

  /** Walks every account's history (new accounts join as transactions name them), a few at a time. */
  private async walkAll(): Promise<void> {
    const batchCall = this.o.chain.batchCall?.bind(this.o.chain);
    const size = Math.max(1, Math.min(this.o.batchSize ?? 50, 1000));
    if (batchCall && size > 1) return this.walkAllBatched(batchCall, size);
    const running = new Set<Promise<void>>();
    let failure: unknown = null;
    for (;;) {
      while (failure === null && this.queue.length > 0 && running.size < this.concurrency) {
        const a = this.queue.shift()!;
        const p: Promise<void> = this.walkAccount(a)
          .catch((err: unknown) => {
            failure ??= err;
          })
          .finally(() => running.delete(p));
        running.add(p);
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
    if (failure !== null) throw failure;
  }

  /** Adds an account to the walk once. */
  private join(account: Address, walk: Walk = { before: null, done: false, reached: false, signatures: [] }): void {
    if (this.walks.has(account)) return;
    this.walks.set(account, walk);
    // A walk restored as done still fetches what it listed (cheap when the checkpoint has it).
    this.queue.push(account);
  }

  private async walkAccount(account: Address): Promise<void> {
    const walk = this.walks.get(account)!;
    while (!walk.done) {
      const before = walk.before;
      const r = await this.call(() =>
        this.o.chain.getSignaturesForAddress(account, { ...(before !== null ? { before } : {}), limit: this.pageSize, commitment: 'confirmed' }),
      );
      this.applyPage(account, r);
    }
    for (const [signature, slot] of walk.signatures) {
      if (slot > this.readAtSlot) continue; // after the state read: not undone
      await this.transaction(signature, slot);
    }
    this.afterFetch(account);
  }

  /** One page of an account's history: its entries after S kept, the walk done at S or at the end of what the node keeps. */
  private applyPage(account: Address, r: SignaturesForAddressResult): void {
    const S = this.o.slot;
    const walk = this.walks.get(account)!;
    if (r.kind === 'unavailable') throw new ChainUnavailable(`the history of ${account} could not be read: ${r.error}`);
    let last = walk.signatures.at(-1)?.[1];
    for (const e of r.signatures) {
      if (last !== undefined && e.slot > last) throw new Unexplained(`the RPC answered the history of ${account} out of order (slot ${e.slot} after slot ${last})`);
      last = e.slot;
      if (this.mode.includeSlot ? e.slot < S : e.slot <= S) {
        walk.reached = true;
        walk.done = true;
        break;
      }
      walk.signatures.push([e.signature, e.slot]);
      this.listed += 1;
    }
    if (!walk.done && r.signatures.length < this.pageSize) walk.done = true; // the end of what the node keeps
    if (!walk.done) walk.before = r.signatures[r.signatures.length - 1]!.signature;
    this.report();
  }

  /** An account whose transactions are all fetched: every token account they name joins the walk. */
  private afterFetch(account: Address): void {
    const walk = this.walks.get(account)!;
    if (this.mode.expand) {
      for (const [signature, slot] of walk.signatures) {
        if (slot > this.readAtSlot) continue;
        const tx = this.transactions.get(signature)!;
        for (const a of tx.pre.keys()) this.join(a);
        for (const a of tx.post.keys()) this.join(a);
      }
    }
    this.walked += 1;
    this.report();
  }

  /**
   * The walk in JSON-RPC batches: pages of `size` accounts' histories per request, then their new
   * transactions `size` per request, then the accounts those name — so 100,000 holders cost 100,000
   * calls in ~2,000 HTTP requests, still one call per account page and per transaction.
   */
  private async walkAllBatched(batchCall: NonNullable<HistoryChain['batchCall']>, size: number): Promise<void> {
    const listed: Address[] = [];
    while (this.queue.length > 0 || listed.length > 0) {
      // Accounts restored as listed go straight to their transactions.
      const group: Address[] = [];
      while (group.length < size && this.queue.length > 0) {
        const a = this.queue.shift()!;
        if (this.walks.get(a)!.done) listed.push(a);
        else group.push(a);
      }
      if (group.length > 0) {
        const params = group.map((a) => {
          const before = this.walks.get(a)!.before;
          return [a, { commitment: 'confirmed', limit: this.pageSize, ...(before !== null ? { before } : {}) }];
        });
        const answers = await this.call(() => batchCall('getSignaturesForAddress', params), group.length);
        group.forEach((a, i) => {
          this.applyPage(a, signaturesAnswer(answers[i]));
          (this.walks.get(a)!.done ? listed : this.queue).push(a);
        });
        continue;
      }
      const accounts = listed.splice(0);
      const wanted = new Map<string, bigint>();
      for (const a of accounts) {
        for (const [signature, slot] of this.walks.get(a)!.signatures) {
          if (slot <= this.readAtSlot && !this.transactions.has(signature)) wanted.set(signature, slot);
        }
      }
      if (this.transactions.size + wanted.size > this.maxTransactions) {
        throw new Unexplained(`more than ${this.maxTransactions} transactions touched ${this.mint}'s accounts since slot ${this.o.slot}: raise the limit (--max-transactions) to walk further`);
      }
      const todo = [...wanted];
      for (let i = 0; i < todo.length; i += size) {
        const chunk = todo.slice(i, i + size);
        const answers = await this.call(
          () => batchCall('getTransaction', chunk.map(([sig]) => [sig, { encoding: 'json', commitment: 'confirmed', maxSupportedTransactionVersion: 0 }])),
          chunk.length,
        );
        chunk.forEach(([signature, slot], j) => this.keepTransaction(signature, slot, transactionAnswer(answers[j])));
        this.report();
      }
      for (const a of accounts) this.afterFetch(a);
    }
  }

  /** One transaction, fetched once however many accounts name it. */
  private transaction(signature: string, slot: bigint): Promise<HistoryTransaction | null> {
    const have = this.transactions.get(signature);
    if (have) return Promise.resolve(have);
    let p = this.inFlight.get(signature);
    if (!p) {
      if (this.transactions.size + this.inFlight.size >= this.maxTransactions) {
        throw new Unexplained(`more than ${this.maxTransactions} transactions touched ${this.mint}'s accounts since slot ${this.o.slot}: raise the limit (--max-transactions) to walk further`);
      }
      p = this.fetchTransaction(signature, slot);
      this.inFlight.set(signature, p);
    }
    return p;
  }

  private async fetchTransaction(signature: string, slot: bigint): Promise<HistoryTransaction> {
    const r = await this.call(() => this.o.chain.getTransactionJson(signature, { commitment: 'confirmed' }));
    const tx = this.keepTransaction(signature, slot, r);
    this.inFlight.delete(signature);
    this.report();
    return tx;
  }

  /** Checks and keeps one `getTransaction` answer. */
  private keepTransaction(signature: string, slot: bigint, r: TransactionJsonResult): HistoryTransaction {
    if (r.kind === 'unavailable') throw new ChainUnavailable(`transaction ${signature} could not be read: ${r.error}`);
    if (r.kind === 'missing') throw new Unexplained(`transaction ${signature} (slot ${slot}) is listed in the history but the RPC does not serve it: the history is incomplete`);
    const tx = parseTransaction(signature, r.result, this.mint);
    if (tx.slot !== slot) throw new Unexplained(`transaction ${signature} is at slot ${tx.slot}, the history says ${slot}: the RPC's answers disagree`);
    this.transactions.set(signature, tx);
    return tx;
  }

  /** Each account's balance at S: its current one, undone through its transactions newest to oldest. */
  private rebuild(): BalanceAtSlot[] {
    const S = this.o.slot;
    const out: BalanceAtSlot[] = [];
    for (const [account, walk] of this.walks) {
      if (account === this.mint) continue;
      const now = this.current.get(account);
      const txs = walk.signatures.filter(([, slot]) => slot <= this.readAtSlot).map(([sig]) => this.transactions.get(sig)!);
      let balance: TokenBalanceAt | undefined = now;
      let newer = 'the current state';
      for (const tx of txs) {
        // A failed transaction changes no balance; its pre and post still list the account.
        const after = tx.post.get(account);
        const afterAmount = after?.amount ?? 0n;
        if (afterAmount !== (balance?.amount ?? 0n)) {
          throw new Unexplained(
            `token account ${account} held ${afterAmount} after transaction ${tx.signature} (slot ${tx.slot}) but ${balance?.amount ?? 0n} before ${newer}: a transaction in between is missing from the history`,
          );
        }
        balance = tx.pre.get(account);
        newer = `transaction ${tx.signature}`;
      }
      // An account that held nothing before the oldest transaction the node keeps is left to the supply invariant.
      if (!walk.reached && txs.length > 0 && balance !== undefined && balance.amount > 0n) {
        const oldest = txs[txs.length - 1]!;
        throw new Unexplained(`the history of token account ${account} ends at slot ${oldest.slot}, after slot ${S}, while the account already existed then: use an RPC endpoint that keeps the full transaction history`);
      }
      out.push({ account, owner: balance?.owner ?? now?.owner ?? account, amount: balance?.amount ?? 0n });
    }
    return out;
  }

  /** The mint's own walk, from now back through slot S: each supply change, checked against the balances it moved. */
  async supplyChanges(): Promise<{ changes: SupplyChange[]; transactions: number }> {
    this.readAtSlot = 2n ** 64n; // the caller places the changes against its own read of the supply
    this.join(this.mint);
    await this.walkAll();
    const walk = this.walks.get(this.mint)!;
    if (!walk.reached && walk.signatures.length > 0) {
      const oldest = walk.signatures[walk.signatures.length - 1]!;
      throw new Unexplained(`the history of mint ${this.mint} ends at slot ${oldest[1]}, not before slot ${this.o.slot}: its supply then cannot be rebuilt`);
    }
    const changes: SupplyChange[] = [];
    for (const [signature] of walk.signatures) {
      const tx = this.transactions.get(signature)!;
      const delta = supplyDelta(tx, this.mint, null);
      if (!tx.failed) {
        let moved = 0n;
        for (const a of new Set([...tx.pre.keys(), ...tx.post.keys()])) moved += (tx.post.get(a)?.amount ?? 0n) - (tx.pre.get(a)?.amount ?? 0n);
        if (moved !== delta) throw new Unexplained(`transaction ${signature} mints/burns ${delta} of ${this.mint} but its token balances move by ${moved}`, delta - moved);
      }
      if (delta !== 0n) changes.push({ signature, slot: tx.slot, delta });
    }
    return { changes, transactions: walk.signatures.length };
  }

  /** The supply at S: the current supply less what MintTo added and plus what Burn removed after S. */
  private supplyAt(txs: readonly HistoryTransaction[]): bigint {
    const walk = this.walks.get(this.mint)!;
    const mintTxs = new Set(walk.signatures.filter(([, s]) => s <= this.readAtSlot).map(([sig]) => sig));
    if (!walk.reached && mintTxs.size > 0) {
      throw new Unexplained(`the history of mint ${this.mint} ends after slot ${this.o.slot}: its supply then cannot be rebuilt; use an RPC endpoint that keeps the full transaction history`);
    }
    let supply = this.supplyNow;
    for (const tx of txs) {
      const delta = supplyDelta(tx, this.mint, this.tokenProgram);
      if (delta !== 0n && !mintTxs.has(tx.signature)) {
        throw new Unexplained(`transaction ${tx.signature} changes the supply of ${this.mint} by ${delta} but is not in the mint's history: the history is incomplete`);
      }
      // The balances it lists must move by exactly what it minted or burned.
      if (!tx.failed) {
        let moved = 0n;
        for (const a of new Set([...tx.pre.keys(), ...tx.post.keys()])) moved += (tx.post.get(a)?.amount ?? 0n) - (tx.pre.get(a)?.amount ?? 0n);
        if (moved !== delta) throw new Unexplained(`transaction ${tx.signature} mints/burns ${delta} of ${this.mint} but its token balances move by ${moved}`, delta - moved);
      }
      supply -= delta;
    }
    if (supply < 0n) throw new Unexplained(`the supply of ${this.mint} at slot ${this.o.slot} computes to ${supply}`);
    return supply;
  }

  /** One request (of `calls` calls when batched), under the rate limit, counted. */
  private async call<T>(op: () => Promise<T>, calls = 1): Promise<T> {
    await this.limiter.take();
    this.rpcCalls += calls;
    this.httpRequests += 1;
    const v = await op();
    this.sinceCheckpoint += calls;
    if (this.o.onCheckpoint && this.sinceCheckpoint >= (this.o.checkpointEvery ?? 500)) {
      this.sinceCheckpoint = 0;
      this.o.onCheckpoint(this.checkpoint());
    }
    return v;
  }

  private report(): void {
    if (!this.o.progress) return;
    this.o.progress({
      accounts: this.walks.size,
      accountsWalked: this.walked,
      transactions: this.listed,
      transactionsFetched: this.transactions.size,
      rpcCalls: this.rpcCalls,
    });
  }

  checkpoint(): HistoryCheckpoint {
    const walks: Record<string, HistoryCheckpoint['walks'][string]> = {};
    for (const [a, w] of this.walks) walks[a] = { before: w.before, done: w.done, reached: w.reached, signatures: w.signatures.map(([s, slot]) => [s, slot.toString()] as const) };
    const transactions: Record<string, CompactTransaction> = {};
    const balances = (m: ReadonlyMap<Address, TokenBalanceAt>) => [...m].map(([a, b]) => [a, b.owner, b.amount.toString()] as const);
    for (const [sig, t] of this.transactions) {
      transactions[sig] = {
        slot: t.slot.toString(),
        failed: t.failed,
        pre: balances(t.pre),
        post: balances(t.post),
        instructions: t.instructions.map((i) => [i.programId, [...i.accounts], Buffer.from(i.data).toString('base64'), i.topLevel, i.inner] as const),
      };
    }
    return {
      version: 1,
      mint: this.mint,
      slot: this.o.slot.toString(),
      readAtSlot: this.readAtSlot.toString(),
      supplyNow: this.supplyNow.toString(),
      tokenProgram: this.tokenProgram,
      decimals: this.decimals,
      current: balances(this.current),
      walks,
      transactions,
    };
  }

  private restore(c: HistoryCheckpoint): void {
    if (c.version !== 1 || c.mint !== this.mint || c.slot !== this.o.slot.toString()) {
      throw new Unexplained(`the checkpoint is for mint ${c.mint} at slot ${c.slot}, not ${this.mint} at slot ${this.o.slot}: start without it`);
    }
    const addr = (s: string): Address => {
      if (!isAddress(s)) throw new Unexplained(`the checkpoint names ${JSON.stringify(s)}, not an address: start without it`);
      return s;
    };
    this.readAtSlot = BigInt(c.readAtSlot);
    this.supplyNow = BigInt(c.supplyNow);
    this.tokenProgram = addr(c.tokenProgram);
    this.decimals = c.decimals;
    for (const [a, owner, amount] of c.current) this.current.set(addr(a), { owner: addr(owner), amount: BigInt(amount) });
    // A walk cut short restarts at its cursor; what it had seen stays.
    for (const [a, w] of Object.entries(c.walks)) {
      this.join(addr(a), { before: w.before, done: w.done, reached: w.reached, signatures: w.signatures.map(([s, slot]) => [s, BigInt(slot)]) });
      this.listed += w.signatures.length;
    }
    const balances = (list: CompactTransaction['pre']) => new Map(list.map(([a, owner, amount]) => [addr(a), { owner: addr(owner), amount: BigInt(amount) }] as const));
    for (const [sig, t] of Object.entries(c.transactions)) {
      this.transactions.set(sig, {
        signature: sig,
        slot: BigInt(t.slot),
        failed: t.failed,
        pre: balances(t.pre),
        post: balances(t.post),
        instructions: t.instructions.map(([p, accounts, data, topLevel, inner]) => ({ programId: addr(p), accounts: accounts.map(addr), data: new Uint8Array(Buffer.from(data, 'base64')), topLevel, inner })),
      });
    }
  }
}

/** What one transaction minted (positive) or burned (negative) of `mint`, inner instructions included (`tokenProgram` null: either token program). */
export function supplyDelta(tx: HistoryTransaction, mint: Address, tokenProgram: Address | null): bigint {
  if (tx.failed) return 0n;
  let delta = 0n;
  for (const ix of tx.instructions) {
    const token = tokenProgram === null ? ix.programId === TOKEN_PROGRAM_ADDRESS || ix.programId === TOKEN_2022_PROGRAM_ADDRESS : ix.programId === tokenProgram;
    if (!token || ix.data.length < 9) continue;
    const tag = ix.data[0];
    const amount = new DataView(ix.data.buffer, ix.data.byteOffset, ix.data.byteLength).getBigUint64(1, true);
    if ((tag === TOKEN_MINT_TO || tag === TOKEN_MINT_TO_CHECKED) && ix.accounts[0] === mint) delta += amount;
    if ((tag === TOKEN_BURN || tag === TOKEN_BURN_CHECKED) && ix.accounts[1] === mint) delta -= amount;
  }
  return delta;
}

/** Reduces a `getTransaction` JSON result (encoding json) to the mint's balances and the decoded instructions. */
export function parseTransaction(signature: string, result: Record<string, unknown>, mint: Address): HistoryTransaction {
  const r = result as {
    slot?: unknown;
    transaction?: { message?: { accountKeys?: unknown; instructions?: unknown } };
    meta?: { err?: unknown; loadedAddresses?: { writable?: unknown; readonly?: unknown } | null; preTokenBalances?: unknown; postTokenBalances?: unknown; innerInstructions?: unknown } | null;
  };
  const bad = (why: string) => new Unexplained(`transaction ${signature} is malformed: ${why}`);
  if (typeof r.slot !== 'number' || !Number.isSafeInteger(r.slot)) throw bad('no slot');
  if (!r.meta) throw bad('no meta (the node keeps no status for it)');
  const loaded = r.meta.loadedAddresses;
  const keys: Address[] = [];
  for (const k of [r.transaction?.message?.accountKeys, loaded?.writable, loaded?.readonly].flatMap((l) => (Array.isArray(l) ? (l as unknown[]) : []))) {
    const key = typeof k === 'string' ? k : (k as { pubkey?: unknown } | null)?.pubkey;
    if (typeof key !== 'string' || !isAddress(key)) throw bad('an account key is not an address');
    keys.push(key);
  }
  const balances = (list: unknown, which: string): Map<Address, TokenBalanceAt> => {
    const out = new Map<Address, TokenBalanceAt>();
    if (!Array.isArray(list)) throw bad(`no ${which}`);
    for (const b of list as { accountIndex?: unknown; mint?: unknown; owner?: unknown; uiTokenAmount?: { amount?: unknown } }[]) {
      if (b?.mint !== mint) continue;
      const key = typeof b.accountIndex === 'number' ? keys[b.accountIndex] : undefined;
      const amount = b.uiTokenAmount?.amount;
      if (key === undefined) throw bad(`${which} name account index ${String(b.accountIndex)}`);
      if (typeof amount !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(amount) || BigInt(amount) > U64_MAX) throw bad(`${which} list an unreadable amount for ${key}`);
      // Old transactions' balances may lack the owner; the account's own key stands in, and the rebuild asks for it only at S.
      const owner = typeof b.owner === 'string' && isAddress(b.owner) ? b.owner : key;
      out.set(key, { owner, amount: BigInt(amount) });
    }
    return out;
  };
  const pre = balances(r.meta.preTokenBalances, 'preTokenBalances');
  const post = balances(r.meta.postTokenBalances, 'postTokenBalances');
  const instructions: HistoryInstruction[] = [];
  const decode = (ix: unknown, topLevel: number, inner: boolean): HistoryInstruction => {
    const i = ix as { programIdIndex?: unknown; accounts?: unknown; data?: unknown };
    const programId = typeof i.programIdIndex === 'number' ? keys[i.programIdIndex] : undefined;
    if (programId === undefined || !Array.isArray(i.accounts) || typeof i.data !== 'string') throw bad('an instruction does not resolve');
    const accounts = (i.accounts as unknown[]).map((n) => (typeof n === 'number' ? keys[n] : undefined));
    if (accounts.some((a) => a === undefined)) throw bad('an instruction names an account index out of range');
    let data: Uint8Array;
    try {
      data = new Uint8Array(base58.encode(i.data));
    } catch {
      throw bad('instruction data is not base58');
    }
    return { programId, accounts: accounts as Address[], data, topLevel, inner };
  };
  const top = r.transaction?.message?.instructions;
  if (!Array.isArray(top)) throw bad('no instructions');
  const innerByIndex = new Map<number, unknown[]>();
  for (const g of Array.isArray(r.meta.innerInstructions) ? (r.meta.innerInstructions as { index?: unknown; instructions?: unknown }[]) : []) {
    if (typeof g?.index === 'number' && Array.isArray(g.instructions)) innerByIndex.set(g.index, g.instructions);
  }
  top.forEach((ix, i) => {
    instructions.push(decode(ix, i, false));
    for (const inner of innerByIndex.get(i) ?? []) instructions.push(decode(inner, i, true));
  });
  return { signature, slot: BigInt(r.slot), failed: r.meta.err !== null && r.meta.err !== undefined, pre, post, instructions };
}

/** One batched `getSignaturesForAddress` answer, checked as ChainReader checks a single one. */
function signaturesAnswer(a: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string } | undefined): SignaturesForAddressResult {
  if (!a) return { kind: 'unavailable', error: 'the batch answered fewer results than asked' };
  if (!a.ok) return { kind: 'unavailable', error: a.error };
  if (!Array.isArray(a.value)) return { kind: 'unavailable', error: 'getSignaturesForAddress answered a non-array result' };
  const signatures = [];
  for (const e of a.value as { signature?: unknown; slot?: unknown; err?: unknown; blockTime?: unknown }[]) {
    if (typeof e?.signature !== 'string' || typeof e.slot !== 'number' || !Number.isSafeInteger(e.slot) || e.slot < 0) {
      return { kind: 'unavailable', error: 'getSignaturesForAddress answered an entry without a signature and slot' };
    }
    signatures.push({ signature: e.signature, slot: BigInt(e.slot), err: e.err ?? null, blockTime: typeof e.blockTime === 'number' ? e.blockTime : null });
  }
  return { kind: 'found', signatures };
}

/** One batched `getTransaction` answer, as ChainReader.getTransactionJson answers a single one. */
function transactionAnswer(a: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string } | undefined): TransactionJsonResult {
  if (!a) return { kind: 'unavailable', error: 'the batch answered fewer results than asked' };
  if (!a.ok) return { kind: 'unavailable', error: a.error };
  if (a.value === null || a.value === undefined) return { kind: 'missing' };
  if (typeof a.value !== 'object') return { kind: 'unavailable', error: 'getTransaction answered a non-object result' };
  return { kind: 'found', result: a.value as Record<string, unknown> };
}
