import type { RuleVerdict } from '../decision.ts';
import type { RuleContext } from '../context.ts';

/** One rule of docs/rules.md: a stable id and a pure judgement of the context. */
export interface Rule {
  readonly id: string;
  evaluate(ctx: RuleContext): RuleVerdict;
}

export const pass = (reason: string, facts: RuleVerdict['facts'] = {}): RuleVerdict => ({ outcome: 'pass', reason, facts });
export const fail = (reason: string, facts: RuleVerdict['facts'] = {}): RuleVerdict => ({ outcome: 'fail', reason, facts });
export const unknown = (reason: string, facts: RuleVerdict['facts'] = {}): RuleVerdict => ({ outcome: 'unknown', reason, facts });
