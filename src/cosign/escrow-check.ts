/**
 * After execution (docs/flow.md state `executed`: "escrow balance checked"): did each token destination
 * of the vault transaction receive exactly what the decoded transfer says? Balance deltas come from
 * the executing transaction's token balances when the node reports them, else from balances read at
 * signing time. Best effort by design: it logs and audits what it could verify and never throws.
 */
import type { Address } from '@solana/kit';
import { decodeTokenAccount } from '../chain/accounts/spl.ts';
import { decodeProposal, type DecodedProposal } from '../chain/proposal.ts';
import { readAccount } from '../chain/types.ts';
import type { ProposalRecord, Store } from '../store/types.ts';
import type { Log, WorkflowChain } from '../workflow/ports.ts';

/** Token amounts the vault transaction sends per destination, and their balances when read. */
export interface EscrowBalances {
  readonly expected: ReadonlyMap<Address, bigint>;
  readonly balances: ReadonlyMap<Address, bigint>;
}

/** What the decoded message transfers, summed per destination token account. */
export function expectedTransfers(d: DecodedProposal): Map<Address, bigint> {
  const out = new Map<Address, bigint>();
  for (const ix of d.message?.instructions ?? []) {
    if (ix.kind === 'token-transfer-checked' || ix.kind === 'token-transfer') out.set(ix.destination, (out.get(ix.destination) ?? 0n) + ix.amount);
  }
  return out;
}

async function balancesOf(chain: WorkflowChain, addresses: readonly Address[]): Promise<Map<Address, bigint>> {
  const accounts = await chain.getAccounts(addresses);
  const out = new Map<Address, bigint>();
  for (const a of addresses) {
    const r = readAccount(accounts, a, decodeTokenAccount);
    if (r.status === 'ok') out.set(a, r.value.amount);
  }
  return out;
}

/** The destinations' balances now (before signing), for a later delta. */
export async function escrowBalances(chain: WorkflowChain, d: DecodedProposal): Promise<EscrowBalances> {
  const expected = expectedTransfers(d);
  return { expected, balances: await balancesOf(chain, [...expected.keys()]) };
}

/** Deltas per destination from a getTransaction JSON result's pre/post token balances, when present. */
function deltasFromTransaction(result: Record<string, unknown>, destinations: readonly Address[]): Map<Address, bigint> {
  const out = new Map<Address, bigint>();
  const tx = result['transaction'] as { message?: { accountKeys?: unknown[] } } | undefined;
  const meta = result['meta'] as
    | { preTokenBalances?: TokenBalance[]; postTokenBalances?: TokenBalance[]; loadedAddresses?: { writable?: string[]; readonly?: string[] } }
    | undefined;
  if (!tx?.message?.accountKeys || !meta?.preTokenBalances || !meta.postTokenBalances) return out;
  const keys = [
    ...tx.message.accountKeys.map((k) => (typeof k === 'string' ? k : String((k as { pubkey?: unknown }).pubkey))),
    ...(meta.loadedAddresses?.writable ?? []),
    ...(meta.loadedAddresses?.readonly ?? []),
  ];
  const amount = (list: TokenBalance[], index: number): bigint | undefined => {
    const b = list.find((x) => x.accountIndex === index);
    return b ? BigInt(b.uiTokenAmount.amount) : undefined;
  };
  for (const dest of destinations) {
    const index = keys.indexOf(dest);
    if (index < 0) continue;
    const post = amount(meta.postTokenBalances, index);
    if (post === undefined) continue;
    out.set(dest, post - (amount(meta.preTokenBalances, index) ?? 0n));
  }
  return out;
}

interface TokenBalance {
  accountIndex: number;
  uiTokenAmount: { amount: string };
}

/**
 * Checks what the destinations received and records it (log + audit `cosign.escrow-check`).
 * `signature` is the executing transaction when it was ours; `before` the balances read at signing.
 */
export async function checkEscrowReceipt(input: {
  chain: WorkflowChain;
  store: Store;
  log: Log;
  row: ProposalRecord;
  signature: string | null;
  before: EscrowBalances | null;
}): Promise<void> {
  const { chain, store, log, row, signature, before } = input;
  try {
    let expected = before?.expected;
    if (!expected) expected = expectedTransfers(await decodeProposal(chain, row.multisig, row.transactionIndex));
    const destinations = [...expected.keys()];
    if (destinations.length === 0) {
      log.warn({ proposal: row.id }, 'executed; no token transfer could be decoded to check against the escrow');
      return;
    }
    let deltas = new Map<Address, bigint>();
    let source = 'none';
    if (signature) {
      const tx = await chain.getTransactionJson(signature, { commitment: 'confirmed' });
      if (tx.kind === 'found') deltas = deltasFromTransaction(tx.result, destinations);
      if (deltas.size > 0) source = 'transaction token balances';
    }
    if (deltas.size < destinations.length && before) {
      const now = await balancesOf(chain, destinations);
      for (const d of destinations) {
        const b = before.balances.get(d);
        const n = now.get(d);
        if (!deltas.has(d) && b !== undefined && n !== undefined) deltas.set(d, n - b);
      }
      if (deltas.size > 0 && source === 'none') source = 'balances at signing and now';
    }
    for (const destination of destinations) {
      const want = expected.get(destination)!;
      const got = deltas.get(destination);
      const payload = { proposal: row.id, destination, expected: want.toString(), received: got === undefined ? null : got.toString(), source, ok: got === undefined ? null : got === want };
      if (got === undefined) {
        const current = (await balancesOf(chain, [destination])).get(destination);
        log.warn({ ...payload, balanceNow: current?.toString() ?? null }, 'executed; the escrow’s balance change could not be verified (its balance now is logged)');
      } else if (got === want) {
        log.info(payload, 'executed; the escrow received exactly the transfer');
      } else {
        log.error(payload, 'executed; the escrow did NOT receive what the transfer says');
      }
      await store.appendAudit('cosign.escrow-check', payload);
    }
  } catch (err) {
    log.warn({ proposal: row.id, err: (err as Error).message }, 'executed; the escrow check could not run');
  }
}
