/**
 * `compensation.requirePlan` (issue 15 §4), the part of `destination-escrow` that holds the escrow
 * to a stored plan: the withdrawal draws on exactly one loss event, which has a plan; the escrow is
 * the token vault of a MerkleDistributor of the Kamino distributor program (its PDA) whose mint is
 * the shares mint, whose root and max_total_claim are the plan's, that still holds enough after
 * the transfer, and whose clawback receiver and admin are allowed. Every mismatch is listed with
 * both values. Pure.
 */
import type { Address } from '@solana/kit';
import { decodeMerkleDistributor, merkleDistributorPda } from '../../chain/accounts/distributor.ts';
import type { TokenAccount } from '../../chain/accounts/spl.ts';
import { readAccount } from '../../chain/types.ts';
import { unusable, type RuleContext } from '../context.ts';
import type { RuleVerdict } from '../decision.ts';

/** Null when the escrow matches the plan, else the verdict (fail on a mismatch, unknown when unreadable). */
export function checkEscrowAgainstPlan(ctx: RuleContext, o: { escrow: TokenAccount; transferAmount: bigint; sharesMint: Address }): RuleVerdict | null {
  const c = ctx.policy.compensation;
  if (!c?.requirePlan) return null;
  const verdict = (outcome: 'fail' | 'unknown', reason: string, facts: Record<string, string | string[] | null> = {}): RuleVerdict => ({
    outcome,
    reason: `compensation.requirePlan: ${reason}`,
    facts: { planCheck: outcome, ...facts },
  });

  // The events the withdrawal draws on: the bound one, else the vault's verified open ones.
  const drawn = ctx.losses.boundEventId !== null ? ctx.losses.events : ctx.losses.events.filter((e) => e.outcome === 'pass');
  if (drawn.length !== 1) {
    return verdict('fail', `the withdrawal draws on ${drawn.length} loss events (${drawn.map((e) => e.id).join(', ') || 'none'}); a plan covers exactly one: bind the proposal to one loss event`);
  }
  const eventId = drawn[0]!.id;
  const plan = ctx.facts.lossEvents.find((e) => e.id === eventId)?.plan;
  if (!plan) return verdict('fail', `loss event ${eventId} has no stored compensation plan: build one with POST /v1/loss-events/${eventId}/plan`, { lossEventId: eventId });

  const at = o.escrow.owner;
  const read = readAccount(ctx.facts.accounts, at, decodeMerkleDistributor);
  const problem = unusable(read, `the escrow owner ${at} as a MerkleDistributor`);
  const base = { lossEventId: eventId, distributor: at, planRoot: plan.root, planTotal: plan.total.toString() };
  if (problem) return verdict(problem.outcome, problem.reason, base);
  if (read.status !== 'ok') return verdict('unknown', 'unreachable', base);
  const d = read.value;
  const root = Buffer.from(d.root).toString('hex');
  const outstanding = d.maxTotalClaim - d.totalAmountClaimed;
  const after = o.escrow.amount + o.transferAmount;
  const facts = {
    ...base,
    distributorRoot: root,
    maxTotalClaim: d.maxTotalClaim.toString(),
    totalAmountClaimed: d.totalAmountClaimed.toString(),
    escrowAfterTransfer: after.toString(),
    clawbackReceiver: d.clawbackReceiver,
    admin: d.admin,
  };
  const mismatches: string[] = [];
  const pda = merkleDistributorPda(d.base, d.mint, d.version);
  if (pda !== at) mismatches.push(`the distributor ${at} is not the program's PDA for base ${d.base}, mint ${d.mint}, version ${d.version} (${pda})`);
  if (d.tokenVault !== o.escrow.address) mismatches.push(`its token vault is ${d.tokenVault}, the escrow is ${o.escrow.address}`);
  if (d.mint !== o.sharesMint) mismatches.push(`its mint is ${d.mint}, the shares mint is ${o.sharesMint}`);
  if (root !== plan.root) mismatches.push(`its root is ${root}, the plan's is ${plan.root}`);
  if (d.maxTotalClaim !== plan.total) mismatches.push(`its max_total_claim is ${d.maxTotalClaim}, the plan's total is ${plan.total}`);
  if (after < outstanding) mismatches.push(`the escrow would hold ${after} after the transfer, below the ${outstanding} still claimable (max_total_claim ${d.maxTotalClaim} − claimed ${d.totalAmountClaimed})`);
  if (d.clawedBack) mismatches.push('it has been clawed back');
  if (!c.clawbackReceivers.includes(d.clawbackReceiver)) mismatches.push(`its clawback receiver is ${d.clawbackReceiver}, allowed: ${c.clawbackReceivers.join(', ')}`);
  if (!c.distributorAdmins.includes(d.admin)) mismatches.push(`its admin is ${d.admin}, allowed: ${c.distributorAdmins.join(', ')}`);
  if (mismatches.length > 0) return verdict('fail', `the escrow's distributor does not match loss event ${eventId}'s plan: ${mismatches.join('; ')}`, facts);
  return null;
}
