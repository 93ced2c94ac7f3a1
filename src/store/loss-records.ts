/**
 * The store as the policy engine's `LossRecords` (loss events, their stored transactions, and the
 * ledger of one vault), so `gatherFacts` reads what the store holds.
 */
import type { Address } from '@solana/kit';
import type { LossRecords } from '../policy/gather.ts';
import type { LedgerRow, LossEvent, StoredTransaction } from '../policy/facts.ts';
import type { LossLedgerRepository } from './loss-ledger.ts';

/** Adapts the loss-and-ledger repository to `LossRecords`. */
export function lossRecordsFrom(store: Pick<LossLedgerRepository, 'lossEventsForVault' | 'ledgerForVault' | 'lossTransaction'>): LossRecords {
  return {
    lossEvents: (vault: Address): Promise<readonly LossEvent[]> => store.lossEventsForVault(vault),
    ledger: (vault: Address): Promise<readonly LedgerRow[]> => store.ledgerForVault(vault),
    transaction: (signature: string): Promise<StoredTransaction | undefined> => store.lossTransaction(signature),
  };
}
