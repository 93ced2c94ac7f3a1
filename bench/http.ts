/**
 * HTTP API throughput (docs/api.md): valid signed webhook requests that end on cheap paths (an
 * idempotent stored answer; a 404 for an unknown vault after authentication, which writes its
 * replay record and audit entry) and forged ones (401), against a bare express route in the same
 * run, all over keep-alive HTTP on 127.0.0.1 with a bounded number of requests. Memory is the
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

/** Requests per run on the audited path (each one a durable write: slow by design). */
const REQUESTS = 3000;
/** Fresh audited requests sent before that path is timed: its code is warmed up like the others' (each needs its own signature). */
const AUDITED_WARM_UP = 2000;
/** Requests per run on the fast paths (bare, stored answer, forged): long enough for a stable rate. */
const FAST_REQUESTS = 10_000;
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
    const fresh404 = Array.from({ length: REQUESTS }, (_, i) => signed(i));
    const warm404 = Array.from({ length: AUDITED_WARM_UP }, (_, i) => signed(FAST_REQUESTS + 2 + i));
    const keyed = signed(REQUESTS + 1, { 'idempotency-key': 'bench-1' });
    const fast = Array.from({ length: FAST_REQUESTS }, (_, i) => (i < REQUESTS ? fresh404[i]! : signed(i)));
    const idempotent = Array.from({ length: FAST_REQUESTS }, () => keyed);
    const forged = fast.map((r) => ({ ...r, headers: { ...r.headers, 'x-backstop-signature': Buffer.alloc(64, 7).toString('base64') } }));
    // Like for like: the bare route gets the same bytes and headers (signature headers included, unread).
    const bareReqs = fast;

    await drive(server.url, [keyed]); // stores the answer the idempotent replays get
    await drive(bareServer.url, bareReqs.slice(0, 1000)); // warm-up
    await drive(server.url, forged.slice(0, 1000));
    await drive(server.url, idempotent.slice(0, 1000));
    await drive(server.url, warm404);

    const bFirst = await drive(bareServer.url, bareReqs);
    const idem = await drive(server.url, idempotent);
    const valid404 = await drive(server.url, fresh404);
    const forg = await drive(server.url, forged);
    const bLast = await drive(bareServer.url, bareReqs);
    // The better of two bare runs (before and after), so the comparison is not flattered by noise.
    const b = bFirst.rps >= bLast.rps ? bFirst : bLast;
    const rate = (x: number) => `${Math.round(x)} req/s`;
    const check = (got: Set<number>, want: number) => {
      if (got.size !== 1 || !got.has(want)) throw new Error(`expected only ${want}, got ${[...got].join(', ')}`);
    };
    check(b.statuses, 404);
    check(idem.statuses, 404);
    check(valid404.statuses, 404);
    check(forg.statuses, 401);
    return [
      { name: 'bare express POST (same body, same client)', value: rate(b.rps) },
      { name: 'signed: idempotent stored answer (verify, cached answer)', value: rate(idem.rps), goal: `≥ ${rate(b.rps * 0.5)} (0.5 × bare)`, ok: idem.rps >= b.rps * 0.5 },
      { name: 'signed: 404 unknown vault (verify, read, audited write)', value: rate(valid404.rps), goal: `≥ ${rate(b.rps * 0.5)} (0.5 × bare)`, ok: valid404.rps >= b.rps * 0.5 },
      { name: 'forged signature: 401 (one verify, no store)', value: rate(forg.rps), goal: '≥ every valid path (±5% noise)', ok: forg.rps >= 0.95 * Math.max(idem.rps, valid404.rps) },
      ...(await serviceRss()),
    ];
  } finally {
    await server.close();
    await bareServer.close();
    await store.close();
  }
}

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
    const fresh = Array.from({ length: REQUESTS }, (_, i) => signed(i));
    const keyed = signed(REQUESTS + 1, { 'idempotency-key': 'rss-1' });
    const forged = fresh.map((r) => ({ ...r, headers: { ...r.headers, 'x-backstop-signature': Buffer.alloc(64, 7).toString('base64') } }));
    // Production's per-source rate limit (burst 60, 10/s) answers most valid requests 429 after verifying them;
    // a keyed request sent while its twin is still being answered is 409 idempotency-key-in-flight.
    const runs = [await drive(service.url, fresh), await drive(service.url, Array.from({ length: REQUESTS }, () => keyed)), await drive(service.url, forged)];
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
      { name: `service RSS right after ${3 * REQUESTS} requests (${[...statuses].sort().join('/')})`, value: mb(loaded), goal: '< 200 MB', ok: loaded < 200 },
      { name: `service RSS ${settledAfter} s after the load`, value: mb(settled), goal: `< ${SETTLED_MB} MB within ${SETTLE_MS / 1000} s`, ok: settled < SETTLED_MB },
      { name: 'service peak RSS (start-up and load)', value: mb(peak) },
    ];
  } finally {
    await service.stop();
  }
}
