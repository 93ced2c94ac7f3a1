/**
 * Telegram Mini App `initData`, validated exactly as Telegram specifies ("Validating data received via
 * the Mini App"): secret = HMAC-SHA256(key "WebAppData", message = the bot token); hash =
 * HMAC-SHA256(key = secret, message = the data-check-string: every received field but `hash`, as
 * `key=<value>` with the value URL-decoded, sorted by key, joined by "\n"); compared in constant time.
 * Fail closed: a repeated field, a missing or malformed `hash`, `auth_date` or `user`, or an
 * `auth_date` more than {@link INIT_DATA_MAX_AGE_SECONDS} old (or from the future) is refused. Pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The longest `initData` accepted (Telegram's are well under 2 KiB). */
export const INIT_DATA_MAX_BYTES = 8192;
/** `auth_date` at most this old: the Mini App is reopened from the card after it. */
export const INIT_DATA_MAX_AGE_SECONDS = 600;
/** Clock skew tolerated for an `auth_date` slightly ahead of the server. */
export const INIT_DATA_FUTURE_SKEW_SECONDS = 60;

/** The Telegram user `initData` names (only what backstop reads). */
export interface MiniAppUser {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string | null;
  readonly username: string | null;
}

export interface ValidInitData {
  readonly ok: true;
  readonly user: MiniAppUser;
  readonly authDate: Date;
  /** `start_param` (the direct link's `startapp`), null when the Mini App was opened without one. */
  readonly startParam: string | null;
}

export type InitDataResult = ValidInitData | { readonly ok: false; readonly reason: string };

const HASH = /^[0-9a-f]{64}$/;
const AUTH_DATE = /^[0-9]{1,12}$/;

/** HMAC-SHA256(key "WebAppData", bot token): the key `hash` is made with. */
export function initDataSecret(botToken: string): Buffer {
  return createHmac('sha256', 'WebAppData').update(botToken).digest();
}

/** The data-check-string of decoded fields (`hash` excluded, sorted by key, joined by "\n"). */
export function dataCheckString(fields: ReadonlyMap<string, string>): string {
  return [...fields.entries()]
    .filter(([k]) => k !== 'hash')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** Validates `initData` against the bot token at `now`. Never throws. */
export function validateInitData(initData: string, botToken: string, now: Date, maxAgeSeconds = INIT_DATA_MAX_AGE_SECONDS): InitDataResult {
  const refuse = (reason: string): InitDataResult => ({ ok: false, reason });
  if (typeof initData !== 'string' || initData.length === 0) return refuse('no initData: open the Mini App from Telegram');
  if (Buffer.byteLength(initData, 'utf8') > INIT_DATA_MAX_BYTES) return refuse('initData is too long');
  if (!botToken) return refuse('no bot token is configured to check initData with');
  const fields = new Map<string, string>();
  try {
    for (const pair of initData.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return refuse('initData is not a query string');
      const key = decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '));
      const value = decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      if (fields.has(key)) return refuse(`initData repeats ${key}`);
      fields.set(key, value);
    }
  } catch {
    return refuse('initData is not valid percent-encoded UTF-8');
  }
  const hash = fields.get('hash');
  if (hash === undefined || !HASH.test(hash)) return refuse('initData has no valid hash');
  const expected = createHmac('sha256', initDataSecret(botToken)).update(dataCheckString(fields)).digest();
  if (!timingSafeEqual(expected, Buffer.from(hash, 'hex'))) return refuse('initData is not signed with this bot’s token');

  const authDate = fields.get('auth_date');
  if (authDate === undefined || !AUTH_DATE.test(authDate)) return refuse('initData has no auth_date');
  const age = Math.floor(now.getTime() / 1000) - Number(authDate);
  if (age > maxAgeSeconds) return refuse(`initData is ${Math.floor(age / 60)} minutes old (at most ${Math.floor(maxAgeSeconds / 60)}): open Approve on the card again`);
  if (age < -INIT_DATA_FUTURE_SKEW_SECONDS) return refuse('initData’s auth_date is in the future: check the server clock');

  const user = parseUser(fields.get('user'));
  if (!user) return refuse('initData names no user');
  const startParam = fields.get('start_param');
  return { ok: true, user, authDate: new Date(Number(authDate) * 1000), startParam: startParam === undefined || startParam === '' ? null : startParam };
}

function parseUser(text: string | undefined): MiniAppUser | null {
  if (text === undefined) return null;
  let u: unknown;
  try {
    u = JSON.parse(text);
  } catch {
    return null;
  }
  if (u === null || typeof u !== 'object' || Array.isArray(u)) return null;
  const r = u as Record<string, unknown>;
  if (typeof r['id'] !== 'number' || !Number.isSafeInteger(r['id']) || r['id'] <= 0) return null;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return { id: r['id'], firstName: str(r['first_name']) ?? '', lastName: str(r['last_name']), username: str(r['username']) };
}

/** `<row>_<epoch>` of a card's Approve link, or null. */
export function parseStartParam(param: string | null): { rowId: number; epoch: number } | null {
  if (param === null) return null;
  const m = /^([1-9][0-9]{0,14})_([1-9][0-9]{0,14})$/.exec(param);
  if (!m) return null;
  const rowId = Number(m[1]);
  const epoch = Number(m[2]);
  return Number.isSafeInteger(rowId) && Number.isSafeInteger(epoch) ? { rowId, epoch } : null;
}
