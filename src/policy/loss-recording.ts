/**
 * Recording a loss event (SPEC §2 step 1, §6 POST /v1/loss-events): prove from the chain that the
 * cited transaction is a successful klend socialize_loss on the declared reserve, and read the
 * evidence later decisions use. A refusal is typed (`LossUnverifiable`, the API's 422); a chain
 * outage is `ChainUnavailable` (503). Nothing here stores anything.
 */
import type { Address } from '@solana/kit';
import { decodeReserve } from '../chain/accounts/klend.ts';
import { decodeVaultState } from '../chain/accounts/kvault.ts';
import { ChainUnavailable } from '../chain/errors.ts';
import { readAccount, type AccountSource } from '../chain/types.ts';
import { floorDiv, minBig } from './amounts.ts';
import type { TransactionJsonResult } from '../chain/reader.ts';
import { verifyLossTransaction, type TransactionJson } from './loss-transaction.ts';

/** The loss cannot be recorded for that vault: unknown or failing evidence (HTTP 422 `loss-unverifiable`). */
export class LossUnverifiable extends Error {
  override readonly name = 'LossUnverifiable';
  readonly code = 'loss-unverifiable';
}

/** What recording needs from the chain: batched account reads, a finalized transaction, the slot. */
export interface LossChain extends AccountSource {
  getTransactionJson(signature: string, o: { commitment: 'finalized' }): Promise<TransactionJsonResult>;
  getSlot(): Promise<number>;
}

export interface VerifiedLoss {
  readonly vault: Address;
  readonly reserve: Address;
  readonly signature: string;
  readonly vaultLoss: bigint;
  readonly forgiven: bigint;
  /** min(vaultLoss, floor(forgiven × vaultCTokens / reserveCTokenSupply)) */
  readonly recordedLoss: bigint;
  readonly evidence: { readonly vaultCTokens: bigint; readonly reserveCTokenSupply: bigint; readonly readAtSlot: bigint };
  readonly slot: bigint | null;
  readonly blockTime: number | null;
  readonly transaction: TransactionJson;
}

export async function verifyLossForRecording(input: {
  chain: LossChain;
  vault: Address;
  reserve: Address;
  signature: string;
  vaultLoss: bigint;
}): Promise<VerifiedLoss> {
  const { chain, vault, reserve, signature, vaultLoss } = input;
  const tx = await chain.getTransactionJson(signature, { commitment: 'finalized' });
  if (tx.kind === 'unavailable') throw new ChainUnavailable(`the loss transaction could not be read: ${tx.error}`);
  if (tx.kind === 'missing') throw new LossUnverifiable(`transaction ${signature} is not found at finalized commitment`);
  const result = tx.result as unknown as TransactionJson;
  const verdict = verifyLossTransaction(result, reserve);
  if (verdict.outcome !== 'pass') throw new LossUnverifiable(`not a verifiable loss on reserve ${reserve}: ${verdict.reason}`);

  const accounts = await chain.getAccounts([vault, reserve]);
  const slot = BigInt(await chain.getSlot());
  const kvault = readAccount(accounts, vault, decodeVaultState);
  const reserveRead = readAccount(accounts, reserve, decodeReserve);
  for (const [what, read] of [[`kvault ${vault}`, kvault], [`reserve ${reserve}`, reserveRead]] as const) {
    if (read.status === 'unavailable') throw new ChainUnavailable(`${what} could not be read: ${read.error}`);
    if (read.status === 'missing') throw new LossUnverifiable(`${what} does not exist`);
    if (read.status === 'invalid') throw new LossUnverifiable(`${what} is not valid: ${read.error}`);
  }
  if (kvault.status !== 'ok' || reserveRead.status !== 'ok') throw new Error('unreachable');
  const allocation = kvault.value.activeAllocations.find((a) => a.reserve === reserve);
  const vaultCTokens = allocation?.ctokenAllocation ?? 0n;
  if (vaultCTokens === 0n) throw new LossUnverifiable(`the vault holds no cTokens of reserve ${reserve}`);
  const reserveCTokenSupply = reserveRead.value.collateral.mintTotalSupply;
  if (reserveCTokenSupply === 0n) throw new LossUnverifiable(`reserve ${reserve} has a zero cToken supply`);
  const bound = floorDiv(verdict.forgiven * vaultCTokens, reserveCTokenSupply);
  return {
    vault,
    reserve,
    signature,
    vaultLoss,
    forgiven: verdict.forgiven,
    recordedLoss: minBig(vaultLoss, bound),
    evidence: { vaultCTokens, reserveCTokenSupply, readAtSlot: slot },
    slot: verdict.slot,
    blockTime: verdict.blockTime,
    transaction: result,
  };
}
