/**
 * Reading the page needs the read API's token (API_READ_TOKEN): as `Authorization: Bearer` (curl,
 * scripts), or typed once into the login form, which sets a session cookie. The cookie holds an
 * expiry and an HMAC of it keyed by a hash of the token — never the token — so it is worthless
 * without the server, dies with a token rotation, and is HttpOnly, SameSite=Strict, Path=/page.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { bearerMatches } from '../auth.ts';

export const SESSION_COOKIE = 'backstop_page';
/** How long a page session lasts. */
export const SESSION_SECONDS = 12 * 3600;

const keyOf = (token: string): Buffer => createHash('sha256').update(`backstop page session v1\n${token}`).digest();
const mac = (token: string, expires: number): string => createHmac('sha256', keyOf(token)).update(String(expires)).digest('base64url');

/** The cookie value for a session until `now` + {@link SESSION_SECONDS}. */
export function sessionValue(token: string, now: Date): string {
  const expires = Math.floor(now.getTime() / 1000) + SESSION_SECONDS;
  return `${expires}.${mac(token, expires)}`;
}

/** Whether `value` is a live session for `token`. An unset token refuses everyone. */
export function sessionValid(value: string | undefined, token: string | undefined, now: Date): boolean {
  if (!token || !value) return false;
  const m = /^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires <= Math.floor(now.getTime() / 1000)) return false;
  const want = Buffer.from(mac(token, expires));
  const got = Buffer.from(m[2]!);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The value of cookie `name` in a Cookie header. */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether a request may read the page: the bearer token, or a live session cookie. */
export function pageAllowed(h: { authorization?: string; cookie?: string }, token: string | undefined, now: Date): boolean {
  return bearerMatches(h.authorization, token) || sessionValid(cookieOf(h.cookie, SESSION_COOKIE), token, now);
}

/** The token typed into the login form, compared in constant time. */
export function tokenMatches(given: string, token: string | undefined): boolean {
  return bearerMatches(`Bearer ${given}`, token);
}
