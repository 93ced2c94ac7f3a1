/**
 * Building a loss event's compensation plan (issue 15): the shares mint's holders at the loss slot
 * from the history reader, the farms of that mint and their stakers, the exclusions the policy and
 * the vault name, then the pure snapshot and plan (src/policy/compensation). `buildLossEventPlan`
 * only reads (the CLI runs it beside a live instance); `storeLossEventPlan` also stores and audits it.
 */
import { getBase58Decoder, type Address } from '@solana/kit';
import { decodeFarmState, decodeUserState, FARM_STATE_DISCRIMINATOR, FARMS_PROGRAM_ADDRESS, USER_STATE_SIZE, type FarmState } from '../chain/accounts/farms.ts';
import { decodeReserve } from '../chain/accounts/klend.ts';
import { DEFAULT_ADDRESS, decodeVaultState } from '../chain/accounts/kvault.ts';
import { ChainUnavailable } from '../chain/errors.ts';
import { readHoldersAtSlot, type HistoryChain, type HistoryOptions } from '../chain/history.ts';
import { isOffCurve } from '../chain/curve.ts';
import { vaultAddress } from '../chain/proposal.ts';
import { readAccount, type AccountSource } from '../chain/types.ts';
import { decimalToBaseUnits } from '../policy/amounts.ts';
import { affectedLoss, buildPlan, kTokensForValue, planJsonText, type CompensationPlan } from '../policy/compensation/plan.ts';
import { snapshotDepositors, type ExclusionReason, type FarmAtSlot } from '../policy/compensation/snapshot.ts';
import { stakesAtSlot } from '../policy/compensation/stakers.ts';
import type { Policy } from '../policy/schema.ts';
import { computeAum } from '../policy/valuation.ts';
import type { PlanRepository, Store, StoredLossEvent, StoredPlan } from '../store/types.ts';
import { invalidInput, WorkflowRefusal } from './errors.ts';
import { lossEventLine } from './views.ts';

/** FarmState `token.mint` offset (discriminator 8 + farm_admin 32 + global_config 32). */
const FARM_TOKEN_MINT_OFFSET = 72;
/** UserState `farm_state` offset (discriminator 8 + user_id 8). */
const USER_STATE_FARM_OFFSET = 16;

/** A built plan with what went into it, or why there is none. */
export type PlanBuild =
  | {
      readonly outcome: 'pass';
      readonly plan: CompensationPlan;
      readonly event: StoredLossEvent;
      /** kToken decimals (the shares mint's). */
      readonly decimals: number;
      /** What the walk cost and saw. */
      readonly history: { readonly rpcCalls: number; readonly httpRequests: number; readonly transactions: number; readonly accounts: number; readonly readAtSlot: bigint };
      /** The vault's non-insurance farms whose stakers replaced their token vault. */
      readonly farms: readonly Address[];
    }
  | { readonly outcome: 'unknown'; readonly reason: string; readonly event: StoredLossEvent };

export interface PlanSources {
  readonly chain: HistoryChain & AccountSource;
  readonly store: Pick<Store, 'getLossEvent' | 'ledgerForVault'>;
  readonly policyFor: (vault: Address) => Policy | undefined;
}

/**
 * Builds the plan of loss event `lossEventId`. `amount` (whole kTokens, a decimal string) overrides
 * the default (the event's remaining compensable value converted at the vault's current price).
 * Throws WorkflowRefusal (not-found, invalid-input) and ChainUnavailable; anything the chain cannot
 * prove is an `unknown` answer.
 */
export async function buildLossEventPlan(
  src: PlanSources,
  o: { lossEventId: string; amount?: string; history?: Omit<HistoryOptions, 'chain' | 'mint' | 'slot'> },
): Promise<PlanBuild> {
  const event = await src.store.getLossEvent(o.lossEventId);
  if (!event) throw new WorkflowRefusal('not-found', 'not-found', `no loss event ${o.lossEventId}`);
  const policy = src.policyFor(event.vault);
  if (!policy) throw new WorkflowRefusal('not-found', 'unknown-vault', `no policy covers vault ${event.vault} of loss event ${event.id}`);
  const unknown = (reason: string): PlanBuild => ({ outcome: 'unknown', reason, event });
  const { chain } = src;

  // The vault, its Insurance Pool farm, the escrows; then the allocated reserves for the price.
  const first = await chain.getAccounts([event.vault, policy.insurancePool.farm, ...policy.escrows.map((e) => e.address)]);
  const vault = readAccount(first, event.vault, decodeVaultState);
  if (vault.status === 'unavailable') throw new ChainUnavailable(`kvault ${event.vault} could not be read: ${vault.error}`);
  if (vault.status !== 'ok') return unknown(`kvault ${event.vault} ${vault.status === 'missing' ? 'does not exist' : `is not valid: ${vault.error}`}`);
  const v = vault.value;
  const reserves = await chain.getAccounts(v.activeAllocations.filter((a) => a.ctokenAllocation > 0n).map((a) => a.reserve));
  const aum = computeAum(v, (r) => readAccount(reserves, r, decodeReserve));
  if (aum.outcome !== 'pass') {
    if ([...reserves.values()].some((r) => r.kind === 'unavailable')) throw new ChainUnavailable(aum.reason);
    return unknown(`the vault's price cannot be computed: ${aum.reason}`);
  }
  const decimals = Number(v.sharesMintDecimals);

  let requested: bigint | null = null;
  if (o.amount !== undefined) {
    const parsed = decimalToBaseUnits(o.amount, decimals);
    if (parsed === null) throw invalidInput('amount', `amount ${JSON.stringify(o.amount)} is not a kToken amount with at most ${decimals} decimals (e.g. "1234.5")`);
    requested = parsed;
  }

  // Farms of the shares mint: the Insurance Pool's is excluded whole, the others are replaced by their stakers.
  const insuranceFarms = new Set<Address>([policy.insurancePool.farm, ...(v.firstLossCapitalFarm !== DEFAULT_ADDRESS ? [v.firstLossCapitalFarm] : [])]);
  const b58 = getBase58Decoder();
  const farmList = await chain.readBatch([], [
    { program: FARMS_PROGRAM_ADDRESS, filters: [{ memcmp: { offset: 0, bytes: b58.decode(FARM_STATE_DISCRIMINATOR) } }, { memcmp: { offset: FARM_TOKEN_MINT_OFFSET, bytes: v.sharesMint } }] },
  ]);
  const listed = farmList.programAccounts[0];
  if (!listed || listed.kind === 'unavailable') throw new ChainUnavailable(`the farms of ${v.sharesMint} could not be listed: ${listed?.error ?? 'not answered'}`);
  const farms: { address: Address; state: FarmState }[] = [];
  for (const a of listed.accounts) {
    try {
      farms.push({ address: a.address, state: decodeFarmState(a) });
    } catch (err) {
      return unknown(`farm ${a.address} of the shares mint cannot be decoded: ${(err as Error).message}`);
    }
  }
  const insuranceVaults = farms.filter((f) => insuranceFarms.has(f.address));
  const otherFarms = farms.filter((f) => !insuranceFarms.has(f.address));
  const stakerLists = otherFarms.length === 0 ? null : await chain.readBatch([], otherFarms.map((f) => ({
    program: FARMS_PROGRAM_ADDRESS,
    filters: [{ dataSize: USER_STATE_SIZE }, { memcmp: { offset: USER_STATE_FARM_OFFSET, bytes: f.address } }],
  })));

  const history = await readHoldersAtSlot({ ...o.history, chain, mint: v.sharesMint, slot: event.slot });
  if (history.kind === 'unknown') return unknown(history.reason);

  const farmsAtSlot: FarmAtSlot[] = [];
  for (const [i, f] of otherFarms.entries()) {
    const list = stakerLists?.programAccounts[i];
    if (!list || list.kind === 'unavailable') throw new ChainUnavailable(`the stakers of farm ${f.address} could not be listed: ${list?.error ?? 'not answered'}`);
    const stakers = [];
    for (const a of list.accounts) {
      try {
        const u = decodeUserState(a);
        stakers.push({ userState: a.address, owner: u.owner, activeStakeScaled: u.activeStakeScaled, pendingWithdrawalUnstakeScaled: u.pendingWithdrawalUnstakeScaled });
      } catch (err) {
        return unknown(`a staker of farm ${f.address} cannot be decoded: ${(err as Error).message}`);
      }
    }
    farmsAtSlot.push({ farm: f.address, farmVault: f.state.farmVault, stakes: stakesAtSlot({ farm: f.address, farmVault: f.state.farmVault, totals: f.state, stakers, transactions: history.transactions }) });
  }

  const excludedAccounts = new Map<Address, ExclusionReason>();
  const excludedOwners = new Map<Address, ExclusionReason>();
  for (const f of insuranceVaults) {
    excludedAccounts.set(f.state.farmVault, 'insurance-pool');
    excludedOwners.set(f.state.farmVaultsAuthority, 'insurance-pool');
  }
  excludedOwners.set(vaultAddress(policy.insurancePool.multisig, policy.insurancePool.vaultIndex), 'insurance-pool');
  for (const e of policy.escrows) {
    excludedAccounts.set(e.address, 'escrow');
    excludedOwners.set(e.authority, 'escrow');
  }
  excludedOwners.set(event.vault, 'vault');
  excludedOwners.set(v.baseVaultAuthority, 'vault');

  const snapshot = snapshotDepositors({
    sharesMint: v.sharesMint,
    lossSlot: event.slot,
    supply: history.supplyAtSlot,
    holders: history.balances,
    excludedAccounts,
    excludedOwners,
    farms: farmsAtSlot,
    isOffCurve,
  });
  if (snapshot.outcome !== 'pass') return unknown(snapshot.reason);

  // The default: what is left of the event, at today's price. Reservations are the withdrawals that fund this
  // distribution, so only what was already compensated (paid out before) is taken off; the cap: the affected holders' part.
  const ledger = await src.store.ledgerForVault(event.vault);
  const line = lossEventLine(event, ledger);
  const remaining = line.recordedLoss > line.compensated ? line.recordedLoss - line.compensated : 0n;
  requested ??= kTokensForValue(remaining, v.sharesIssued, aum.aum);
  const cap = kTokensForValue(affectedLoss(event.recordedLoss, snapshot.affectedShares, snapshot.totalShares), v.sharesIssued, aum.aum);
  const built = buildPlan({ lossEventId: event.id, snapshot, requested, cap, dust: BigInt(policy.compensation?.dust ?? '0') });
  if (built.outcome !== 'pass') return unknown(built.reason);
  return {
    outcome: 'pass',
    plan: built.plan,
    event,
    decimals,
    history: { rpcCalls: history.rpcCalls, httpRequests: history.httpRequests, transactions: history.transactions.length, accounts: history.balances.length, readAtSlot: history.readAtSlot },
    farms: otherFarms.map((f) => f.address),
  };
}

/** Builds the plan and stores it (one audit entry); an `unknown` plan is refused as unprocessable, naming why. */
export async function storeLossEventPlan(
  src: PlanSources & { readonly plans: Pick<PlanRepository, 'recordPlan'> },
  o: { lossEventId: string; amount?: string; createdBy: string },
): Promise<{ stored: StoredPlan; json: string }> {
  const built = await buildLossEventPlan(src, { lossEventId: o.lossEventId, ...(o.amount !== undefined ? { amount: o.amount } : {}) });
  if (built.outcome !== 'pass') throw new WorkflowRefusal('unprocessable', 'plan-unknown', `no plan for loss event ${o.lossEventId}: ${built.reason}`);
  const p = built.plan;
  const json = planJsonText(p);
  const stored = await src.plans.recordPlan({
    lossEventId: p.lossEventId,
    vault: built.event.vault,
    lossSlot: p.lossSlot,
    sharesMint: p.sharesMint,
    root: p.root,
    total: p.total,
    amount: p.amount,
    remainder: p.remainder,
    claimants: p.entries.length,
    json,
    createdBy: o.createdBy,
  });
  return { stored, json };
}
