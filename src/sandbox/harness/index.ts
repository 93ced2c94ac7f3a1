/**
 * The sandbox's chain: a loopback JSON-RPC server backed by LiteSVM 1.5 (docs/configuration.md). LiteSVM is
 * loaded by dynamic import so that nothing outside `src/sandbox/` ever pulls it in.
 *
 * Recorded mode (no binary for a program): transactions invoking it are verified and recorded,
 * never imitated; real mode (`programsDir` with `<program id>.so` dumps): they execute.
 */
import type { Address } from '@solana/kit';
import type { LiteSVM } from 'litesvm';
import { parseCliAccountJson } from '../../chain/account-json.ts';
import type { AccountData } from '../../chain/types.ts';
import { HarnessChain, type RecordedTransaction } from './chain.ts';
import { Faults } from './faults.ts';
import { rpcMethods } from './methods.ts';
import { loadProgramDumps } from './programs.ts';
import { startRpcServer } from './server.ts';

export { BLOCKHASH_VALIDITY, type RecordedTransaction } from './chain.ts';
export { Faults, type Fault } from './faults.ts';
export { SQUADS_PROGRAM_CONFIG } from './programs.ts';

/** Options of `startHarness`. */
export interface HarnessOptions {
  /** 0 (default) = a free port. */
  readonly port?: number;
  /** Directory of `<program id>.so` dumps; when any is loaded the harness is in real mode. */
  readonly programsDir?: string;
}

/** A running harness: its URL, its chain, and the test controls. */
export interface Harness {
  readonly url: string;
  readonly port: number;
  /** 'real' when program dumps were loaded from `programsDir`, else 'recorded'. */
  readonly mode: 'recorded' | 'real';
  /** Program ids loaded from `programsDir`. */
  readonly loadedPrograms: readonly Address[];
  /** The LiteSVM instance itself, for what the controls below do not cover. */
  readonly svm: LiteSVM;
  /** Injected faults (per method, hidden and broken accounts). */
  readonly faults: Faults;
  /** JSON-RPC calls received, per method (faulted ones included). */
  readonly requestCount: ReadonlyMap<string, number>;
  close(): Promise<void>;
  setAccount(account: AccountData): void;
  /** Loads Solana CLI account JSON entries (snapshot `accounts[]`). */
  loadAccountJson(entries: readonly unknown[]): void;
  getAccount(address: Address): AccountData | null;
  airdrop(address: Address, lamports: bigint): void;
  /** Serves `result` (a getTransaction JSON result) for `signature`, e.g. a klend loss LiteSVM cannot produce. */
  addTransaction(signature: string, result: unknown): void;
  /** Transactions verified and recorded, not executed, in arrival order. */
  recordedTransactions(): readonly RecordedTransaction[];
  /** Wire bytes of every `simulateTransaction` request received, in arrival order. */
  simulatedTransactions(): readonly Uint8Array[];
  /** New blockhash; the block height moves past the old one's lastValidBlockHeight. */
  expireBlockhash(): void;
  /** Serve `address` as not existing. */
  hideAccount(address: Address): void;
  /** Answer a JSON-RPC error to any request that reads `address`. */
  breakAccount(address: Address): void;
}

/** Starts a harness on 127.0.0.1. */
export async function startHarness({ port = 0, programsDir }: HarnessOptions = {}): Promise<Harness> {
  const { LiteSVM } = await import('litesvm');
  const svm = new LiteSVM();
  const chain = new HarnessChain(svm);
  const loadedPrograms = programsDir ? await loadProgramDumps(chain, programsDir) : [];
  const faults = new Faults();
  const requestCount = new Map<string, number>();
  const server = await startRpcServer({ port, methods: rpcMethods(chain, faults), faults, requestCount });

  return {
    url: server.url,
    port: server.port,
    mode: loadedPrograms.length > 0 ? 'real' : 'recorded',
    loadedPrograms,
    svm,
    faults,
    requestCount,
    close: () => server.close(),
    setAccount: (a) => chain.setAccount(a),
    loadAccountJson: (entries) => {
      // Parse all first: a bad entry must not leave the chain half-loaded.
      const accounts = entries.map(parseCliAccountJson);
      for (const a of accounts) chain.setAccount(a);
    },
    getAccount: (a) => chain.getAccount(a),
    airdrop: (a, lamports) => chain.airdrop(a, lamports),
    addTransaction: (sig, result) => chain.addTransaction(sig, result),
    recordedTransactions: () => chain.recordedTransactions(),
    simulatedTransactions: () => chain.simulatedTransactions(),
    expireBlockhash: () => chain.expireBlockhash(),
    hideAccount: (a) => faults.hidden.add(a),
    breakAccount: (a) => faults.broken.add(a),
  };
}
