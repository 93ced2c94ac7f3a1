/**
 * Outbound intents (docs/flow.md "signing"): each transaction backstop signs is stored, bytes and
 * signature, before it is sent, so a restart resends the same bytes instead of signing twice.
 */
import { sha256Hex } from '../policy/jcs.ts';
import type { AuditedWriter } from './audited-writer.ts';
import type { Row } from './engine.ts';
import { NotFound } from './errors.ts';
import { big, bytes, date, iso, num } from './rows.ts';

export type IntentKind = 'approve' | 'approve-execute' | 'reject' | 'create' | 'ata';
export type IntentStatus = 'sent' | 'recorded' | 'landed' | 'expired' | 'failed';

export interface NewIntent {
  readonly proposal: string;
  readonly kind: IntentKind;
  readonly transaction: Uint8Array;
  readonly signature: string;
  readonly blockhash: string;
  readonly lastValidBlockHeight: bigint;
  readonly status?: IntentStatus;
}

export interface IntentRecord extends Required<NewIntent> {
  readonly id: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface IntentRepository {
  recordIntent(input: NewIntent): Promise<IntentRecord>;
  latestIntent(proposal: string): Promise<IntentRecord | null>;
  updateIntentStatus(id: number, status: IntentStatus): Promise<IntentRecord>;
}

export class SqlIntents implements IntentRepository {
  constructor(private readonly w: AuditedWriter) {}

  async recordIntent(input: NewIntent): Promise<IntentRecord> {
    return this.w.mutate(async (tx) => {
      const at = iso(this.w.now());
      const [row] = await tx.all(
        `INSERT INTO intents (proposal, kind, transaction_bytes, signature, blockhash, last_valid_block_height, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
        [input.proposal, input.kind, Buffer.from(input.transaction), input.signature, input.blockhash, input.lastValidBlockHeight.toString(), input.status ?? 'sent', at],
      );
      const intent = toIntent(row!);
      return {
        value: intent,
        audit: {
          type: 'intent.recorded',
          payload: {
            id: intent.id, proposal: input.proposal, kind: input.kind, signature: input.signature, blockhash: input.blockhash,
            lastValidBlockHeight: input.lastValidBlockHeight, status: intent.status, transactionSha256: sha256Hex(input.transaction),
          },
        },
      };
    });
  }

  async latestIntent(proposal: string): Promise<IntentRecord | null> {
    const [row] = await this.w.engine.read.all('SELECT * FROM intents WHERE proposal = $1 ORDER BY id DESC LIMIT 1', [proposal]);
    return row === undefined ? null : toIntent(row);
  }

  async updateIntentStatus(id: number, status: IntentStatus): Promise<IntentRecord> {
    return this.w.mutate(async (tx) => {
      const [row] = await tx.all('UPDATE intents SET status = $1, updated_at = $2 WHERE id = $3 RETURNING *', [status, iso(this.w.now()), id]);
      if (row === undefined) throw new NotFound(`no intent ${id}`);
      const intent = toIntent(row);
      return { value: intent, audit: { type: 'intent.status', payload: { id, proposal: intent.proposal, signature: intent.signature, status } } };
    });
  }
}

function toIntent(r: Row): IntentRecord {
  return {
    id: num(r.id),
    proposal: r.proposal,
    kind: r.kind,
    transaction: bytes(r.transaction_bytes),
    signature: r.signature,
    blockhash: r.blockhash,
    lastValidBlockHeight: big(r.last_valid_block_height),
    status: r.status,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}
