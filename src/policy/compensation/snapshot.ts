/**
 * The snapshot of affected depositors at the loss slot (issue 15 §2), pure: every holder of the
 * vault's shares mint aggregated by token-account owner (one leaf per claimant), a farm's token vault
 * replaced by that farm's stakers, and the Insurance Pool farm, the compensation escrows and the
 * vault's own accounts excluded. An off-curve owner (a program's PDA) cannot sign a claim: it goes to
 * `manualReview` with its shares. Anything that cannot be accounted for exactly is `unknown`.
 */
import type { Address } from '@solana/kit';
import { compareBytes, claimantBytes } from './merkle.ts';

/** One token account of the shares mint as it was at the loss slot. */
export interface HolderAtSlot {
  readonly account: Address;
  /** The token owner at the loss slot. */
  readonly owner: Address;
  readonly amount: bigint;
}

/** A (non-insurance) farm of the shares mint: its token vault and what each staker held in it at the loss slot. */
export interface FarmAtSlot {
  readonly farm: Address;
  readonly farmVault: Address;
  /** kTokens per staker at the loss slot, or why they cannot be known. */
  readonly stakes: { readonly kind: 'known'; readonly byOwner: ReadonlyMap<Address, bigint> } | { readonly kind: 'unknown'; readonly reason: string };
}

export type ExclusionReason = 'insurance-pool' | 'escrow' | 'vault' | 'farm-rounding';

export interface SnapshotInput {
  readonly sharesMint: Address;
  readonly lossSlot: bigint;
  /** The shares mint's supply at the loss slot. */
  readonly supply: bigint;
  readonly holders: readonly HolderAtSlot[];
  /** Token accounts excluded whole, with why (the Insurance Pool farm's vault, the escrows). */
  readonly excludedAccounts: ReadonlyMap<Address, ExclusionReason>;
  /** Owners whose accounts are excluded (the kvault, its base authority, the Insurance Pool's multisig vault, escrow authorities). */
  readonly excludedOwners: ReadonlyMap<Address, ExclusionReason>;
  readonly farms: readonly FarmAtSlot[];
  /** True when the key is not an ed25519 point (injected: the chain layer knows the curve). */
  readonly isOffCurve: (key: Address) => boolean;
}

export interface ExcludedHolding {
  readonly account: Address;
  readonly owner: Address;
  readonly shares: bigint;
  readonly reason: ExclusionReason;
}

export interface Holding {
  readonly owner: Address;
  readonly shares: bigint;
}

export type DepositorSnapshot =
  | {
      readonly outcome: 'pass';
      readonly sharesMint: Address;
      readonly lossSlot: bigint;
      readonly totalShares: bigint;
      readonly excluded: readonly ExcludedHolding[];
      readonly excludedShares: bigint;
      /** totalShares − excludedShares = Σ claimants + Σ manualReview. */
      readonly affectedShares: bigint;
      /** On-curve owners, ordered by their bytes ascending (the leaf order). */
      readonly claimants: readonly Holding[];
      /** Off-curve owners: their share stays in the remainder until a human decides. */
      readonly manualReview: readonly Holding[];
    }
  | { readonly outcome: 'unknown'; readonly reason: string };

/** Sorts by the owner's bytes ascending (the leaf order), each owner decoded once. */
function sortByBytes(list: Holding[]): void {
  const keyed = list.map((h) => [claimantBytes(h.owner), h] as const);
  keyed.sort((a, b) => compareBytes(a[0], b[0]));
  keyed.forEach(([, h], i) => (list[i] = h));
}

/** Builds the snapshot; `unknown` names what could not be accounted for. */
export function snapshotDepositors(input: SnapshotInput): DepositorSnapshot {
  const { holders, supply } = input;
  const sum = holders.reduce((s, h) => s + h.amount, 0n);
  if (sum !== supply) {
    return { outcome: 'unknown', reason: `the holders' balances at slot ${input.lossSlot} sum to ${sum}, the supply then was ${supply} (unexplained difference ${supply - sum})` };
  }
  const seen = new Set<Address>();
  for (const h of holders) {
    if (h.amount < 0n) return { outcome: 'unknown', reason: `token account ${h.account} has a negative balance (${h.amount}) at slot ${input.lossSlot}` };
    if (seen.has(h.account)) return { outcome: 'unknown', reason: `token account ${h.account} is listed twice` };
    seen.add(h.account);
  }
  const farmsByVault = new Map(input.farms.map((f) => [f.farmVault, f] as const));
  const excluded: ExcludedHolding[] = [];
  const byOwner = new Map<Address, bigint>();
  const add = (owner: Address, shares: bigint) => byOwner.set(owner, (byOwner.get(owner) ?? 0n) + shares);

  for (const h of holders) {
    if (h.amount === 0n) continue;
    const why = input.excludedAccounts.get(h.account) ?? input.excludedOwners.get(h.owner);
    if (why !== undefined) {
      excluded.push({ account: h.account, owner: h.owner, shares: h.amount, reason: why });
      continue;
    }
    const farm = farmsByVault.get(h.account);
    if (!farm) {
      add(h.owner, h.amount);
      continue;
    }
    if (farm.stakes.kind === 'unknown') return { outcome: 'unknown', reason: `the stakers of farm ${farm.farm} at slot ${input.lossSlot} cannot be known: ${farm.stakes.reason}` };
    let staked = 0n;
    for (const [owner, shares] of farm.stakes.byOwner) {
      if (shares < 0n) return { outcome: 'unknown', reason: `staker ${owner} of farm ${farm.farm} computes to a negative stake (${shares}) at slot ${input.lossSlot}` };
      staked += shares;
    }
    // Per-staker floors leave at most one base unit each unattributed; more is not rounding.
    const residual = h.amount - staked;
    if (residual < 0n || residual > BigInt(farm.stakes.byOwner.size)) {
      return { outcome: 'unknown', reason: `farm ${farm.farm}'s stakers account for ${staked} of the ${h.amount} kTokens in its vault ${farm.farmVault} at slot ${input.lossSlot}` };
    }
    for (const [owner, shares] of farm.stakes.byOwner) if (shares > 0n) add(owner, shares);
    if (residual > 0n) excluded.push({ account: h.account, owner: h.owner, shares: residual, reason: 'farm-rounding' });
  }

  const claimants: Holding[] = [];
  const manualReview: Holding[] = [];
  for (const [owner, shares] of byOwner) {
    if (shares === 0n) continue;
    // A staker may be an excluded owner too (the vault staking its own shares): it stays excluded.
    const why = input.excludedOwners.get(owner);
    if (why !== undefined) {
      excluded.push({ account: owner, owner, shares, reason: why });
      continue;
    }
    (input.isOffCurve(owner) ? manualReview : claimants).push({ owner, shares });
  }
  sortByBytes(claimants);
  sortByBytes(manualReview);
  const allExcluded = excluded.reduce((s, e) => s + e.shares, 0n);
  return {
    outcome: 'pass',
    sharesMint: input.sharesMint,
    lossSlot: input.lossSlot,
    totalShares: supply,
    excluded,
    excludedShares: allExcluded,
    affectedShares: supply - allExcluded,
    claimants,
    manualReview,
  };
}
