/**
 * Compensation plans (issue 15 §3): the plan built for a loss event, stored with its root and total
 * (what the policy holds the escrow to) and the whole `--json` text gzip-compressed (what GET serves).
 * A loss event may be planned again; the newest plan is the one that counts.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Address } from '@solana/kit';
import { sha256Hex } from '../policy/jcs.ts';
import type { AuditedWriter } from './audited-writer.ts';
import { big, bytes, date, num } from './rows.ts';
import type { Row } from './engine.ts';

export interface NewPlan {
  readonly lossEventId: string;
  readonly vault: Address;
  readonly lossSlot: bigint;
  readonly sharesMint: Address;
  /** 64 hex characters. */
  readonly root: string;
  /** kToken base units: the distributor's max_total_claim. */
  readonly total: bigint;
  readonly amount: bigint;
  readonly remainder: bigint;
  readonly claimants: number;
  /** The plan's `--json` text. */
  readonly json: string;
  /** Who asked: a webhook source id, `cli`, `sandbox`. */
  readonly createdBy: string;
}

export interface StoredPlan extends Omit<NewPlan, 'json'> {
  readonly id: number;
  readonly planSha256: string;
  readonly createdAt: Date;
}

export interface PlanRepository {
  recordPlan(input: NewPlan): Promise<StoredPlan>;
  /** The newest plan of the event, or null. */
  latestPlan(lossEventId: string): Promise<StoredPlan | null>;
  /** The newest plan's `--json` text, or null. */
  latestPlanJson(lossEventId: string): Promise<string | null>;
  /** The newest plan of each of the vault's loss events, by event id. */
  latestPlansForVault(vault: Address): Promise<ReadonlyMap<string, StoredPlan>>;
}

const COLUMNS = 'id, loss_event_id, vault, loss_slot, shares_mint, root, total, amount, remainder, claimants, plan_sha256, created_at, created_by';

export class SqlPlans implements PlanRepository {
  constructor(private readonly w: AuditedWriter) {}

  async recordPlan(input: NewPlan): Promise<StoredPlan> {
    const at = this.w.now().toISOString();
    const sha = sha256Hex(input.json);
    return this.w.mutate(async (tx) => {
      const [row] = await tx.all(
        `INSERT INTO compensation_plans (loss_event_id, vault, loss_slot, shares_mint, root, total, amount, remainder, claimants, plan_gz, plan_sha256, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
        [
          input.lossEventId, input.vault, input.lossSlot.toString(), input.sharesMint, input.root, input.total.toString(), input.amount.toString(),
          input.remainder.toString(), input.claimants, gzipSync(input.json), sha, at, input.createdBy,
        ],
      );
      const plan = toPlan(row!);
      return {
        value: plan,
        audit: {
          type: 'compensation.plan-stored',
          payload: {
            id: plan.id, lossEventId: input.lossEventId, vault: input.vault, lossSlot: input.lossSlot, sharesMint: input.sharesMint, root: input.root,
            total: input.total, amount: input.amount, remainder: input.remainder, claimants: input.claimants, planSha256: sha, createdBy: input.createdBy,
          },
        },
      };
    }, [`vault:${input.vault}`]);
  }

  async latestPlan(lossEventId: string): Promise<StoredPlan | null> {
    const [row] = await this.w.engine.read.all(`SELECT ${COLUMNS} FROM compensation_plans WHERE loss_event_id = $1 ORDER BY id DESC LIMIT 1`, [lossEventId]);
    return row === undefined ? null : toPlan(row);
  }

  async latestPlanJson(lossEventId: string): Promise<string | null> {
    const [row] = await this.w.engine.read.all('SELECT plan_gz FROM compensation_plans WHERE loss_event_id = $1 ORDER BY id DESC LIMIT 1', [lossEventId]);
    return row === undefined ? null : gunzipSync(bytes(row.plan_gz)).toString('utf8');
  }

  async latestPlansForVault(vault: Address): Promise<ReadonlyMap<string, StoredPlan>> {
    const rows = await this.w.engine.read.all(`SELECT ${COLUMNS} FROM compensation_plans WHERE vault = $1 ORDER BY id`, [vault]);
    const out = new Map<string, StoredPlan>();
    for (const r of rows) out.set(String(r.loss_event_id), toPlan(r)); // later rows replace earlier ones
    return out;
  }
}

function toPlan(r: Row): StoredPlan {
  return {
    id: num(r.id),
    lossEventId: r.loss_event_id,
    vault: r.vault,
    lossSlot: big(r.loss_slot),
    sharesMint: r.shares_mint,
    root: r.root,
    total: big(r.total),
    amount: big(r.amount),
    remainder: big(r.remainder),
    claimants: num(r.claimants),
    planSha256: r.plan_sha256,
    createdAt: date(r.created_at),
    createdBy: r.created_by,
  };
}
