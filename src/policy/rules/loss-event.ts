import type { Rule } from './rule.ts';

/** At least one open loss event of this vault (or the bound one) is a verified klend socialize_loss. */
export const lossEvent: Rule = {
  id: 'loss-event',
  evaluate(ctx) {
    const l = ctx.losses;
    return {
      outcome: l.outcome,
      reason: l.reason,
      facts: {
        boundEventId: l.boundEventId,
        events: l.events.map((e) => ({
          id: e.id,
          reserve: e.reserve,
          signature: e.signature,
          outcome: e.outcome,
          reason: e.reason,
          forgiven: e.forgiven,
          declaredLoss: e.declaredLoss,
          recordedLoss: e.recordedLoss,
        })),
      },
    };
  },
};
