/**
 * The one "read until nothing is missing" loop: reads whose later addresses depend on earlier answers
 * (a proposal's lookup tables after its transaction, a decision's reserves after the vault).
 */
import type { Address } from '@solana/kit';
import type { AccountMap, AccountResult, AccountSource } from './types.ts';

/** Options of `readUntilComplete`. */
export interface ReadUntilOptions {
  /** At most this many batches (the dependency depth, plus a spare round for an omitted answer). */
  readonly maxRounds: number;
  /** Accounts already read for the same purpose: not read again. */
  readonly seed?: AccountMap;
  /** Sees each answer before it is kept; throwing stops the read (e.g. refusing to sign on partial data). */
  readonly check?: (address: Address, result: AccountResult) => void;
}

/**
 * Reads, one batch per round, the addresses `wanted` names that are not held yet, until it names none
 * or `maxRounds` batches were read. Never throws for the source: a batch that throws answers
 * `unavailable` for each of its addresses, and so does an address the source left unanswered.
 */
export async function readUntilComplete(
  source: AccountSource,
  wanted: (accounts: AccountMap) => readonly Address[],
  options: ReadUntilOptions,
): Promise<Map<Address, AccountResult>> {
  const accounts = new Map<Address, AccountResult>(options.seed ?? []);
  for (let round = 0; round < options.maxRounds; round++) {
    const needed = [...new Set(wanted(accounts))].filter((a) => !accounts.has(a));
    if (needed.length === 0) break;
    let answer: ReadonlyMap<Address, AccountResult>;
    try {
      answer = await source.getAccounts(needed);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      answer = new Map(needed.map((a) => [a, { kind: 'unavailable', error } as const]));
    }
    for (const a of needed) {
      const result = answer.get(a) ?? { kind: 'unavailable', error: 'not answered by the account source' };
      options.check?.(a, result);
      accounts.set(a, result);
    }
  }
  return accounts;
}
