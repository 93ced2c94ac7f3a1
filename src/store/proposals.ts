/**
 * Proposals and their votes (docs/flow.md, docs/telegram.md): each proposal's row, its state transitions (compare-and-set,
 * each one a transition row), approval epochs, the decisions made on it with their snapshots, and the
 * humans' votes per epoch.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Address } from '@solana/kit';
import type { Decision } from '../policy/decision.ts';
import { summaryFromJson, summaryToJson, type DecisionSummary } from '../policy/summary.ts';
import { toJsonValue, type JsonInput } from './audit.ts';
import type { AuditedWriter, AuditNote } from './audited-writer.ts';
import type { Row } from './engine.ts';
import { InvalidTransition, NotFound, StaleState } from './errors.ts';
import type { ProposalState, TransitionCause } from './proposal-states.ts';
import { big, bytes, date, dateOrNull, iso, jsonText, num, strOrNull } from './rows.ts';

export interface NewProposal {
  readonly multisig: Address;
  readonly transactionIndex: bigint;
  readonly vault: Address;
  readonly mode: 'register' | 'create';
  readonly claim?: string;
  readonly lossEventId?: string;
  readonly deadline?: Date;
  readonly state?: ProposalState;
}

export interface ProposalRecord {
  /** Numeric row id, used in Telegram callback data. */
  readonly rowId: number;
  /** `<multisig>:<transactionIndex>` */
  readonly id: string;
  readonly multisig: Address;
  readonly transactionIndex: bigint;
  readonly vault: Address;
  readonly state: ProposalState;
  /** Starts at 1; bumped when approvals are voided. */
  readonly epoch: number;
  readonly digest: string | null;
  readonly policyRevision: string | null;
  readonly claim: string | null;
  readonly lossEventId: string | null;
  readonly mode: 'register' | 'create';
  readonly receivedAt: Date;
  readonly deadline: Date | null;
  readonly updatedAt: Date;
}

export interface ProposalPatch {
  readonly digest?: string | null;
  readonly policyRevision?: string | null;
  readonly deadline?: Date | null;
  readonly lossEventId?: string | null;
}

/** Returns a reason to refuse the transition, or null to allow it (the workflow's state table). */
export type TransitionValidator = (from: ProposalState, to: ProposalState, cause: TransitionCause) => string | null;

export interface TransitionInput {
  readonly rowId: number;
  readonly from: ProposalState;
  readonly to: ProposalState;
  readonly cause: TransitionCause;
  readonly detail?: JsonInput;
  readonly validate?: TransitionValidator;
}

export interface TransitionRecord {
  readonly id: number;
  readonly proposalRowId: number;
  readonly from: ProposalState;
  readonly to: ProposalState;
  readonly cause: TransitionCause;
  readonly detail: unknown;
  readonly epoch: number;
  readonly at: Date;
}

export interface StoredDecision {
  readonly proposalRowId: number;
  readonly decision: Decision;
  /** The numbers it was made on; null for decisions stored before summaries were kept. */
  readonly summary: DecisionSummary | null;
  /** The snapshot JSON the decision was made from (stored gzip-compressed). */
  readonly snapshot: unknown;
  readonly storedAt: Date;
}

export interface NewVote {
  readonly proposalRowId: number;
  readonly telegramId: number;
  readonly name: string;
  readonly role: 'curator' | 'council';
  readonly vote: 'approve' | 'reject';
  readonly digest: string | null;
  readonly policyRevision: string;
  readonly epoch: number;
  readonly at?: Date;
  /** Where the vote came from, e.g. `telegram`. */
  readonly channel: string;
  /** What proves it beyond the channel (a signed approval's signature, key and message): kept in its audit entry. */
  readonly proof?: { readonly [key: string]: JsonInput };
}

export interface VoteRecord extends Required<Omit<NewVote, 'at' | 'proof'>> {
  readonly id: number;
  readonly at: Date;
  readonly reason: string | null;
}

/** A person counts once per epoch: a second press returns the stored vote instead of a new row. */
export type VoteResult = { readonly kind: 'recorded'; readonly vote: VoteRecord } | { readonly kind: 'duplicate'; readonly existing: VoteRecord };

export interface ProposalRepository {
  /** Inserts a proposal, or returns the existing one with the same id (`created: false`). */
  insertProposal(input: NewProposal): Promise<{ created: boolean; proposal: ProposalRecord }>;
  getProposal(id: string): Promise<ProposalRecord | null>;
  getProposalByRowId(rowId: number): Promise<ProposalRecord | null>;
  listProposals(filter?: { state?: ProposalState; vault?: Address }): Promise<ProposalRecord[]>;
  updateProposal(rowId: number, patch: ProposalPatch): Promise<ProposalRecord>;
  /** Compare-and-set: `StaleState` if the proposal is not in `from`; records a transition row. */
  transitionProposal(input: TransitionInput): Promise<ProposalRecord>;
  transitions(rowId: number): Promise<TransitionRecord[]>;
  /** Starts a new approval epoch; returns the new epoch. */
  bumpEpoch(rowId: number, note?: AuditNote): Promise<number>;

  recordDecision(input: { proposalRowId: number; decision: Decision; summary?: DecisionSummary; snapshot: unknown }): Promise<void>;
  latestDecision(rowId: number): Promise<StoredDecision | null>;
  decisions(rowId: number): Promise<StoredDecision[]>;

  recordVote(input: NewVote): Promise<VoteResult>;
  votes(rowId: number, epoch?: number): Promise<VoteRecord[]>;
  /** Attaches a rejection reason to a stored vote; `NotFound` if there is none. */
  attachReason(input: { proposalRowId: number; telegramId: number; epoch: number; reason: string }): Promise<VoteRecord>;
}

export class SqlProposals implements ProposalRepository {
  constructor(private readonly w: AuditedWriter) {}

  async insertProposal(input: NewProposal): Promise<{ created: boolean; proposal: ProposalRecord }> {
    const id = `${input.multisig}:${input.transactionIndex}`;
    return this.w.mutate<{ created: boolean; proposal: ProposalRecord }>(async (tx) => {
      const at = iso(this.w.now());
      const inserted = await tx.all(
        `INSERT INTO proposals (id, multisig, transaction_index, vault, state, epoch, claim, loss_event_id, mode, received_at, deadline, updated_at)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $9) ON CONFLICT (id) DO NOTHING RETURNING row_id`,
        [
          id, input.multisig, input.transactionIndex.toString(), input.vault, input.state ?? 'received', input.claim ?? null,
          input.lossEventId ?? null, input.mode, at, input.deadline === undefined ? null : iso(input.deadline),
        ],
      );
      const [row] = await tx.all('SELECT * FROM proposals WHERE id = $1', [id]);
      const proposal = toProposal(row!);
      if (inserted.length === 0) return { value: { created: false, proposal }, audit: null };
      return {
        value: { created: true, proposal },
        audit: {
          type: 'proposal.received',
          payload: { rowId: proposal.rowId, id, vault: input.vault, mode: input.mode, state: proposal.state, claim: input.claim, lossEventId: input.lossEventId, deadline: input.deadline },
        },
      };
    });
  }

  async getProposal(id: string): Promise<ProposalRecord | null> {
    const [row] = await this.w.engine.read.all('SELECT * FROM proposals WHERE id = $1', [id]);
    return row === undefined ? null : toProposal(row);
  }

  async getProposalByRowId(rowId: number): Promise<ProposalRecord | null> {
    const [row] = await this.w.engine.read.all('SELECT * FROM proposals WHERE row_id = $1', [rowId]);
    return row === undefined ? null : toProposal(row);
  }

  async listProposals(filter: { state?: ProposalState; vault?: Address } = {}): Promise<ProposalRecord[]> {
    const rows = await this.w.engine.read.all('SELECT * FROM proposals WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) AND (CAST($2 AS TEXT) IS NULL OR vault = $2) ORDER BY row_id', [
      filter.state ?? null, filter.vault ?? null,
    ]);
    return rows.map(toProposal);
  }

  async updateProposal(rowId: number, patch: ProposalPatch): Promise<ProposalRecord> {
    return this.w.mutate(async (tx) => {
      const [row] = await tx.all('SELECT * FROM proposals WHERE row_id = $1', [rowId]);
      if (row === undefined) throw new NotFound(`no proposal row ${rowId}`);
      const cur = toProposal(row);
      const next = {
        digest: patch.digest === undefined ? cur.digest : patch.digest,
        policyRevision: patch.policyRevision === undefined ? cur.policyRevision : patch.policyRevision,
        deadline: patch.deadline === undefined ? cur.deadline : patch.deadline,
        lossEventId: patch.lossEventId === undefined ? cur.lossEventId : patch.lossEventId,
      };
      const [updated] = await tx.all(
        'UPDATE proposals SET digest = $1, policy_revision = $2, deadline = $3, loss_event_id = $4, updated_at = $5 WHERE row_id = $6 RETURNING *',
        [next.digest, next.policyRevision, next.deadline === null ? null : iso(next.deadline), next.lossEventId, iso(this.w.now()), rowId],
      );
      return { value: toProposal(updated!), audit: { type: 'proposal.updated', payload: { rowId, id: cur.id, ...patch } } };
    });
  }

  async transitionProposal(input: TransitionInput): Promise<ProposalRecord> {
    const refusal = input.validate?.(input.from, input.to, input.cause) ?? null;
    if (refusal !== null) {
      await this.w.appendAlone('proposal.transition-refused', {
        rowId: input.rowId, from: input.from, to: input.to, cause: input.cause, reason: refusal, detail: input.detail,
      });
      throw new InvalidTransition(input.rowId, input.from, input.to, refusal);
    }
    return this.w.mutate(async (tx) => {
      const at = iso(this.w.now());
      const changed = await tx.run('UPDATE proposals SET state = $1, updated_at = $2 WHERE row_id = $3 AND state = $4', [input.to, at, input.rowId, input.from]);
      const [row] = await tx.all('SELECT * FROM proposals WHERE row_id = $1', [input.rowId]);
      if (row === undefined) throw new NotFound(`no proposal row ${input.rowId}`);
      const proposal = toProposal(row);
      if (changed === 0) throw new StaleState(input.rowId, input.from, proposal.state);
      await tx.run('INSERT INTO transitions (proposal_row_id, from_state, to_state, cause, detail, epoch, at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        input.rowId, input.from, input.to, input.cause, input.detail === undefined ? null : jsonText(input.detail), proposal.epoch, at,
      ]);
      return {
        value: proposal,
        audit: {
          type: 'proposal.transition',
          payload: { rowId: input.rowId, id: proposal.id, from: input.from, to: input.to, cause: input.cause, epoch: proposal.epoch, detail: input.detail },
        },
      };
    });
  }

  async transitions(rowId: number): Promise<TransitionRecord[]> {
    const rows = await this.w.engine.read.all('SELECT * FROM transitions WHERE proposal_row_id = $1 ORDER BY id', [rowId]);
    return rows.map((r) => ({
      id: num(r.id),
      proposalRowId: num(r.proposal_row_id),
      from: r.from_state,
      to: r.to_state,
      cause: r.cause,
      detail: r.detail === null ? null : JSON.parse(String(r.detail)),
      epoch: num(r.epoch),
      at: date(r.at),
    }));
  }

  async bumpEpoch(rowId: number, note?: AuditNote): Promise<number> {
    return this.w.mutate(async (tx) => {
      const [row] = await tx.all('UPDATE proposals SET epoch = epoch + 1, updated_at = $1 WHERE row_id = $2 RETURNING id, epoch', [iso(this.w.now()), rowId]);
      if (row === undefined) throw new NotFound(`no proposal row ${rowId}`);
      const epoch = num(row.epoch);
      return { value: epoch, audit: { type: note?.type ?? 'proposal.epoch', payload: { ...note?.payload, rowId, id: String(row.id), epoch } } };
    });
  }

  // ---- decisions ----

  async recordDecision(input: { proposalRowId: number; decision: Decision; summary?: DecisionSummary; snapshot: unknown }): Promise<void> {
    const { decision } = input;
    const snapshotGz = gzipSync(JSON.stringify(toJsonValue(input.snapshot as JsonInput)));
    await this.w.mutate(async (tx) => {
      await tx.run(
        `INSERT INTO decisions (proposal_row_id, decision_id, allowed, digest, policy_revision, decision_json, snapshot_gz, stored_at, summary_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          input.proposalRowId, decision.id, decision.allowed ? 1 : 0, decision.digest, decision.policyRevision, JSON.stringify(decision), snapshotGz, iso(this.w.now()),
          input.summary === undefined ? null : JSON.stringify(summaryToJson(input.summary)),
        ],
      );
      return {
        value: undefined,
        audit: {
          type: 'decision.recorded',
          payload: {
            rowId: input.proposalRowId, decisionId: decision.id, allowed: decision.allowed, digest: decision.digest, policyRevision: decision.policyRevision,
            outcomes: decision.rules.map((r) => `${r.id}:${r.outcome}`),
          },
        },
      };
    });
  }

  async latestDecision(rowId: number): Promise<StoredDecision | null> {
    const [row] = await this.w.engine.read.all('SELECT * FROM decisions WHERE proposal_row_id = $1 ORDER BY id DESC LIMIT 1', [rowId]);
    return row === undefined ? null : toDecision(row);
  }

  async decisions(rowId: number): Promise<StoredDecision[]> {
    return (await this.w.engine.read.all('SELECT * FROM decisions WHERE proposal_row_id = $1 ORDER BY id', [rowId])).map(toDecision);
  }

  // ---- votes ----

  async recordVote(input: NewVote): Promise<VoteResult> {
    return this.w.mutate(async (tx) => {
      const inserted = await tx.all(
        `INSERT INTO votes (proposal_row_id, telegram_id, name, role, vote, digest, policy_revision, epoch, at, channel)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (proposal_row_id, telegram_id, epoch) DO NOTHING RETURNING *`,
        [input.proposalRowId, input.telegramId, input.name, input.role, input.vote, input.digest, input.policyRevision, input.epoch, iso(input.at ?? this.w.now()), input.channel],
      );
      if (inserted.length === 0) {
        const [existing] = await tx.all('SELECT * FROM votes WHERE proposal_row_id = $1 AND telegram_id = $2 AND epoch = $3', [input.proposalRowId, input.telegramId, input.epoch]);
        return { value: { kind: 'duplicate', existing: toVote(existing!) } as VoteResult, audit: null };
      }
      const vote = toVote(inserted[0]!);
      return {
        value: { kind: 'recorded', vote } as VoteResult,
        audit: {
          type: 'vote.recorded',
          payload: {
            rowId: input.proposalRowId, telegramId: input.telegramId, name: input.name, role: input.role, vote: input.vote,
            digest: input.digest, policyRevision: input.policyRevision, epoch: input.epoch, channel: input.channel,
            ...(input.proof ? { proof: input.proof } : {}),
          },
        },
      };
    });
  }

  async votes(rowId: number, epoch?: number): Promise<VoteRecord[]> {
    const rows = await this.w.engine.read.all('SELECT * FROM votes WHERE proposal_row_id = $1 AND (CAST($2 AS INTEGER) IS NULL OR epoch = $2) ORDER BY id', [rowId, epoch ?? null]);
    return rows.map(toVote);
  }

  async attachReason(input: { proposalRowId: number; telegramId: number; epoch: number; reason: string }): Promise<VoteRecord> {
    return this.w.mutate(async (tx) => {
      const [row] = await tx.all('UPDATE votes SET reason = $1 WHERE proposal_row_id = $2 AND telegram_id = $3 AND epoch = $4 RETURNING *', [
        input.reason, input.proposalRowId, input.telegramId, input.epoch,
      ]);
      if (row === undefined) throw new NotFound(`no vote by ${input.telegramId} on proposal row ${input.proposalRowId} in epoch ${input.epoch}`);
      return { value: toVote(row), audit: { type: 'vote.reason', payload: { ...input } } };
    });
  }
}

// ---- row converters ----

function toProposal(r: Row): ProposalRecord {
  return {
    rowId: num(r.row_id),
    id: r.id,
    multisig: r.multisig,
    transactionIndex: big(r.transaction_index),
    vault: r.vault,
    state: r.state,
    epoch: num(r.epoch),
    digest: strOrNull(r.digest),
    policyRevision: strOrNull(r.policy_revision),
    claim: strOrNull(r.claim),
    lossEventId: strOrNull(r.loss_event_id),
    mode: r.mode,
    receivedAt: date(r.received_at),
    deadline: dateOrNull(r.deadline),
    updatedAt: date(r.updated_at),
  };
}

function toDecision(r: Row): StoredDecision {
  return {
    proposalRowId: num(r.proposal_row_id),
    decision: JSON.parse(String(r.decision_json)) as Decision,
    summary: r.summary_json === null || r.summary_json === undefined ? null : summaryFromJson(JSON.parse(String(r.summary_json))),
    snapshot: JSON.parse(gunzipSync(bytes(r.snapshot_gz)).toString('utf8')),
    storedAt: date(r.stored_at),
  };
}

function toVote(r: Row): VoteRecord {
  return {
    id: num(r.id),
    proposalRowId: num(r.proposal_row_id),
    telegramId: num(r.telegram_id),
    name: r.name,
    role: r.role,
    vote: r.vote,
    digest: strOrNull(r.digest),
    policyRevision: r.policy_revision,
    epoch: num(r.epoch),
    at: date(r.at),
    channel: r.channel,
    reason: strOrNull(r.reason),
  };
}
