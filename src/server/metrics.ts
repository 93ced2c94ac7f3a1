/**
 * Prometheus metrics (GET /metrics). Each concern registers its own metrics in one shared
 * `Registry` the service passes around: HTTP answers, decisions by outcome and rule, RPC round trips
 * and errors (read from the ChainReader's counters when scraped), and the poller's lag.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Decision } from '../policy/decision.ts';
import type { Store } from '../store/types.ts';

/** HTTP requests by route pattern, method and status. */
export interface HttpMetrics {
  observe(input: { route: string; method: string; status: number; seconds: number }): void;
}

export function registerHttpMetrics(registry: Registry): HttpMetrics {
  const requests = new Counter({ name: 'backstop_http_requests_total', help: 'HTTP requests answered, by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'backstop_http_request_duration_seconds',
    help: 'HTTP answer time, by route',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  return {
    observe({ route, method, status, seconds }) {
      requests.inc({ route, method, status: String(status) });
      duration.observe({ route }, seconds);
    },
  };
}

/** Decisions by outcome, and rule results by rule and outcome. */
export interface DecisionMetrics {
  recordDecision(decision: Decision): void;
}

export function registerDecisionMetrics(registry: Registry): DecisionMetrics {
  const decisions = new Counter({ name: 'backstop_decisions_total', help: 'policy decisions, by outcome', labelNames: ['outcome'], registers: [registry] });
  const rules = new Counter({ name: 'backstop_decision_rules_total', help: 'rule results in decisions, by rule and outcome', labelNames: ['rule', 'outcome'], registers: [registry] });
  return {
    recordDecision(decision) {
      decisions.inc({ outcome: decision.allowed ? 'allowed' : 'denied' });
      for (const r of decision.rules) rules.inc({ rule: r.id, outcome: r.outcome });
    },
  };
}

/** The store with every recorded decision counted (wire it into the Workflow instead of the bare store). */
export function countDecisions(store: Store, metrics: DecisionMetrics): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'recordDecision') {
        return async (input: Parameters<Store['recordDecision']>[0]) => {
          await target.recordDecision(input);
          metrics.recordDecision(input.decision);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** What the RPC metrics read (ChainReader's counters). */
export interface RpcCounters {
  readonly roundTrips: number;
  readonly rpcErrors: number;
}

/** RPC round trips and errors, read from `chain` at each scrape. */
export function registerRpcMetrics(registry: Registry, chain: RpcCounters): void {
  const delta = (read: () => number) => {
    let seen = 0;
    return function (this: Counter) {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    };
  };
  new Counter({ name: 'backstop_rpc_round_trips_total', help: 'RPC HTTP requests made (each attempt, each batch)', registers: [registry], collect: delta(() => chain.roundTrips) });
  new Counter({ name: 'backstop_rpc_errors_total', help: 'failed RPC attempts (status, timeout, network, JSON-RPC error)', registers: [registry], collect: delta(() => chain.rpcErrors) });
}

/** The poller's lag: seconds since its last completed pass (the service sets it). */
export interface PollerMetrics {
  setLag(seconds: number): void;
}

export function registerPollerMetrics(registry: Registry): PollerMetrics {
  const lag = new Gauge({ name: 'backstop_poller_lag_seconds', help: 'seconds since the chain poller last completed a pass', registers: [registry] });
  return { setLag: (seconds) => lag.set(seconds) };
}

/** What the pool metrics read: the guardian's latest check of each vault. */
export interface PoolCheckSnapshot {
  readonly vault: string;
  readonly checks: readonly { readonly id: string; readonly outcome: string }[];
  /** Pool kTokens / shares issued as a decimal string; null when unknown. */
  readonly depthRatio: string | null;
}

const POOL_OUTCOMES = ['pass', 'fail', 'warn', 'unknown'] as const;

/**
 * `backstop_pool_check{vault,check,outcome}` (1 for the current outcome, 0 for the others) and
 * `backstop_pool_depth_ratio{vault}`, read from `source` at each scrape. Registering again replaces
 * the earlier pair (one app per registry reads the guardian of its own workflow).
 */
export function registerPoolCheckMetrics(registry: Registry, source: () => readonly PoolCheckSnapshot[]): void {
  for (const name of ['backstop_pool_check', 'backstop_pool_depth_ratio']) registry.removeSingleMetric(name);
  new Gauge({
    name: 'backstop_pool_check',
    help: 'Insurance Pool checks by vault, check id and outcome: 1 for the current outcome (the guardian’s latest read)',
    labelNames: ['vault', 'check', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const view of source()) {
        for (const c of view.checks) for (const outcome of POOL_OUTCOMES) this.set({ vault: view.vault, check: c.id, outcome }, c.outcome === outcome ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'backstop_pool_depth_ratio',
    help: 'Insurance Pool kTokens (staked + pending) / the vault’s shares issued (the guardian’s latest read)',
    labelNames: ['vault'],
    registers: [registry],
    collect() {
      this.reset();
      for (const view of source()) if (view.depthRatio !== null) this.set({ vault: view.vault }, Number(view.depthRatio));
    },
  });
}

/** Every backstop metric in one registry. */
export interface Metrics {
  readonly registry: Registry;
  readonly http: HttpMetrics;
  readonly decisions: DecisionMetrics;
  readonly poller: PollerMetrics;
}

/** Creates the registry and registers every metric; `chain` adds the RPC counters. */
export function createMetrics(options: { registry?: Registry; chain?: RpcCounters; processMetrics?: boolean } = {}): Metrics {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'backstop_' });
  if (options.chain) registerRpcMetrics(registry, options.chain);
  return { registry, http: registerHttpMetrics(registry), decisions: registerDecisionMetrics(registry), poller: registerPollerMetrics(registry) };
}
