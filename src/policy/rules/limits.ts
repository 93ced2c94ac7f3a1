import { decimalToBaseUnits, formatUnits } from '../amounts.ts';
import { fail, pass, type Rule } from './rule.ts';

/**
 * value ≤ maxPerProposal, and value + everything reserved or compensated for this vault within the
 * window ≤ maxPerWindow. Limits are decimal strings in the underlying token.
 */
export const limits: Rule = {
  id: 'limits',
  evaluate(ctx) {
    const { policy, facts, now } = ctx;
    const v = ctx.valuation;
    if (v.outcome !== 'pass') return { outcome: v.outcome, reason: `cannot value the withdrawal: ${v.reason}`, facts: {} };
    const perProposal = decimalToBaseUnits(policy.limits.maxPerProposal, v.decimals);
    const perWindow = decimalToBaseUnits(policy.limits.maxPerWindow, v.decimals);
    const base = { value: v.value, decimals: v.decimals, maxPerProposal: policy.limits.maxPerProposal, maxPerWindow: policy.limits.maxPerWindow };
    if (perProposal === null || perWindow === null) {
      return fail(`the policy limits have more decimals than the token (${v.decimals})`, base);
    }
    const windowStart = now.getTime() - policy.limits.window * 1000;
    const vaultOf = new Map(facts.lossEvents.map((e) => [e.id, e.vault]));
    let used = 0n;
    let rows = 0;
    for (const row of facts.ledger) {
      if (row.proposal === ctx.proposalId || row.state === 'released') continue;
      // A row whose event is unknown here counts: when in doubt, the window is fuller, not emptier.
      const vault = vaultOf.get(row.lossEventId);
      if (vault !== undefined && vault !== policy.vault) continue;
      if (row.at !== undefined && row.at.getTime() <= windowStart) continue;
      used += row.amount;
      rows += 1;
    }
    const facts_ = { ...base, maxPerProposalBaseUnits: perProposal, maxPerWindowBaseUnits: perWindow, windowSeconds: policy.limits.window, usedInWindow: used, rowsInWindow: rows };
    const u = (x: bigint) => formatUnits(x, v.decimals);
    if (v.value > perProposal) return fail(`the withdrawal is worth ${u(v.value)}, above maxPerProposal ${u(perProposal)}`, facts_);
    if (v.value + used > perWindow) {
      return fail(`the withdrawal (${u(v.value)}) plus ${u(used)} already reserved or paid in the window exceeds maxPerWindow ${u(perWindow)}`, facts_);
    }
    return pass(`${u(v.value)} ≤ ${u(perProposal)} per proposal; ${u(v.value + used)} ≤ ${u(perWindow)} in the ${policy.limits.window / 86400 >= 1 && policy.limits.window % 86400 === 0 ? `${policy.limits.window / 86400}-day` : `${policy.limits.window}-second`} window`, facts_);
  },
};
