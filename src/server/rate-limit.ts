/**
 * Per-source token buckets, in memory (docs/api.md "429 rate limited"): each verified source may burst
 * up to `burst` requests, refilled at `perSecond`. Counted after authentication, so forgeries cannot
 * spend a real source's budget.
 */

export interface RateLimitOptions {
  /** Bucket size. Default 60. */
  readonly burst?: number;
  /** Refill rate. Default 10 per second. */
  readonly perSecond?: number;
  /** Monotonic milliseconds (tests). */
  readonly nowMs?: () => number;
}

/** How often buckets that have refilled are dropped (a full bucket is the same as none). */
const SWEEP_MS = 60_000;

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export class RateLimiter {
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly nowMs: () => number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt: number;

  constructor(options: RateLimitOptions = {}) {
    this.burst = options.burst ?? 60;
    this.perSecond = options.perSecond ?? 10;
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.sweptAt = this.nowMs();
  }

  /** Buckets held (sources seen recently enough not to have refilled). */
  size(): number {
    return this.buckets.size;
  }

  /** Takes one token from `key`'s bucket. */
  take(key: string): RateDecision {
    const now = this.nowMs();
    if (now - this.sweptAt >= SWEEP_MS) this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
  }
}
