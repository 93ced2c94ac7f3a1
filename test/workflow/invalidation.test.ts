import { describe, expect, it } from 'vitest';
import { nextEpoch, shouldInvalidate, type InvalidationInput } from '../../src/workflow/invalidation.ts';
import { PROPOSAL_STATES } from '../../src/workflow/states.ts';

const D1 = '11'.repeat(32);
const D2 = '22'.repeat(32);
const R1 = 'aa'.repeat(32);
const R2 = 'bb'.repeat(32);
const S1 = 'cc'.repeat(32);
const S2 = 'dd'.repeat(32);
const same: InvalidationInput = {
  state: 'awaiting-approval',
  approvedDigest: D1,
  approvedRevision: R1,
  approvedRosterDigest: S1,
  currentDigest: D1,
  currentRevision: R1,
  currentRosterDigest: S1,
};

describe('policy or roster changed after approvals', () => {
  for (const state of ['awaiting-approval', 'approved'] as const) {
    describe(state, () => {
      it('nothing changed: approvals stand', () => {
        expect(shouldInvalidate({ ...same, state })).toBeNull();
      });
      it('a new policy revision voids them', () => {
        expect(shouldInvalidate({ ...same, state, currentRevision: R2 })).toBe(`approvals void: policy revision ${R1.slice(0, 16)} → ${R2.slice(0, 16)}`);
      });
      it('a new roster voids them', () => {
        expect(shouldInvalidate({ ...same, state, currentRosterDigest: S2 })).toBe(`approvals void: roster ${S1.slice(0, 16)} → ${S2.slice(0, 16)}`);
      });
      it('a new digest voids them', () => {
        expect(shouldInvalidate({ ...same, state, currentDigest: D2 })).toBe(`approvals void: digest ${D1.slice(0, 16)} → ${D2.slice(0, 16)}`);
      });
      it('a message no longer fully resolved voids them', () => {
        expect(shouldInvalidate({ ...same, state, currentDigest: null })).toContain('message not fully resolved');
      });
      it('names every change at once', () => {
        const r = shouldInvalidate({ ...same, state, currentRevision: R2, currentRosterDigest: S2 });
        expect(r).toContain('policy revision');
        expect(r).toContain('roster');
        expect(r).not.toContain('digest ');
      });
    });
  }

  it('no other state holds approvals to void', () => {
    for (const state of PROPOSAL_STATES.filter((s) => s !== 'awaiting-approval' && s !== 'approved')) {
      expect(shouldInvalidate({ ...same, state, currentDigest: D2, currentRevision: R2, currentRosterDigest: S2 }), state).toBeNull();
    }
  });

  it('the epoch increments', () => {
    expect(nextEpoch(3)).toBe(4);
  });
});
