/**
 * Counting the humans' votes (docs/flow.md step 5, docs/telegram.md): which stored votes count toward the curator and
 * council thresholds of the CURRENT policy, who is still missing, and a digest of the roster that
 * approvals are bound to (a roster change voids them).
 */
import type { Policy } from '../policy/schema.ts';

/** A roster seat's role. */
export type Role = 'curator' | 'council';

/** A roster member as the policy names them. */
export interface Member {
  name: string;
  telegramId: number;
}

/** A vote as stored: bound to the digest, policy revision and epoch shown on the card when pressed. */
export interface StoredVote {
  telegramId: number;
  role: Role;
  vote: 'approve' | 'reject';
  digest: string;
  policyRevision: string;
  epoch: number;
  at: Date;
}

/** A vote that counts: its voter as on the current roster, in the role the roster gives them. */
export interface CountedVote {
  member: Member;
  role: Role;
  vote: 'approve' | 'reject';
  at: Date;
}

/** The result of {@link tally}. Member lists follow roster order. */
export interface Tally {
  curatorApprovals: Member[];
  councilApprovals: Member[];
  /** Counted rejections (each person's earliest bound vote was reject), in vote order. */
  rejections: CountedVote[];
  /** Every counted vote (one per person), in vote order. */
  counted: CountedVote[];
  /** Curators on the roster who have not approved (reminders name them). */
  missingCurators: Member[];
  /** Council members on the roster who have not approved. */
  missingCouncil: Member[];
  /** Curator approvals still needed: max(0, curators.required − curator approvals). */
  curatorsNeeded: number;
  /** Council approvals still needed: max(0, council.quorum − council approvals). */
  councilNeeded: number;
  /** Curator approvals ≥ `curators.required` and council approvals ≥ `council.quorum`. */
  met: boolean;
}

/** What {@link tally} counts against: the current policy and the card's binding. */
export interface TallyInput {
  policy: Pick<Policy, 'curators' | 'council'>;
  votes: readonly StoredVote[];
  digest: string;
  policyRevision: string;
  epoch: number;
}

/**
 * The role `telegramId` holds on the current roster, or null for a non-member. A curator is a curator
 * even if (against the policy checks) also listed in the council: a curator never counts toward it.
 */
export function roleOf(policy: Pick<Policy, 'curators' | 'council'>, telegramId: number): Role | null {
  if (policy.curators.members.some((m) => m.telegramId === telegramId)) return 'curator';
  if (policy.council.members.some((m) => m.telegramId === telegramId)) return 'council';
  return null;
}

const memberOf = (policy: Pick<Policy, 'curators' | 'council'>, role: Role, telegramId: number): Member | undefined => {
  const m = (role === 'curator' ? policy.curators.members : policy.council.members).find((x) => x.telegramId === telegramId);
  return m === undefined ? undefined : { name: m.name, telegramId: m.telegramId };
};

/**
 * Counts `votes` against the current roster. A vote counts only when it is bound to the given digest,
 * policy revision and epoch, its voter is on the current roster, and its stored role is the role that
 * roster gives them (so a curator's row claiming 'council' counts nothing). Of those, a person counts
 * once: their earliest vote (ties keep input order).
 */
export function tally(input: TallyInput): Tally {
  const { policy, digest, policyRevision, epoch } = input;
  const eligible = input.votes
    .map((v, i) => ({ v, i }))
    .filter(({ v }) => v.digest === digest && v.policyRevision === policyRevision && v.epoch === epoch)
    .filter(({ v }) => !Number.isNaN(v.at.getTime()))
    .filter(({ v }) => roleOf(policy, v.telegramId) === v.role)
    .sort((a, b) => a.v.at.getTime() - b.v.at.getTime() || a.i - b.i);

  const counted: CountedVote[] = [];
  const seen = new Set<number>();
  for (const { v } of eligible) {
    if (seen.has(v.telegramId)) continue;
    seen.add(v.telegramId);
    const member = memberOf(policy, v.role, v.telegramId);
    if (member !== undefined) counted.push({ member, role: v.role, vote: v.vote, at: v.at });
  }

  const approvedIds = (role: Role) => new Set(counted.filter((c) => c.role === role && c.vote === 'approve').map((c) => c.member.telegramId));
  const curatorIds = approvedIds('curator');
  const councilIds = approvedIds('council');
  const asMember = (m: Member): Member => ({ name: m.name, telegramId: m.telegramId });
  const curatorApprovals = policy.curators.members.filter((m) => curatorIds.has(m.telegramId)).map(asMember);
  const councilApprovals = policy.council.members.filter((m) => councilIds.has(m.telegramId)).map(asMember);
  const curatorsNeeded = Math.max(0, policy.curators.required - curatorApprovals.length);
  const councilNeeded = Math.max(0, policy.council.quorum - councilApprovals.length);
  return {
    curatorApprovals,
    councilApprovals,
    rejections: counted.filter((c) => c.vote === 'reject'),
    counted,
    missingCurators: policy.curators.members.filter((m) => !curatorIds.has(m.telegramId)).map(asMember),
    missingCouncil: policy.council.members.filter((m) => !councilIds.has(m.telegramId)).map(asMember),
    curatorsNeeded,
    councilNeeded,
    // Thresholds are ≥ 1 by schema; the explicit comparison keeps a malformed 0 from meaning "met".
    met: curatorsNeeded === 0 && councilNeeded === 0 && curatorApprovals.length >= 1 && councilApprovals.length >= 1,
  };
}
