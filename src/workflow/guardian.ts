/**
 * The guardian (issue 14): on every poll it reads, for every vault in the policies, the accounts
 * behind the pool checks and the farm's UserStates — all vaults in ONE extra round trip (a JSON-RPC
 * batch) — and tells the policy chat, the store and the audit log when something changes:
 * a check changes outcome; a normal withdrawal from the pool starts (the public 30-day exit
 * signal), changes, or ends (withdrawn or cancelled); the pool falls below `minDepthRatio`; the
 * vault allocates outside `insurancePool.reserves`. Each change is said once (deduplicated against
 * the last state, which survives restarts in the audit log) and cleared with a follow-up.
 * A change to what the `farm-binding` or `multisig-config` rules read invalidates the vault's open
 * proposals through the workflow; the rules then decide them. Never throws, never blocks the poll.
 */
import { createHash } from 'node:crypto';
import type { Address } from '@solana/kit';
import { decodeFarmState, decodeUserState, FARMS_PROGRAM_ADDRESS, USER_STATE_SIZE, type FarmState, type UserState } from '../chain/accounts/farms.ts';
import { decodeVaultState } from '../chain/accounts/kvault.ts';
import { decodeMultisig } from '../chain/accounts/squads.ts';
import type { BatchReadResult, ProgramAccountsQuery } from '../chain/reader.ts';
import { readAccount, type AccountMap, type AccountResult, type Read } from '../chain/types.ts';
import { formatUnits } from '../policy/amounts.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import { poolAccountsToRead, runPoolChecks, type PoolCheck, type PoolTarget } from '../policy/pool-checks.ts';
import type { JsonInput } from '../store/types.ts';
import { poolCheckView, type PoolCheckView } from './pool-view.ts';
import type { Workflow } from './workflow.ts';

/** The audit entry type of every guardian event; its `state` is what a restart resumes from. */
export const GUARDIAN_AUDIT_TYPE = 'pool.guardian';

/** Byte offset of `farm_state` in a UserState (docs/chain.md#farms-the-insurance-pool): the getProgramAccounts filter. */
const USER_STATE_FARM_OFFSET = 16;

/** The chain as the guardian needs it: one batched read of accounts and program accounts (ChainReader.readBatch). */
export interface GuardianChain {
  readBatch(addresses: readonly Address[], queries: readonly ProgramAccountsQuery[]): Promise<BatchReadResult>;
}

/** One condition the guardian reports while it holds: raised when it appears or changes, cleared when it goes. */
interface Condition {
  /** What, if different from last time, is a change worth a new alert. */
  readonly fingerprint: string;
  readonly raise: string;
  /** Kept so the follow-up can say what ended (and, for withdrawals, whether it could have been withdrawn). */
  readonly about: string;
  readonly unlockAt?: string;
  readonly timeUnit?: number;
}

/** What is remembered per vault, and persisted in each guardian audit entry. */
interface Remembered {
  readonly conditions: Readonly<Record<string, Pick<Condition, 'fingerprint' | 'about' | 'unlockAt' | 'timeUnit'>>>;
  /** sha256 of what `farm-binding` and `multisig-config` read; null before the first look. */
  readonly binding: string | null;
}

interface VaultMemory extends Remembered {
  /** Addresses learned from the last read (the vault's farm, its reserves): read in this poll's batch. */
  readonly addresses: readonly Address[];
  /** The farm whose UserStates are watched (the vault's first-loss farm once known). */
  readonly farm: Address | null;
}

class GuardianState {
  restored = false;
  readonly vaults = new Map<Address, VaultMemory>();
  readonly latest = new Map<Address, PoolCheckView>();
}

const STATES = new WeakMap<Workflow, GuardianState>();
const stateOf = (wf: Workflow): GuardianState => {
  let s = STATES.get(wf);
  if (!s) STATES.set(wf, (s = new GuardianState()));
  return s;
};

/** What one guardian pass did (tests, logs). */
export interface GuardReport {
  /** Vaults evaluated this poll. */
  readonly checked: Address[];
  /** Vaults left for the next poll (an account unreadable, or newly learned addresses to read first). */
  readonly deferred: Address[];
  readonly alerts: { vault: Address; key: string; event: 'raised' | 'cleared'; text: string }[];
  /** Vaults whose open proposals were invalidated. */
  readonly invalidated: Address[];
  readonly errors: string[];
}

/** The latest pool check the guardian made of each vault still in the policies (metrics). */
export function latestPoolChecks(wf: Workflow): PoolCheckView[] {
  const state = STATES.get(wf);
  if (!state) return [];
  const vaults = new Set(wf.policies.all().map((p) => p.policy.vault));
  return [...state.latest.values()].filter((v) => vaults.has(v.vault));
}

const hasBatch = (chain: unknown): chain is GuardianChain => typeof (chain as { readBatch?: unknown }).readBatch === 'function';

/** One guardian pass over every policy's vault (called at the end of each poll). Never throws. */
export async function guardPools(wf: Workflow): Promise<GuardReport> {
  const report: GuardReport = { checked: [], deferred: [], alerts: [], invalidated: [], errors: [] };
  try {
    const chain = wf.chain as unknown;
    if (!hasBatch(chain)) return report; // a chain without batched reads (test doubles): nothing to watch with
    const state = stateOf(wf);
    if (!state.restored) await restore(wf, state);
    const policies = wf.policies.all();
    if (policies.length === 0) return report;

    const plans = policies.map((loaded) => {
      const target: PoolTarget = { vault: loaded.policy.vault, policy: loaded.policy };
      const memory = state.vaults.get(target.vault);
      const addresses = [...new Set([...poolAccountsToRead(new Map(), target), ...(memory?.addresses ?? [])])];
      return { loaded, target, addresses, farm: memory?.farm ?? loaded.policy.insurancePool.farm };
    });
    const farms = [...new Set(plans.map((p) => p.farm))];
    const queries: ProgramAccountsQuery[] = farms.map((farm) => ({
      program: FARMS_PROGRAM_ADDRESS,
      filters: [{ dataSize: USER_STATE_SIZE }, { memcmp: { offset: USER_STATE_FARM_OFFSET, bytes: farm } }],
    }));
    const batch = await chain.readBatch(plans.flatMap((p) => p.addresses), queries);

    for (const plan of plans) {
      try {
        const users = batch.programAccounts[farms.indexOf(plan.farm)];
        await guardVault(wf, state, { ...plan, batch, users: users ?? { kind: 'unavailable', error: 'not asked' } }, report);
      } catch (err) {
        report.errors.push(`${plan.target.vault}: ${(err as Error).message}`);
        wf.log.warn({ vault: plan.target.vault, err: (err as Error).message }, 'guardian: could not check the pool; retrying next poll');
      }
    }
  } catch (err) {
    report.errors.push((err as Error).message);
    wf.log.warn({ err: (err as Error).message }, 'guardian pass failed; retrying next poll');
  }
  return report;
}

/** Resumes each vault's last state from the audit log, once per process: a restart repeats no alert. */
async function restore(wf: Workflow, state: GuardianState): Promise<void> {
  for (const entry of await wf.store.auditEntries()) {
    if (entry.type !== GUARDIAN_AUDIT_TYPE) continue;
    const p = entry.payload as { vault?: unknown; state?: { conditions?: unknown; binding?: unknown } } | null;
    if (typeof p?.vault !== 'string' || typeof p.state !== 'object' || p.state === null) continue;
    const conditions = (typeof p.state.conditions === 'object' && p.state.conditions !== null ? p.state.conditions : {}) as Remembered['conditions'];
    const binding = typeof p.state.binding === 'string' ? p.state.binding : null;
    state.vaults.set(p.vault as Address, { conditions, binding, addresses: [], farm: null });
  }
  state.restored = true;
}

interface VaultPlan {
  readonly loaded: LoadedPolicy;
  readonly target: PoolTarget;
  readonly addresses: readonly Address[];
  readonly farm: Address;
  readonly batch: BatchReadResult;
  readonly users: BatchReadResult['programAccounts'][number];
}

async function guardVault(wf: Workflow, state: GuardianState, plan: VaultPlan, report: GuardReport): Promise<void> {
  const { target, loaded } = plan;
  const vault = target.vault;
  const accounts = new Map<Address, AccountResult>();
  for (const a of plan.addresses) accounts.set(a, plan.batch.accounts.get(a) ?? { kind: 'unavailable', error: 'not answered' });
  const memory = state.vaults.get(vault);
  // Next poll reads what this read taught (the vault's farm, its reserves) in the same one batch.
  const vaultOnly = new Map<Address, AccountResult>([[vault, accounts.get(vault)!]]);
  const learned = [...poolAccountsToRead(vaultOnly, target), vault];
  const farmNow = readAccount(accounts, vault, decodeVaultState);
  const watchedFarm = farmNow.status === 'ok' ? farmNow.value.firstLossCapitalFarm : plan.farm;
  const remembered: Remembered = memory ?? { conditions: {}, binding: null };
  state.vaults.set(vault, { ...remembered, addresses: learned, farm: watchedFarm });

  const unread = poolAccountsToRead(accounts, target);
  const outage = [...accounts.entries()].find(([, r]) => r.kind === 'unavailable');
  if (unread.length > 0 || outage || plan.users.kind !== 'found' || watchedFarm !== plan.farm) {
    // An outage is not a change: say nothing until every account answers (the poller reports outages).
    report.deferred.push(vault);
    return;
  }

  const checks = runPoolChecks(target, accounts);
  const slot = plan.batch.slot === null ? null : Number(plan.batch.slot);
  state.latest.set(vault, poolCheckView({ target, checks, slot, readable: true }));
  report.checked.push(vault);

  const farm = readAccount(accounts, plan.farm, decodeFarmState);
  const current = conditionsOf(loaded, plan.farm, checks, farm, plan.users.accounts.map((a) => ({ address: a.address, user: tryDecodeUser(a) })));
  const binding = bindingFingerprint(accounts, loaded);
  await announce(wf, state, { vault, name: loaded.policy.name, chatId: loaded.policy.telegram.chatId, checks, current, binding }, report);
}

function tryDecodeUser(a: Parameters<typeof decodeUserState>[0]): UserState | null {
  try {
    return decodeUserState(a);
  } catch {
    return null; // an account of the right size and farm bytes that is not a UserState
  }
}

/** Compares with what was said last, says what changed (audit first, then Telegram), and invalidates on a binding change. */
async function announce(
  wf: Workflow,
  state: GuardianState,
  o: { vault: Address; name: string; chatId: number; checks: readonly PoolCheck[]; current: ReadonlyMap<string, Condition>; binding: string },
  report: GuardReport,
): Promise<void> {
  const { vault } = o;
  const memory = state.vaults.get(vault)!;
  let conditions: Record<string, Remembered['conditions'][string]> = { ...memory.conditions };
  let binding = memory.binding;
  const save = () => state.vaults.set(vault, { ...state.vaults.get(vault)!, conditions, binding });
  const record = async (event: string, extra: { readonly [k: string]: JsonInput }) =>
    wf.store.appendAudit(GUARDIAN_AUDIT_TYPE, { vault, event, ...extra, state: { conditions: conditions as unknown as JsonInput, binding } });

  for (const [key, c] of o.current) {
    const before = conditions[key];
    if (before?.fingerprint === c.fingerprint) continue;
    conditions = { ...conditions, [key]: { fingerprint: c.fingerprint, about: c.about, ...(c.unlockAt !== undefined ? { unlockAt: c.unlockAt, timeUnit: c.timeUnit ?? 0 } : {}) } };
    const text = before ? `${c.raise} (changed)` : c.raise;
    await record('raised', { key, text });
    save();
    report.alerts.push({ vault, key, event: 'raised', text });
    await wf.notifier.alert(o.chatId, text);
  }
  for (const [key, before] of Object.entries(memory.conditions)) {
    if (o.current.has(key)) continue;
    const { [key]: _gone, ...rest } = conditions;
    conditions = rest;
    const text = clearText(o.name, key, before, o.checks, wf.now());
    await record('cleared', { key, text });
    save();
    report.alerts.push({ vault, key, event: 'cleared', text });
    await wf.notifier.alert(o.chatId, text);
  }

  if (binding === null) {
    binding = o.binding;
    await record('baseline', {});
    save();
  } else if (binding !== o.binding) {
    const open = [...(await wf.store.listProposals({ state: 'awaiting-approval', vault })), ...(await wf.store.listProposals({ state: 'approved', vault }))];
    const reason = 'the Insurance Pool farm or the multisig changed on-chain (guardian)';
    await wf.invalidateVault(vault, reason);
    binding = o.binding;
    const text = `Insurance Pool of ${o.name}: the farm or the multisig changed on-chain; ${open.length} open proposal(s) invalidated and decided again from the chain.`;
    await record('binding-changed', { text, invalidated: open.map((r) => r.id) });
    save();
    report.invalidated.push(vault);
    // The change itself is said by the checks it moves; this adds only what it did to proposals.
    if (open.length > 0) await wf.notifier.alert(o.chatId, text);
  }
}

const kTokens = (amount: bigint, decimals: number) => `${formatUnits(amount, decimals)} kTokens`;

/** Unix seconds (or a slot when the farm counts in slots) as people read it. */
function when(ts: string, timeUnit: number): string {
  if (timeUnit !== 0) return `slot ${ts}`;
  return `${new Date(Number(ts) * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The conditions that hold now: failing or unknown checks, low depth, foreign reserves, pending withdrawals. */
function conditionsOf(loaded: LoadedPolicy, farmAddress: Address, checks: readonly PoolCheck[], farm: Read<FarmState>, users: readonly { address: Address; user: UserState | null }[]): Map<string, Condition> {
  const { policy } = loaded;
  const name = policy.name;
  const out = new Map<string, Condition>();
  for (const c of checks) {
    if (c.outcome === 'pass') continue;
    if (c.facts['dependsOn'] !== undefined) continue; // one cause, one alert: the check it depends on says it
    if (c.id === 'pool-depth' && c.outcome === 'warn') {
      out.set('depth', { fingerprint: 'below', about: 'pool depth', raise: `Insurance Pool of ${name} is below its minimum depth: ${c.evidence}.${c.fix ? ` Fix: ${c.fix}.` : ''}` });
      continue;
    }
    if (c.id === 'policy') {
      const outside = (c.facts['outsideReserves'] ?? []) as readonly string[];
      const mismatches = (c.facts['mismatches'] ?? []) as readonly string[];
      if (outside.length > 0) {
        out.set('reserves', {
          fingerprint: [...outside].sort().join(','),
          about: 'allocation outside insurancePool.reserves',
          raise: `The vault of ${name} allocates to reserve(s) outside insurancePool.reserves: ${outside.join(', ')}. Fix: the allocation admin removes the allocation, or the policy lists the reserve.`,
        });
      }
      if (mismatches.length === 0 && c.outcome === 'fail') continue; // only the reserves: said above
      out.set('check:policy', { fingerprint: `${c.outcome}:${mismatches.join('|')}`, about: 'policy', raise: checkText(name, c, mismatches.join('; ') || c.evidence) });
      continue;
    }
    out.set(`check:${c.id}`, { fingerprint: c.outcome, about: c.id, raise: checkText(name, c, c.evidence) });
  }
  if (farm.status === 'ok') {
    const f = farm.value;
    const decimals = Number(f.token.decimals);
    const pool = f.totalStakedAmount + f.totalPendingAmount;
    const wallets = new Map(policy.curators.members.flatMap((m) => (m.wallet ? [[m.wallet as string, m.name] as const] : [])));
    for (const { address, user } of users) {
      if (!user || user.farmState !== farmAddress || user.pendingWithdrawalUnstakeScaled === 0n) continue;
      // docs/chain.md#farms-the-insurance-pool: pending = pending_withdrawal_unstake × total_pending_amount / total_pending_stake.
      const amount = f.totalPendingStakeScaled === 0n ? 0n : (user.pendingWithdrawalUnstakeScaled * f.totalPendingAmount) / f.totalPendingStakeScaled;
      const curator = wallets.get(user.owner);
      const who = curator ? `curator ${curator} (${user.owner})` : `staker ${user.owner}`;
      const share = pool === 0n ? 'unknown' : `${formatUnits((amount * 10_000n) / pool, 2)}%`;
      const unlock = user.pendingWithdrawalUnstakeTs.toString();
      out.set(`withdrawal:${address}`, {
        fingerprint: `${user.pendingWithdrawalUnstakeScaled}@${unlock}`,
        about: `the pending withdrawal of ${who}, ${kTokens(amount, decimals)}`,
        unlockAt: unlock,
        timeUnit: f.timeUnit,
        raise: `Normal withdrawal started from the Insurance Pool of ${name} (the public 30-day exit signal): ${who} unstaked ${kTokens(amount, decimals)}, ${share} of the pool, withdrawable from ${when(unlock, f.timeUnit)}.`,
      });
    }
  }
  return out;
}

function checkText(name: string, c: PoolCheck, evidence: string): string {
  return `Insurance Pool of ${name}: ${c.id} is ${c.outcome}: ${evidence}.${c.fix ? ` Fix: ${c.fix}.` : ''}`;
}

function clearText(name: string, key: string, before: Remembered['conditions'][string], checks: readonly PoolCheck[], now: Date): string {
  if (key.startsWith('withdrawal:')) {
    const unlock = before.unlockAt;
    const matured = unlock !== undefined && before.timeUnit === 0 && now.getTime() >= Number(unlock) * 1000;
    const how = matured ? 'withdrawn (its unlock time had passed) or cancelled' : before.timeUnit === 0 ? 'cancelled before its unlock time' : 'withdrawn or cancelled';
    return `Insurance Pool of ${name}: ${before.about} is no longer pending: ${how}.`;
  }
  if (key === 'depth') return `Insurance Pool of ${name} is back at its minimum depth: ${checks.find((c) => c.id === 'pool-depth')?.evidence ?? ''}.`;
  if (key === 'reserves') return `The vault of ${name} allocates only to insurancePool.reserves again.`;
  const id = key.slice('check:'.length);
  const passing = checks.find((c) => c.id === id);
  return `Insurance Pool of ${name}: ${id} passes again${passing ? `: ${passing.evidence}` : ''}.`;
}

/**
 * sha256 of what `farm-binding` and `multisig-config` judge (not balances, which move with every
 * stake): the kvault's farm pointer and shares mint, the policy farm's authorities, mint and
 * delegation, the multisig's members, threshold, time lock and config authority.
 */
function bindingFingerprint(accounts: AccountMap, loaded: LoadedPolicy): string {
  const p = loaded.policy;
  const vault = readAccount(accounts, p.vault, decodeVaultState);
  const farm = readAccount(accounts, p.insurancePool.farm, decodeFarmState);
  const ms = readAccount(accounts, p.insurancePool.multisig, decodeMultisig);
  const bound = {
    vault: vault.status === 'ok' ? [vault.value.firstLossCapitalFarm, vault.value.sharesMint] : vault.status,
    farm:
      farm.status === 'ok'
        ? [farm.value.farmAdmin, farm.value.pendingFarmAdmin, farm.value.withdrawAuthority, farm.value.delegateAuthority, farm.value.isFarmDelegated, farm.value.token.mint]
        : farm.status,
    multisig:
      ms.status === 'ok'
        ? [ms.value.threshold, ms.value.timeLock, ms.value.configAuthority, ...ms.value.members.map((m) => `${m.key}:${m.mask}`)]
        : ms.status,
  };
  return createHash('sha256').update(JSON.stringify(bound)).digest('hex');
}
