/**
 * The compensation plan (issue 15 §3), pure: each affected claimant receives
 * floor(amount × shares_i / affected_shares) kTokens, the whole amount unlocked; `amount` is capped
 * by the affected holders' loss; claimants below `dust` and the remainder are reported, never
 * dropped silently; the merkle root and every proof are those the Kamino distributor verifies.
 */
import type { Address } from '@solana/kit';
import { floorDiv, type Fraction } from '../amounts.ts';
import { buildMerkleTree, proofHex, type MerkleTree } from './merkle.ts';
import type { DepositorSnapshot, Holding } from './snapshot.ts';

export type PassingSnapshot = Extract<DepositorSnapshot, { outcome: 'pass' }>;

/** kTokens worth `value` underlying base units at `aum` per `sharesIssued` (docs/rules.md#how-the-numbers-are-computed valuation, rounded down). */
export function kTokensForValue(value: bigint, sharesIssued: bigint, aum: Fraction): bigint {
  if (aum.num <= 0n) throw new RangeError('the vault AUM is zero: a value cannot be converted to kTokens');
  return floorDiv(value * sharesIssued * aum.den, aum.num);
}

/** The loss borne by the affected holders, in underlying base units: floor(loss × affected / total shares). */
export function affectedLoss(loss: bigint, affectedShares: bigint, totalShares: bigint): bigint {
  if (totalShares === 0n) return 0n;
  return floorDiv(loss * affectedShares, totalShares);
}

export interface PlanEntry {
  readonly claimant: Address;
  readonly shares: bigint;
  readonly amountUnlocked: bigint;
  readonly amountLocked: bigint;
}

export interface CompensationPlan {
  readonly lossEventId: string;
  readonly lossSlot: bigint;
  readonly sharesMint: Address;
  readonly totalShares: bigint;
  readonly excludedShares: bigint;
  readonly affectedShares: bigint;
  /** kTokens distributed over the affected shares (after the cap). */
  readonly amount: bigint;
  /** What was asked (the default or --amount), before the cap. */
  readonly requested: bigint;
  /** The cap: the affected holders' loss in kTokens. */
  readonly cap: bigint;
  /** Σ entries' amounts: the distributor's max_total_claim. */
  readonly total: bigint;
  /** amount − total: the manual-review and dust shares' part and the rounding. */
  readonly remainder: bigint;
  readonly root: string;
  readonly entries: readonly PlanEntry[];
  readonly manualReview: readonly Holding[];
  readonly dust: readonly Holding[];
  readonly excluded: PassingSnapshot['excluded'];
  readonly tree: MerkleTree | null;
}

export type PlanResult = { readonly outcome: 'pass'; readonly plan: CompensationPlan } | { readonly outcome: 'unknown'; readonly reason: string };

/** Builds the plan from a snapshot; `unknown` when nothing can be distributed. */
export function buildPlan(input: {
  lossEventId: string;
  snapshot: DepositorSnapshot;
  /** kTokens asked for. */
  requested: bigint;
  /** kTokens: the affected holders' loss converted. */
  cap: bigint;
  /** Claims below this many kToken base units are reported as dust, not paid. */
  dust: bigint;
}): PlanResult {
  const s = input.snapshot;
  if (s.outcome !== 'pass') return { outcome: 'unknown', reason: s.reason };
  if (input.requested < 0n || input.cap < 0n || input.dust < 0n) return { outcome: 'unknown', reason: 'negative amounts cannot be planned' };
  if (s.affectedShares === 0n) return { outcome: 'unknown', reason: `no affected depositor held shares of ${s.sharesMint} at slot ${s.lossSlot}` };
  const amount = input.requested < input.cap ? input.requested : input.cap;
  const entries: PlanEntry[] = [];
  const dust: Holding[] = [];
  for (const c of s.claimants) {
    const owed = (amount * c.shares) / s.affectedShares;
    // A zero claim is never a leaf: nothing to claim, and a ClaimStatus for nothing.
    if (owed === 0n || owed < input.dust) dust.push(c);
    else entries.push({ claimant: c.owner, shares: c.shares, amountUnlocked: owed, amountLocked: 0n });
  }
  if (entries.length === 0) return { outcome: 'unknown', reason: `every affected claimant's share of ${amount} kToken base units is below the dust threshold ${input.dust}` };
  const total = entries.reduce((a, e) => a + e.amountUnlocked, 0n);
  const tree = buildMerkleTree(entries);
  return {
    outcome: 'pass',
    plan: {
      lossEventId: input.lossEventId,
      lossSlot: s.lossSlot,
      sharesMint: s.sharesMint,
      totalShares: s.totalShares,
      excludedShares: s.excludedShares,
      affectedShares: s.affectedShares,
      amount,
      requested: input.requested,
      cap: input.cap,
      total,
      remainder: amount - total,
      root: tree.rootHex,
      entries,
      manualReview: s.manualReview,
      dust,
      excluded: s.excluded,
      tree,
    },
  };
}

/**
 * The plan's `--json` form (issue 15 §3), piece by piece so 100,000 claims never sit in memory as one
 * object tree: `{ lossEventId, lossSlot, sharesMint, totalShares, excludedShares, affectedShares,
 * amount, total, remainder, root, entries, manualReview, dust }`, amounts as decimal strings.
 */
export function* planJsonChunks(plan: CompensationPlan): Generator<string> {
  const q = JSON.stringify;
  yield `{"lossEventId":${q(plan.lossEventId)},"lossSlot":"${plan.lossSlot}","sharesMint":${q(plan.sharesMint)},` +
    `"totalShares":"${plan.totalShares}","excludedShares":"${plan.excludedShares}","affectedShares":"${plan.affectedShares}",` +
    `"amount":"${plan.amount}","total":"${plan.total}","remainder":"${plan.remainder}","root":"${plan.root}","entries":[`;
  const tree = plan.tree;
  const batch: string[] = [];
  for (let i = 0; i < plan.entries.length; i++) {
    const e = plan.entries[i]!;
    const proof = tree ? proofHex(tree, i) : [];
    batch.push(`${i === 0 ? '' : ','}{"claimant":"${e.claimant}","shares":"${e.shares}","amountUnlocked":"${e.amountUnlocked}","amountLocked":"${e.amountLocked}","proof":[${proof.map((p) => `"${p}"`).join(',')}]}`);
    if (batch.length === 1000) yield batch.splice(0).join('');
  }
  if (batch.length > 0) yield batch.join('');
  const holdings = (list: readonly Holding[], key: string) => list.map((h) => `{"${key}":"${h.owner}","shares":"${h.shares}"}`).join(',');
  yield `],"manualReview":[${holdings(plan.manualReview, 'owner')}],"dust":[${holdings(plan.dust, 'claimant')}]}`;
}

/** The whole `--json` text. */
export function planJsonText(plan: CompensationPlan): string {
  return [...planJsonChunks(plan)].join('');
}

/** The plan as CSV rows: status (claim, manual-review, dust), address, shares, amounts, proof (hex, space-separated). */
export function* planCsvChunks(plan: CompensationPlan): Generator<string> {
  yield 'status,address,shares,amount_unlocked,amount_locked,proof\n';
  const rows: string[] = [];
  for (let i = 0; i < plan.entries.length; i++) {
    const e = plan.entries[i]!;
    rows.push(`claim,${e.claimant},${e.shares},${e.amountUnlocked},${e.amountLocked},${plan.tree ? proofHex(plan.tree, i).join(' ') : ''}\n`);
    if (rows.length === 1000) yield rows.splice(0).join('');
  }
  yield rows.join('');
  yield plan.manualReview.map((h) => `manual-review,${h.owner},${h.shares},0,0,\n`).join('');
  yield plan.dust.map((h) => `dust,${h.owner},${h.shares},0,0,\n`).join('');
}
