import { showAmount } from '../amounts.ts';
import { fail, pass, unknown, type Rule } from './rule.ts';

/** The withdrawal's value in the underlying token does not exceed the vault's remaining loss. */
export const amountWithinLoss: Rule = {
  id: 'amount-within-loss',
  evaluate(ctx) {
    const v = ctx.valuation;
    const l = ctx.losses;
    const events = l.events
      .filter((e) => e.outcome === 'pass')
      .map((e) => ({ id: e.id, recordedLoss: e.recordedLoss, compensated: e.compensated, reservedByOthers: e.reservedByOthers, remaining: e.remaining }));
    if (v.outcome !== 'pass') return { outcome: v.outcome, reason: `cannot value the withdrawal: ${v.reason}`, facts: { events } };
    const facts = { amount: v.amount, value: v.value, remainingLoss: l.remaining, events, staleReserves: v.staleReserves };
    if (l.outcome !== 'pass') {
      return (l.outcome === 'unknown' ? unknown : fail)(`no verified loss to compensate: ${l.reason}`, facts);
    }
    const u = (x: bigint) => showAmount(x, v.decimals);
    if (v.value > l.remaining) {
      return fail(`the withdrawal is worth ${u(v.value)}, above the remaining loss of ${u(l.remaining)} by ${u(v.value - l.remaining)}`, facts);
    }
    return pass(`the withdrawal is worth ${u(v.value)}, within the remaining loss of ${u(l.remaining)}`, facts);
  },
};
