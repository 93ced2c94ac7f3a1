import { describe, expect, it } from 'vitest';
import { REJECT_HOLD_SECONDS, deadline, holdActive, holdEndsAt, isExpired, nextReminder } from '../../src/workflow/timers.ts';

const policy = { approvals: { ttl: 86_400, remindEvery: 7_200 } }; // 24h, 2h
const received = new Date('2026-11-30T12:00:00.000Z');
const at = (iso: string) => new Date(iso);

describe('deadline (the ttl runs from received)', () => {
  it('is received + ttl', () => {
    expect(deadline(received, policy)).toEqual(at('2026-12-01T12:00:00.000Z'));
  });
});

describe('expiry at ttl', () => {
  const end = deadline(received, policy);
  it('is not expired one millisecond before the deadline', () => {
    expect(isExpired(end, new Date(end.getTime() - 1))).toBe(false);
  });
  it('is expired at the deadline and after', () => {
    expect(isExpired(end, end)).toBe(true);
    expect(isExpired(end, new Date(end.getTime() + 1))).toBe(true);
  });
});

describe('reminders every remindEvery', () => {
  const end = deadline(received, policy);
  it('the first comes remindEvery after the card', () => {
    expect(nextReminder(received, policy, end)).toEqual(at('2026-11-30T14:00:00.000Z'));
  });
  it('the next comes remindEvery after the last reminder', () => {
    expect(nextReminder(at('2026-12-01T08:00:00.000Z'), policy, end)).toEqual(at('2026-12-01T10:00:00.000Z'));
  });
  it('none at the deadline', () => {
    expect(nextReminder(at('2026-12-01T10:00:00.000Z'), policy, end)).toBeNull();
  });
  it('none after the deadline', () => {
    expect(nextReminder(at('2026-12-01T11:00:00.000Z'), policy, end)).toBeNull();
  });
  it('one just before the deadline', () => {
    expect(nextReminder(at('2026-12-01T09:59:59.000Z'), policy, end)).toEqual(at('2026-12-01T11:59:59.000Z'));
  });
});

describe('the first Reject press holds signing for 10 minutes', () => {
  const hold = { startedAt: at('2026-11-30T13:00:00.000Z'), by: 2001 };
  it('lasts 600 seconds', () => {
    expect(REJECT_HOLD_SECONDS).toBe(600);
    expect(holdEndsAt(hold)).toEqual(at('2026-11-30T13:10:00.000Z'));
  });
  it('is active from its start until 10 minutes later', () => {
    expect(holdActive(hold, hold.startedAt)).toBe(true);
    expect(holdActive(hold, at('2026-11-30T13:09:59.999Z'))).toBe(true);
  });
  it('timeout lifts the hold', () => {
    expect(holdActive(hold, at('2026-11-30T13:10:00.000Z'))).toBe(false);
    expect(holdActive(hold, at('2026-11-30T14:00:00.000Z'))).toBe(false);
  });
  it('no hold is not active', () => {
    expect(holdActive(null, hold.startedAt)).toBe(false);
  });
  it('a hold stamped in the future still holds', () => {
    expect(holdActive(hold, at('2026-11-30T12:59:00.000Z'))).toBe(true);
  });
});
