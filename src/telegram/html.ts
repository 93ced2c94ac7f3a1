/** Telegram HTML parse mode (SPEC §7): everything user- or chain-derived goes through {@link escapeHtml}. */

/** Escapes `&`, `<`, `>` and `"` — the characters Telegram's HTML parser gives meaning to. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `<code>` around escaped text. */
export const code = (text: string): string => `<code>${escapeHtml(text)}</code>`;

/** A link whose URL and label are both escaped. */
export const link = (url: string, label: string): string => `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;

/** Shortens `text` to `max` characters with an ellipsis (before escaping, so no entity is cut). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
