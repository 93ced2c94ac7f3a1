/**
 * The production chain reader: every chain read and send backstop makes goes through here, over a
 * web3.js v1 `Connection`. Reads never throw for read failures (they answer `unavailable`); the
 * thin wrappers used for co-signing throw `ChainUnavailable` after bounded retries.
 */
import { Connection, PublicKey, type Commitment, type SignatureStatus } from '@solana/web3.js';
import { address, isAddress, type Address } from '@solana/kit';
import { ChainUnavailable, RpcRejected } from './errors.ts';
import type { AccountData, AccountResult, AccountSource } from './types.ts';

/** Largest batch `getMultipleAccounts` accepts on public RPC nodes. */
export const MAX_ACCOUNTS_PER_REQUEST = 100;

/** Named arguments of `ChainReader`. */
export interface ChainReaderOptions {
  readonly rpcUrl: string;
  readonly commitment?: 'processed' | 'confirmed' | 'finalized';
  /** Per HTTP request, including reading the body. */
  readonly timeoutMs?: number;
  /** Extra attempts after the first, for transient failures only. */
  readonly retries?: number;
  /** First retry delay; doubles each retry. */
  readonly backoffMs?: number;
}

/** The answer to `getTransactionJson`: the raw getTransaction result, or why there is none. */
export type TransactionJsonResult =
  | { readonly kind: 'found'; readonly result: Record<string, unknown> }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unavailable'; readonly error: string };

/** One `getSignaturesForAddress` entry: a transaction that mentions the address (newest first). */
export interface SignatureInfo {
  readonly signature: string;
  readonly slot: bigint;
  /** The transaction's error (`null` = succeeded); a failed transaction still lands and is listed. */
  readonly err: unknown;
  readonly blockTime: number | null;
}

/** The answer to `getSignaturesForAddress`: one page of history, or why there is none. */
export type SignaturesForAddressResult =
  | { readonly kind: 'found'; readonly signatures: readonly SignatureInfo[] }
  | { readonly kind: 'unavailable'; readonly error: string };

/** Largest page `getSignaturesForAddress` answers. */
export const MAX_SIGNATURES_PER_REQUEST = 1000;

/** The answer to `simulateTransaction`: the error (null = it ran), logs, and the accounts asked for as they would be after. */
export interface SimulationResult {
  readonly err: unknown;
  readonly logs: readonly string[];
  /** Per requested address, in order: the account after the simulation, or null when it would not exist. */
  readonly accounts: readonly (AccountData | null)[] | null;
  readonly unitsConsumed: number | null;
}

/** One `getProgramAccounts` query: the accounts of `program` matching every filter (`bytes` base58). */
export interface ProgramAccountsQuery {
  readonly program: Address;
  readonly filters: readonly ({ readonly dataSize: number } | { readonly memcmp: { readonly offset: number; readonly bytes: string } })[];
}

/** The answer to one {@link ProgramAccountsQuery}. */
export type ProgramAccountsResult = { readonly kind: 'found'; readonly accounts: readonly AccountData[] } | { readonly kind: 'unavailable'; readonly error: string };

/** What {@link ChainReader.readBatch} answers: the accounts, each query's accounts, and the slot the node read them at. */
export interface BatchReadResult {
  readonly slot: bigint | null;
  readonly accounts: ReadonlyMap<Address, AccountResult>;
  readonly programAccounts: readonly ProgramAccountsResult[];
}

/** The network answered with an HTTP error status (thrown from the fetch wrapper). */
class HttpStatusError extends Error {
  constructor(readonly status: number, statusText: string) {
    super(`HTTP ${status} ${statusText}`.trim());
  }
}

/** The request took longer than `timeoutMs`. */
class RequestTimeout extends Error {
  constructor(ms: number) {
    super(`timeout after ${ms} ms`);
  }
}

// JSON-RPC codes that are answers, not outages: retrying them cannot help.
const PERMANENT_RPC_CODES = new Set([
  -32700, // parse error
  -32600, // invalid request
  -32601, // method not found
  -32602, // invalid params
  -32002, // transaction simulation (preflight) failed
  -32003, // transaction signature verification failure
  -32013, // transaction signature length mismatch
  -32015, // transaction version not supported
]);

/** Reads accounts and transactions, and sends transactions, through one RPC endpoint. */
export class ChainReader implements AccountSource {
  /** HTTP requests made (each attempt, each batch). */
  roundTrips = 0;
  /** Failed attempts of any kind (HTTP status, timeout, network, JSON-RPC error). */
  rpcErrors = 0;

  private readonly connection: Connection;
  private readonly commitment: Commitment;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly fullUrls: string[];
  private readonly secretParts: string[];
  private readonly origin: string;

  constructor({
    rpcUrl,
    commitment = 'confirmed',
    timeoutMs = 10_000,
    retries = 2,
    backoffMs = 200,
  }: ChainReaderOptions) {
    const url = new URL(rpcUrl);
    this.origin = url.origin;
    // Path, query and credentials may carry an API key: never let them into an error message.
    this.fullUrls = [rpcUrl, url.href].sort((a, b) => b.length - a.length);
    this.secretParts = [`${url.pathname}${url.search}`, url.search, url.username, url.password]
      .filter((s) => s.length > 1)
      .sort((a, b) => b.length - a.length);
    this.commitment = commitment;
    this.timeoutMs = timeoutMs;
    this.retries = retries;
    this.backoffMs = backoffMs;
    this.connection = new Connection(rpcUrl, {
      commitment,
      // Our own retry loop decides about 429s, so round trips stay countable and bounded.
      disableRetryOnRateLimit: true,
      fetch: (input, init) => this.fetchOnce(input, init),
    });
  }

  /** The endpoint's origin (scheme, host, port), safe to log. */
  get endpoint(): string {
    return this.origin;
  }

  /**
   * Reads every address (deduplicated) in batches of 100, one round trip per batch. Each address
   * answers `found`, `missing` (the node says it does not exist) or `unavailable` (every address of
   * a batch whose retries ran out). Never throws.
   */
  async getAccounts(addresses: readonly Address[]): Promise<ReadonlyMap<Address, AccountResult>> {
    const unique = [...new Set(addresses)];
    const out = new Map<Address, AccountResult>();
    const batches: Address[][] = [];
    for (let i = 0; i < unique.length; i += MAX_ACCOUNTS_PER_REQUEST) {
      batches.push(unique.slice(i, i + MAX_ACCOUNTS_PER_REQUEST));
    }
    await Promise.all(
      batches.map(async (batch) => {
        let keys: PublicKey[];
        try {
          keys = batch.map((a) => new PublicKey(a));
        } catch (err) {
          for (const a of batch) out.set(a, { kind: 'unavailable', error: `invalid address: ${this.describe(err)}` });
          return;
        }
        const r = await this.attempt('getMultipleAccounts', () =>
          this.connection.getMultipleAccountsInfo(keys, { commitment: this.commitment }),
        );
        if (!r.ok) {
          for (const a of batch) out.set(a, { kind: 'unavailable', error: r.error });
          return;
        }
        batch.forEach((a, i) => {
          const info = r.value[i];
          if (info === undefined) {
            out.set(a, { kind: 'unavailable', error: 'the node answered fewer accounts than asked' });
          } else if (info === null) {
            out.set(a, { kind: 'missing' });
          } else {
            out.set(a, {
              kind: 'found',
              account: {
                address: a,
                owner: address(info.owner.toBase58()),
                // web3.js v1 parses lamports as a JSON number: exact up to 2^53 lamports (9e6 SOL).
                lamports: BigInt(info.lamports),
                data: new Uint8Array(info.data),
                executable: info.executable,
              },
            });
          }
        });
      }),
    );
    return out;
  }

  /**
   * The raw `getTransaction` JSON-RPC result (encoding json, maxSupportedTransactionVersion 0), as
   * loss events store it. Never throws.
   */
  async getTransactionJson(
    signature: string,
    { commitment }: { commitment: 'finalized' | 'confirmed' },
  ): Promise<TransactionJsonResult> {
    const r = await this.attempt('getTransaction', () =>
      this.raw('getTransaction', [signature, { encoding: 'json', commitment, maxSupportedTransactionVersion: 0 }]),
    );
    if (!r.ok) return { kind: 'unavailable', error: r.error };
    if (r.value === null || r.value === undefined) return { kind: 'missing' };
    if (typeof r.value !== 'object') return { kind: 'unavailable', error: 'getTransaction answered a non-object result' };
    return { kind: 'found', result: r.value as Record<string, unknown> };
  }

  /**
   * One page of the transactions that mention `addr`, newest first: those older than `before`, back
   * to (not including) `until`, at most `limit` (≤ 1000). Never throws; a malformed answer is `unavailable`.
   */
  async getSignaturesForAddress(
    addr: Address,
    o: { before?: string; until?: string; limit?: number; commitment: 'confirmed' | 'finalized' },
  ): Promise<SignaturesForAddressResult> {
    const config: Record<string, unknown> = { commitment: o.commitment, limit: o.limit ?? MAX_SIGNATURES_PER_REQUEST };
    if (o.before !== undefined) config['before'] = o.before;
    if (o.until !== undefined) config['until'] = o.until;
    const r = await this.attempt('getSignaturesForAddress', () => this.raw('getSignaturesForAddress', [addr, config]));
    if (!r.ok) return { kind: 'unavailable', error: r.error };
    if (!Array.isArray(r.value)) return { kind: 'unavailable', error: 'getSignaturesForAddress answered a non-array result' };
    const signatures: SignatureInfo[] = [];
    for (const e of r.value as unknown[]) {
      const entry = e as { signature?: unknown; slot?: unknown; err?: unknown; blockTime?: unknown } | null;
      if (typeof entry?.signature !== 'string' || typeof entry.slot !== 'number' || !Number.isSafeInteger(entry.slot) || entry.slot < 0) {
        return { kind: 'unavailable', error: 'getSignaturesForAddress answered an entry without a signature and slot' };
      }
      signatures.push({
        signature: entry.signature,
        slot: BigInt(entry.slot),
        err: entry.err ?? null,
        blockTime: typeof entry.blockTime === 'number' ? entry.blockTime : null,
      });
    }
    return { kind: 'found', signatures };
  }

  /**
   * Reads `addresses` (a getMultipleAccounts per 100) and runs every `getProgramAccounts` query in
   * ONE HTTP request (a JSON-RPC batch), so a watcher of many vaults costs one round trip. Never
   * throws: a failed request makes everything `unavailable`, a failed call only its own part.
   */
  async readBatch(addresses: readonly Address[], queries: readonly ProgramAccountsQuery[] = []): Promise<BatchReadResult> {
    const unique = [...new Set(addresses)];
    const chunks: Address[][] = [];
    for (let i = 0; i < unique.length; i += MAX_ACCOUNTS_PER_REQUEST) chunks.push(unique.slice(i, i + MAX_ACCOUNTS_PER_REQUEST));
    const config = { encoding: 'base64', commitment: this.commitment };
    const calls = [
      ...chunks.map((chunk) => ({ methodName: 'getMultipleAccounts', args: [chunk, config] })),
      ...queries.map((q) => ({ methodName: 'getProgramAccounts', args: [q.program, { ...config, withContext: true, filters: q.filters }] })),
    ];
    const down = (error: string): BatchReadResult => ({
      slot: null,
      accounts: new Map(unique.map((a) => [a, { kind: 'unavailable', error }] as const)),
      programAccounts: queries.map(() => ({ kind: 'unavailable', error })),
    });
    if (calls.length === 0) return down('nothing asked');
    const batch = (this.connection as unknown as { _rpcBatchRequest(r: { methodName: string; args: unknown[] }[]): Promise<unknown[]> })._rpcBatchRequest;
    const r = await this.attempt('batch', () => batch(calls));
    if (!r.ok) return down(r.error);
    if (!Array.isArray(r.value) || r.value.length !== calls.length) return down(`the node answered ${Array.isArray(r.value) ? r.value.length : 'no'} results for ${calls.length} calls`);
    const answers = r.value as { result?: { context?: { slot?: unknown }; value?: unknown }; error?: { message?: unknown } }[];
    const failed = (a: (typeof answers)[number] | undefined) => (a?.error ? `${String(a.error.message ?? 'JSON-RPC error')}` : typeof a?.result !== 'object' || a.result === null ? 'no result' : null);
    let slot: bigint | null = null;
    const accounts = new Map<Address, AccountResult>();
    chunks.forEach((chunk, c) => {
      const a = answers[c];
      const why = failed(a) ?? (Array.isArray(a?.result?.value) && a.result.value.length === chunk.length ? null : 'the node answered a different number of accounts');
      const s = a?.result?.context?.slot;
      // The oldest slot of the answers: everything was read at or after it.
      if (typeof s === 'number' && Number.isSafeInteger(s) && (slot === null || BigInt(s) < slot)) slot = BigInt(s);
      chunk.forEach((addr, i) => {
        if (why !== null) return accounts.set(addr, { kind: 'unavailable', error: `getMultipleAccounts: ${why}` });
        const json = (a!.result!.value as unknown[])[i];
        if (json === null) return accounts.set(addr, { kind: 'missing' });
        const account = rpcAccount(addr, json);
        accounts.set(addr, account ? { kind: 'found', account } : { kind: 'unavailable', error: `getMultipleAccounts answered a malformed account for ${addr}` });
      });
    });
    const programAccounts = queries.map((q, i): ProgramAccountsResult => {
      const a = answers[i + chunks.length];
      const why = failed(a) ?? (Array.isArray(a?.result?.value) ? null : 'no list of accounts');
      if (why !== null) return { kind: 'unavailable', error: `getProgramAccounts ${q.program}: ${why}` };
      const list: AccountData[] = [];
      for (const e of a!.result!.value as { pubkey?: unknown; account?: unknown }[]) {
        const account = typeof e?.pubkey === 'string' && isAddress(e.pubkey) ? rpcAccount(e.pubkey, e.account) : null;
        if (!account) return { kind: 'unavailable', error: `getProgramAccounts ${q.program} answered a malformed account` };
        list.push(account);
      }
      if (slot === null && typeof a?.result?.context?.slot === 'number') slot = BigInt(a.result.context.slot);
      return { kind: 'found', accounts: list };
    });
    return { slot, accounts, programAccounts };
  }

  /**
   * Several calls of one JSON-RPC method in ONE HTTP request (a JSON-RPC batch; the history reader's
   * pages and transactions). Each call answers its raw `result` or why not. Never throws.
   */
  async batchCall(method: string, paramsList: readonly unknown[][]): Promise<({ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string })[]> {
    if (paramsList.length === 0) return [];
    const batch = (this.connection as unknown as { _rpcBatchRequest(r: { methodName: string; args: unknown[] }[]): Promise<unknown[]> })._rpcBatchRequest;
    const r = await this.attempt(`${method} batch`, () => batch(paramsList.map((args) => ({ methodName: method, args: [...args] }))));
    if (!r.ok) return paramsList.map(() => ({ ok: false, error: r.error }));
    if (!Array.isArray(r.value) || r.value.length !== paramsList.length) {
      return paramsList.map(() => ({ ok: false, error: `the node answered ${Array.isArray(r.value) ? r.value.length : 'no'} results for ${paramsList.length} ${method} calls` }));
    }
    return (r.value as { result?: unknown; error?: { message?: unknown } }[]).map((a) =>
      a?.error ? { ok: false, error: `${method}: ${String(a.error.message ?? 'JSON-RPC error')}` } : { ok: true, value: a?.result ?? null },
    );
  }

  /** The latest blockhash and the last block height at which a transaction using it can land. */
  async getLatestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: number }> {
    return this.must('getLatestBlockhash', () => this.connection.getLatestBlockhash(this.commitment));
  }

  /**
   * Sends signed transaction bytes once (skipPreflight, maxRetries 0: backstop resends itself) and
   * returns the signature the node reports. A refusal throws `RpcRejected`; silence, `ChainUnavailable`.
   */
  async sendRawTransaction(bytes: Uint8Array): Promise<string> {
    const encoded = Buffer.from(bytes).toString('base64');
    const sig = await this.must('sendTransaction', () =>
      this.raw('sendTransaction', [
        encoded,
        { encoding: 'base64', skipPreflight: true, maxRetries: 0, preflightCommitment: this.commitment },
      ]),
    );
    if (typeof sig !== 'string') throw new ChainUnavailable('sendTransaction answered a non-string signature');
    return sig;
  }

  /**
   * Simulates transaction bytes without signature verification (backstop simulates unsigned messages
   * only) at the reader's commitment, and returns the `accounts` as they would be after it. A refusal
   * throws `RpcRejected`; silence or a malformed answer, `ChainUnavailable`.
   */
  async simulateTransaction(bytes: Uint8Array, o: { accounts: readonly Address[] }): Promise<SimulationResult> {
    const config = {
      encoding: 'base64',
      sigVerify: false,
      replaceRecentBlockhash: false,
      commitment: this.commitment,
      accounts: { encoding: 'base64', addresses: [...o.accounts] },
    };
    const answer = await this.must('simulateTransaction', () => this.raw('simulateTransaction', [Buffer.from(bytes).toString('base64'), config]));
    const value = (answer as { value?: unknown } | null)?.value as { err?: unknown; logs?: unknown; accounts?: unknown; unitsConsumed?: unknown } | undefined;
    if (typeof value !== 'object' || value === null) throw new ChainUnavailable('simulateTransaction answered no value');
    const logs = Array.isArray(value.logs) ? value.logs.filter((l): l is string => typeof l === 'string') : [];
    let accounts: (AccountData | null)[] | null = null;
    if (Array.isArray(value.accounts)) {
      accounts = value.accounts.map((a, i) => (a === null ? null : simulatedAccount(o.accounts[i], a)));
      if (accounts.length !== o.accounts.length) throw new ChainUnavailable(`simulateTransaction answered ${accounts.length} accounts for ${o.accounts.length} asked`);
    }
    return { err: value.err ?? null, logs, accounts, unitsConsumed: typeof value.unitsConsumed === 'number' ? value.unitsConsumed : null };
  }

  /** Status of each signature (`null` = the node does not know it), searching history too. */
  async getSignatureStatuses(signatures: readonly string[]): Promise<(SignatureStatus | null)[]> {
    const r = await this.must('getSignatureStatuses', () =>
      this.connection.getSignatureStatuses([...signatures], { searchTransactionHistory: true }),
    );
    return r.value;
  }

  /** Current block height at the reader's commitment. */
  async getBlockHeight(): Promise<number> {
    return this.must('getBlockHeight', () => this.connection.getBlockHeight(this.commitment));
  }

  /** Whether the node still accepts transactions using `blockhash`. */
  async isBlockhashValid(blockhash: string): Promise<boolean> {
    const r = await this.must('isBlockhashValid', () =>
      this.connection.isBlockhashValid(blockhash, { commitment: this.commitment }),
    );
    return r.value;
  }

  /** Current slot at the reader's commitment. */
  async getSlot(): Promise<number> {
    return this.must('getSlot', () => this.connection.getSlot(this.commitment));
  }

  /** Lamports held by `addr` (0 when it does not exist). */
  async getBalance(addr: Address): Promise<bigint> {
    const n = await this.must('getBalance', () => this.connection.getBalance(new PublicKey(addr), this.commitment));
    return BigInt(n);
  }

  // ---- internals ----

  /** One HTTP exchange, counted and bounded by `timeoutMs` (the body read included). */
  private async fetchOnce(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> {
    this.roundTrips += 1;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const res = await fetch(input, { ...init, signal: controller.signal });
      const text = await res.text();
      if (!res.ok) throw new HttpStatusError(res.status, res.statusText);
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (err) {
      if (controller.signal.aborted) throw new RequestTimeout(this.timeoutMs);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A raw JSON-RPC call through the Connection's client: returns `result`, throws on `error`. */
  private async raw(method: string, params: unknown[]): Promise<unknown> {
    // `_rpcRequest` is web3.js's internal transport; we need the unvalidated result (full transaction
    // JSON) and the error code (SendTransactionError drops it).
    const res = (await (this.connection as unknown as { _rpcRequest(m: string, p: unknown[]): Promise<unknown> })._rpcRequest(
      method,
      params,
    )) as { result?: unknown; error?: { code?: unknown; message?: unknown } };
    if (res.error !== undefined && res.error !== null) {
      const e = new Error(String(res.error.message ?? 'JSON-RPC error')) as Error & { code?: unknown };
      e.code = res.error.code;
      throw e;
    }
    return res.result;
  }

  /** Runs `op` with bounded retries on transient failures; never throws. */
  private async attempt<T>(method: string, op: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string; code?: number }> {
    let last = '';
    for (let i = 0; ; i++) {
      try {
        return { ok: true, value: await op() };
      } catch (err) {
        this.rpcErrors += 1;
        last = this.describe(err);
        const code = rpcCode(err);
        if (code !== undefined && PERMANENT_RPC_CODES.has(code)) return { ok: false, error: `${method}: ${last}`, code };
        if (err instanceof HttpStatusError && isPermanentHttp(err.status)) return { ok: false, error: `${method}: ${last}` };
        if (i >= this.retries) break;
        await sleep(this.backoffMs * 2 ** i);
      }
    }
    return { ok: false, error: `${method} failed after ${this.retries + 1} attempts at ${this.origin}: ${last}` };
  }

  /** Like `attempt`, but throws `RpcRejected` for refusals and `ChainUnavailable` when retries ran out. */
  private async must<T>(method: string, op: () => Promise<T>): Promise<T> {
    const r = await this.attempt(method, op);
    if (r.ok) return r.value;
    if (r.code !== undefined) throw new RpcRejected(method, r.code, r.error);
    throw new ChainUnavailable(r.error, r.error);
  }

  /** An error's text with every secret-bearing part of the RPC URL replaced by its origin. */
  private describe(err: unknown): string {
    let text = err instanceof Error ? err.message : String(err);
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
    if (cause && !text.includes(cause)) text = `${text} (${cause})`;
    for (const u of this.fullUrls) text = text.split(u).join(this.origin);
    for (const part of this.secretParts) text = text.split(part).join('…');
    return text;
  }
}

/** An account of a JSON-RPC answer (base64 data), or null when it is malformed. */
function rpcAccount(addr: Address, a: unknown): AccountData | null {
  const j = a as { data?: unknown; owner?: unknown; lamports?: unknown; executable?: unknown } | null;
  const data = Array.isArray(j?.data) && j.data[1] === 'base64' && typeof j.data[0] === 'string' ? j.data[0] : null;
  if (j === null || data === null || typeof j.owner !== 'string' || !isAddress(j.owner) || typeof j.lamports !== 'number' || !Number.isSafeInteger(j.lamports) || j.lamports < 0) return null;
  return { address: addr, owner: address(j.owner), lamports: BigInt(j.lamports), data: new Uint8Array(Buffer.from(data, 'base64')), executable: j.executable === true };
}

/** One post-simulation account of a `simulateTransaction` answer (base64 data), or ChainUnavailable. */
function simulatedAccount(addr: Address | undefined, a: unknown): AccountData {
  const j = a as { data?: unknown; owner?: unknown; lamports?: unknown; executable?: unknown };
  const data = Array.isArray(j?.data) && j.data[1] === 'base64' && typeof j.data[0] === 'string' ? j.data[0] : null;
  if (addr === undefined || data === null || typeof j.owner !== 'string' || !isAddress(j.owner) || typeof j.lamports !== 'number' || !Number.isSafeInteger(j.lamports) || j.lamports < 0) {
    throw new ChainUnavailable(`simulateTransaction answered a malformed account${addr ? ` for ${addr}` : ''}`);
  }
  return { address: addr, owner: address(j.owner), lamports: BigInt(j.lamports), data: new Uint8Array(Buffer.from(data, 'base64')), executable: j.executable === true };
}

function rpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function isPermanentHttp(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
