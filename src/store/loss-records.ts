/**
 * The store as the policy engine's `LossRecords` (loss events, their stored transactions, and the
 * ledger of one vault), so `gatherFacts` reads what the store holds.
 */
import type { Address } from '@solana/kit';
import type { LossRecords } from '../policy/gather.ts';
import type { LedgerRow, LossEvent, StoredTransaction } from '../policy/facts.ts';
import type { LossLedgerRepository } from './loss-ledger.ts';
import type { PlanRepository } from './plans.ts';

/** Adapts the loss-and-ledger repository to `LossRecords`; with plans, each event carries its newest plan's root and total. */
export function lossRecordsFrom(
  store: Pick<LossLedgerRepository, 'lossEventsForVault' | 'ledgerForVault' | 'lossTransaction'> & Partial<Pick<PlanRepository, 'latestPlansForVault'>>,
): LossRecords {
  return {
    lossEvents: async (vault: Address): Promise<readonly LossEvent[]> => {
      const events = await store.lossEventsForVault(vault);
      if (!store.latestPlansForVault) return events;
      const plans = await store.latestPlansForVault(vault);
      return events.map((e) => {
        const p = plans.get(e.id);
        return p ? { ...e, plan: { root: p.root, total: p.total } } : e;
      });
    },
    ledger: (vault: Address): Promise<readonly LedgerRow[]> => store.ledgerForVault(vault),
    transaction: (signature: string): Promise<StoredTransaction | undefined> => store.lossTransaction(signature),
  };
}
