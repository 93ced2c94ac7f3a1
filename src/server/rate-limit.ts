/**
 * Per-source token buckets, in memory (SPEC §6 "429 rate limited"): each verified source may burst
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

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export class RateLimiter {
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly nowMs: () => number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimitOptions = {}) {
    this.burst = options.burst ?? 60;
    this.perSecond = options.perSecond ?? 10;
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /** Takes one token from `key`'s bucket. */
  take(key: string): RateDecision {
    const now = this.nowMs();
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
}
