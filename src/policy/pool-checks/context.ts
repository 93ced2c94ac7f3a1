/**
 * What the Insurance Pool checks look at, decoded once from accounts already read: the kvault, its
 * first-loss farm, the multisig named by the policy or `--multisig`, and that multisig's vault PDA.
 * Pure: no I/O. Each check (one file per id beside this one) turns it into one {@link PoolCheck}.
 */
import type { Address } from '@solana/kit';
import { decodeFarmState, type FarmState } from '../../chain/accounts/farms.ts';
import { DEFAULT_ADDRESS, decodeVaultState, type VaultState } from '../../chain/accounts/kvault.ts';
import { decodeMultisig, type MultisigAccount } from '../../chain/accounts/squads.ts';
import { vaultPdaOf } from '../../chain/pda.ts';
import { readAccount, type AccountMap, type Read } from '../../chain/types.ts';
import type { Policy } from '../schema.ts';

/** Stable check ids, in the order they are reported (issue 14; JSON field `id`). */
export const POOL_CHECK_IDS = ['flc-farm', 'farm-token', 'withdraw-authority', 'farm-admin', 'multisig', 'cooldown', 'whitelisted-reserves', 'pool-depth', 'policy'] as const;
export type PoolCheckId = (typeof POOL_CHECK_IDS)[number];

/** `warn` = best practice not followed (never blocks); `unknown` = could not tell. */
export type PoolOutcome = 'pass' | 'fail' | 'warn' | 'unknown';

/** Structured facts a check reports besides its sentence (bigints as decimal strings). */
export type PoolFacts = { readonly [key: string]: string | number | boolean | null | readonly string[] };

/** One check's result: the sentence with its addresses and numbers, and for a failure what to do (which instruction, which signer). */
export interface PoolCheck {
  readonly id: PoolCheckId;
  readonly outcome: PoolOutcome;
  readonly evidence: string;
  readonly fix: string | null;
  readonly facts: PoolFacts;
}

/** klend-sdk `FLC_FARM_COOLDOWN`: 30 days in seconds. */
export const FLC_FARM_COOLDOWN_SECONDS = 2_592_000;

/** Which vault to check, against which policy and multisig. */
export interface PoolTarget {
  readonly vault: Address;
  readonly policy?: Policy;
  /** `--multisig`: checked instead of the policy's (the `policy` check reports a difference). */
  readonly multisig?: Address;
}

export interface PoolContext {
  readonly target: PoolTarget;
  readonly policy: Policy | undefined;
  readonly accounts: AccountMap;
  readonly vault: Read<VaultState>;
  /** The vault's `first_loss_capital_farm`, null when the vault is unreadable or has none. */
  readonly farmAddress: Address | null;
  /** null when there is no farm address to read. */
  readonly farm: Read<FarmState> | null;
  readonly multisigAddress: Address | null;
  readonly vaultIndex: number;
  /** The 2-of-2's vault PDA: what `withdraw_authority` (and `farm_admin`) must be. */
  readonly vaultPda: Address | null;
  readonly multisig: Read<MultisigAccount> | null;
}

/** Decodes the context from `accounts` (absent = does not exist, as everywhere in the policy layer). */
export function poolContext(target: PoolTarget, accounts: AccountMap): PoolContext {
  const vault = readAccount(accounts, target.vault, decodeVaultState);
  const farmAddress = vault.status === 'ok' && vault.value.firstLossCapitalFarm !== DEFAULT_ADDRESS ? vault.value.firstLossCapitalFarm : null;
  const multisigAddress = target.multisig ?? target.policy?.insurancePool.multisig ?? null;
  // --multisig alone names no vault index: the default vault (0) is Squads' and klend-sdk's.
  const vaultIndex = target.policy && (!target.multisig || target.multisig === target.policy.insurancePool.multisig) ? target.policy.insurancePool.vaultIndex : 0;
  return {
    target,
    policy: target.policy,
    accounts,
    vault,
    farmAddress,
    farm: farmAddress ? readAccount(accounts, farmAddress, decodeFarmState) : null,
    multisigAddress,
    vaultIndex,
    vaultPda: multisigAddress ? vaultPdaOf(multisigAddress, vaultIndex) : null,
    multisig: multisigAddress ? readAccount(accounts, multisigAddress, decodeMultisig) : null,
  };
}

/** Builds a check result. */
export const check = (id: PoolCheckId, outcome: PoolOutcome, evidence: string, fix: string | null = null, facts: PoolFacts = {}): PoolCheck => ({ id, outcome, evidence, fix, facts });

/** Why a read is not usable: missing or invalid → fail, unavailable → unknown; null when usable. */
export function unreadable(read: Read<unknown>, what: string): { outcome: 'fail' | 'unknown'; evidence: string } | null {
  if (read.status === 'ok') return null;
  if (read.status === 'missing') return { outcome: 'fail', evidence: `${what} does not exist` };
  if (read.status === 'invalid') return { outcome: 'fail', evidence: `${what} is not what it should be: ${read.error}` };
  return { outcome: 'unknown', evidence: `${what} could not be read: ${read.error}` };
}

/** Facts of a result that is `unknown` only because `flc-farm` is not `pass` (the guardian says that once, as flc-farm). */
export const DEPENDS_ON_FLC_FARM: PoolFacts = { dependsOn: 'flc-farm' };

/** The farm, or the `unknown` result a farm check gives without it (flc-farm says why). */
export function withFarm(ctx: PoolContext, id: PoolCheckId): { farm: FarmState; vault: VaultState } | PoolCheck {
  if (ctx.vault.status !== 'ok') return check(id, 'unknown', `needs the kvault ${ctx.target.vault} (see flc-farm)`, null, DEPENDS_ON_FLC_FARM);
  if (ctx.farm === null || ctx.farm.status !== 'ok') {
    return check(id, 'unknown', `needs the vault's first-loss farm${ctx.farmAddress ? ` ${ctx.farmAddress}` : ''} (see flc-farm)`, null, DEPENDS_ON_FLC_FARM);
  }
  return { farm: ctx.farm.value, vault: ctx.vault.value };
}

/** Seconds as days for people ("7 days", "30 days", "2.5 days"). */
export function days(seconds: number): string {
  const d = seconds / 86_400;
  return `${Number.isInteger(d) ? d : d.toFixed(2).replace(/0+$/, '')} day${d === 1 ? '' : 's'}`;
}

export { DEFAULT_ADDRESS };
