/** Telegram cards (docs/telegram.md): which message shows each proposal, and an edit still to be sent. */
import type { AuditedWriter } from './audited-writer.ts';
import type { Row } from './engine.ts';
import { NotFound } from './errors.ts';
import { date, iso, num, strOrNull } from './rows.ts';

export interface CardRecord {
  readonly proposalRowId: number;
  readonly chatId: number;
  readonly messageId: number;
  readonly lastRenderedHash: string | null;
  /** An edit that could not be sent; retried later. */
  readonly pendingRender: boolean;
  readonly updatedAt: Date;
}

export interface CardRepository {
  upsertCard(input: { proposalRowId: number; chatId: number; messageId: number; lastRenderedHash: string | null; pendingRender: boolean }): Promise<CardRecord>;
  getCard(proposalRowId: number): Promise<CardRecord | null>;
  setCardRender(input: { proposalRowId: number; lastRenderedHash?: string | null; pendingRender: boolean }): Promise<CardRecord>;
  pendingCards(): Promise<CardRecord[]>;
}

export class SqlCards implements CardRepository {
  constructor(private readonly w: AuditedWriter) {}

  async upsertCard(input: { proposalRowId: number; chatId: number; messageId: number; lastRenderedHash: string | null; pendingRender: boolean }): Promise<CardRecord> {
    return this.w.mutate(async (tx) => {
      const [row] = await tx.all(
        `INSERT INTO telegram_cards (proposal_row_id, chat_id, message_id, last_rendered_hash, pending_render, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (proposal_row_id) DO UPDATE SET chat_id = excluded.chat_id, message_id = excluded.message_id,
           last_rendered_hash = excluded.last_rendered_hash, pending_render = excluded.pending_render, updated_at = excluded.updated_at
         RETURNING *`,
        [input.proposalRowId, input.chatId, input.messageId, input.lastRenderedHash, input.pendingRender ? 1 : 0, iso(this.w.now())],
      );
      return { value: toCard(row!), audit: { type: 'card.stored', payload: { ...input } } };
    });
  }

  async getCard(proposalRowId: number): Promise<CardRecord | null> {
    const [row] = await this.w.engine.read.all('SELECT * FROM telegram_cards WHERE proposal_row_id = $1', [proposalRowId]);
    return row === undefined ? null : toCard(row);
  }

  async setCardRender(input: { proposalRowId: number; lastRenderedHash?: string | null; pendingRender: boolean }): Promise<CardRecord> {
    return this.w.mutate(async (tx) => {
      const [cur] = await tx.all('SELECT * FROM telegram_cards WHERE proposal_row_id = $1', [input.proposalRowId]);
      if (cur === undefined) throw new NotFound(`no card for proposal row ${input.proposalRowId}`);
      const hash = input.lastRenderedHash === undefined ? strOrNull(cur.last_rendered_hash) : input.lastRenderedHash;
      const [row] = await tx.all('UPDATE telegram_cards SET last_rendered_hash = $1, pending_render = $2, updated_at = $3 WHERE proposal_row_id = $4 RETURNING *', [
        hash, input.pendingRender ? 1 : 0, iso(this.w.now()), input.proposalRowId,
      ]);
      return { value: toCard(row!), audit: { type: 'card.render', payload: { proposalRowId: input.proposalRowId, lastRenderedHash: hash, pendingRender: input.pendingRender } } };
    });
  }

  async pendingCards(): Promise<CardRecord[]> {
    return (await this.w.engine.read.all('SELECT * FROM telegram_cards WHERE pending_render = 1 ORDER BY proposal_row_id')).map(toCard);
  }
}

function toCard(r: Row): CardRecord {
  return {
    proposalRowId: num(r.proposal_row_id),
    chatId: num(r.chat_id),
    messageId: num(r.message_id),
    lastRenderedHash: strOrNull(r.last_rendered_hash),
    pendingRender: num(r.pending_render) === 1,
    updatedAt: date(r.updated_at),
  };
}
