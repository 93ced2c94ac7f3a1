/**
 * How an allowed decision's value is reserved against loss events (docs/rules.md#how-the-numbers-are-computed, docs/storage.md): events fill
 * oldest first (loss block time, then id), a bound event takes it alone, and the limits window is
 * re-checked. Pure: the store calls it inside its vault-level lock with the rows it just read.
 */
import type { LedgerRow } from './facts.ts';

export interface ReservableEvent {
  readonly id: string;
  readonly vault: string;
  /** Verified recorded loss (underlying base units), computed when the event was recorded. */
  readonly recordedLoss: bigint;
  /** Loss transaction block time (unix seconds); null sorts last. */
  readonly blockTime: number | null;
  readonly state: 'open' | 'closed';
}

export type ReservationPlan =
  | { readonly ok: true; readonly rows: readonly { readonly lossEventId: string; readonly amount: bigint }[] }
  | { readonly ok: false; readonly reason: string };

export function planReservation(input: {
  events: readonly ReservableEvent[];
  ledger: readonly LedgerRow[];
  /** `<multisig>:<index>`; its own rows never count against it. */
  proposal: string;
  value: bigint;
  boundEventId?: string;
  windowStartMs: number;
  maxPerWindow: bigint;
}): ReservationPlan {
  const { ledger, proposal, value } = input;
  if (value <= 0n) return { ok: false, reason: 'nothing to reserve' };
  const others = ledger.filter((r) => r.proposal !== proposal && r.state !== 'released');
  const open = input.events
    .filter((e) => e.state === 'open' && (input.boundEventId === undefined || e.id === input.boundEventId))
    .sort((a, b) => (a.blockTime ?? Number.MAX_SAFE_INTEGER) - (b.blockTime ?? Number.MAX_SAFE_INTEGER) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (input.boundEventId !== undefined && open.length === 0) return { ok: false, reason: `loss event ${input.boundEventId} is not open` };

  const vaultEvents = new Set(input.events.map((e) => e.id));
  const inWindow = others
    .filter((r) => vaultEvents.has(r.lossEventId) && (r.at === undefined || r.at.getTime() > input.windowStartMs))
    .reduce((s, r) => s + r.amount, 0n);
  if (inWindow + value > input.maxPerWindow) {
    return { ok: false, reason: `the window already holds ${inWindow}; ${value} more exceeds maxPerWindow ${input.maxPerWindow}` };
  }

  const rows: { lossEventId: string; amount: bigint }[] = [];
  let left = value;
  for (const e of open) {
    if (left === 0n) break;
    const used = others.filter((r) => r.lossEventId === e.id).reduce((s, r) => s + r.amount, 0n);
    const remaining = e.recordedLoss - used;
    if (remaining <= 0n) continue;
    const take = remaining < left ? remaining : left;
    rows.push({ lossEventId: e.id, amount: take });
    left -= take;
  }
  if (left > 0n) return { ok: false, reason: `the remaining loss is ${value - left}, less than ${value}` };
  return { ok: true, rows };
}
