/**
 * Not trusting one RPC (issue 13 §4). With several providers in `SOLANA_RPC_URL`, accounts cannot
 * be compared byte for byte (they change nearly every slot, and no RPC reads at a fixed slot), so
 * each provider's own snapshot is decided on, and the decision goes ahead only when every provider
 * allows it with the same digest and the same loss evidence. Otherwise the outcome is `unknown`,
 * naming the providers, and the chat is alerted: one lying or stale RPC can never cause a signature.
 * Recording a loss is verified on every provider the same way.
 */
import { ChainUnavailable } from '../chain/errors.ts';
import { rpcProviders, type RpcProvider } from '../chain/multi-rpc.ts';
import type { AccountSource } from '../chain/types.ts';
import { decisionId, type Decision, type RuleResult } from '../policy/decision.ts';
import type { Facts } from '../policy/facts.ts';
import { LossUnverifiable, verifyLossForRecording, type VerifiedLoss } from '../policy/loss-recording.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import type { Log, Notifier, WorkflowChain } from './ports.ts';

/** A decision as `Workflow.freshDecision` answers it. */
export interface FreshDecision {
  readonly facts: Facts;
  readonly decision: Decision;
  readonly summary: DecisionSummary;
  readonly now: Date;
}

/** What deciding on every provider needs from the workflow. */
export interface ProviderDeps {
  readonly chain: WorkflowChain;
  readonly notifier: Notifier;
  readonly log: Log;
}

/** One provider's decision. */
export interface ProviderDecision {
  readonly provider: string;
  readonly fresh: FreshDecision;
}

/** The combined decision, and what the providers disagreed on (null: they agree). */
export interface Combined {
  readonly fresh: FreshDecision;
  readonly disagreement: string | null;
  /** Identifies the disagreement across polls (numbers that move every slot left out), for alerting once. */
  readonly key: string | null;
}

const REASON_CHARS = 200;
const short = (text: string) => (text.length > REASON_CHARS ? `${text.slice(0, REASON_CHARS - 1)}…` : text);
const digestText = (d: string | null) => (d === null ? 'no digest' : `digest ${d.slice(0, 16)}`);
const lossEvidence = (s: DecisionSummary) => `${s.lossEventIds.join(',')}|${s.remainingLoss}`;

/**
 * Combines the providers' decisions (pure). They agree when every one allows with the same digest
 * and loss evidence: the decision valued highest is kept (its reservation covers every provider's
 * view). Otherwise each rule whose outcome differs becomes `unknown` naming every provider's
 * outcome, a digest or loss-evidence difference makes `proposal-account` or `loss-event` `unknown`,
 * and the result is never allowed.
 */
export function combineDecisions(each: readonly ProviderDecision[]): Combined {
  if (each.length === 0) throw new Error('no provider decided');
  const first = each[0]!;
  const digests = new Set(each.map((e) => e.fresh.decision.digest));
  const evidence = new Set(each.map((e) => lossEvidence(e.fresh.summary)));
  const allAllow = each.every((e) => e.fresh.decision.allowed && e.fresh.decision.digest !== null);
  if (allAllow && digests.size === 1 && evidence.size === 1) {
    const highest = each.reduce((best, e) => ((e.fresh.summary.value ?? 0n) > (best.fresh.summary.value ?? 0n) ? e : best));
    return { fresh: highest.fresh, disagreement: null, key: null };
  }
  const outcomes = (e: ProviderDecision) => e.fresh.decision.rules.map((r) => r.outcome).join(',');
  const identical = digests.size === 1 && evidence.size === 1 && new Set(each.map(outcomes)).size === 1;
  if (identical) return { fresh: first.fresh, disagreement: null, key: null }; // the same denial everywhere

  const base = first.fresh.decision;
  const rules: RuleResult[] = base.rules.map((rule, i) => {
    const theirs = each.map((e) => ({ provider: e.provider, rule: e.fresh.decision.rules[i] }));
    if (theirs.every((t) => t.rule?.id === rule.id && t.rule.outcome === rule.outcome)) return rule;
    return disagreeingRule(rule.id, theirs.map((t) => ({ provider: t.provider, outcome: t.rule?.outcome ?? 'unknown', reason: t.rule?.reason ?? 'not decided' })));
  });
  const mark = (id: string, reason: string, facts: RuleResult['facts']) => {
    const i = rules.findIndex((r) => r.id === id);
    if (i >= 0 && rules[i]!.outcome !== 'fail') rules[i] = { id, outcome: 'unknown', reason, facts: { ...rules[i]!.facts, ...facts } };
  };
  if (digests.size > 1) {
    mark('proposal-account', `the RPC providers see different transactions: ${each.map((e) => `${e.provider} ${digestText(e.fresh.decision.digest)}`).join('; ')}`, {
      digests: Object.fromEntries(each.map((e) => [e.provider, e.fresh.decision.digest])),
    });
  }
  if (evidence.size > 1) {
    mark('loss-event', `the RPC providers weigh different loss evidence: ${each.map((e) => `${e.provider} events [${e.fresh.summary.lossEventIds.join(', ')}] remaining ${e.fresh.summary.remainingLoss}`).join('; ')}`, {
      lossEvidence: Object.fromEntries(each.map((e) => [e.provider, { events: [...e.fresh.summary.lossEventIds], remaining: e.fresh.summary.remainingLoss.toString() }])),
    });
  }
  if (rules.every((r) => r.outcome === 'pass')) {
    mark('proposal-account', `the RPC providers do not all allow it: ${each.map((e) => `${e.provider} ${e.fresh.decision.allowed ? 'allows' : 'denies'}`).join('; ')}`, {});
  }
  const body = {
    allowed: false,
    digest: digests.size === 1 ? base.digest : null,
    policyRevision: base.policyRevision,
    decidedAt: base.decidedAt,
    rules,
  };
  const decision: Decision = { id: decisionId(body), ...body };
  const disagreement = each
    .map((e) => {
      const d = e.fresh.decision;
      if (d.allowed) return `${e.provider} allows it (${digestText(d.digest)})`;
      const against = d.rules.filter((r) => r.outcome !== 'pass').map((r) => `${r.id} ${r.outcome}: ${short(r.reason)}`);
      return `${e.provider} does not (${digestText(d.digest)}${against.length > 0 ? `; ${against.join('; ')}` : ''})`;
    })
    .join(' — ');
  const key = each.map((e) => `${e.provider}:${e.fresh.decision.allowed}:${e.fresh.decision.digest}:${lossEvidence(e.fresh.summary)}:${outcomes(e)}`).join('|');
  return { fresh: { ...first.fresh, decision }, disagreement, key };
}

function disagreeingRule(id: string, theirs: readonly { provider: string; outcome: string; reason: string }[]): RuleResult {
  return {
    id,
    outcome: 'unknown',
    reason: `the RPC providers disagree: ${theirs.map((t) => `${t.provider} ${t.outcome}${t.outcome === 'pass' ? '' : ` (${short(t.reason)})`}`).join('; ')}`,
    facts: { providers: Object.fromEntries(theirs.map((t) => [t.provider, { outcome: t.outcome, reason: t.reason }])) },
  };
}

/** Alerts sent, per workflow: proposal id → the disagreement's key (one alert per new disagreement). */
const alerted = new WeakMap<object, Map<string, string>>();

/**
 * Decides on every provider when the chain has several (null when it has one: decide as before).
 * A disagreement is logged, and alerted in the policy chat once per proposal and disagreement.
 */
export async function decideOnEveryProvider(
  deps: ProviderDeps,
  target: { readonly id: string; readonly chatId: number },
  decideOn: (source: AccountSource) => Promise<FreshDecision>,
): Promise<FreshDecision | null> {
  const providers = rpcProviders(deps.chain);
  if (providers === null) return null;
  const each = await Promise.all(providers.map(async (p) => ({ provider: p.name, fresh: await decideOn(p.chain) })));
  const combined = combineDecisions(each);
  const seen = alerted.get(deps) ?? new Map<string, string>();
  alerted.set(deps, seen);
  if (combined.key === null) {
    seen.delete(target.id);
    return combined.fresh;
  }
  if (seen.get(target.id) !== combined.key) {
    seen.set(target.id, combined.key);
    deps.log.error({ proposal: target.id, disagreement: combined.disagreement }, 'the RPC providers disagree: the decision is unknown and nothing is signed');
    await deps.notifier.alert(
      target.chatId,
      `⚠️ The RPC providers disagree on ${target.id}, so backstop treats it as unknown and signs nothing: ${combined.disagreement}. Check the provider that differs (or remove it from SOLANA_RPC_URL); backstop decides again on the next poll.`,
    );
  } else {
    deps.log.debug({ proposal: target.id }, 'the RPC providers still disagree');
  }
  return combined.fresh;
}

/** What recording a loss is asked for (as `verifyLossForRecording`). */
type LossInput = Omit<Parameters<typeof verifyLossForRecording>[0], 'chain'>;

/**
 * Verifies a loss on every provider (docs/flow.md step 1). They must all verify it with the same
 * forgiven amount, loss slot and vault cTokens at the loss; the reserve's cToken supply is read at
 * each provider's current slot and moves with deposits, so the largest is kept (it credits the
 * least). A provider that cannot answer is `ChainUnavailable`; a provider that refuses while
 * another verifies is a `LossUnverifiable` naming both, alerted in the chat (`chatId`; null: the CLI, no chat).
 */
export async function verifyLossOnEveryProvider(deps: ProviderDeps, input: LossInput, chatId: number | null): Promise<VerifiedLoss> {
  const providers = rpcProviders(deps.chain);
  if (providers === null) return verifyLossForRecording({ ...input, chain: deps.chain });
  const each = await Promise.allSettled(providers.map((p) => verifyLossForRecording({ ...input, chain: p.chain })));
  const failed = (kind: new (...a: never[]) => Error) =>
    each.flatMap((r, i) => (r.status === 'rejected' && r.reason instanceof kind ? [{ provider: providers[i]!, err: r.reason as Error }] : []));
  const other = each.find((r) => r.status === 'rejected' && !(r.reason instanceof ChainUnavailable) && !(r.reason instanceof LossUnverifiable));
  if (other) throw (other as PromiseRejectedResult).reason;
  const down = failed(ChainUnavailable);
  if (down.length > 0) throw new ChainUnavailable(`the loss could not be verified on every RPC provider: ${named(down)}`);
  const refused = failed(LossUnverifiable);
  const verified = each.flatMap((r, i) => (r.status === 'fulfilled' ? [{ provider: providers[i]!, loss: r.value }] : []));
  if (verified.length === 0) {
    const messages = new Set(refused.map((r) => r.err.message));
    throw new LossUnverifiable(messages.size === 1 ? refused[0]!.err.message : `the RPC providers refuse it for different reasons: ${named(refused)}`);
  }
  const disagree = async (what: string): Promise<never> => {
    const text = `the RPC providers disagree on loss ${input.signature} of vault ${input.vault}: ${what}`;
    deps.log.error({ vault: input.vault, signature: input.signature, disagreement: what }, 'the RPC providers disagree on a loss: nothing recorded');
    if (chatId !== null) await deps.notifier.alert(chatId, `⚠️ ${text}. Nothing was recorded. Check the provider that differs (or remove it from SOLANA_RPC_URL), then record the loss again.`);
    throw new LossUnverifiable(`${text}; nothing was recorded: check the provider that differs, then record it again`);
  };
  if (refused.length > 0) {
    return disagree(`${verified.map((v) => v.provider.name).join(', ')} verif${verified.length > 1 ? 'y' : 'ies'} it; ${named(refused)}`);
  }
  const facts = (l: VerifiedLoss) => `forgiven ${l.forgiven}, vault cTokens at the loss ${l.evidence.vaultCTokens}, loss slot ${l.slot ?? 'none'}`;
  if (new Set(verified.map((v) => facts(v.loss))).size > 1) {
    return disagree(verified.map((v) => `${v.provider.name}: ${facts(v.loss)}`).join('; '));
  }
  return verified.reduce((best, v) => (v.loss.evidence.reserveCTokenSupply > best.evidence.reserveCTokenSupply ? v.loss : best), verified[0]!.loss);
}

function named(list: readonly { provider: RpcProvider; err: Error }[]): string {
  return list.map((f) => `${f.provider.name}: ${f.err.message}`).join('; ');
}
