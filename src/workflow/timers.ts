/**
 * Pure time arithmetic for the workflow (docs/flow.md "the ttl runs from received", docs/telegram.md reminders and the
 * Reject hold). Nothing here reads a clock: callers pass `now`.
 */
import type { Policy } from '../policy/schema.ts';

/** How long the first Reject press holds signing (docs/telegram.md: 10 minutes). */
export const REJECT_HOLD_SECONDS = 600;

/** A Reject hold: who pressed Reject first, and when. Only they may confirm or cancel it. */
export interface RejectHold {
  startedAt: Date;
  by: number;
}

const plusSeconds = (t: Date, seconds: number): Date => new Date(t.getTime() + seconds * 1000);

/** When the proposal expires: `receivedAt` + `approvals.ttl`. */
export function deadline(receivedAt: Date, policy: Pick<Policy, 'approvals'>): Date {
  return plusSeconds(receivedAt, policy.approvals.ttl);
}

/**
 * When the next reminder is due: `remindEvery` after the last reminder (or the card, when none was
 * sent yet); null when that is at or after the deadline — expiry, not a reminder, comes then.
 */
export function nextReminder(lastReminderOrCardAt: Date, policy: Pick<Policy, 'approvals'>, deadlineAt: Date): Date | null {
  const next = plusSeconds(lastReminderOrCardAt, policy.approvals.remindEvery);
  return next.getTime() < deadlineAt.getTime() ? next : null;
}

/** True from the deadline on. */
export function isExpired(deadlineAt: Date, now: Date): boolean {
  return now.getTime() >= deadlineAt.getTime();
}

/** When a hold lifts by timeout. */
export function holdEndsAt(hold: RejectHold): Date {
  return plusSeconds(hold.startedAt, REJECT_HOLD_SECONDS);
}

/**
 * True while a Reject hold blocks signing: from its start until {@link REJECT_HOLD_SECONDS} later.
 * A hold stamped in the future (clock skew) counts as active — holding is the safe side.
 */
export function holdActive(hold: RejectHold | null, now: Date): boolean {
  if (hold === null) return false;
  return now.getTime() < holdEndsAt(hold).getTime();
}
