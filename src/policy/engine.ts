/**
 * `decide(facts, policy, now) → { decision, summary }`: pure, deny by default. Every rule runs and
 * appears; a rule that throws is reported as `unknown` rather than taking the decision down with it.
 * The summary carries the numbers decided on, typed, for every screen that shows them.
 */
import { buildContext, type RuleContext } from './context.ts';
import { buildDecision, type Decision, type RuleVerdict } from './decision.ts';
import type { Facts } from './facts.ts';
import { RULES } from './rules/index.ts';
import { policyRevision } from './revision.ts';
import type { Policy } from './schema.ts';
import { EMPTY_SUMMARY, summarize, type DecisionSummary } from './summary.ts';

export interface Decided {
  readonly decision: Decision;
  readonly summary: DecisionSummary;
}

export function decide(facts: Facts, policy: Policy, now: Date): Decided {
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
  const decision = buildDecision({ rules, digest: ctx?.proposal.digest ?? null, policyRevision: revision, now });
  let summary = EMPTY_SUMMARY;
  try {
    if (ctx) summary = summarize(ctx);
  } catch {
    // The summary only informs screens; the decision above already reports what could not be read.
  }
  return { decision, summary };
}
