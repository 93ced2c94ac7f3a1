/**
 * `Idempotency-Key` (docs/api.md): a final answer is stored per (source, key) with the hash of the
 * request; the same key with the same request within 24 h gets that stored answer again, with no
 * second effect. The same key with a DIFFERENT request is refused 422 `idempotency-key-reused`
 * (as the IETF Idempotency-Key draft advises) — the key is never rebound.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/types.ts';
import { HttpError } from './errors.ts';

/** How long a stored answer is replayed. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The header's key, or undefined when absent; 400 when it is not 1–255 visible ASCII characters. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY.test(header)) throw new HttpError(400, 'invalid-idempotency-key', 'Idempotency-Key must be 1–255 visible ASCII characters');
  return header;
}

/** What identifies "the same request": method, target and raw body bytes. */
export function requestHash(method: string, path: string, body: Buffer): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n`).update(body).digest('hex');
}

export type StoredAnswer = { readonly status: number; readonly body: string };

/**
 * Stored answers kept in memory as well (they never change once stored; one instance per database):
 * at most this many, and at most this many bytes of keys and bodies (a 2xx body can be kilobytes),
 * least recently used first out. The store answers the rest for the whole window.
 */
export const CACHE_LIMITS = { entries: 2_000, bytes: 2 * 1024 * 1024 } as const;

type CacheEntry = { hash: string; answer: StoredAnswer; at: Date; bytes: number };

/** Looks up and stores answers; one request per (source, key) at a time. */
export class IdempotencyStore {
  private readonly inFlight = new Set<string>();
  private readonly cache = new Map<string, CacheEntry>();
  private cacheBytes = 0;

  constructor(
    private readonly store: Pick<Store, 'getDelivery' | 'storeDelivery'>,
    private readonly clock: () => Date,
    private readonly limits: { readonly entries: number; readonly bytes: number } = CACHE_LIMITS,
  ) {}

  /** What the in-memory cache holds (entries, and bytes of keys and bodies). */
  cacheSize(): { entries: number; bytes: number } {
    return { entries: this.cache.size, bytes: this.cacheBytes };
  }

  /**
   * The stored answer for the same request, or null when none is stored (or it is older than the
   * window). Throws 422 for the key reused with another request, 409 while the key is in flight.
   */
  async lookup(source: string, key: string, hash: string): Promise<StoredAnswer | null> {
    const id = `${source}\n${key}`;
    let stored = this.cache.get(id);
    if (stored) {
      // Most recently used last: the Map's order is the eviction order.
      this.cache.delete(id);
      this.cache.set(id, stored);
    } else {
      const row = await this.store.getDelivery(source, key);
      if (row) stored = this.remember(id, { hash: row.bodyHash, answer: { status: row.statusCode, body: row.responseBody }, at: row.at });
    }
    if (stored && this.clock().getTime() - stored.at.getTime() > IDEMPOTENCY_WINDOW_MS) this.forget(id);
    else if (stored) {
      if (stored.hash !== hash) {
        throw new HttpError(422, 'idempotency-key-reused', 'this Idempotency-Key was used for a different request; use a new key');
      }
      return stored.answer;
    }
    if (this.inFlight.has(`${source}\n${key}`)) {
      throw new HttpError(409, 'idempotency-key-in-flight', 'a request with this Idempotency-Key is still being answered; retry shortly');
    }
    return null;
  }

  /** Marks the key in flight until `release`. */
  claim(source: string, key: string): void {
    this.inFlight.add(`${source}\n${key}`);
  }

  release(source: string, key: string): void {
    this.inFlight.delete(`${source}\n${key}`);
  }

  async save(input: { source: string; key: string; hash: string; answer: StoredAnswer }): Promise<void> {
    const at = this.clock();
    await this.store.storeDelivery({
      source: input.source,
      idempotencyKey: input.key,
      bodyHash: input.hash,
      statusCode: input.answer.status,
      responseBody: input.answer.body,
      at,
    });
    // Re-read rather than assume: an earlier answer under this key (another process, a race) wins.
    this.forget(`${input.source}\n${input.key}`);
  }

  private remember(id: string, value: { hash: string; answer: StoredAnswer; at: Date }): CacheEntry {
    // UTF-16 strings: two bytes a character, near enough for a bound.
    const entry = { ...value, bytes: 2 * (id.length + value.hash.length + value.answer.body.length) + 64 };
    this.forget(id);
    if (entry.bytes > this.limits.bytes) return entry; // answered, not kept
    while (this.cache.size > 0 && (this.cache.size >= this.limits.entries || this.cacheBytes + entry.bytes > this.limits.bytes)) {
      this.forget(this.cache.keys().next().value as string);
    }
    this.cache.set(id, entry);
    this.cacheBytes += entry.bytes;
    return entry;
  }

  private forget(id: string): void {
    const entry = this.cache.get(id);
    if (entry === undefined) return;
    this.cache.delete(id);
    this.cacheBytes -= entry.bytes;
  }
}
