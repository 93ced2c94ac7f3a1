/**
 * Keeps the bot token out of logs: grammY's errors may carry the request URL
 * (`https://api.telegram.org/bot<token>/method`).
 */

const TOKEN_IN_URL = /bot\d+:[A-Za-z0-9_-]+/g;

/** `text` with the token (and anything shaped like `bot<id>:<secret>`) replaced by `bot<redacted>`. */
export function redactToken(text: string, token?: string): string {
  let out = text;
  if (token) out = out.split(token).join('<redacted>');
  return out.replace(TOKEN_IN_URL, 'bot<redacted>');
}

/** An error's message (and its cause's), token redacted, for a log line. */
export function errorText(err: unknown, token?: string): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 3; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? ((e as { error?: unknown }).error ?? e.cause) : undefined;
  }
  return redactToken(parts.join(': '), token);
}
