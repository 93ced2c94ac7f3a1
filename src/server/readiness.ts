/**
 * GET /readyz checks (docs/api.md): named async checks the service supplies — the store, the RPC node,
 * Telegram when configured, the co-signer's fee balance. A check passes by resolving (or returning
 * `{ ok: true }`); its detail is shown, so it must name no secret (thrown errors show only their name).
 */
import type { Address } from '@solana/kit';
import type { RequestHandler } from 'express';
import type { Store } from '../store/types.ts';

export type CheckResult = void | { readonly ok: boolean; readonly detail?: string };
export type ReadinessCheck = () => Promise<CheckResult>;
/** Named checks, e.g. `{ store, rpc, telegram, feeBalance }`. */
export type Readiness = Readonly<Record<string, ReadinessCheck>>;

/** docs/api.md: the co-signer needs at least 0.05 SOL for fees. */
export const MIN_FEE_LAMPORTS = 50_000_000n;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, { ok: boolean; detail?: string }>;
}

/** Runs every check at once, each bounded by `timeoutMs`. */
export async function runReadiness(readiness: Readiness, timeoutMs = 3000): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(readiness).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<CheckResult>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
        });
        const r = await Promise.race([check(), timeout]);
        const result = r === undefined ? { ok: true } : { ok: r.ok, ...(r.detail !== undefined ? { detail: r.detail } : {}) };
        return [name, result] as const;
      } catch (err) {
        return [name, { ok: false, detail: err instanceof Error ? err.name : 'failed' }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  return { ready: entries.every(([, r]) => r.ok), checks };
}

/** The store answers a read. */
export const storeReady = (store: Pick<Store, 'schemaVersion'>): ReadinessCheck => async () => {
  await store.schemaVersion();
};

/** The RPC node answers `getSlot`. */
export const rpcReady = (chain: { getSlot(): Promise<number> }): ReadinessCheck => async () => {
  await chain.getSlot();
};

/** The account paying the co-signer's fees holds at least `min` lamports (default 0.05 SOL). */
export const feeBalanceReady =
  (chain: { getBalance(address: Address): Promise<bigint> }, payer: Address, min = MIN_FEE_LAMPORTS): ReadinessCheck =>
  async () => {
    const balance = await chain.getBalance(payer);
    return balance >= min ? { ok: true } : { ok: false, detail: `${payer} holds ${balance} lamports, below ${min} (0.05 SOL) for fees` };
  };

/** An instance is `active` (it holds the database) or a `standby` (PostgreSQL, docs/storage.md). */
export type Role = 'active' | 'standby';

/**
 * In front of everything while this instance is a standby: `GET /readyz` answers 200
 * `{ "role": "standby" }`, and every request that could write (POST, the Telegram webhook too)
 * answers 503 `standby` with `Retry-After`. Reads pass through; the active instance passes everything.
 */
export function standbyGate(o: { role: () => Role; retryAfterSeconds: number }): RequestHandler {
  return (req, res, next) => {
    if (o.role() !== 'standby') return next();
    if ((req.method === 'GET' || req.method === 'HEAD') && req.path === '/readyz') {
      res.status(200).type('application/json').send(JSON.stringify({ role: 'standby' }));
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    res.set('Retry-After', String(o.retryAfterSeconds));
    res
      .status(503)
      .type('application/json')
      .send(JSON.stringify({ error: { code: 'standby', message: 'this backstop instance is a standby: send the request to the active instance, or retry once this one has taken over' } }));
  };
}
