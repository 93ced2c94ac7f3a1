/**
 * Text that humans read (claims, notes, names, reasons) comes from people we do not trust. At input
 * {@link cleanText} strips control characters (NUL, C0, DEL, C1) and folds line breaks to a space;
 * at display {@link showInvisible} writes bidirectional controls and any control left as `<U+XXXX>`,
 * so a claim cannot reorder or hide what approvers see.
 */

/** Line and tab breaks, folded to one space: a single line cannot fake another line of a card. */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
/** C0 controls, DEL and C1 controls (what is left after {@link BREAKS}). */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidirectional controls: embeddings and overrides, isolates, marks (LRM, RLM, ALM). */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
/** What {@link showInvisible} escapes: bidi controls, controls (a line feed when `keepNewlines` is off), line/paragraph separators. */
const INVISIBLE = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
const INVISIBLE_WITH_LF = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Input: human text without control characters, line breaks folded to a space. Bidi controls are kept (shown escaped). */
export function cleanText(text: string): string {
  return text.replace(BREAKS, ' ').replace(CONTROLS, '');
}

/** True when `text` holds a bidirectional control character. */
export function hasBidiControl(text: string): boolean {
  return BIDI.test(text);
}

const codePoint = (c: string): string => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;

/**
 * Display: bidi controls, controls and line separators as `<U+202E>`. Line feeds are kept unless
 * `singleLine` (text that must stay on its own line of a card).
 */
export function showInvisible(text: string, o: { singleLine?: boolean } = {}): string {
  return text.replace(o.singleLine ? INVISIBLE_WITH_LF : INVISIBLE, codePoint);
}

/**
 * For logs: at most `max` characters of text an attacker may have chosen, invisible characters
 * escaped, so a log line is never the attacker's bytes verbatim.
 */
export function forLog(text: string, max = 120): string {
  const shown = showInvisible(text, { singleLine: true });
  return shown.length <= max ? shown : `${shown.slice(0, max)}…(${text.length} chars)`;
}
