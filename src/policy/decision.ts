/**
 * The decision of docs/rules.md#the-decision: all nine rule results in table order, allowed only when every one
 * passes, and a deterministic id = first 32 hex of sha256(JCS(decision without id)).
 */
import { canonicalize, sha256Hex } from './jcs.ts';

export type Outcome = 'pass' | 'fail' | 'unknown';

/** A value a rule reports; bigints become decimal strings in the decision. */
export type FactValue = string | number | boolean | null | bigint | readonly FactValue[] | { readonly [key: string]: FactValue };

/** What one rule concluded, why (in words a council reviewer understands), and the numbers it used. */
export interface RuleVerdict {
  readonly outcome: Outcome;
  readonly reason: string;
  readonly facts: Readonly<Record<string, FactValue>>;
}

export type JsonFact = string | number | boolean | null | JsonFact[] | { [key: string]: JsonFact };

export interface RuleResult {
  readonly id: string;
  readonly outcome: Outcome;
  readonly reason: string;
  readonly facts: Record<string, JsonFact>;
}

export interface Decision {
  readonly id: string;
  readonly allowed: boolean;
  readonly digest: string | null;
  readonly policyRevision: string;
  readonly decidedAt: string;
  readonly rules: readonly RuleResult[];
}

/** Converts bigints to decimal strings, recursively, so the decision is plain JSON. */
export function toJsonFact(value: FactValue): JsonFact {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJsonFact);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonFact> = {};
    for (const [k, v] of Object.entries(value as Record<string, FactValue>)) out[k] = toJsonFact(v);
    return out;
  }
  return value as JsonFact;
}

export function buildDecision(input: {
  rules: readonly { id: string; verdict: RuleVerdict }[];
  digest: string | null;
  policyRevision: string;
  now: Date;
}): Decision {
  const rules: RuleResult[] = input.rules.map(({ id, verdict }) => ({
    id,
    outcome: verdict.outcome,
    reason: verdict.reason,
    facts: toJsonFact(verdict.facts as FactValue) as Record<string, JsonFact>,
  }));
  const body = {
    allowed: rules.length > 0 && rules.every((r) => r.outcome === 'pass') && input.digest !== null,
    digest: input.digest,
    policyRevision: input.policyRevision,
    decidedAt: input.now.toISOString(),
    rules,
  };
  return { id: decisionId(body), ...body };
}

/** First 32 hex characters of sha256(JCS(decision without `id`)). */
export function decisionId(decisionWithoutId: Omit<Decision, 'id'>): string {
  return sha256Hex(canonicalize(decisionWithoutId)).slice(0, 32);
}
