/**
 * What the read-only page shows, read from the workflow's read models: per vault its proposals (state
 * and tally), loss events with their evidence and stored compensation plan, the guardian's latest pool
 * check and recent alerts; and the audit head. Reads only.
 */
import type { Address } from '@solana/kit';
import type { LoadedPolicy } from '../../policy/load.ts';
import type { AuditHead } from '../../store/audit.ts';
import type { StoredPlan } from '../../store/types.ts';
import { GUARDIAN_AUDIT_TYPE, latestPoolChecks } from '../../workflow/guardian.ts';
import type { PoolCheckView } from '../../workflow/pool-view.ts';
import { lossEventView, proposalView, unitsOf, type LossEventView, type ProposalView, type Units } from '../../workflow/views.ts';
import type { Workflow } from '../../workflow/workflow.ts';

/** Proposals listed per vault (newest first); older ones are in the API and the audit log. */
export const PROPOSALS_PER_VAULT = 25;
/** Guardian alerts listed per vault, from the last {@link ALERT_DAYS} days. */
export const ALERTS_PER_VAULT = 10;
export const ALERT_DAYS = 7;

/** One guardian alert as the audit log keeps it. */
export interface GuardianAlert {
  readonly at: string;
  readonly event: string;
  readonly text: string;
}

export interface VaultOverview {
  readonly name: string;
  readonly vault: Address;
  readonly multisig: Address;
  readonly proposals: readonly ProposalView[];
  readonly lossEvents: readonly LossEventView[];
  /** Names and decimals for the loss amounts (from a decided proposal of the vault, else base units). */
  readonly units: Units;
  readonly poolCheck: PoolCheckView | null;
  readonly alerts: readonly GuardianAlert[];
}

export interface Overview {
  readonly vaults: readonly VaultOverview[];
  readonly auditHead: AuditHead | null;
  readonly at: Date;
}

/** The overview of the vaults of `policies` (all of the workflow's when absent). */
export async function readOverview(wf: Workflow, policies?: readonly LoadedPolicy[]): Promise<Overview> {
  const now = wf.now();
  const shown = policies ?? wf.policies.all();
  const checks = latestPoolChecks(wf);
  const since = new Date(now.getTime() - ALERT_DAYS * 86_400_000);
  const [auditHead, recent] = await Promise.all([wf.store.auditHead(), wf.store.auditEntries({ sinceTime: since })]);
  const vaults: VaultOverview[] = [];
  for (const loaded of shown) {
    const { vault, name } = loaded.policy;
    const rows = (await wf.store.listProposals({ vault })).sort((a, b) => b.rowId - a.rowId).slice(0, PROPOSALS_PER_VAULT);
    const views: ProposalView[] = [];
    for (const row of rows) views.push(await proposalView({ store: wf.store, policyFor: (r) => wf.policyFor(r) }, row, now));
    const [events, ledger, plans] = await Promise.all([
      wf.store.lossEventsForVault(vault), wf.store.ledgerForVault(vault), wf.store.latestPlansForVault?.(vault) ?? new Map<string, StoredPlan>(),
    ]);
    const decided = views.find((v) => v.summary?.underlyingDecimals != null);
    vaults.push({
      name,
      vault,
      multisig: loaded.policy.insurancePool.multisig,
      proposals: views,
      lossEvents: events.map((e) => lossEventView(e, ledger, plans.get(e.id) ?? null)),
      units: decided?.units ?? unitsOf(loaded, null),
      poolCheck: checks.find((c) => c.vault === vault) ?? null,
      alerts: recent
        .filter((e) => e.type === GUARDIAN_AUDIT_TYPE && (e.payload as { vault?: unknown } | null)?.vault === vault)
        .map((e) => {
          const p = e.payload as { event?: unknown; text?: unknown };
          return { at: e.at, event: typeof p.event === 'string' ? p.event : '', text: typeof p.text === 'string' ? p.text : '' };
        })
        .filter((a) => a.text !== '')
        .slice(-ALERTS_PER_VAULT)
        .reverse(),
    });
  }
  return { vaults, auditHead, at: now };
}
