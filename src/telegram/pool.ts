/**
 * `/pool` (docs/telegram.md): the Insurance Pool as the chain shows it now — FarmState totals, the pool's value
 * in the underlying and its share of the vault's AUM, and each curator wallet's pending unstake with
 * its unlock time (UserState PDA `["user", farm, wallet]` under the Farms program); then the compact
 * card of the pool check (issue 14): the tally, and each check that does not pass with its fix.
 */
import type { Address } from '@solana/kit';
import { decodeFarmState, decodeUserState, FARMS_PROGRAM_ADDRESS } from '../chain/accounts/farms.ts';
import { decodeReserve } from '../chain/accounts/klend.ts';
import { decodeVaultState } from '../chain/accounts/kvault.ts';
import { findProgramAddress } from '../chain/pda.ts';
import { readAccount, type AccountSource } from '../chain/types.ts';
import { floorFrac, formatUnits, frac, mulFrac } from '../policy/amounts.ts';
import type { Policy } from '../policy/schema.ts';
import { computeAum } from '../policy/valuation.ts';
import { checkPoolNow, OUTCOME_MARK, type PoolCheckView } from '../workflow/pool-view.ts';
import { formatTime } from './card.ts';
import { clip, code, escapeHtml, escapeLine } from './html.ts';

/** The UserState PDA of `wallet` in `farm`. */
export function userStatePda(farm: Address, wallet: Address): Address {
  return findProgramAddress([{ text: 'user' }, farm, wallet], FARMS_PROGRAM_ADDRESS)[0];
}

/** What `/pool` reports for one policy, amounts in base units. */
export interface PoolReport {
  readonly name: string;
  readonly farm: Address;
  readonly decimals: number | null;
  readonly staked: bigint | null;
  readonly pending: bigint | null;
  /** (staked + pending) × AUM / shares issued, floor; null when the vault or a reserve cannot be read. */
  readonly value: bigint | null;
  /** (staked + pending) / shares issued, in basis points. */
  readonly shareBps: bigint | null;
  readonly wallets: readonly { name: string; wallet: Address; pending: bigint | null; unlockAt: bigint | null; problem?: string }[];
  readonly problems: readonly string[];
  /** kfarms `time_unit`: 0 = seconds, 1 = slots (the unlock is then a slot). */
  readonly timeUnit: number | null;
  /** The pool check (`backstop pool check`) read with the report. */
  readonly checks: PoolCheckView;
}

/** Reads the farm, the kvault, its reserves and the curators' UserStates in two batches. */
export async function readPool(chain: AccountSource, policy: Policy): Promise<PoolReport> {
  const checks = checkPoolNow(chain, { vault: policy.vault, policy });
  checks.catch(() => {}); // awaited below; this keeps an early throw here from leaving it unhandled
  const farmAddress = policy.insurancePool.farm;
  const walletMembers = policy.curators.members.filter((m): m is typeof m & { wallet: Address } => m.wallet !== undefined);
  const userPdas = walletMembers.map((m) => userStatePda(farmAddress, m.wallet));
  const first = await chain.getAccounts([farmAddress, policy.vault, ...userPdas]);
  const problems: string[] = [];
  const farm = readAccount(first, farmAddress, decodeFarmState);
  const vault = readAccount(first, policy.vault, decodeVaultState);
  if (farm.status !== 'ok') problems.push(`farm ${farmAddress}: ${farm.status === 'missing' ? 'missing' : farm.error}`);
  if (vault.status !== 'ok') problems.push(`vault ${policy.vault}: ${vault.status === 'missing' ? 'missing' : vault.error}`);

  let value: bigint | null = null;
  let shareBps: bigint | null = null;
  const staked = farm.status === 'ok' ? farm.value.totalStakedAmount : null;
  const pending = farm.status === 'ok' ? farm.value.totalPendingAmount : null;
  if (vault.status === 'ok' && staked !== null && pending !== null) {
    const reserves = vault.value.activeAllocations.map((a) => a.reserve);
    const second = reserves.length > 0 ? await chain.getAccounts(reserves) : new Map();
    const aum = computeAum(vault.value, (r) => readAccount(second, r, decodeReserve));
    const pool = staked + pending;
    if (vault.value.sharesIssued === 0n) problems.push('the vault has zero shares issued');
    else if (aum.outcome !== 'pass') problems.push(aum.reason);
    else {
      value = floorFrac(mulFrac(frac(pool), mulFrac(aum.aum, frac(1n, vault.value.sharesIssued))));
      shareBps = (pool * 10_000n) / vault.value.sharesIssued;
    }
  }

  const wallets = walletMembers.map((m, i) => {
    const user = readAccount(first, userPdas[i]!, decodeUserState);
    if (user.status === 'missing') return { name: m.name, wallet: m.wallet, pending: 0n, unlockAt: null };
    if (user.status !== 'ok') return { name: m.name, wallet: m.wallet, pending: null, unlockAt: null, problem: user.error };
    if (farm.status !== 'ok') return { name: m.name, wallet: m.wallet, pending: null, unlockAt: null, problem: 'farm unreadable' };
    const scaled = user.value.pendingWithdrawalUnstakeScaled;
    const totalScaled = farm.value.totalPendingStakeScaled;
    // docs/chain.md#farms-the-insurance-pool: pending = pending_withdrawal_unstake × total_pending_amount / total_pending_stake (WAD cancels).
    const amount = scaled === 0n || totalScaled === 0n ? 0n : (scaled * farm.value.totalPendingAmount) / totalScaled;
    return { name: m.name, wallet: m.wallet, pending: amount, unlockAt: amount > 0n ? user.value.pendingWithdrawalUnstakeTs : null };
  });

  return {
    name: policy.name,
    farm: farmAddress,
    decimals: vault.status === 'ok' ? Number(vault.value.tokenMintDecimals) : null,
    staked,
    pending,
    value,
    shareBps,
    wallets,
    problems,
    timeUnit: farm.status === 'ok' ? farm.value.timeUnit : null,
    checks: await checks,
  };
}

/** The pool check as a compact card: the tally on one line, then each check that does not pass (a failure with its fix). */
export function formatPoolCheckCard(view: PoolCheckView): string {
  const n = view.counts;
  const tally = (['pass', 'warn', 'fail', 'unknown'] as const).filter((o) => n[o] > 0).map((o) => `${n[o]} ${OUTCOME_MARK[o]}`).join(' · ');
  const lines = [`<b>Pool check</b>: ${tally}${view.readable ? '' : ' — the vault could not be read'}`];
  if (view.readable && n.pass === view.checks.length) lines[0] += ' — every check passes';
  for (const c of view.checks) {
    if (c.outcome === 'pass') continue;
    lines.push(`${OUTCOME_MARK[c.outcome]} <b>${escapeLine(c.id)}</b>: ${escapeLine(clip(c.evidence, 220))}`);
    if (c.fix && c.outcome === 'fail') lines.push(`   → ${escapeLine(clip(c.fix, 220))}`);
  }
  return lines.join('\n');
}

/** The report as HTML. kTokens use the underlying's decimals (a kvault's shares mint has the same). */
export function formatPool(r: PoolReport): string {
  const units = (v: bigint | null) => (v === null ? 'unknown' : r.decimals === null ? `${v} base units` : formatUnits(v, r.decimals));
  const lines = [
    `<b>Insurance Pool</b> — ${escapeHtml(r.name)}`,
    `Farm: ${code(r.farm)}`,
    `Staked: ${escapeHtml(units(r.staked))} kTokens · pending: ${escapeHtml(units(r.pending))} kTokens`,
    `Value: ≈ ${escapeHtml(units(r.value))} underlying · ${r.shareBps === null ? 'share of AUM unknown' : `${escapeHtml(formatUnits(r.shareBps, 2))}% of the vault’s AUM`}`,
  ];
  for (const w of r.wallets) {
    const when = w.unlockAt === null ? '' : r.timeUnit === 0 ? `, unlocks ${escapeHtml(formatTime(new Date(Number(w.unlockAt) * 1000)))}` : `, unlocks at slot ${w.unlockAt}`;
    const what = w.problem ? `unreadable (${escapeHtml(w.problem)})` : w.pending === 0n ? 'no pending unstake' : `${escapeHtml(units(w.pending))} kTokens pending unstake${when}`;
    lines.push(`Curator ${escapeHtml(w.name)} ${code(w.wallet)}: ${what}`);
  }
  for (const p of r.problems) lines.push(`❔ ${escapeHtml(p)}`);
  lines.push('', formatPoolCheckCard(r.checks));
  return lines.join('\n');
}
