/**
 * Counting approvals from the verified audit chain, not from the `votes` table (issue: signing trusts
 * the state column). A database writer can set a row to `approved` or insert vote rows, but cannot sign
 * audit entries: before the co-signer signs, the quorum is recounted from `vote.recorded` entries of a
 * chain that verifies with the audit key, and the epoch is the one the signed `proposal.epoch` entries say.
 */
import type { Policy } from '../policy/schema.ts';
import type { AuditEntry } from '../store/audit.ts';
import { tally, type Role, type StoredVote, type Tally } from './quorum.ts';

/** What the signing step binds the recount to: the fresh decision's digest and revision. */
export interface AuditedTallyInput {
  readonly entries: readonly AuditEntry[];
  readonly policy: Pick<Policy, 'curators' | 'council'>;
  readonly rowId: number;
  readonly digest: string;
  readonly policyRevision: string;
}

export interface AuditedTally {
  /** The approval round the signed log says is current (1 plus one per `proposal.epoch` entry). */
  readonly epoch: number;
  readonly tally: Tally;
}

type Payload = { readonly [key: string]: unknown };
const payloadOf = (e: AuditEntry): Payload | null => (e.payload !== null && typeof e.payload === 'object' && !Array.isArray(e.payload) ? (e.payload as Payload) : null);

/** Recounts a proposal's approvals from audit entries (already verified by the caller). Pure. */
export function auditedTally(input: AuditedTallyInput): AuditedTally {
  let epoch = 1;
  const votes: StoredVote[] = [];
  for (const entry of input.entries) {
    const p = payloadOf(entry);
    if (p === null || p['rowId'] !== input.rowId) continue;
    if (entry.type === 'proposal.epoch' && typeof p['epoch'] === 'number' && p['epoch'] > epoch) epoch = p['epoch'];
    if (entry.type !== 'vote.recorded') continue;
    const role = p['role'];
    const vote = p['vote'];
    if ((role !== 'curator' && role !== 'council') || (vote !== 'approve' && vote !== 'reject')) continue;
    if (typeof p['telegramId'] !== 'number' || typeof p['epoch'] !== 'number') continue;
    votes.push({
      telegramId: p['telegramId'],
      role: role as Role,
      vote,
      digest: typeof p['digest'] === 'string' ? p['digest'] : '',
      policyRevision: typeof p['policyRevision'] === 'string' ? p['policyRevision'] : '',
      epoch: p['epoch'],
      // The entry's own time: the payload carries none, and the signed `at` cannot be moved.
      at: new Date(entry.at),
    });
  }
  return { epoch, tally: tally({ policy: input.policy, votes, digest: input.digest, policyRevision: input.policyRevision, epoch }) };
}
