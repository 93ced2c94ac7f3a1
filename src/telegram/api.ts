/**
 * grammY API clients for backstop: bounded retries (`@grammyjs/auto-retry` for 429 and 5xx), a
 * request timeout, and the delay the telegram-test-api emulator needs (its `getUpdates` ignores
 * `timeout` and would otherwise be polled in a tight loop).
 */
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, type RawApi } from 'grammy';

/** Waited after an empty `getUpdates` when `apiRoot` is set; harmless against a real Bot API server. */
export const EMPTY_POLL_DELAY_MS = 20;

/** Where and how to reach the Bot API. */
export interface ApiOptions {
  readonly token: string;
  /** e.g. `http://127.0.0.1:9600` (the emulator); default the real Bot API. */
  readonly apiRoot?: string;
}

/** The client options grammY takes (`new Bot(token, { client })`, `new Api(token, client)`). */
export function clientOptions(o: ApiOptions & { timeoutSeconds?: number }): { apiRoot?: string; timeoutSeconds?: number } {
  return { ...(o.apiRoot ? { apiRoot: o.apiRoot } : {}), ...(o.timeoutSeconds ? { timeoutSeconds: o.timeoutSeconds } : {}) };
}

/** Installs auto-retry and (with a custom `apiRoot`) the empty-`getUpdates` delay on `api`. */
export function configureApi(api: Api<RawApi>, o: ApiOptions & { maxRetryAttempts: number; maxDelaySeconds: number }): void {
  // Network failures are not retried here: the caller marks the work pending and retries from the store.
  api.config.use(autoRetry({ maxRetryAttempts: o.maxRetryAttempts, maxDelaySeconds: o.maxDelaySeconds, rethrowHttpErrors: true }));
  if (o.apiRoot) {
    api.config.use(async (prev, method, payload, signal) => {
      const result = await prev(method, payload, signal);
      if (method === 'getUpdates' && result.ok && Array.isArray(result.result) && result.result.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, EMPTY_POLL_DELAY_MS));
      }
      return result;
    });
  }
}

/** A standalone API client for sending cards (short timeout, one retry: it runs inside proposal locks). */
export function notifierApi(o: ApiOptions): Api<RawApi> {
  const api = new Api(o.token, clientOptions({ ...o, timeoutSeconds: 15 }));
  configureApi(api, { ...o, maxRetryAttempts: 1, maxDelaySeconds: 10 });
  return api;
}
