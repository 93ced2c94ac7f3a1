/**
 * When collected approvals become void (docs/flow.md, docs/policy.md, docs/rules.md#what-is-denied "policy or roster changed after approvals"):
 * the humans approved one digest under one policy revision and one roster; if any of the three is no
 * longer current, the proposal moves to `invalidated` and its epoch increments, so old presses and
 * stored votes stop counting.
 */
import type { ProposalState } from './states.ts';

/** What approvals were bound to, and what is current now. A null digest = message not fully resolved. */
export interface InvalidationInput {
  state: ProposalState;
  approvedDigest: string | null;
  approvedRevision: string;
  approvedRosterDigest: string;
  currentDigest: string | null;
  currentRevision: string;
  currentRosterDigest: string;
}

const short = (s: string | null): string => (s === null ? 'none (message not fully resolved)' : s.slice(0, 16));

/**
 * Why the proposal's approvals are void, naming every binding that changed, or null when they still
 * stand. Only `awaiting-approval` and `approved` hold approvals, so every other state answers null.
 * A digest that is or becomes null always voids: a message not fully resolved cannot be approved.
 */
export function shouldInvalidate(input: InvalidationInput): string | null {
  if (input.state !== 'awaiting-approval' && input.state !== 'approved') return null;
  const changed: string[] = [];
  if (input.approvedDigest === null || input.currentDigest === null || input.approvedDigest !== input.currentDigest) {
    changed.push(`digest ${short(input.approvedDigest)} → ${short(input.currentDigest)}`);
  }
  if (input.approvedRevision !== input.currentRevision) {
    changed.push(`policy revision ${short(input.approvedRevision)} → ${short(input.currentRevision)}`);
  }
  if (input.approvedRosterDigest !== input.currentRosterDigest) {
    changed.push(`roster ${short(input.approvedRosterDigest)} → ${short(input.currentRosterDigest)}`);
  }
  return changed.length === 0 ? null : `approvals void: ${changed.join('; ')}`;
}

/** The epoch after an invalidation: presses and votes of earlier epochs no longer count. */
export function nextEpoch(epoch: number): number {
  return epoch + 1;
}
