/**
 * Telegram HTML parse mode (docs/telegram.md): everything user- or chain-derived goes through {@link escapeHtml},
 * which also shows bidirectional and control characters as `<U+XXXX>` (src/util/text.ts), so text
 * cannot reorder or hide what approvers read.
 */
import { showInvisible } from '../util/text.ts';

const html = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Escapes `&`, `<`, `>` and `"` — the characters Telegram's HTML parser gives meaning to — after showing invisible characters. Line feeds stay. */
export function escapeHtml(text: string): string {
  return html(showInvisible(text));
}

/** {@link escapeHtml} for text that must stay on its line of a card (claims, names, reasons): a line feed is shown too. */
export function escapeLine(text: string): string {
  return html(showInvisible(text, { singleLine: true }));
}

/** `<code>` around escaped text. */
export const code = (text: string): string => `<code>${escapeLine(text)}</code>`;

/** A link whose URL and label are both escaped. */
export const link = (url: string, label: string): string => `<a href="${escapeLine(url)}">${escapeLine(label)}</a>`;

/** Shortens `text` to `max` characters with an ellipsis (before escaping, so no entity is cut). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
