/**
 * The proposal state machine of docs/flow.md as data: the states, the causes a transition is stored with,
 * and one row per "next (cause)" of the state table, plus the rule that any live state goes to
 * `rejected` when the Proposal is `Rejected` or `Cancelled` on-chain. The orchestration asks
 * {@link checkTransition} before it stores a move; an impossible one is refused with a reason to log.
 */

import { PROPOSAL_STATES, type ProposalState, type TransitionCause } from '../store/proposal-states.ts';

export { PROPOSAL_STATES, type ProposalState };

/** Why a transition happened; stored and audit-logged with it (docs/flow.md). */
export type Cause = TransitionCause;

/** Every cause, in the order of docs/flow.md. */
export const CAUSES: readonly Cause[] = ['human', 'chain', 'timer', 'policy'];

/** One allowed move: `from` → `to`, by any of `causes`, in the situation `when` describes. */
export interface Transition {
  readonly from: ProposalState;
  readonly to: ProposalState;
  readonly causes: readonly Cause[];
  readonly when: string;
}

/** States no transition leaves (`executed` has no next state in the table). */
export const FINAL_STATES: readonly ProposalState[] = ['executed', 'rejected', 'expired', 'failed'];

/** States a proposal can still leave; each goes to `rejected` on an on-chain Rejected/Cancelled. */
export const LIVE_STATES: readonly ProposalState[] = PROPOSAL_STATES.filter((s) => !FINAL_STATES.includes(s));

/** True when `s` is one of {@link PROPOSAL_STATES} (for values read back from storage). */
export function isProposalState(s: string): s is ProposalState {
  return (PROPOSAL_STATES as readonly string[]).includes(s);
}

/** True when no transition leaves `s`. */
export function isFinal(s: ProposalState): boolean {
  return FINAL_STATES.includes(s);
}

// The "next (cause)" column of the docs/flow.md table, row by row, in table order.
const TABLE_ROWS: readonly Transition[] = [
  { from: 'received', to: 'denied', causes: ['policy'], when: 'the first decision is not allowed' },
  { from: 'received', to: 'awaiting-approval', causes: ['policy'], when: 'the first decision is allowed; the card goes out' },

  {
    from: 'denied',
    to: 'awaiting-approval',
    causes: ['policy'],
    when: 're-decided and allowed after a new loss event, a released reservation, a policy reload, or a poll while any rule is unknown',
  },
  { from: 'denied', to: 'rejected', causes: ['human'], when: 'a roster member confirms Reject' },
  { from: 'denied', to: 'expired', causes: ['timer'], when: 'the ttl from received has run out' },

  { from: 'awaiting-approval', to: 'approved', causes: ['human'], when: 'curator approvals ≥ curators.required and council approvals ≥ council.quorum' },
  { from: 'awaiting-approval', to: 'rejected', causes: ['human'], when: 'a roster member confirms Reject' },
  { from: 'awaiting-approval', to: 'expired', causes: ['timer'], when: 'the ttl from received has run out' },
  {
    from: 'awaiting-approval',
    to: 'invalidated',
    // A policy reload changes revision/roster (policy); a re-read message changes the digest (chain).
    causes: ['policy', 'chain'],
    when: 'the policy revision, roster or digest changed (approvals voided, epoch incremented)',
  },

  { from: 'invalidated', to: 'denied', causes: ['policy'], when: 're-decided on the same row in the new epoch and not allowed' },
  { from: 'invalidated', to: 'awaiting-approval', causes: ['policy'], when: 're-decided on the same row in the new epoch and allowed; a new card' },
  { from: 'invalidated', to: 'expired', causes: ['timer'], when: 'the ttl from received has run out' },

  {
    from: 'approved',
    to: 'signing',
    causes: ['chain'],
    when: "the curator's vote is on-chain, no Reject hold is active, and the signing-time decision allows it with the approved digest and revision; intent stored",
  },
  { from: 'approved', to: 'denied', causes: ['policy'], when: 'the signing-time decision has a fail (reservation released)' },
  {
    from: 'approved',
    to: 'invalidated',
    causes: ['policy', 'chain'],
    when: 'the digest, policy revision or roster changed (approvals voided, epoch incremented)',
  },
  { from: 'approved', to: 'rejected', causes: ['human', 'chain'], when: 'a roster member confirms Reject, or the Proposal is Rejected or Cancelled on-chain' },
  { from: 'approved', to: 'expired', causes: ['timer'], when: 'the ttl from received has run out' },

  { from: 'signing', to: 'signed', causes: ['chain'], when: "the co-signer's approval landed and the vault transaction is not executed" },
  { from: 'signing', to: 'executed', causes: ['chain'], when: 'the vault transaction executed' },
  { from: 'signing', to: 'failed', causes: ['chain'], when: 'the approval provably did not land and cannot (blockhash expired, no co-signer vote on the Proposal)' },

  { from: 'signed', to: 'executed', causes: ['chain'], when: 'the vault transaction executed' },
  { from: 'signed', to: 'rejected', causes: ['chain'], when: 'the Proposal is Rejected or Cancelled on-chain' },
];

// "Any live state goes to `rejected` when the Proposal is `Rejected` or `Cancelled` on-chain."
const CHAIN_REJECTION_ROWS: readonly Transition[] = LIVE_STATES.map((from) => ({
  from,
  to: 'rejected' as const,
  causes: ['chain' as const],
  when: 'the Proposal is Rejected or Cancelled on-chain',
}));

/**
 * Every allowed transition: the docs/flow.md table rows, then the on-chain rejection rule for each live
 * state. A pair may appear in more than one row (e.g. `approved` → `rejected`); a move is allowed
 * when any row for its pair lists its cause.
 */
export const TRANSITIONS: readonly Transition[] = [...TABLE_ROWS, ...CHAIN_REJECTION_ROWS];

/** The verdict of {@link checkTransition}. */
export type TransitionCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether `from` → `to` by `cause` is a transition of docs/flow.md. Staying in a state (e.g. `approved`
 * while a Reject hold is active) is not a transition and is refused, so nothing is stored for it.
 */
export function checkTransition(from: ProposalState, to: ProposalState, cause: Cause): TransitionCheck {
  const refuse = (why: string): TransitionCheck => ({ ok: false, reason: `impossible transition ${from} → ${to} (${cause}): ${why}` });
  if (!isProposalState(from)) return refuse(`${JSON.stringify(from)} is not a proposal state`);
  if (!isProposalState(to)) return refuse(`${JSON.stringify(to)} is not a proposal state`);
  if (isFinal(from)) return refuse(`${from} is final; nothing leaves it`);
  if (from === to) return refuse(`staying in ${from} is not a transition`);
  const rows = TRANSITIONS.filter((t) => t.from === from && t.to === to);
  if (rows.length === 0) {
    const next = [...new Set(TRANSITIONS.filter((t) => t.from === from).map((t) => t.to))];
    return refuse(`${from} goes only to ${next.join(', ')}`);
  }
  if (rows.some((t) => t.causes.includes(cause))) return { ok: true };
  const allowed = [...new Set(rows.flatMap((t) => t.causes))];
  return refuse(`${from} → ${to} happens only by ${allowed.join(' or ')}`);
}

/** Whether an Approve press may count in `state` (docs/telegram.md: only `awaiting-approval`). */
export function acceptsApprove(state: ProposalState): boolean {
  return state === 'awaiting-approval';
}

/** Whether a Reject press (and its confirm/cancel) may count in `state` (docs/telegram.md). */
export function acceptsReject(state: ProposalState): boolean {
  return state === 'denied' || state === 'awaiting-approval' || state === 'approved';
}
