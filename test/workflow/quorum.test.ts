import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePolicyText, type Policy } from '../../src/policy/load.ts';
import { rosterDigest } from '../../src/policy/roster.ts';
import { roleOf, tally, type StoredVote } from '../../src/workflow/quorum.ts';

const EXAMPLE = fileURLToPath(new URL('../../policies/example.yaml', import.meta.url));
const parsed = parsePolicyText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
if (!parsed.ok) throw new Error('policies/example.yaml must parse');
const policy: Policy = parsed.policy;
const REV = parsed.revision;
const DIGEST = 'ab'.repeat(32);
const EPOCH = 1;

let clock = Date.parse('2026-11-30T12:00:00Z');
/** A vote bound to the current card, one second after the previous one. */
const vote = (telegramId: number, role: StoredVote['role'], over: Partial<StoredVote> = {}): StoredVote => ({
  telegramId,
  role,
  vote: 'approve',
  digest: DIGEST,
  policyRevision: REV,
  epoch: EPOCH,
  at: new Date((clock += 1000)),
  ...over,
});
const count = (votes: StoredVote[]) => tally({ policy, votes, digest: DIGEST, policyRevision: REV, epoch: EPOCH });
const ids = (ms: { telegramId: number }[]) => ms.map((m) => m.telegramId);

describe('the example policy roster', () => {
  it('is curators [1001] required 1; council [2001, 2002, 2003] quorum 2', () => {
    expect(ids(policy.curators.members)).toEqual([1001]);
    expect(policy.curators.required).toBe(1);
    expect(ids(policy.council.members)).toEqual([2001, 2002, 2003]);
    expect(policy.council.quorum).toBe(2);
  });
});

describe('quorum', () => {
  it('the curator and two council members meet the example policy', () => {
    const t = count([vote(1001, 'curator'), vote(2001, 'council'), vote(2003, 'council')]);
    expect(t.met).toBe(true);
    expect(t.curatorApprovals).toEqual([{ name: 'alice', telegramId: 1001 }]);
    expect(t.councilApprovals).toEqual([
      { name: 'bob', telegramId: 2001 },
      { name: 'dave', telegramId: 2003 },
    ]);
    expect(t.missingCurators).toEqual([]);
    expect(t.missingCouncil).toEqual([{ name: 'carol', telegramId: 2002 }]);
    expect(t.curatorsNeeded).toBe(0);
    expect(t.councilNeeded).toBe(0);
  });

  it('two council members without the curator do not meet it', () => {
    const t = count([vote(2001, 'council'), vote(2002, 'council')]);
    expect(t.met).toBe(false);
    expect(t.curatorsNeeded).toBe(1);
    expect(t.councilNeeded).toBe(0);
  });

  it('the curator and one council member do not meet it', () => {
    const t = count([vote(1001, 'curator'), vote(2001, 'council')]);
    expect(t.met).toBe(false);
    expect(t.councilNeeded).toBe(1);
  });

  it('nobody voted: everyone is missing', () => {
    const t = count([]);
    expect(t.met).toBe(false);
    expect(ids(t.missingCurators)).toEqual([1001]);
    expect(ids(t.missingCouncil)).toEqual([2001, 2002, 2003]);
    expect(t.curatorsNeeded).toBe(1);
    expect(t.councilNeeded).toBe(2);
  });
});

describe('votes that count nothing', () => {
  const base = [vote(1001, 'curator'), vote(2001, 'council')];

  it('a press by a non-member', () => {
    const t = count([...base, vote(3001, 'council')]);
    expect(t.met).toBe(false);
    expect(ids(t.councilApprovals)).toEqual([2001]);
    expect(t.counted.map((c) => c.member.telegramId)).not.toContain(3001);
  });

  it('twice by one member', () => {
    const t = count([...base, vote(2001, 'council')]);
    expect(t.met).toBe(false);
    expect(t.councilNeeded).toBe(1);
    expect(t.counted).toHaveLength(2);
  });

  it('a curator voting as council', () => {
    const t = count([...base, vote(1001, 'council')]);
    expect(t.met).toBe(false);
    expect(ids(t.councilApprovals)).toEqual([2001]);
  });

  it('a council member voting as curator', () => {
    const t = count([vote(2002, 'curator'), vote(2001, 'council'), vote(2003, 'council')]);
    expect(t.met).toBe(false);
    expect(t.curatorApprovals).toEqual([]);
  });

  it('for an old digest', () => {
    const t = count([...base, vote(2002, 'council', { digest: 'cd'.repeat(32) })]);
    expect(t.met).toBe(false);
    expect(ids(t.councilApprovals)).toEqual([2001]);
  });

  it('for an old policy revision', () => {
    const t = count([...base, vote(2002, 'council', { policyRevision: '00'.repeat(32) })]);
    expect(t.met).toBe(false);
  });

  it('for an old epoch', () => {
    const t = count([...base, vote(2002, 'council', { epoch: EPOCH - 1 })]);
    expect(t.met).toBe(false);
  });

  it('a member removed from the current roster', () => {
    const smaller: Policy = { ...policy, council: { ...policy.council, members: policy.council.members.filter((m) => m.telegramId !== 2002) } };
    const t = tally({ policy: smaller, votes: [...base, vote(2002, 'council')], digest: DIGEST, policyRevision: REV, epoch: EPOCH });
    expect(t.met).toBe(false);
    expect(ids(t.councilApprovals)).toEqual([2001]);
  });
});

describe('a person counts once: the earliest vote', () => {
  it('a reject then an approve counts the reject', () => {
    const t = count([vote(1001, 'curator'), vote(2001, 'council', { vote: 'reject' }), vote(2002, 'council'), vote(2001, 'council')]);
    expect(t.met).toBe(false);
    expect(t.rejections.map((r) => [r.member.name, r.role])).toEqual([['bob', 'council']]);
    expect(ids(t.missingCouncil)).toEqual([2001, 2003]);
  });

  it('the earliest by time, whatever the input order', () => {
    const late = vote(2001, 'council', { vote: 'reject' });
    const early = vote(2001, 'council', { at: new Date(late.at.getTime() - 60_000) });
    const t = count([vote(1001, 'curator'), late, early, vote(2002, 'council')]);
    expect(t.met).toBe(true);
    expect(t.rejections).toEqual([]);
  });
});

describe('roleOf', () => {
  it('names the role on the current roster, or null', () => {
    expect(roleOf(policy, 1001)).toBe('curator');
    expect(roleOf(policy, 2002)).toBe('council');
    expect(roleOf(policy, 3001)).toBeNull();
  });
  it('a curator listed in the council too stays a curator', () => {
    const both: Policy = { ...policy, council: { ...policy.council, members: [...policy.council.members, { name: 'alice', telegramId: 1001 }] } };
    expect(roleOf(both, 1001)).toBe('curator');
    const t = tally({ policy: both, votes: [vote(1001, 'curator'), vote(1001, 'council'), vote(2001, 'council')], digest: DIGEST, policyRevision: REV, epoch: EPOCH });
    expect(ids(t.councilApprovals)).toEqual([2001]);
    expect(t.met).toBe(false);
  });
});

describe('rosterDigest', () => {
  const digest = rosterDigest(policy);
  it('is a stable hex digest', () => {
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(rosterDigest(structuredClone(policy))).toBe(digest);
  });
  it('does not change with member order or names', () => {
    const reordered: Policy = {
      ...policy,
      council: { ...policy.council, members: [...policy.council.members].reverse().map((m) => ({ ...m, name: m.name.toUpperCase() })) },
    };
    expect(rosterDigest(reordered)).toBe(digest);
  });
  it('changes when a member is added, removed or changes role', () => {
    const added: Policy = { ...policy, council: { ...policy.council, members: [...policy.council.members, { name: 'eve', telegramId: 2004 }] } };
    const removed: Policy = { ...policy, council: { ...policy.council, members: policy.council.members.slice(1) } };
    const moved: Policy = {
      ...policy,
      curators: { ...policy.curators, members: [...policy.curators.members, { name: 'bob', telegramId: 2001 }] },
      council: { ...policy.council, members: policy.council.members.slice(1) },
    };
    const digests = [added, removed, moved].map(rosterDigest);
    expect(new Set([digest, ...digests]).size).toBe(4);
  });
  it('changes when required or quorum changes', () => {
    expect(rosterDigest({ ...policy, council: { ...policy.council, quorum: 3 } })).not.toBe(digest);
    expect(rosterDigest({ ...policy, curators: { ...policy.curators, required: 2 } })).not.toBe(digest);
  });
});
