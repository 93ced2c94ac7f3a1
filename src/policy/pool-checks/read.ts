/**
 * Reads what the pool checks need through an AccountSource, in as few batched round trips as the
 * dependencies allow (two: the vault and the policy's accounts, then the vault's farm and reserves).
 */
import type { Address } from '@solana/kit';
import type { AccountMap, AccountResult, AccountSource } from '../../chain/types.ts';
import { poolAccountsToRead } from '../pool-checks.ts';
import type { PoolTarget } from './context.ts';

/** Reads until the checks need nothing more (bounded at three rounds; two suffice). Never throws for a bad account. */
export async function readPoolAccounts(source: AccountSource, target: PoolTarget): Promise<AccountMap> {
  const accounts = new Map<Address, AccountResult>();
  for (let round = 0; round < 3; round++) {
    const need = poolAccountsToRead(accounts, target);
    if (need.length === 0) break;
    const got = await source.getAccounts(need);
    for (const a of need) accounts.set(a, got.get(a) ?? { kind: 'unavailable', error: 'not answered' });
  }
  return accounts;
}
