/**
 * Callback data of the card's buttons (docs/telegram.md): `<a|r|y|n|d>:<proposal row id>:<digest[0..16]>:<epoch>`,
 * at most 64 bytes (`d` = Details: shows, changes nothing). Anything else is refused here, before the
 * workflow sees it.
 */
import type { PressAction } from '../workflow/votes.ts';

/** Telegram's limit on `callback_data`. */
export const MAX_CALLBACK_BYTES = 64;

/** What a card button does: a press the workflow judges, or Details (read-only). */
export type CardAction = PressAction | 'details';

/** A button's payload: which action, on which proposal row, bound to which digest prefix and epoch. */
export interface CallbackData {
  readonly action: CardAction;
  readonly rowId: number;
  /** The first 16 hex of the digest, or '' when the proposal has no digest (a denied one). */
  readonly digestPrefix: string;
  readonly epoch: number;
}

const CODE: Readonly<Record<CardAction, string>> = { approve: 'a', reject: 'r', 'confirm-reject': 'y', 'cancel-reject': 'n', details: 'd' };
const ACTION: Readonly<Record<string, CardAction>> = { a: 'approve', r: 'reject', y: 'confirm-reject', n: 'cancel-reject', d: 'details' };

// Row id and epoch: positive safe integers without leading zeros; digest: 16 lowercase hex or nothing.
const PATTERN = /^([arnyd]):([1-9][0-9]{0,14}):((?:[0-9a-f]{16})?):([1-9][0-9]{0,14})$/;

/** Formats callback data; throws RangeError on values a card must never carry. */
export function formatCallback(data: CallbackData): string {
  if (!Number.isSafeInteger(data.rowId) || data.rowId < 1) throw new RangeError(`bad proposal row id ${data.rowId}`);
  if (!Number.isSafeInteger(data.epoch) || data.epoch < 1) throw new RangeError(`bad epoch ${data.epoch}`);
  if (!/^(?:[0-9a-f]{16})?$/.test(data.digestPrefix)) throw new RangeError(`bad digest prefix ${JSON.stringify(data.digestPrefix)}`);
  const text = `${CODE[data.action]}:${data.rowId}:${data.digestPrefix}:${data.epoch}`;
  if (Buffer.byteLength(text, 'utf8') > MAX_CALLBACK_BYTES) throw new RangeError('callback data longer than 64 bytes');
  return text;
}

/** Parses callback data; null for anything malformed (wrong shape, too long, unknown action). */
export function parseCallback(text: string): CallbackData | null {
  if (typeof text !== 'string' || Buffer.byteLength(text, 'utf8') > MAX_CALLBACK_BYTES) return null;
  const m = PATTERN.exec(text);
  if (!m) return null;
  const rowId = Number(m[2]);
  const epoch = Number(m[4]);
  const action = ACTION[m[1]!];
  if (!action || !Number.isSafeInteger(rowId) || !Number.isSafeInteger(epoch)) return null;
  return { action, rowId, digestPrefix: m[3]!, epoch };
}
