import { describe, expect, it } from 'vitest';
import { ImpossibleTransition, ledgerEffect, type LedgerEffect } from '../../src/workflow/release.ts';
import { TRANSITIONS, type Cause, type ProposalState } from '../../src/workflow/states.ts';

const cases: [ProposalState, ProposalState, Cause, LedgerEffect][] = [
  // Execution turns the reservation into compensated.
  ['signing', 'executed', 'chain', 'compensate'],
  ['signed', 'executed', 'chain', 'compensate'],
  // Before signing, a rejection, expiry or denial releases it.
  ['awaiting-approval', 'rejected', 'human', 'release'],
  ['awaiting-approval', 'rejected', 'chain', 'release'],
  ['awaiting-approval', 'expired', 'timer', 'release'],
  ['approved', 'rejected', 'human', 'release'],
  ['approved', 'rejected', 'chain', 'release'],
  ['approved', 'expired', 'timer', 'release'],
  ['approved', 'denied', 'policy', 'release'],
  ['invalidated', 'denied', 'policy', 'release'],
  ['invalidated', 'expired', 'timer', 'release'],
  ['invalidated', 'rejected', 'chain', 'release'],
  ['received', 'denied', 'policy', 'release'],
  ['denied', 'rejected', 'human', 'release'],
  ['denied', 'expired', 'timer', 'release'],
  // Invalidation keeps it until the re-decision on the same row.
  ['awaiting-approval', 'invalidated', 'policy', 'keep'],
  ['awaiting-approval', 'invalidated', 'chain', 'keep'],
  ['approved', 'invalidated', 'policy', 'keep'],
  ['approved', 'invalidated', 'chain', 'keep'],
  ['invalidated', 'awaiting-approval', 'policy', 'keep'],
  // Progress toward signing keeps it.
  ['received', 'awaiting-approval', 'policy', 'keep'],
  ['denied', 'awaiting-approval', 'policy', 'keep'],
  ['awaiting-approval', 'approved', 'human', 'keep'],
  ['approved', 'signing', 'chain', 'keep'],
  ['signing', 'signed', 'chain', 'keep'],
  // From signing on, only an on-chain Rejected/Cancelled or an approval that provably never landed.
  ['signing', 'rejected', 'chain', 'release'],
  ['signed', 'rejected', 'chain', 'release'],
  ['signing', 'failed', 'chain', 'release'],
];

describe('ledger effect of a transition (docs/flow.md step 7)', () => {
  for (const [from, to, cause, effect] of cases) {
    it(`${from} → ${to} (${cause}) ${effect}s`, () => {
      expect(ledgerEffect(from, to, { cause })).toBe(effect);
    });
  }

  it('covers every transition of the state machine', () => {
    const covered = new Set(cases.map(([f, t, c]) => `${f}>${t}>${c}`));
    const missing = TRANSITIONS.flatMap((t) => t.causes.map((c) => `${t.from}>${t.to}>${c}`)).filter((k) => !covered.has(k));
    // The chain-rejection rows not listed above all release (before signing, or on-chain after it).
    for (const k of missing) {
      const [from, to, cause] = k.split('>') as [ProposalState, ProposalState, Cause];
      expect(to, k).toBe('rejected');
      expect(ledgerEffect(from, to, { cause }), k).toBe('release');
    }
  });

  it('a human reject after signing started is impossible and touches nothing', () => {
    expect(() => ledgerEffect('signed', 'rejected', { cause: 'human' })).toThrow(ImpossibleTransition);
    expect(() => ledgerEffect('signing', 'rejected', { cause: 'human' })).toThrow(/signing → rejected \(human\)/);
  });

  it('an impossible transition throws instead of compensating or releasing', () => {
    expect(() => ledgerEffect('approved', 'executed', { cause: 'chain' })).toThrow(ImpossibleTransition);
    expect(() => ledgerEffect('executed', 'rejected', { cause: 'chain' })).toThrow(/executed is final/);
    expect(() => ledgerEffect('signing', 'expired', { cause: 'timer' })).toThrow(ImpossibleTransition);
  });
});
