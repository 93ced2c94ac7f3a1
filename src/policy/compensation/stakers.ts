/**
 * A farm's stakers at the loss slot (issue 15 §2), pure. UserState stakes are not token balances, so
 * each staker's claim on the farm vault (active stake plus pending withdrawal, in kTokens) is taken
 * now and the farm's decoded instructions after S are undone: a `stake` moved kTokens into the vault
 * for its owner, a `withdraw_unstaked_deposits` moved them out (an `unstake` only turns active stake
 * into pending: the claim stays). A vault movement no single such instruction explains is `unknown`.
 */
import type { Address } from '@solana/kit';
import type { HistoryTransaction } from '../../chain/history.ts';
import { PROGRAMS } from '../../chain/programs.ts';
import type { FarmAtSlot } from './snapshot.ts';

const STAKE = 'ceb0ca12c8d1b36c';
const WITHDRAW_UNSTAKED = '2466bb31dc248443';

/** The farm fields the claims need (a subset of the decoded FarmState). */
export interface FarmTotals {
  readonly totalStakedAmount: bigint;
  readonly totalActiveStakeScaled: bigint;
  readonly totalPendingAmount: bigint;
  readonly totalPendingStakeScaled: bigint;
}

/** A staker's UserState now. */
export interface StakerNow {
  readonly userState: Address;
  readonly owner: Address;
  readonly activeStakeScaled: bigint;
  readonly pendingWithdrawalUnstakeScaled: bigint;
}

/** kTokens a staker can claim from the farm vault now: floor of each part at the farm's current rates. */
export function claimNow(farm: FarmTotals, s: StakerNow): bigint {
  const active = farm.totalActiveStakeScaled === 0n ? 0n : (s.activeStakeScaled * farm.totalStakedAmount) / farm.totalActiveStakeScaled;
  const pending = farm.totalPendingStakeScaled === 0n ? 0n : (s.pendingWithdrawalUnstakeScaled * farm.totalPendingAmount) / farm.totalPendingStakeScaled;
  return active + pending;
}

/** Each staker's kTokens in the farm at S, or why they cannot be known. */
export function stakesAtSlot(input: {
  farm: Address;
  farmVault: Address;
  totals: FarmTotals;
  stakers: readonly StakerNow[];
  /** Transactions after S (the history reader's), newest first or in any order. */
  transactions: readonly HistoryTransaction[];
}): FarmAtSlot['stakes'] {
  const byOwner = new Map<Address, bigint>();
  const ownerOf = new Map<Address, Address>();
  for (const s of input.stakers) {
    ownerOf.set(s.userState, s.owner);
    byOwner.set(s.owner, (byOwner.get(s.owner) ?? 0n) + claimNow(input.totals, s));
  }
  for (const tx of input.transactions) {
    if (tx.failed) continue;
    const moved = (tx.post.get(input.farmVault)?.amount ?? 0n) - (tx.pre.get(input.farmVault)?.amount ?? 0n);
    if (moved === 0n) continue;
    const touching = tx.instructions.filter((ix) => ix.programId === PROGRAMS.farms && ix.accounts.includes(input.farmVault));
    const only = touching.length === 1 ? touching[0]! : undefined;
    const kind = only ? Buffer.from(only.data.subarray(0, 8)).toString('hex') : null;
    const fits = only !== undefined && only.accounts[2] === input.farm && ((kind === STAKE && moved > 0n) || (kind === WITHDRAW_UNSTAKED && moved < 0n));
    if (!fits) {
      return {
        kind: 'unknown',
        reason: `transaction ${tx.signature} moves ${moved} kTokens ${moved > 0n ? 'into' : 'out of'} farm ${input.farm}'s vault without a single stake or withdraw_unstaked_deposits of that farm to attribute them to`,
      };
    }
    const owner = ownerOf.get(only.accounts[1]!) ?? only.accounts[0]!;
    byOwner.set(owner, (byOwner.get(owner) ?? 0n) - moved);
  }
  return { kind: 'known', byOwner };
}
