/**
 * Several RPC providers at once (issue 13 §4): `SOLANA_RPC_URL` may list several endpoints so that
 * one lying or stale node can never cause a signature. Decisions are made on each provider's own
 * snapshot (src/workflow/providers.ts); what goes through this class as one chain is read from every
 * provider and combined so that a disagreement is `unavailable` (never a guess), and the direction
 * of every merge is the one that cannot lead to signing: strict agreement for accounts, the lowest
 * block height, the earliest expiry, and sending through all of them.
 */
import { createHash } from 'node:crypto';
import type { Address } from '@solana/kit';
import type { SignatureStatus } from '@solana/web3.js';
import type { Log } from '../log.ts';
import { TOKEN_2022_PROGRAM_ADDRESS, TOKEN_PROGRAM_ADDRESS } from './accounts/spl.ts';
import { ChainUnavailable, RpcRejected } from './errors.ts';
import { ChainReader, type BatchReadResult, type ChainReaderOptions, type ProgramAccountsQuery, type ProgramAccountsResult, type SignaturesForAddressResult, type SimulationResult, type TransactionJsonResult } from './reader.ts';
import type { AccountData, AccountResult, AccountSource } from './types.ts';

/** One provider: a name safe to log (the endpoint's origin) and its reader. */
export interface RpcProvider {
  readonly name: string;
  readonly chain: ChainReader;
}

/** Honest providers' latest blockhashes expire within one blockhash lifetime (150 blocks) of each other. */
export const MAX_BLOCKHASH_SPREAD = 150;

/** Several providers behind the one-chain interface the workflow and the co-signer use. */
export class MultiRpc implements AccountSource {
  readonly providers: readonly RpcProvider[];
  private readonly log: Log | undefined;

  constructor(readers: readonly ChainReader[], o: { log?: Log } = {}) {
    if (readers.length === 0) throw new Error('MultiRpc needs at least one RPC provider');
    const origins = readers.map((r) => r.endpoint);
    // Two URLs of one host (different API keys) are told apart by their place in SOLANA_RPC_URL.
    this.providers = readers.map((chain, i) => ({
      name: origins.filter((o2) => o2 === chain.endpoint).length > 1 ? `${chain.endpoint} (#${i + 1})` : chain.endpoint,
      chain,
    }));
    this.log = o.log;
  }

  /** The providers' names, safe to log. */
  get endpoint(): string {
    return this.providers.map((p) => p.name).join(', ');
  }

  /** HTTP requests made, over every provider. */
  get roundTrips(): number {
    return this.providers.reduce((s, p) => s + p.chain.roundTrips, 0);
  }

  /** Failed attempts, over every provider. */
  get rpcErrors(): number {
    return this.providers.reduce((s, p) => s + p.chain.rpcErrors, 0);
  }

  /**
   * Every provider's answer per address: the same account (owner, lamports, data, executable) or
   * all `missing`; any `unavailable`, or any difference, is `unavailable` naming the providers.
   */
  async getAccounts(addresses: readonly Address[]): Promise<ReadonlyMap<Address, AccountResult>> {
    return this.agree(addresses, await Promise.all(this.providers.map((p) => p.chain.getAccounts(addresses))));
  }

  /**
   * `ChainReader.readBatch` on every provider at once (one round trip each), combined like
   * `getAccounts`: a query's accounts count only when every provider answers the same ones.
   */
  async readBatch(addresses: readonly Address[], queries: readonly ProgramAccountsQuery[] = []): Promise<BatchReadResult> {
    const each = await Promise.all(this.providers.map((p) => p.chain.readBatch(addresses, queries)));
    const programAccounts = queries.map((q, k): ProgramAccountsResult => {
      const answers = each.map((b) => b.programAccounts[k] ?? ({ kind: 'unavailable', error: 'not answered' } as const));
      const down = answers.flatMap((r, i) => (r.kind === 'unavailable' ? [`${this.providers[i]!.name}: ${r.error}`] : []));
      if (down.length > 0) return { kind: 'unavailable', error: down.join('; ') };
      const lists = answers.map((r) => (r.kind === 'found' ? [...r.accounts].sort((a, b) => a.address.localeCompare(b.address)) : []));
      const first = lists[0]!;
      const same = lists.every((l) => l.length === first.length && l.every((a, j) => a.address === first[j]!.address && sameAccount(a, first[j]!)));
      return same ? { kind: 'found', accounts: first } : { kind: 'unavailable', error: `the RPC providers disagree on the accounts of ${q.program} matching the filters` };
    });
    const slots = each.flatMap((b) => (b.slot === null ? [] : [b.slot]));
    return {
      slot: slots.length === each.length ? slots.reduce((m, v) => (v < m ? v : m)) : null,
      accounts: this.agree(addresses, each.map((b) => b.accounts)),
      programAccounts,
    };
  }

  /** Every provider's answer per address combined: the same result everywhere, else `unavailable` naming them. */
  private agree(addresses: readonly Address[], answers: readonly ReadonlyMap<Address, AccountResult>[]): ReadonlyMap<Address, AccountResult> {
    const out = new Map<Address, AccountResult>();
    for (const a of new Set(addresses)) {
      const each = answers.map((m) => m.get(a) ?? ({ kind: 'unavailable', error: 'not answered' } as const));
      const down = each.flatMap((r, i) => (r.kind === 'unavailable' ? [`${this.providers[i]!.name}: ${r.error}`] : []));
      if (down.length > 0) {
        out.set(a, { kind: 'unavailable', error: down.join('; ') });
        continue;
      }
      const first = each[0]!;
      if (each.every((r) => sameResult(r, first))) {
        out.set(a, first);
        continue;
      }
      out.set(a, { kind: 'unavailable', error: `the RPC providers disagree on ${a}: ${each.map((r, i) => `${this.providers[i]!.name} ${describeResult(r)}`).join('; ')}` });
    }
    return out;
  }

  /** The transaction as the first provider answers it, once every provider found it (or all say missing). */
  async getTransactionJson(signature: string, o: { commitment: 'finalized' | 'confirmed' }): Promise<TransactionJsonResult> {
    const each = await Promise.all(this.providers.map((p) => p.chain.getTransactionJson(signature, o)));
    const down = each.flatMap((r, i) => (r.kind === 'unavailable' ? [`${this.providers[i]!.name}: ${r.error}`] : []));
    if (down.length > 0) return { kind: 'unavailable', error: down.join('; ') };
    if (each.every((r) => r.kind === 'missing')) return { kind: 'missing' };
    if (each.every((r) => r.kind === 'found')) return each[0]!;
    return { kind: 'unavailable', error: `the RPC providers disagree on transaction ${signature}: ${each.map((r, i) => `${this.providers[i]!.name} ${r.kind}`).join('; ')}` };
  }

  /** The first provider's page, once every provider answered one. */
  async getSignaturesForAddress(
    addr: Address,
    o: { before?: string; until?: string; limit?: number; commitment: 'confirmed' | 'finalized' },
  ): Promise<SignaturesForAddressResult> {
    const each = await Promise.all(this.providers.map((p) => p.chain.getSignaturesForAddress(addr, o)));
    const down = each.flatMap((r, i) => (r.kind === 'unavailable' ? [`${this.providers[i]!.name}: ${r.error}`] : []));
    return down.length > 0 ? { kind: 'unavailable', error: down.join('; ') } : each[0]!;
  }

  /** The lowest slot any provider reports (every one must answer). */
  async getSlot(): Promise<number> {
    return Math.min(...(await this.everyone('getSlot', (c) => c.getSlot())));
  }

  /** The lowest block height any provider reports: a lying or fast node cannot make an approval look expired. */
  async getBlockHeight(): Promise<number> {
    return Math.min(...(await this.everyone('getBlockHeight', (c) => c.getBlockHeight())));
  }

  /** Valid while any provider still accepts it (it could still land there). */
  async isBlockhashValid(blockhash: string): Promise<boolean> {
    return (await this.everyone('isBlockhashValid', (c) => c.isBlockhashValid(blockhash))).some((v) => v);
  }

  /** The lowest balance any provider reports. */
  async getBalance(addr: Address): Promise<bigint> {
    const each = await this.everyone('getBalance', (c) => c.getBalance(addr));
    return each.reduce((m, v) => (v < m ? v : m));
  }

  /**
   * The oldest provider's latest blockhash, once every provider knows it (a made-up one could never
   * land and would look expired at once), with the latest expiry any provider states, so that an
   * approval is never taken for expired while it could still land.
   */
  async getLatestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: number }> {
    const each = await this.everyone('getLatestBlockhash', (c) => c.getLatestBlockhash());
    const heights = each.map((b) => b.lastValidBlockHeight);
    const low = Math.min(...heights);
    const high = Math.max(...heights);
    if (high - low > MAX_BLOCKHASH_SPREAD) {
      throw new ChainUnavailable(
        `the RPC providers disagree on the latest blockhash by more than ${MAX_BLOCKHASH_SPREAD} blocks (${each.map((b, i) => `${this.providers[i]!.name} valid until ${b.lastValidBlockHeight}`).join('; ')}): one is stale or lying; check it or remove it from SOLANA_RPC_URL`,
      );
    }
    const chosen = each[heights.indexOf(low)]!;
    const known = await this.everyone('isBlockhashValid', (c) => c.isBlockhashValid(chosen.blockhash));
    const unknown = known.flatMap((ok, i) => (ok ? [] : [this.providers[i]!.name]));
    if (unknown.length > 0) {
      throw new ChainUnavailable(`the RPC providers disagree on the latest blockhash: ${unknown.join(', ')} do(es) not know ${chosen.blockhash}; retrying`);
    }
    return { blockhash: chosen.blockhash, lastValidBlockHeight: high };
  }

  /**
   * Sends the same bytes through every provider. Resolves with the signature when at least one
   * accepted them; throws (naming each provider) when none did.
   */
  async sendRawTransaction(bytes: Uint8Array): Promise<string> {
    const each = await Promise.allSettled(this.providers.map((p) => p.chain.sendRawTransaction(bytes)));
    const accepted = each.flatMap((r, i) => (r.status === 'fulfilled' ? [{ name: this.providers[i]!.name, signature: r.value }] : []));
    const refused = each.flatMap((r, i) => (r.status === 'rejected' ? [{ name: this.providers[i]!.name, err: r.reason as Error }] : []));
    if (accepted.length === 0) throw this.combinedError('sendTransaction', refused);
    if (refused.length > 0) this.log?.warn({ accepted: accepted.map((a) => a.name), refused: refused.map((r) => `${r.name}: ${r.err.message}`) }, 'sent through some RPC providers only; the next poll resends the same bytes');
    if (new Set(accepted.map((a) => a.signature)).size > 1) this.log?.error({ answers: accepted }, 'the RPC providers answered different signatures for the same bytes');
    return accepted[0]!.signature;
  }

  /**
   * Simulates on every provider; they must agree on the error and on every account after it
   * (owner, lamports, and the bytes of token accounts: program state may differ by a clock tick).
   */
  async simulateTransaction(bytes: Uint8Array, o: { accounts: readonly Address[] }): Promise<SimulationResult> {
    const each = await this.everyone('simulateTransaction', (c) => c.simulateTransaction(bytes, o));
    const first = each[0]!;
    const problems: string[] = [];
    each.forEach((r, i) => {
      if (i === 0) return;
      const name = this.providers[i]!.name;
      if (JSON.stringify(r.err ?? null) !== JSON.stringify(first.err ?? null)) problems.push(`${name} simulates error ${JSON.stringify(r.err ?? null)}, ${this.providers[0]!.name} ${JSON.stringify(first.err ?? null)}`);
      if ((r.accounts === null) !== (first.accounts === null) || (r.accounts?.length ?? 0) !== (first.accounts?.length ?? 0)) {
        problems.push(`${name} answers other accounts after the simulation`);
        return;
      }
      r.accounts?.forEach((a, j) => {
        if (!sameAfter(a, first.accounts![j]!)) problems.push(`${name} and ${this.providers[0]!.name} disagree on ${o.accounts[j] ?? `account ${j}`} after the simulation`);
      });
    });
    if (problems.length > 0) throw new ChainUnavailable(`the RPC providers disagree on the simulation: ${problems.join('; ')}`);
    return first;
  }

  /**
   * Per signature: a status any provider has seen (a stale node may not have seen it yet), `null`
   * only when none has; providers that disagree on whether it failed make it unavailable.
   */
  async getSignatureStatuses(signatures: readonly string[]): Promise<(SignatureStatus | null)[]> {
    const each = await this.everyone('getSignatureStatuses', (c) => c.getSignatureStatuses(signatures));
    return signatures.map((sig, k) => {
      const seen = each.map((list) => list[k] ?? null);
      const known = seen.filter((s): s is SignatureStatus => s !== null);
      if (known.length === 0) return null;
      if (new Set(known.map((s) => s.err === null)).size > 1) {
        throw new ChainUnavailable(`the RPC providers disagree on whether ${sig} failed: ${seen.map((s, i) => `${this.providers[i]!.name} ${s === null ? 'unknown' : s.err === null ? 'ok' : JSON.stringify(s.err)}`).join('; ')}`);
      }
      return known[0]!;
    });
  }

  // ---- internals ----

  /** Every provider's answer, or one error naming each provider that failed. */
  private async everyone<T>(method: string, op: (c: ChainReader) => Promise<T>): Promise<T[]> {
    const each = await Promise.allSettled(this.providers.map((p) => op(p.chain)));
    const failed = each.flatMap((r, i) => (r.status === 'rejected' ? [{ name: this.providers[i]!.name, err: r.reason as Error }] : []));
    if (failed.length > 0) throw this.combinedError(method, failed);
    return each.map((r) => (r as PromiseFulfilledResult<T>).value);
  }

  /** A refusal stays a refusal (RpcRejected, the first one); anything else is ChainUnavailable. Both name the providers. */
  private combinedError(method: string, failed: readonly { name: string; err: Error }[]): Error {
    const text = failed.map((f) => `${f.name}: ${f.err.message}`).join('; ');
    const rejected = failed.find((f) => f.err instanceof RpcRejected);
    if (rejected && failed.length === this.providers.length) return new RpcRejected(method, (rejected.err as RpcRejected).code, text);
    return new ChainUnavailable(`${method} failed at ${failed.length} of ${this.providers.length} RPC providers: ${text}`, text);
  }
}

/** One reader for one URL, a MultiRpc for several (SOLANA_RPC_URL, comma-separated). */
export function openChain(urls: readonly string[], options: Omit<ChainReaderOptions, 'rpcUrl'> & { log?: Log } = {}): ChainReader | MultiRpc {
  const { log, ...rest } = options;
  const readers = urls.map((rpcUrl) => new ChainReader({ rpcUrl, ...rest }));
  if (readers.length === 1) return readers[0]!;
  return new MultiRpc(readers, log ? { log } : {});
}

/** The providers a decision must be made on one by one, or null when there is only one. */
export function rpcProviders(chain: unknown): readonly RpcProvider[] | null {
  return chain instanceof MultiRpc && chain.providers.length > 1 ? chain.providers : null;
}

function sameAccount(a: AccountData, b: AccountData): boolean {
  return a.owner === b.owner && a.lamports === b.lamports && a.executable === b.executable && Buffer.from(a.data).equals(Buffer.from(b.data));
}

function sameResult(a: AccountResult, b: AccountResult): boolean {
  if (a.kind === 'found' && b.kind === 'found') return sameAccount(a.account, b.account);
  return a.kind === b.kind;
}

function describeResult(r: AccountResult): string {
  if (r.kind !== 'found') return r.kind;
  const tag = createHash('sha256').update(r.account.data).digest('hex').slice(0, 8);
  return `found (owner ${r.account.owner}, ${r.account.lamports} lamports, ${r.account.data.length} bytes sha256 ${tag}…)`;
}

function sameAfter(a: AccountData | null, b: AccountData | null): boolean {
  if (a === null || b === null) return a === b;
  const token = a.owner === TOKEN_PROGRAM_ADDRESS || a.owner === TOKEN_2022_PROGRAM_ADDRESS;
  return a.owner === b.owner && a.lamports === b.lamports && (!token || Buffer.from(a.data).equals(Buffer.from(b.data)));
}
