/**
 * The Insurance Pool check as every screen shows it (issue 14): one typed read model, built here in
 * the workflow layer and rendered by the CLI (text, `--json`), the API (`GET /v1/vaults/:vault/pool-check`),
 * Telegram (`/pool`'s check card) and the metrics. `checkPoolNow` reads the chain for it in at most
 * three round trips: the slot, then two batched account reads.
 */
import type { Address } from '@solana/kit';
import type { AccountMap, AccountSource } from '../chain/types.ts';
import { poolCheckExitCode, runPoolChecks, type PoolCheck, type PoolCheckId, type PoolOutcome, type PoolTarget } from '../policy/pool-checks.ts';
import { readPoolAccounts } from '../policy/pool-checks/read.ts';

/** One check as screens show it (the JSON shape of issue 14). */
export interface PoolCheckLine {
  readonly id: PoolCheckId;
  readonly outcome: PoolOutcome;
  readonly evidence: string;
  readonly fix: string | null;
}

/** A vault's pool check at one moment. */
export interface PoolCheckView {
  readonly vault: Address;
  /** The policy's name, null without a policy. */
  readonly name: string | null;
  /** The slot the chain was read at (or just before), null when the node did not say. */
  readonly slot: number | null;
  readonly checks: readonly PoolCheckLine[];
  readonly counts: Readonly<Record<PoolOutcome, number>>;
  /** Pool kTokens / shares issued as a decimal string (6 places), null when unknown. */
  readonly depthRatio: string | null;
  /** False when not even the vault could be read (the RPC is down): exit 2 whatever the checks say. */
  readonly readable: boolean;
  /** 0 every check passes or warns, 1 any fails, 2 none fails but one is unknown or nothing could be read. */
  readonly exitCode: 0 | 1 | 2;
}

/** Builds the view from checks already run. */
export function poolCheckView(input: { target: PoolTarget; checks: readonly PoolCheck[]; slot: number | null; readable: boolean }): PoolCheckView {
  const counts: Record<PoolOutcome, number> = { pass: 0, fail: 0, warn: 0, unknown: 0 };
  for (const c of input.checks) counts[c.outcome] += 1;
  return {
    vault: input.target.vault,
    name: input.target.policy?.name ?? null,
    slot: input.slot,
    checks: input.checks.map(({ id, outcome, evidence, fix }) => ({ id, outcome, evidence, fix })),
    counts,
    depthRatio: depthRatio(input.checks),
    readable: input.readable,
    exitCode: input.readable ? poolCheckExitCode(input.checks) : 2,
  };
}

function depthRatio(checks: readonly PoolCheck[]): string | null {
  const ratio = checks.find((c) => c.id === 'pool-depth')?.facts['ratio'];
  return typeof ratio === 'string' ? ratio : null;
}

/** Whether the vault itself answered (found or missing): otherwise nothing could be read. */
export function vaultReadable(accounts: AccountMap, vault: Address): boolean {
  const r = accounts.get(vault);
  return r !== undefined && r.kind !== 'unavailable';
}

/** The chain as `checkPoolNow` uses it: batched reads, and the slot when the source knows it. */
export type PoolCheckSource = AccountSource & { getSlot?(): Promise<number> };

/** Reads the chain now (≤ 3 round trips) and checks `target`. Never throws for chain trouble: it shows as `unknown`. */
export async function checkPoolNow(source: PoolCheckSource, target: PoolTarget): Promise<PoolCheckView> {
  const slot = source.getSlot ? source.getSlot().then((s) => s, () => null) : Promise.resolve(null);
  const accounts = await readPoolAccounts(source, target);
  return poolCheckView({ target, checks: runPoolChecks(target, accounts), slot: await slot, readable: vaultReadable(accounts, target.vault) });
}

/** The `--json` / API body: `{ vault, slot, checks: [{ id, outcome, evidence, fix }] }`. */
export function poolCheckJson(view: PoolCheckView): { vault: Address; slot: number | null; checks: readonly PoolCheckLine[] } {
  return { vault: view.vault, slot: view.slot, checks: view.checks };
}

/** The mark each screen puts before a check. */
export const OUTCOME_MARK: Readonly<Record<PoolOutcome, string>> = { pass: '✅', fail: '❌', warn: '⚠️', unknown: '❔' };
