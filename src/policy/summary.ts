/**
 * The numbers a decision was made on, typed (issue "one read model"): every screen reads these instead
 * of digging rule facts out by string id. `decide` returns it beside the Decision (whose shape and id
 * docs/rules.md#the-decision fixes); the store keeps it with the decision as JSON (bigints as decimal strings).
 */
import type { Address } from '@solana/kit';
import type { RuleContext } from './context.ts';

export interface DecisionSummary {
  /** kTokens the withdrawal names (Σ of withdraw_from_farm_vault amounts), null when there is none. */
  readonly amount: bigint | null;
  /** The withdrawal's value in underlying base units (docs/rules.md#how-the-numbers-are-computed "Value"), null when it cannot be valued. */
  readonly value: bigint | null;
  /** kTokens the farm will send (docs/rules.md#how-the-numbers-are-computed "Farm transfer"). */
  readonly farmTransfer: bigint | null;
  /** Whether the withdrawal takes the whole pool (and freezes the farm). */
  readonly drainsPool: boolean | null;
  /** The underlying token's decimals (the kvault's token mint); kTokens share them (kvault shares mint). */
  readonly underlyingDecimals: number | null;
  readonly sharesDecimals: number | null;
  /** Underlying base units of loss left uncompensated, over the events considered. */
  readonly remainingLoss: bigint;
  /** The loss events the decision weighed, in order. */
  readonly lossEventIds: readonly string[];
  /** Where the token transfer pays, and the registered escrow it names (null: not an escrow). */
  readonly destination: Address | null;
  readonly escrowName: string | null;
  /** The farm the withdrawal takes from (null: no withdrawal). */
  readonly farm: Address | null;
}

/** The summary of a rule context. Pure. */
export function summarize(ctx: RuleContext): DecisionSummary {
  const v = ctx.valuation.outcome === 'pass' ? ctx.valuation : null;
  const amount = ctx.withdrawals.length > 0 ? ctx.withdrawals.reduce((s, w) => s + w.amount, 0n) : null;
  const transfer = ctx.instructions.find((ix) => ix.kind === 'token-transfer' || ix.kind === 'token-transfer-checked');
  const destination = transfer && (transfer.kind === 'token-transfer' || transfer.kind === 'token-transfer-checked') ? transfer.destination : null;
  const vault = ctx.kvault.status === 'ok' ? ctx.kvault.value : null;
  return {
    amount,
    value: v?.value ?? null,
    farmTransfer: v?.farmTransfer ?? null,
    drainsPool: v?.drainsPool ?? null,
    underlyingDecimals: vault ? Number(vault.tokenMintDecimals) : null,
    sharesDecimals: vault ? Number(vault.sharesMintDecimals) : null,
    remainingLoss: ctx.losses.remaining,
    lossEventIds: ctx.losses.events.map((e) => e.id),
    destination,
    escrowName: destination === null ? null : (ctx.policy.escrows.find((e) => e.address === destination)?.name ?? null),
    farm: ctx.withdrawals.length > 0 ? ctx.farmAddress : null,
  };
}

/** The summary of a decision that could not build its context: nothing known. */
export const EMPTY_SUMMARY: DecisionSummary = {
  amount: null, value: null, farmTransfer: null, drainsPool: null, underlyingDecimals: null, sharesDecimals: null,
  remainingLoss: 0n, lossEventIds: [], destination: null, escrowName: null, farm: null,
};

type SummaryJson = { readonly [K in keyof DecisionSummary]: DecisionSummary[K] extends bigint | null ? string | null : DecisionSummary[K] extends bigint ? string : DecisionSummary[K] };

/** Plain JSON for storage: bigints as decimal strings. */
export function summaryToJson(s: DecisionSummary): SummaryJson {
  const big = (b: bigint | null) => (b === null ? null : b.toString());
  return { ...s, amount: big(s.amount), value: big(s.value), farmTransfer: big(s.farmTransfer), remainingLoss: s.remainingLoss.toString() };
}

/** Reads a stored summary back; null when it is absent or not a summary (older rows). */
export function summaryFromJson(raw: unknown): DecisionSummary | null {
  if (raw === null || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const big = (v: unknown): bigint | null => (typeof v === 'string' && /^[0-9]+$/.test(v) ? BigInt(v) : null);
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const remainingLoss = big(r['remainingLoss']);
  if (remainingLoss === null || !Array.isArray(r['lossEventIds'])) return null;
  return {
    amount: big(r['amount']),
    value: big(r['value']),
    farmTransfer: big(r['farmTransfer']),
    drainsPool: typeof r['drainsPool'] === 'boolean' ? r['drainsPool'] : null,
    underlyingDecimals: num(r['underlyingDecimals']),
    sharesDecimals: num(r['sharesDecimals']),
    remainingLoss,
    lossEventIds: r['lossEventIds'].filter((x): x is string => typeof x === 'string'),
    destination: str(r['destination']) as Address | null,
    escrowName: str(r['escrowName']),
    farm: str(r['farm']) as Address | null,
  };
}
