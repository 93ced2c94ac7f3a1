/**
 * A running HTTP API on real parts for the server tests: the LiteSVM harness (seeded with the
 * sandbox world, the pending proposal and the loss transaction), a SQLite store, a policy directory
 * with the example policy and a second one (another vault, multisig and source), a real Workflow,
 * and the app listening on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address } from '@solana/kit';
import { ChainReader } from '../../src/chain/reader.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { examplePolicyText, PENDING_AMOUNT, proposalAccounts, sandboxLoss, SANDBOX_VAULT_LOSS, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX, SANDBOX_KEYPAIRS } from '../../src/sandbox/seeds.ts';
import { createApp, type AppOptions } from '../../src/server/app.ts';
import { startHttpServer, type RunningHttpServer } from '../../src/server/listen.ts';
import { countDecisions, createMetrics, type Metrics } from '../../src/server/metrics.ts';
import { storeReady, rpcReady, feeBalanceReady, type Readiness } from '../../src/server/readiness.ts';
import { signRequest } from '../../src/server/signing.ts';
import { StoreUnavailable } from '../../src/store/errors.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';
import type { Log } from '../../src/workflow/ports.ts';
import { SILENT_NOTIFIER } from '../../src/workflow/ports.ts';
import { Workflow } from '../../src/workflow/workflow.ts';
import { toJsonText } from '../../src/util/json.ts';
import { NO_COSIGNER } from '../support/workflow-doubles.ts';

export const READ_TOKEN = 'test-read-token-0123456789';
/** The example policy's source. */
export const SANDBOX_SOURCE = { id: 'sandbox', key: Ed25519Keypair.fromSeed(SANDBOX_KEYPAIRS.webhookSource.secretKey.slice(0, 32)) };
/** The second policy's own source (may: loss-events). */
export const OTHER_SOURCE = { id: 'other', key: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(7)) };
/** The second policy's vault and multisig (not on the chain). */
export const OTHER = {
  vault: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(8)).publicKey,
  farm: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(9)).publicKey,
  multisig: Ed25519Keypair.fromSeed(new Uint8Array(32).fill(10)).publicKey,
};
export const LOSS_SIGNATURE = sandboxLoss().event.signature;


/** A log that keeps every line (to check that no secret is logged). */
export class CapturingLog implements Log {
  readonly lines: string[] = [];
  info(obj: object, msg?: string) {
    this.lines.push(toJsonText({ level: 'info', msg, ...obj }, 0));
  }
  warn(obj: object, msg?: string) {
    this.lines.push(toJsonText({ level: 'warn', msg, ...obj }, 0));
  }
  error(obj: object, msg?: string) {
    this.lines.push(toJsonText({ level: 'error', msg, ...obj }, 0));
  }
  debug(obj: object, msg?: string) {
    this.lines.push(toJsonText({ level: 'debug', msg, ...obj }, 0));
  }
}

/** A store that can be switched to answer `StoreUnavailable` to everything. */
export function switchableStore(store: Store): { store: Store; setDown(down: boolean): void } {
  let down = false;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (down && prop !== 'close') return Promise.reject(new StoreUnavailable('test: the database is down'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, setDown: (d) => (down = d) };
}

function secondPolicyText(): string {
  const example = examplePolicyText();
  const sources = example.indexOf('webhookSources:');
  return (
    example
      .slice(0, sources)
      .replace(SANDBOX.vault, OTHER.vault)
      .replace(SANDBOX.farm, OTHER.farm)
      .replace(SANDBOX.multisig, OTHER.multisig)
      .replace('name: Sandbox USDC vault', 'name: Second vault') +
    [
      'webhookSources:',
      `  - { id: ${OTHER_SOURCE.id}, publicKey: ${OTHER_SOURCE.key.publicKey}, may: [loss-events] }`,
      `  - { id: ${SANDBOX_SOURCE.id}, publicKey: ${SANDBOX_SOURCE.key.publicKey}, may: [proposals] }`,
      '',
    ].join('\n')
  );
}

export interface TestApi {
  readonly url: string;
  readonly harness: Harness;
  readonly store: Store;
  /** The store under the switch (for checks while the switch is down). */
  readonly rawStore: Store;
  readonly setStoreDown: (down: boolean) => void;
  readonly workflow: Workflow;
  readonly metrics: Metrics;
  readonly log: CapturingLog;
  readonly policyDir: string;
  readonly dbPath: string;
  close(): Promise<void>;
}

/** Starts everything; `limits` and `readiness` override the app's. */
export async function startTestApi(o: { limits?: AppOptions['limits']; readiness?: (parts: { store: Store; chain: ChainReader }) => Readiness } = {}): Promise<TestApi> {
  const harness = await startHarness();
  const put = (a: AccountData) => harness.setAccount(a);
  worldAccounts().forEach(put);
  proposalAccounts({ index: 1n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) }).forEach(put);
  proposalAccounts({ index: 2n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) }).slice(1).forEach(put);
  const loss = sandboxLoss();
  harness.addTransaction(loss.transaction.signature, (loss.transaction.stored as { result: unknown }).result);
  harness.airdrop(SANDBOX.cosigner, 1_000_000_000n);

  const dir = mkdtempSync(join(tmpdir(), 'backstop-http-'));
  const policyDir = join(dir, 'policies');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(policyDir);
  writeFileSync(join(policyDir, 'example.yaml'), examplePolicyText());
  writeFileSync(join(policyDir, 'second.yaml'), secondPolicyText());
  const policies = await PolicyRegistry.load(policyDir);

  const dbPath = join(dir, 'b.db');
  const rawStore = await openStore({ database: dbPath, auditKey: Ed25519Keypair.generate() });
  const { store, setDown } = switchableStore(rawStore);
  const chain = new ChainReader({ rpcUrl: harness.url, retries: 0, timeoutMs: 3000 });
  const log = new CapturingLog();
  const metrics = createMetrics({ chain, processMetrics: false });
  const workflow = new Workflow({ store: countDecisions(store, metrics.decisions), chain, policies, notifier: SILENT_NOTIFIER, cosigner: NO_COSIGNER, log, clock: () => new Date('2026-12-01T10:00:00Z') });
  const readiness = o.readiness?.({ store, chain }) ?? { store: storeReady(store), rpc: rpcReady(chain), feeBalance: feeBalanceReady(chain, SANDBOX.cosigner) };
  const app = createApp({ workflow, apiReadToken: READ_TOKEN, readiness, metrics, log, ...(o.limits ? { limits: o.limits } : {}) });
  const server: RunningHttpServer = await startHttpServer({ app, port: 0 });
  return {
    url: server.url,
    harness,
    store,
    rawStore,
    setStoreDown: setDown,
    workflow,
    metrics,
    log,
    policyDir,
    dbPath,
    async close() {
      await server.close();
      await rawStore.close().catch(() => {});
      await harness.close();
    },
  };
}

/** What a signed request sends: body bytes and headers, with overrides. */
export interface SendSpec {
  readonly path: string;
  readonly body: string | object | Uint8Array;
  readonly source?: { id: string; key: Ed25519Keypair };
  readonly timestamp?: number;
  readonly contentType?: string | null;
  readonly headers?: Record<string, string>;
  readonly method?: string;
}

const issued = new Set<string>();
/**
 * A timestamp in the ±300 s window that no earlier call gave for the same `request` (what identifies it:
 * source, method, path and body), so identical requests are never replays of each other, even when two
 * of them straddle a second boundary.
 */
export function freshTimestamp(...request: readonly (string | Uint8Array | object)[]): number {
  const hash = createHash('sha256');
  for (const part of request) hash.update(part instanceof Uint8Array || typeof part === 'string' ? part : JSON.stringify(part, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  const id = hash.digest('hex').slice(0, 32);
  const now = Math.floor(Date.now() / 1000);
  for (let back = 0; back < 250; back++) {
    const key = `${now - back} ${id}`;
    if (!issued.has(key)) {
      issued.add(key);
      return now - back;
    }
  }
  throw new Error('250 identical signed requests within 250 s: give each its own timestamp');
}

/** Signs (unless `unsigned`) and sends; answers status, parsed body and headers. */
export async function send(api: { url: string }, spec: SendSpec & { unsigned?: boolean }): Promise<{ status: number; body: any; headers: Headers }> {
  const source = spec.source ?? SANDBOX_SOURCE;
  const method = spec.method ?? 'POST';
  const signed = signRequest({ source: source.id, key: source.key, method, path: spec.path, body: spec.body, timestamp: spec.timestamp ?? freshTimestamp(source.id, method, spec.path, spec.body) });
  const headers: Record<string, string> = { ...(spec.unsigned ? {} : signed.headers), ...(spec.contentType === null ? {} : { 'content-type': spec.contentType ?? 'application/json' }), ...spec.headers };
  return raw(api, { method, path: spec.path, headers, body: signed.body });
}

/** Sends exact bytes and headers. */
export async function raw(api: { url: string }, r: { method?: string; path: string; headers: Record<string, string>; body?: Uint8Array }): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(api.url + r.path, { method: r.method ?? 'POST', headers: r.headers, ...(r.body ? { body: new Uint8Array(r.body) } : {}) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** Every piece of domain state (docs/api.md: loss events, proposals, approvals, ledger), as one string. */
export async function domainState(store: Store): Promise<string> {
  const lossEvents = await store.listLossEvents();
  const proposals = await store.listProposals();
  const votes = await Promise.all(proposals.map((p) => store.votes(p.rowId)));
  const decisions = await Promise.all(proposals.map((p) => store.decisions(p.rowId).then((d) => d.length)));
  const vaults = [SANDBOX.vault, OTHER.vault] as Address[];
  const ledger = await Promise.all(vaults.map((v) => store.ledgerForVault(v)));
  return toJsonText({ lossEvents, proposals, votes, decisions, ledger }, 0);
}

export const auditCount = async (store: Store) => (await store.auditEntries()).length;

/** A valid loss event body for the sandbox vault. */
export const lossBody = (over: Record<string, unknown> = {}) => ({
  vault: SANDBOX.vault,
  reserve: SANDBOX.reserve,
  signature: LOSS_SIGNATURE,
  vaultLoss: SANDBOX_VAULT_LOSS.toString(),
  ...over,
});
