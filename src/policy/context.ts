/**
 * Everything the nine rules look at, derived once from the facts and the policy. Pure: it decodes
 * bytes already read and computes; it never reads the chain or the store.
 */
import type { Address } from '@solana/kit';
import { decodeFarmState, type FarmState } from '../chain/accounts/farms.ts';
import { decodeVaultState, type VaultState } from '../chain/accounts/kvault.ts';
import { decodeReserve } from '../chain/accounts/klend.ts';
import type { DecodedInstruction } from '../chain/instructions.ts';
import { resolveProposal, vaultAddress, type DecodedProposal } from '../chain/proposal.ts';
import { readAccount, type Read } from '../chain/types.ts';
import type { Fraction } from './amounts.ts';
import { proposalId, type Facts } from './facts.ts';
import { assessLosses, type LossAssessment } from './loss-assessment.ts';
import type { Policy } from './schema.ts';
import { computeAum, farmTransfer, withdrawalValue, type Computed } from './valuation.ts';

export type WithdrawInstruction = Extract<DecodedInstruction, { kind: 'farms-withdraw-from-farm-vault' }>;
export type TransferInstruction = Extract<DecodedInstruction, { kind: 'token-transfer' | 'token-transfer-checked' }>;

export interface Valuation {
  /** Σ of the withdraw amounts in kTokens (one withdrawal in any allowed message). */
  readonly amount: bigint;
  readonly staked: bigint;
  readonly pending: bigint;
  readonly aum: Fraction;
  readonly sharesIssued: bigint;
  /** Underlying base units: ceil(min(a, V) × AUM / shares). */
  readonly value: bigint;
  /** kTokens the farm will send. */
  readonly farmTransfer: bigint;
  readonly drainsPool: boolean;
  readonly decimals: number;
  readonly staleReserves: readonly Address[];
}

export interface RuleContext {
  readonly policy: Policy;
  readonly now: Date;
  readonly facts: Facts;
  readonly proposalId: string;
  readonly proposal: DecodedProposal;
  /** The policy's multisig vault PDA: the only signer a withdrawal may have. */
  readonly vaultPda: Address;
  /** The decoded inner instructions, [] when the message is not fully resolved. */
  readonly instructions: readonly DecodedInstruction[];
  readonly withdrawals: readonly WithdrawIx[];
  readonly kvault: Read<VaultState>;
  /** The farm the withdrawal names (the policy's farm when there is no withdrawal). */
  readonly farmAddress: Address;
  readonly farm: Read<FarmState>;
  readonly valuation: Computed<Valuation>;
  readonly losses: LossAssessment;
  readonly createdByBackstop: boolean;
}

type WithdrawIx = WithdrawInstruction & { readonly position: number };

/** Maps an unusable account read to the outcome the rules give it: missing or invalid → fail, unavailable → unknown. */
export function unusable(read: Read<unknown>, what: string): { outcome: 'fail' | 'unknown'; reason: string } | null {
  switch (read.status) {
    case 'ok':
      return null;
    case 'missing':
      return { outcome: 'fail', reason: `${what} does not exist` };
    case 'invalid':
      return { outcome: 'fail', reason: `${what} is not valid: ${read.error}` };
    case 'unavailable':
      return { outcome: 'unknown', reason: `${what} could not be read: ${read.error}` };
  }
}

function value(ctx: Omit<RuleContext, 'valuation' | 'losses'>): Computed<Valuation> {
  if (ctx.withdrawals.length === 0) return { outcome: 'fail', reason: 'the message has no withdraw_from_farm_vault to value' };
  const farmProblem = unusable(ctx.farm, `farm ${ctx.farmAddress}`);
  if (farmProblem) return farmProblem;
  const vaultProblem = unusable(ctx.kvault, `kvault ${ctx.policy.vault}`);
  if (vaultProblem) return vaultProblem;
  if (ctx.farm.status !== 'ok' || ctx.kvault.status !== 'ok') throw new Error('unreachable');
  const farm = ctx.farm.value;
  const vault = ctx.kvault.value;
  const aum = computeAum(vault, (reserve) => readAccount(ctx.facts.accounts, reserve, decodeReserve));
  if (aum.outcome !== 'pass') return aum;
  const amount = ctx.withdrawals.reduce((s, w) => s + w.amount, 0n);
  const staked = farm.totalStakedAmount;
  const pending = farm.totalPendingAmount;
  const valued = withdrawalValue({ amount, poolTotal: staked + pending, aum: aum.aum, sharesIssued: vault.sharesIssued });
  if (valued.outcome !== 'pass') return valued;
  const sent = farmTransfer(amount, staked, pending);
  return {
    outcome: 'pass',
    amount,
    staked,
    pending,
    aum: aum.aum,
    sharesIssued: vault.sharesIssued,
    value: valued.value,
    farmTransfer: sent.transfer,
    drainsPool: sent.drainsPool,
    decimals: Number(vault.tokenMintDecimals),
    staleReserves: aum.staleReserves,
  };
}

/** Derives the rule context. Pure and deterministic for the same inputs. */
export function buildContext(facts: Facts, policy: Policy, now: Date): RuleContext {
  const ref = facts.proposal;
  const proposal = resolveProposal(facts.accounts, ref.multisig, ref.transactionIndex);
  const instructions = proposal.message && proposal.message.unresolved === null ? proposal.message.instructions : [];
  const withdrawals: WithdrawIx[] = [];
  instructions.forEach((ix, position) => {
    if (ix.kind === 'farms-withdraw-from-farm-vault') withdrawals.push({ ...ix, position });
  });
  const farmAddress = withdrawals[0]?.farmState ?? policy.insurancePool.farm;
  const base = {
    policy,
    now,
    facts,
    proposalId: proposalId(ref),
    proposal,
    vaultPda: vaultAddress(policy.insurancePool.multisig, policy.insurancePool.vaultIndex),
    instructions,
    withdrawals,
    kvault: readAccount(facts.accounts, policy.vault, decodeVaultState),
    farmAddress,
    farm: readAccount(facts.accounts, farmAddress, decodeFarmState),
    createdByBackstop: proposal.transaction.status === 'ok' && proposal.transaction.value.type === 'vault' && proposal.transaction.value.value.creator === policy.cosigner,
  };
  return {
    ...base,
    valuation: value(base),
    losses: assessLosses({ facts, vault: policy.vault, proposalId: base.proposalId, ...(ref.lossEventId ? { boundEventId: ref.lossEventId } : {}) }),
  };
}
