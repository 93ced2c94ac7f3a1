import { describe, expect, it } from 'vitest';
import {
  CAUSES,
  FINAL_STATES,
  LIVE_STATES,
  PROPOSAL_STATES,
  TRANSITIONS,
  acceptsApprove,
  acceptsReject,
  checkTransition,
  type Cause,
  type ProposalState,
} from '../../src/workflow/states.ts';

/** Causes allowed for a pair by any row. */
const causesFor = (from: ProposalState, to: ProposalState): Set<Cause> =>
  new Set(TRANSITIONS.filter((t) => t.from === from && t.to === to).flatMap((t) => t.causes));

// The docs/flow.md table's "next (cause)" column, written out independently of the module's rows.
const SPEC_TABLE: [ProposalState, ProposalState, Cause[]][] = [
  ['received', 'denied', ['policy']],
  ['received', 'awaiting-approval', ['policy']],
  ['denied', 'awaiting-approval', ['policy']],
  ['denied', 'rejected', ['human']],
  ['denied', 'expired', ['timer']],
  ['awaiting-approval', 'approved', ['human']],
  ['awaiting-approval', 'rejected', ['human']],
  ['awaiting-approval', 'expired', ['timer']],
  ['awaiting-approval', 'invalidated', ['policy']],
  ['invalidated', 'denied', ['policy']],
  ['invalidated', 'awaiting-approval', ['policy']],
  ['invalidated', 'expired', ['timer']],
  ['approved', 'signing', ['chain']],
  ['approved', 'denied', ['policy']],
  ['approved', 'invalidated', ['policy']],
  ['approved', 'rejected', ['human', 'chain']],
  ['approved', 'expired', ['timer']],
  ['signing', 'signed', ['chain']],
  ['signing', 'executed', ['chain']],
  ['signing', 'failed', ['chain']],
  ['signed', 'executed', ['chain']],
  ['signed', 'rejected', ['chain']],
];

describe('state table (docs/flow.md)', () => {
  it('has the eleven states, four of them final', () => {
    expect([...PROPOSAL_STATES].sort()).toEqual(
      ['received', 'denied', 'awaiting-approval', 'invalidated', 'approved', 'signing', 'signed', 'executed', 'rejected', 'expired', 'failed'].sort(),
    );
    expect([...FINAL_STATES].sort()).toEqual(['executed', 'expired', 'failed', 'rejected']);
    expect([...LIVE_STATES].sort()).toEqual(['approved', 'awaiting-approval', 'denied', 'invalidated', 'received', 'signed', 'signing']);
  });

  it('every row has a description', () => {
    for (const t of TRANSITIONS) expect(t.when.length, `${t.from} → ${t.to}`).toBeGreaterThan(10);
  });

  for (const [from, to, causes] of SPEC_TABLE) {
    for (const cause of causes) {
      it(`accepts ${from} → ${to} (${cause})`, () => {
        expect(checkTransition(from, to, cause)).toEqual({ ok: true });
      });
    }
    const other = CAUSES.find((c) => !causesFor(from, to).has(c));
    if (other !== undefined) {
      it(`refuses ${from} → ${to} by ${other}, naming from, to and cause`, () => {
        const r = checkTransition(from, to, other);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toContain(`${from} → ${to} (${other})`);
      });
    }
  }

  it('holds no transition the table and the on-chain rejection rule do not name', () => {
    const allowed = new Set(SPEC_TABLE.flatMap(([f, t, cs]) => cs.map((c) => `${f}>${t}>${c}`)));
    for (const s of LIVE_STATES) allowed.add(`${s}>rejected>chain`);
    allowed.add('awaiting-approval>invalidated>chain');
    allowed.add('approved>invalidated>chain');
    const actual = new Set(TRANSITIONS.flatMap((t) => t.causes.map((c) => `${t.from}>${t.to}>${c}`)));
    expect([...actual].sort()).toEqual([...allowed].sort());
  });
});

describe('digest changed on-chain invalidates', () => {
  it('accepts awaiting-approval → invalidated and approved → invalidated by chain', () => {
    expect(checkTransition('awaiting-approval', 'invalidated', 'chain')).toEqual({ ok: true });
    expect(checkTransition('approved', 'invalidated', 'chain')).toEqual({ ok: true });
    expect(checkTransition('approved', 'invalidated', 'human').ok).toBe(false);
  });
});

describe('any live state goes to rejected when the Proposal is Rejected or Cancelled on-chain', () => {
  for (const s of LIVE_STATES) {
    it(`${s} → rejected (chain)`, () => {
      expect(checkTransition(s, 'rejected', 'chain')).toEqual({ ok: true });
    });
  }
  it('a timer never rejects', () => {
    for (const s of LIVE_STATES) expect(checkTransition(s, 'rejected', 'timer').ok).toBe(false);
  });
  it('a human cannot reject once signing has started', () => {
    expect(checkTransition('signing', 'rejected', 'human').ok).toBe(false);
    expect(checkTransition('signed', 'rejected', 'human').ok).toBe(false);
  });
});

describe('impossible transitions are refused', () => {
  for (const from of FINAL_STATES) {
    it(`${from} → anything is refused (final)`, () => {
      for (const to of PROPOSAL_STATES) {
        for (const cause of CAUSES) {
          const r = checkTransition(from, to, cause);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.reason).toContain(`${from} is final`);
        }
      }
    });
  }
  const cases: [ProposalState, ProposalState][] = [
    ['received', 'approved'],
    ['denied', 'approved'],
    ['awaiting-approval', 'signing'],
    ['received', 'expired'],
    ['signing', 'expired'],
    ['signed', 'failed'],
    ['invalidated', 'approved'],
    ['denied', 'signing'],
  ];
  for (const [from, to] of cases) {
    it(`${from} → ${to} is refused by every cause`, () => {
      for (const cause of CAUSES) {
        const r = checkTransition(from, to, cause);
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.reason).toContain(`impossible transition ${from} → ${to} (${cause})`);
          expect(r.reason).toContain(`${from} goes only to`);
        }
      }
    });
  }
  it('staying in approved is not a transition', () => {
    const r = checkTransition('approved', 'approved', 'chain');
    expect(r).toEqual({ ok: false, reason: 'impossible transition approved → approved (chain): staying in approved is not a transition' });
  });
  it('a state read from storage that is not a state is refused', () => {
    const r = checkTransition('pending' as ProposalState, 'denied', 'policy');
    expect(r.ok).toBe(false);
  });
});

describe('which states accept presses (docs/telegram.md)', () => {
  it('Approve is accepted only in awaiting-approval', () => {
    expect(PROPOSAL_STATES.filter(acceptsApprove)).toEqual(['awaiting-approval']);
  });
  it('Reject is accepted in denied, awaiting-approval and approved', () => {
    expect([...PROPOSAL_STATES.filter(acceptsReject)].sort()).toEqual(['approved', 'awaiting-approval', 'denied']);
  });
});
