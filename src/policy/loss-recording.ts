/**
 * Recording a loss event (docs/flow.md step 1, docs/api.md POST /v1/loss-events): prove from the chain that the
 * cited transaction is a successful klend socialize_loss on the declared reserve, and read the
 * evidence later decisions use: the vault's cTokens of the reserve AS THEY WERE AT THE LOSS (from
 * the history of its cToken account, docs/loss-evidence.md) and the reserve's cToken supply AS IT WAS
 * AT THE LOSS (the current supply less what the cToken mint's history minted and burned since, read
 * with src/chain/history.ts). A refusal is typed (`LossUnverifiable`, the API's 422); a chain outage
 * is `ChainUnavailable` (503). Nothing here stores anything.
 */
import { getAddressEncoder, getProgramDerivedAddress, type Address } from '@solana/kit';
import { decodeReserve } from '../chain/accounts/klend.ts';
import { decodeVaultState, KVAULT_PROGRAM_ADDRESS, type VaultAllocation } from '../chain/accounts/kvault.ts';
import { ChainUnavailable } from '../chain/errors.ts';
import { readAccount, type AccountSource } from '../chain/types.ts';
import { floorDiv, minBig } from './amounts.ts';
import { MAX_SIGNATURES_PER_REQUEST, type SignatureInfo, type SignaturesForAddressResult, type TransactionJsonResult } from '../chain/reader.ts';
import { verifyLossTransaction, type TransactionJson } from './loss-transaction.ts';
import { readSupplyChanges } from '../chain/history.ts';

/** The loss cannot be recorded for that vault: unknown or failing evidence (HTTP 422 `loss-unverifiable`). */
export class LossUnverifiable extends Error {
  override readonly name = 'LossUnverifiable';
  readonly code = 'loss-unverifiable';
}

/** What recording needs from the chain: batched account reads, finalized transactions, an address's history, the slot. */
export interface LossChain extends AccountSource {
  getTransactionJson(signature: string, o: { commitment: 'finalized' }): Promise<TransactionJsonResult>;
  getSignaturesForAddress(
    address: Address,
    o: { before?: string; limit?: number; commitment: 'confirmed' | 'finalized' },
  ): Promise<SignaturesForAddressResult>;
  getSlot(): Promise<number>;
}

/** Pages of cToken-account history walked at most (50,000 transactions since the loss); more is refused, not guessed. */
export const MAX_HISTORY_PAGES = 50;

const NEXT_STEP_HISTORY = 'use an RPC endpoint that keeps the full transaction history (SOLANA_RPC_URL / --rpc) and record it again';

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
  /** Signatures per history page (tests use small pages); default and maximum 1000. */
  historyPageSize?: number;
}): Promise<VerifiedLoss> {
  const { chain, vault, reserve, signature, vaultLoss } = input;
  const tx = await chain.getTransactionJson(signature, { commitment: 'finalized' });
  if (tx.kind === 'unavailable') throw new ChainUnavailable(`the loss transaction could not be read: ${tx.error}`);
  if (tx.kind === 'missing') throw new LossUnverifiable(`transaction ${signature} is not found at finalized commitment`);
  const result = tx.result as unknown as TransactionJson;
  const verdict = verifyLossTransaction(result, reserve);
  if (verdict.outcome !== 'pass') throw new LossUnverifiable(`not a verifiable loss on reserve ${reserve}: ${verdict.reason}`);

  // The slots on either side of the read: a supply change between them cannot be placed (refused below).
  const slotBefore = BigInt(await chain.getSlot());
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
  if (verdict.slot === null) throw new LossUnverifiable(`transaction ${signature} has no slot: the vault's holding at the loss cannot be placed`);
  const allocation = kvault.value.activeAllocations.find((a) => a.reserve === reserve);
  // Read after the accounts: whatever the allocation read reflects is then in the history too.
  const vaultCTokens = await cTokensAtLoss({
    chain,
    vault,
    reserve,
    allocation,
    collateralMint: reserveRead.value.collateral.mintPubkey,
    lossSignature: signature,
    lossSlot: verdict.slot,
    pageSize: Math.min(input.historyPageSize ?? MAX_SIGNATURES_PER_REQUEST, MAX_SIGNATURES_PER_REQUEST),
  });
  if (vaultCTokens === 0n) throw new LossUnverifiable(`the vault held no cTokens of reserve ${reserve} at the loss (slot ${verdict.slot})`);
  const reserveCTokenSupply = await cTokenSupplyAtLoss({
    chain,
    reserve,
    collateralMint: reserveRead.value.collateral.mintPubkey,
    supplyNow: reserveRead.value.collateral.mintTotalSupply,
    lossSlot: verdict.slot,
    slotBefore,
    slotAfter: slot,
    pageSize: Math.min(input.historyPageSize ?? MAX_SIGNATURES_PER_REQUEST, MAX_SIGNATURES_PER_REQUEST),
  });
  if (reserveCTokenSupply === 0n) throw new LossUnverifiable(`reserve ${reserve} had a zero cToken supply at the loss`);
  // The loss-slot supply was at least what the vault held then; a smaller one would credit more than the whole loss.
  if (reserveCTokenSupply < vaultCTokens) {
    throw new LossUnverifiable(
      `reserve ${reserve}'s cToken supply at the loss, rebuilt as ${reserveCTokenSupply}, is below the ${vaultCTokens} cTokens the vault held then: the histories disagree, so this loss cannot be recorded automatically; ${NEXT_STEP_HISTORY}`,
    );
  }
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

/**
 * The vault's cTokens of `reserve` at the loss (docs/flow.md step 1, docs/loss-evidence.md): the cToken
 * account's balance before the first transaction that touched it after the loss, or the current
 * allocation when none did. Fails closed when the history cannot prove which.
 */
async function cTokensAtLoss(o: {
  chain: LossChain;
  vault: Address;
  reserve: Address;
  allocation: VaultAllocation | undefined;
  collateralMint: Address;
  lossSignature: string;
  lossSlot: bigint;
  pageSize: number;
}): Promise<bigint> {
  const { chain, reserve, allocation, lossSlot } = o;
  // A vault that left the reserve since the loss has no allocation any more; its cToken account is still this PDA.
  const account = allocation?.ctokenVault ?? (await ctokenVaultOf(o.vault, reserve));
  const history = await historySinceLoss({ chain, account, lossSignature: o.lossSignature, lossSlot, pageSize: o.pageSize });
  const earliest = history.after.at(-1);
  if (earliest === undefined) {
    // Every invest crank moves last_invest_slot; one after the loss must have left a transaction in the history.
    if (allocation && allocation.lastInvestSlot > lossSlot) {
      throw new LossUnverifiable(
        `the vault last invested in reserve ${reserve} at slot ${allocation.lastInvestSlot}, after the loss at slot ${lossSlot}, yet the history of its cToken account ${account} shows no transaction after the loss: the history is incomplete; ${NEXT_STEP_HISTORY}`,
      );
    }
    // Nothing touched the account since the loss (an empty history included: only an invest, which moves last_invest_slot, raises the allocation).
    return allocation?.ctokenAllocation ?? 0n;
  }
  if (!history.reachedLoss) {
    throw new LossUnverifiable(
      `the history of the vault's cToken account ${account} ends at slot ${earliest.slot}, after the loss at slot ${lossSlot}: what the vault held at the loss cannot be proven; ${NEXT_STEP_HISTORY}`,
    );
  }
  return preBalanceIn({ chain, account, entry: earliest, collateralMint: o.collateralMint });
}

/** Transactions of a reserve's cToken mint walked at most to rebuild its supply at the loss (as many as the vault's account walk). */
export const MAX_SUPPLY_TRANSACTIONS = MAX_HISTORY_PAGES * MAX_SIGNATURES_PER_REQUEST;

/**
 * The reserve's cToken supply at the loss (docs/loss-evidence.md): klend's current `mint_total_supply`
 * less what the cToken mint's history minted, plus what it burned, after the loss slot. The loss's
 * place among the other transactions of its own slot is unknown, so the larger of the supply before
 * and after that slot is kept: a larger supply credits the vault less. Fails closed when the history
 * ends after the loss or is inconsistent (422), or a supply change lands while the supply is read.
 */
async function cTokenSupplyAtLoss(o: {
  chain: LossChain;
  reserve: Address;
  collateralMint: Address;
  supplyNow: bigint;
  lossSlot: bigint;
  slotBefore: bigint;
  slotAfter: bigint;
  pageSize: number;
}): Promise<bigint> {
  const { lossSlot } = o;
  const r = await readSupplyChanges({ chain: o.chain, mint: o.collateralMint, slot: lossSlot, pageSize: o.pageSize, maxTransactions: MAX_SUPPLY_TRANSACTIONS, concurrency: 4, requestsPerSecond: 0 });
  if (r.kind === 'unknown') {
    throw new LossUnverifiable(`reserve ${o.reserve}'s cToken supply at the loss (slot ${lossSlot}) cannot be rebuilt from the history of its cToken mint ${o.collateralMint}: ${r.reason}; ${NEXT_STEP_HISTORY}`);
  }
  const moving = r.changes.find((c) => c.slot > o.slotBefore && c.slot <= o.slotAfter);
  if (moving) {
    throw new LossUnverifiable(`transaction ${moving.signature} changed reserve ${o.reserve}'s cToken supply at slot ${moving.slot}, while it was being read: record the loss again`);
  }
  const since = (from: (slot: bigint) => boolean) => r.changes.filter((c) => from(c.slot) && c.slot <= o.slotBefore).reduce((s, c) => s + c.delta, 0n);
  const endOfLossSlot = o.supplyNow - since((s) => s > lossSlot);
  const startOfLossSlot = o.supplyNow - since((s) => s >= lossSlot);
  if (startOfLossSlot < 0n || endOfLossSlot < 0n) throw new LossUnverifiable(`reserve ${o.reserve}'s cToken supply at the loss computes to a negative amount: the history is inconsistent; ${NEXT_STEP_HISTORY}`);
  return startOfLossSlot > endOfLossSlot ? startOfLossSlot : endOfLossSlot;
}

/** Transactions on `account` after the loss (newest first), and whether the walk reached the loss. */
async function historySinceLoss(o: {
  chain: LossChain;
  account: Address;
  lossSignature: string;
  lossSlot: bigint;
  pageSize: number;
}): Promise<{ after: SignatureInfo[]; reachedLoss: boolean }> {
  const { chain, account, lossSlot } = o;
  const after: SignatureInfo[] = [];
  let before: string | undefined;
  let lastSlot: bigint | undefined;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    const r = await chain.getSignaturesForAddress(account, { ...(before !== undefined ? { before } : {}), limit: o.pageSize, commitment: 'confirmed' });
    if (r.kind === 'unavailable') throw new ChainUnavailable(`the history of the vault's cToken account ${account} could not be read: ${r.error}`);
    for (const e of r.signatures) {
      if (lastSlot !== undefined && e.slot > lastSlot) {
        throw new LossUnverifiable(`the RPC answered the history of ${account} out of order (slot ${e.slot} after slot ${lastSlot}); ${NEXT_STEP_HISTORY}`);
      }
      lastSlot = e.slot;
      // The loss itself, or anything older than its slot: every transaction after the loss has been seen.
      if (e.signature === o.lossSignature || e.slot < lossSlot) return { after, reachedLoss: true };
      if (e.slot === lossSlot) {
        throw new LossUnverifiable(
          `transaction ${e.signature} on the vault's cToken account ${account} landed in the loss's slot ${lossSlot}: whether it came before or after the loss cannot be proven from the history, so this loss cannot be recorded automatically`,
        );
      }
      after.push(e);
    }
    // A short page is the end of what the node keeps.
    if (r.signatures.length < o.pageSize) return { after, reachedLoss: false };
    before = r.signatures[r.signatures.length - 1]!.signature;
  }
  throw new LossUnverifiable(
    `more than ${MAX_HISTORY_PAGES * o.pageSize} transactions touched the vault's cToken account ${account} since the loss at slot ${lossSlot}: too many to walk; this loss cannot be recorded automatically`,
  );
}

/** The cToken account's balance before `entry` (its `meta.preTokenBalances`), read at finalized. */
async function preBalanceIn(o: { chain: LossChain; account: Address; entry: SignatureInfo; collateralMint: Address }): Promise<bigint> {
  const { account, entry } = o;
  const what = `transaction ${entry.signature}, the first on the vault's cToken account ${account} after the loss,`;
  const tx = await o.chain.getTransactionJson(entry.signature, { commitment: 'finalized' });
  if (tx.kind === 'unavailable') throw new ChainUnavailable(`${what} could not be read: ${tx.error}`);
  if (tx.kind === 'missing') throw new LossUnverifiable(`${what} is not found at finalized commitment; record the loss again once it is finalized`);
  const r = tx.result as {
    slot?: unknown;
    transaction?: { message?: { accountKeys?: unknown } };
    meta?: { loadedAddresses?: { writable?: unknown; readonly?: unknown } | null; preTokenBalances?: unknown } | null;
  };
  if (r.slot !== Number(entry.slot)) throw new LossUnverifiable(`${what} is at slot ${String(r.slot)}, the history says ${entry.slot}: the RPC's answers disagree; ${NEXT_STEP_HISTORY}`);
  const loaded = r.meta?.loadedAddresses;
  const keys = [r.transaction?.message?.accountKeys, loaded?.writable, loaded?.readonly].flatMap((k) => (Array.isArray(k) ? (k as unknown[]) : []));
  const index = keys.indexOf(account);
  const balances = Array.isArray(r.meta?.preTokenBalances) ? (r.meta.preTokenBalances as { accountIndex?: unknown; mint?: unknown; uiTokenAmount?: { amount?: unknown } }[]) : null;
  const pre = index < 0 || balances === null ? undefined : balances.find((b) => b?.accountIndex === index);
  if (pre === undefined) {
    throw new LossUnverifiable(
      `${what} has no token balance of that account before it ran (created there, or the node's record is incomplete): what the vault held at the loss cannot be proven; ${NEXT_STEP_HISTORY}`,
    );
  }
  if (pre.mint !== o.collateralMint) throw new LossUnverifiable(`${what} lists that account with mint ${String(pre.mint)}, not the reserve's cToken mint ${o.collateralMint}`);
  const amount = pre.uiTokenAmount?.amount;
  if (typeof amount !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(amount) || BigInt(amount) > 0xffff_ffff_ffff_ffffn) {
    throw new LossUnverifiable(`${what} lists an unreadable balance of that account: ${JSON.stringify(amount)}`);
  }
  return BigInt(amount);
}

/** The kvault's cToken account of `reserve`: PDA `["ctoken_vault", vault, reserve]` of the kvault program. */
async function ctokenVaultOf(vault: Address, reserve: Address): Promise<Address> {
  const enc = getAddressEncoder();
  const [pda] = await getProgramDerivedAddress({ programAddress: KVAULT_PROGRAM_ADDRESS, seeds: ['ctoken_vault', enc.encode(vault), enc.encode(reserve)] });
  return pda;
}
