/**
 * Headers of every HTML answer of the page and the Mini App: scripts and styles from this server only
 * (nothing inline, nothing third-party), forms post back here only, nothing cached or referred, and
 * framing only by Telegram's web client for the Mini App (never for the page).
 */
import express, { type RequestHandler } from 'express';

/** Telegram Web (web.telegram.org/k and /a) shows a Mini App in an iframe. */
const TELEGRAM_WEB = 'https://web.telegram.org';

export function htmlHeaders(o: { framedByTelegram: boolean }): RequestHandler {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    `frame-ancestors ${o.framedByTelegram ? TELEGRAM_WEB : "'none'"}`,
  ].join('; ');
  return (_req, res, next) => {
    res.set({
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      ...(o.framedByTelegram ? {} : { 'X-Frame-Options': 'DENY' }),
    });
    next();
  };
}

/** Small url-encoded forms only (a signature, a token, `initData`). */
export const formBody = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 });

/** A form field as one string ('' when absent or repeated). */
export function field(body: unknown, name: string, max: number): string {
  const v = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' && v.length <= max ? v : '';
}
