/**
 * Fault injection for the harness: what a flaky or lying RPC node does, per method and per
 * account, so tests can prove backstop answers `unknown` instead of guessing.
 */
import type { Address } from '@solana/kit';

/** One method's injected fault. Without `times` it stays until cleared. */
export interface Fault {
  /** Delay before answering. */
  readonly latencyMs?: number;
  /** Answer with this HTTP status instead of a JSON-RPC response. */
  readonly httpStatus?: 429 | 500;
  /** Never answer (the client must time out). */
  readonly hang?: boolean;
  /** Apply to this many requests, then clear. */
  readonly times?: number;
}

/** The harness's injected faults: per JSON-RPC method, plus hidden and broken accounts. */
export class Faults {
  private readonly byMethod = new Map<string, { fault: Fault; left: number }>();
  /** Accounts served as not existing. */
  readonly hidden = new Set<Address>();
  /** Accounts whose every read answers a JSON-RPC error. */
  readonly broken = new Set<Address>();

  /** Injects `fault` for every request of `method` (or the next `fault.times` requests). */
  set(method: string, fault: Fault): void {
    this.byMethod.set(method, { fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** Removes every injected fault, including hidden and broken accounts. */
  clear(): void {
    this.byMethod.clear();
    this.hidden.clear();
    this.broken.clear();
  }

  /**
   * The fault to apply to one HTTP request carrying these methods (a batch takes the first
   * method's fault that is set), consuming one of its `times`.
   */
  take(methods: readonly string[]): Fault | undefined {
    for (const m of methods) {
      const entry = this.byMethod.get(m);
      if (!entry) continue;
      entry.left -= 1;
      if (entry.left <= 0) this.byMethod.delete(m);
      return entry.fault;
    }
    return undefined;
  }
}
