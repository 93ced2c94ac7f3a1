/**
 * `decide(facts, policy, now) → Decision`: pure, deny by default. Every rule runs and appears; a
 * rule that throws is reported as `unknown` rather than taking the decision down with it.
 */
import { buildContext, type RuleContext } from './context.ts';
import { buildDecision, type Decision, type RuleVerdict } from './decision.ts';
import type { Facts } from './facts.ts';
import { RULES } from './rules/index.ts';
import { policyRevision } from './revision.ts';
import type { Policy } from './schema.ts';

export function decide(facts: Facts, policy: Policy, now: Date): Decision {
  const revision = policyRevision(policy);
  let ctx: RuleContext | null = null;
  let contextError: string | null = null;
  try {
    ctx = buildContext(facts, policy, now);
  } catch (err) {
    contextError = err instanceof Error ? err.message : String(err);
  }
  const rules = RULES.map((rule) => {
    let verdict: RuleVerdict;
    if (!ctx) verdict = { outcome: 'unknown', reason: `the facts could not be interpreted: ${contextError}`, facts: {} };
    else {
      try {
        verdict = rule.evaluate(ctx);
      } catch (err) {
        verdict = { outcome: 'unknown', reason: `the rule could not be evaluated: ${err instanceof Error ? err.message : String(err)}`, facts: {} };
      }
    }
    return { id: rule.id, verdict };
  });
  return buildDecision({ rules, digest: ctx?.proposal.digest ?? null, policyRevision: revision, now });
}
