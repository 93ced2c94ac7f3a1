/**
 * The names a proposal row's state and a transition's cause are stored under (docs/flow.md#states). The
 * store owns the names; the workflow's state table (src/workflow/states.ts) says which moves are allowed.
 */

/** Every state a proposal row can be in. */
export const PROPOSAL_STATES = [
  'received',
  'denied',
  'awaiting-approval',
  'invalidated',
  'approved',
  'signing',
  'signed',
  'executed',
  'rejected',
  'expired',
  'failed',
] as const;

/** A proposal's workflow state. */
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** Why a transition happened; stored and audit-logged with it. */
export type TransitionCause = 'policy' | 'human' | 'chain' | 'timer';
