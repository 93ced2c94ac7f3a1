/**
 * Gathers the facts for one decision: reads, through an AccountSource, every account the rules
 * would look at, in as few batched round trips as the dependencies allow, and takes loss events,
 * their stored transactions and the ledger from the store. The only I/O on the way to `decide`.
 */
import type { Address } from '@solana/kit';
import { decodeVaultState } from '../chain/accounts/kvault.ts';
import { decodeTokenAccount } from '../chain/accounts/spl.ts';
import { proposalAccountsToRead, resolveProposal } from '../chain/proposal.ts';
import { readAccount, type AccountMap, type AccountResult, type AccountSource } from '../chain/types.ts';
import type { Facts, LedgerRow, LossEvent, ProposalRef, StoredTransaction } from './facts.ts';
import type { Policy } from './schema.ts';

/** Where loss events, their stored transactions and ledger rows come from (the store, or a file). */
export interface LossRecords {
  lossEvents(vault: Address): Promise<readonly LossEvent[]> | readonly LossEvent[];
  ledger(vault: Address): Promise<readonly LedgerRow[]> | readonly LedgerRow[];
  transaction(signature: string): Promise<StoredTransaction | undefined> | StoredTransaction | undefined;
}

/**
 * The addresses a decision on `ref` would read that `accounts` does not hold yet. Pure; call it
 * again after each read until it returns nothing.
 */
export function decisionAccountsToRead(accounts: AccountMap, ref: ProposalRef, policy: Policy): Address[] {
  const wanted = new Set<Address>(proposalAccountsToRead(accounts, ref.multisig, ref.transactionIndex));
  wanted.add(policy.vault);
  wanted.add(policy.insurancePool.farm);
  for (const e of policy.escrows) wanted.add(e.address);
  // compensation.requirePlan: the escrow's owner, the MerkleDistributor the rule holds to the plan.
  if (policy.compensation?.requirePlan) {
    for (const e of policy.escrows) {
      const escrow = accounts.has(e.address) ? readAccount(accounts, e.address, decodeTokenAccount) : null;
      if (escrow?.status === 'ok') wanted.add(escrow.value.owner);
    }
  }

  const vault = accounts.has(policy.vault) ? readAccount(accounts, policy.vault, decodeVaultState) : null;
  if (vault?.status === 'ok') {
    wanted.add(vault.value.sharesMint);
    for (const a of vault.value.activeAllocations) if (a.ctokenAllocation > 0n) wanted.add(a.reserve);
  }
  const proposal = resolveProposal(accounts, ref.multisig, ref.transactionIndex);
  for (const ix of proposal.message?.instructions ?? []) {
    if (ix.kind === 'farms-withdraw-from-farm-vault') wanted.add(ix.farmState);
    if (ix.kind === 'token-transfer' || ix.kind === 'token-transfer-checked') wanted.add(ix.destination);
  }
  return [...wanted].filter((a) => !accounts.has(a));
}

/** Reads accounts until the decision needs nothing more (bounded), and returns the facts. */
export async function gatherFacts(input: { source: AccountSource; ref: ProposalRef; policy: Policy; records: LossRecords; seed?: AccountMap }): Promise<Facts> {
  const { source, ref, policy, records } = input;
  // `seed`: accounts the caller read a moment ago for the same decision (not read twice).
  const accounts = new Map<Address, AccountResult>(input.seed ?? []);
  for (let round = 0; round < 8; round++) {
    const need = decisionAccountsToRead(accounts, ref, policy);
    if (need.length === 0) break;
    const got = await source.getAccounts(need);
    for (const a of need) accounts.set(a, got.get(a) ?? { kind: 'unavailable', error: 'not answered' });
  }
  const lossEvents = await records.lossEvents(policy.vault);
  const ledger = await records.ledger(policy.vault);
  const transactions = new Map<string, StoredTransaction>();
  for (const e of lossEvents) {
    const tx = await records.transaction(e.signature);
    if (tx) transactions.set(e.signature, tx);
  }
  return { proposal: ref, accounts, transactions, lossEvents, ledger };
}

/** In-memory LossRecords: for tests, `inspect --loss-events FILE`, and until the store exists. */
export class MemoryLossRecords implements LossRecords {
  constructor(
    private readonly events: readonly LossEvent[],
    private readonly rows: readonly LedgerRow[],
    private readonly transactions: ReadonlyMap<string, StoredTransaction>,
  ) {}
  lossEvents(vault: Address): readonly LossEvent[] {
    return this.events.filter((e) => e.vault === vault);
  }
  ledger(): readonly LedgerRow[] {
    return this.rows;
  }
  transaction(signature: string): StoredTransaction | undefined {
    return this.transactions.get(signature);
  }
}
