import { describe, expect, it } from 'vitest';
import { planReservation, type ReservableEvent } from '../../src/policy/reservation.ts';

const ev = (id: string, recordedLoss: bigint, blockTime: number | null, state: 'open' | 'closed' = 'open'): ReservableEvent => ({ id, vault: 'v', recordedLoss, blockTime, state });
const base = { proposal: 'ms:1', windowStartMs: 0, maxPerWindow: 1_000n };

describe('reservation planning', () => {
  it('fills events oldest first, then by id', () => {
    const plan = planReservation({ ...base, events: [ev('b', 50n, 200), ev('a', 30n, 100), ev('c', 40n, 100)], ledger: [], value: 90n });
    expect(plan).toEqual({ ok: true, rows: [{ lossEventId: 'a', amount: 30n }, { lossEventId: 'c', amount: 40n }, { lossEventId: 'b', amount: 20n }] });
  });
  it('subtracts other proposals’ reservations and compensations, not released rows or its own', () => {
    const ledger = [
      { lossEventId: 'a', proposal: 'ms:2', amount: 20n, state: 'reserved' as const },
      { lossEventId: 'a', proposal: 'ms:3', amount: 5n, state: 'compensated' as const },
      { lossEventId: 'a', proposal: 'ms:4', amount: 70n, state: 'released' as const },
      { lossEventId: 'a', proposal: 'ms:1', amount: 70n, state: 'reserved' as const },
    ];
    expect(planReservation({ ...base, events: [ev('a', 100n, 1)], ledger, value: 75n })).toEqual({ ok: true, rows: [{ lossEventId: 'a', amount: 75n }] });
    expect(planReservation({ ...base, events: [ev('a', 100n, 1)], ledger, value: 76n }).ok).toBe(false);
  });
  it('binds to one event when asked', () => {
    const events = [ev('a', 30n, 1), ev('b', 100n, 2)];
    expect(planReservation({ ...base, events, ledger: [], value: 40n, boundEventId: 'b' })).toEqual({ ok: true, rows: [{ lossEventId: 'b', amount: 40n }] });
    expect(planReservation({ ...base, events, ledger: [], value: 40n, boundEventId: 'a' }).ok).toBe(false);
  });
  it('refuses when the window would overflow', () => {
    const ledger = [{ lossEventId: 'a', proposal: 'ms:2', amount: 10n, state: 'reserved' as const, at: new Date(5_000) }];
    expect(planReservation({ ...base, events: [ev('a', 100n, 1)], ledger, value: 10n, maxPerWindow: 19n }).ok).toBe(false);
    expect(planReservation({ ...base, events: [ev('a', 100n, 1)], ledger, value: 10n, maxPerWindow: 19n, windowStartMs: 5_000 }).ok).toBe(true);
  });
  it('ignores closed events', () => {
    expect(planReservation({ ...base, events: [ev('a', 100n, 1, 'closed')], ledger: [], value: 1n }).ok).toBe(false);
  });
});
