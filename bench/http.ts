/**
 * HTTP API throughput (docs/api.md): valid signed webhook requests that end on cheap paths (an
 * idempotent stored answer; a 404 for an unknown vault after authentication, which writes its
 * replay record and audit entry) and forged ones (401), against a bare express route in the same
 * rounds, all over keep-alive HTTP on 127.0.0.1 with a bounded number of requests. Memory is the
 * production service's own, in a child process (bench/service-process.ts), not this process's.
 */
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { ChainReader } from '../src/chain/reader.ts';
import { parsePolicyText } from '../src/policy/load.ts';
import { PolicyRegistry } from '../src/policy/registry.ts';
import { examplePolicyText, sandboxLoss, SANDBOX_VAULT_LOSS } from '../src/sandbox/fixtures/scenario.ts';
import { SANDBOX, SANDBOX_KEYPAIRS } from '../src/sandbox/seeds.ts';
import { createApp } from '../src/server/app.ts';
import { startHttpServer } from '../src/server/listen.ts';
import { createMetrics } from '../src/server/metrics.ts';
import { signRequest } from '../src/server/signing.ts';
import { Ed25519Keypair } from '../src/store/keys.ts';
import { openStore } from '../src/store/open.ts';
import { SILENT_LOG, SILENT_NOTIFIER, type CoSigner } from '../src/workflow/ports.ts';
import { Workflow } from '../src/workflow/workflow.ts';
import type { BenchRow } from './run.ts';
import { startServiceProcess } from './service-process.ts';

/**
 * The paths are timed in interleaved rounds (bare, stored answer, 404, forged, bare, …) and compared
 * round by round: this machine's speed drifts by ±15% within a minute, so one long run per path
 * compared with another taken a minute later measured the drift, not the paths.
 */
const ROUNDS = 12;
/** Fresh audited requests per round (each one a durable write, each with its own signature). */
const AUDITED_PER_ROUND = 750;
/** Requests per round on the fast paths (bare, stored answer, forged). */
const FAST_PER_ROUND = 1250;
/** Fresh audited requests sent before timing: that path's code is warmed up like the others'. */
const AUDITED_WARM_UP = 2000;
const CONCURRENCY = 16;

interface Req {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Sends every request (CONCURRENCY at a time) and returns requests per second and the statuses seen. */
export async function drive(url: string, reqs: readonly Req[]): Promise<{ rps: number; statuses: Set<number> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const { hostname, port } = new URL(url);
  const statuses = new Set<number>();
  const one = (r: Req) =>
    new Promise<void>((resolve, reject) => {
      const req = request({ agent, hostname, port, method: 'POST', path: r.path, headers: { ...r.headers, 'content-length': String(r.body.length) } }, (res) => {
        statuses.add(res.statusCode ?? 0);
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(r.body);
    });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < reqs.length) await one(reqs[next++]!);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return { rps: reqs.length / seconds, statuses };
}

export async function httpBench(): Promise<BenchRow[]> {
  // Nothing here reaches the chain (unknown vault, stored answers, forgeries): no harness needed.
  const store = await openStore({ database: join(mkdtempSync(join(tmpdir(), 'backstop-bench-http-')), 'b.db'), auditKey: Ed25519Keypair.generate() });
  const parsed = parsePolicyText(examplePolicyText(), 'policies/example.yaml');
  if (!parsed.ok) throw new Error('example policy invalid');
  const chain = new ChainReader({ rpcUrl: 'http://127.0.0.1:9', retries: 0 });
  const cosigner = { address: SANDBOX.cosigner } as CoSigner; // never reached: nothing here is approved
  const workflow = new Workflow({ store, chain, policies: PolicyRegistry.of([{ file: 'example.yaml', policy: parsed.policy, revision: parsed.revision }]), notifier: SILENT_NOTIFIER, cosigner, log: SILENT_LOG });
  const app = createApp({ workflow, apiReadToken: 'bench', readiness: {}, metrics: createMetrics({ processMetrics: false }), log: SILENT_LOG, limits: { rate: { burst: 1e9, perSecond: 1e9 } } });
  const server = await startHttpServer({ app, port: 0 });

  const bare = express();
  bare.post('/v1/loss-events', express.raw({ type: () => true, limit: '64kb' }), (_req, res) => {
    res.status(404).json({ error: { code: 'unknown-vault', message: 'no policy covers vault' } });
  });
  const bareServer = await startHttpServer({ app: bare, port: 0 });

  try {
    const key = Ed25519Keypair.fromSeed(SANDBOX_KEYPAIRS.webhookSource.secretKey.slice(0, 32));
    const path = '/v1/loss-events';
    const body = (i: number) => ({ vault: SANDBOX.outsider, reserve: SANDBOX.reserve, signature: sandboxLoss().event.signature, vaultLoss: SANDBOX_VAULT_LOSS.toString(), note: `bench ${i}` });
    const now = Math.floor(Date.now() / 1000);
    const signed = (i: number, extra: Record<string, string> = {}): Req => {
      const s = signRequest({ source: 'sandbox', key, method: 'POST', path, body: body(i), timestamp: now - (i % 200) });
      return { path, headers: { ...s.headers, 'content-type': 'application/json', ...extra }, body: s.body };
    };
    // Signed before timing: the server's work is measured, not the client's.
    const fresh404 = Array.from({ length: ROUNDS * AUDITED_PER_ROUND }, (_, i) => signed(i));
    const warm404 = Array.from({ length: AUDITED_WARM_UP }, (_, i) => signed(fresh404.length + 2 + i));
    const keyed = signed(fresh404.length + 1, { 'idempotency-key': 'bench-1' });
    const fast = fresh404.slice(0, FAST_PER_ROUND);
    const idempotent = Array.from({ length: FAST_PER_ROUND }, () => keyed);
    const forged = fast.map((r) => ({ ...r, headers: { ...r.headers, 'x-backstop-signature': Buffer.alloc(64, 7).toString('base64') } }));
    // Like for like: the bare route gets the same bytes and headers (signature headers included, unread).
    const bareReqs = fast;

    await drive(server.url, [keyed]); // stores the answer the idempotent replays get
    await drive(bareServer.url, bareReqs); // warm-up
    await drive(server.url, forged);
    await drive(server.url, idempotent);
    await drive(server.url, warm404);

    const send = {
      bare: () => drive(bareServer.url, bareReqs),
      idem: () => drive(server.url, idempotent),
      audited: (round: number) => drive(server.url, fresh404.slice(round * AUDITED_PER_ROUND, (round + 1) * AUDITED_PER_ROUND)),
      forged: () => drive(server.url, forged),
    };
    type Path = keyof typeof send;
    const order: Path[] = ['bare', 'idem', 'audited', 'forged'];
    const paths: Record<Path, number[]> = { bare: [], idem: [], audited: [], forged: [] };
    const statuses: Record<Path, Set<number>> = { bare: new Set(), idem: new Set(), audited: new Set(), forged: new Set() };
    for (let round = 0; round < ROUNDS; round++) {
      // Each path takes each place in the round in turn, so none always follows the same one.
      for (let i = 0; i < order.length; i++) {
        const path = order[(round + i) % order.length]!;
        const run = await send[path](round);
        paths[path].push(run.rps);
        for (const st of run.statuses) statuses[path].add(st);
      }
    }
    const check = (got: Set<number>, want: number) => {
      if (got.size !== 1 || !got.has(want)) throw new Error(`expected only ${want}, got ${[...got].join(', ')}`);
    };
    check(statuses.bare, 404);
    check(statuses.idem, 404);
    check(statuses.audited, 404);
    check(statuses.forged, 401);
    const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    /** Median over the rounds of `of`'s rate divided by `to`'s in the same round. */
    const ratio = (of: readonly number[], to: readonly number[]) => median(of.map((x, i) => x / to[i]!));
    const rounds = (xs: readonly number[]) => xs.map((x, i) => (x / paths.bare[i]!).toFixed(2)).join(' ');
    const rate = (x: number) => `${Math.round(x)} req/s`;
    const idem = ratio(paths.idem, paths.bare);
    const audited = ratio(paths.audited, paths.bare);
    // Forgeries against the faster valid path of each round: they must cost no more than a valid request.
    const forgedToValid = ratio(paths.forged, paths.forged.map((_, i) => Math.max(paths.idem[i]!, paths.audited[i]!)));
    return [
      { name: `bare express POST (same body, same client), median of ${ROUNDS} rounds`, value: rate(median(paths.bare)) },
      { name: 'signed: idempotent stored answer (verify, cached answer)', value: `${rate(median(paths.idem))}, ${idem.toFixed(2)} × bare`, goal: '≥ 0.5 × bare', ok: idem >= 0.5 },
      { name: 'signed: 404 unknown vault (verify, read, audited write)', value: `${rate(median(paths.audited))}, ${audited.toFixed(2)} × bare (rounds: ${rounds(paths.audited)})`, goal: '≥ 0.5 × bare', ok: audited >= 0.5 },
      { name: 'forged signature: 401 (one verify, no store)', value: `${rate(median(paths.forged))}, ${forgedToValid.toFixed(2)} × the faster valid path`, goal: '≥ 0.95 × every valid path', ok: forgedToValid >= 0.95 },
      ...(await serviceRss()),
    ];
  } finally {
    await server.close();
    await bareServer.close();
    await store.close();
  }
}

/** Requests per kind (fresh, keyed, forged) in the burst the service's memory is measured after. */
const BURST_REQUESTS = 3000;
/** The service must be back under SETTLED_MB within SETTLE_MS of the load's end. */
const SETTLE_MS = 60_000;
const SETTLED_MB = 180;

/** Memory of the production service process (`bin/backstop.js start` in a child), after start-up and after a load. */
export async function serviceRss(): Promise<BenchRow[]> {
  const service = await startServiceProcess(process.env.BENCH_SERVICE_NODE_OPTIONS !== undefined ? { nodeOptions: process.env.BENCH_SERVICE_NODE_OPTIONS } : {});
  try {
    const started = service.rssMb();
    const startPeak = service.peakRssMb();
    const path = '/v1/loss-events';
    const now = Math.floor(Date.now() / 1000);
    const signed = (i: number, extra: Record<string, string> = {}): Req => {
      const body = { vault: SANDBOX.outsider, reserve: SANDBOX.reserve, signature: sandboxLoss().event.signature, vaultLoss: SANDBOX_VAULT_LOSS.toString(), note: `rss ${i}` };
      const s = signRequest({ source: service.source.id, key: service.source.key, method: 'POST', path, body, timestamp: now - (i % 200) });
      return { path, headers: { ...s.headers, 'content-type': 'application/json', ...extra }, body: s.body };
    };
    const fresh = Array.from({ length: BURST_REQUESTS }, (_, i) => signed(i));
    const keyed = signed(BURST_REQUESTS + 1, { 'idempotency-key': 'rss-1' });
    const forged = fresh.map((r) => ({ ...r, headers: { ...r.headers, 'x-backstop-signature': Buffer.alloc(64, 7).toString('base64') } }));
    // Production's per-source rate limit (burst 60, 10/s) answers most valid requests 429 after verifying them;
    // a keyed request sent while its twin is still being answered is 409 idempotency-key-in-flight.
    const runs = [await drive(service.url, fresh), await drive(service.url, Array.from({ length: BURST_REQUESTS }, () => keyed)), await drive(service.url, forged)];
    const statuses = new Set(runs.flatMap((r) => [...r.statuses]));
    if ([...statuses].some((s) => ![401, 404, 409, 429].includes(s))) throw new Error(`the service process answered ${[...statuses].join(', ')}`);
    const loaded = service.rssMb();
    const peak = service.peakRssMb();
    // V8's memory reducer collects once the process is idle for a few seconds, as a real service mostly is.
    const idleFrom = Date.now();
    let settled = loaded;
    while (settled >= SETTLED_MB && Date.now() - idleFrom < SETTLE_MS) {
      await new Promise((r) => setTimeout(r, 1000));
      settled = service.rssMb();
    }
    const settledAfter = Math.round((Date.now() - idleFrom) / 1000);
    const mb = (x: number) => `${x.toFixed(1)} MB`;
    return [
      { name: 'service RSS after start (bin/backstop.js start, child)', value: mb(started), goal: '< 200 MB', ok: started < 200 },
      { name: 'service peak RSS during start-up', value: mb(startPeak) },
      { name: `service RSS right after ${3 * BURST_REQUESTS} requests (${[...statuses].sort().join('/')})`, value: mb(loaded), goal: '< 200 MB', ok: loaded < 200 },
      { name: `service RSS ${settledAfter} s after the load`, value: mb(settled), goal: `< ${SETTLED_MB} MB within ${SETTLE_MS / 1000} s`, ok: settled < SETTLED_MB },
      { name: 'service peak RSS (start-up and load)', value: mb(peak) },
    ];
  } finally {
    await service.stop();
  }
}
