/**
 * Approvals bound to a key (issue 16 §2): the policy keys, the message and its three preimages
 * (checked against @solana/kit's independent off-chain message encoder and the Solana SDK's legacy
 * test vector), verification, and `recordSignedVote` on a real workflow (LiteSVM harness, SQLite,
 * audit log): a valid signature counts and is audited with it; a wrong key, a stale digest, an earlier
 * round and a missing signature change nothing; a signed role's plain press counts for nothing;
 * Reject keeps its hold and confirm.
 */
import { getOffchainMessageEncoder, type Address, type OffchainMessage } from '@solana/kit';
import { parseDocument } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/policy/load.ts';
import { examplePolicyText } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { verifyAudit } from '../../src/store/audit.ts';
import {
  approvalMessage, approvalOf, offchainMessageLegacy, offchainMessageV0, parseSignature, SIGNING_DOMAIN, usesSignedApproval, verifyApproval,
} from '../../src/workflow/signed-approval.ts';
import { MINIAPP_CHANNEL, recordSignedVote, SIGNED_ROLE_PRESS } from '../../src/workflow/votes.ts';
import { IDS, KEYS, messageOf, signedPolicyText, signMessage, startSignedWorld } from '../support/signed-approval.ts';
import type { WorkflowWorld } from '../support/workflow-world.ts';

/** policies/example.yaml's revision before these keys existed (and after: absent keys change nothing). */
const EXAMPLE_REVISION = 'fe64a3af790eb0d80f89de6ef3fcf8cedfe3127604ace2087cb2cdd55f8812e7';
const DIGEST = 'ab'.repeat(32);
const REVISION = 'cd'.repeat(32);
const BINDING = { multisig: SANDBOX.multisig, transactionIndex: 7n, digest: DIGEST, policyRevision: REVISION, epoch: 3 };

const problemsOf = (text: string) => {
  const r = parsePolicyText(text, 'p.yaml');
  return r.ok ? [] : r.problems;
};

describe('policy: curators/council.approval and members[].signer', () => {
  it('absent, they change no revision: the example policy hashes as before', () => {
    const r = parsePolicyText(examplePolicyText(), 'policies/example.yaml');
    expect(r.ok && r.revision).toBe(EXAMPLE_REVISION);
    expect(r.ok && 'approval' in r.policy.curators).toBe(false);
    expect(r.ok && approvalOf(r.policy, 'curator')).toBe('button');
    expect(r.ok && usesSignedApproval(r.policy)).toBe(false);
  });

  it('present, they are part of the revision and parsed', () => {
    const r = parsePolicyText(signedPolicyText(), 'p.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.revision).not.toBe(EXAMPLE_REVISION);
    expect(approvalOf(r.policy, 'council')).toBe('signed');
    expect(r.policy.council.members[1]!.signer).toBe(KEYS.carol.publicKey);
    const button = parsePolicyText(signedPolicyText({ curators: 'button', council: 'button' }), 'p.yaml');
    expect(button.ok && button.revision).not.toBe(r.revision);
  });

  it('signed without a signer for every member of that role is a policy error; keys are one person’s and never the co-signer’s', () => {
    const doc = parseDocument(signedPolicyText());
    doc.deleteIn(['council', 'members', 2, 'signer']);
    expect(problemsOf(doc.toString())).toEqual([
      { path: 'council.members[2].signer', message: 'council.approval is signed: every member needs a signer (their ed25519 public key, base58), or set council.approval to button' },
    ]);
    // With `button`, a missing signer is fine (keys can be collected before switching).
    doc.setIn(['council', 'approval'], 'button');
    expect(problemsOf(doc.toString())).toEqual([]);

    const dup = parseDocument(signedPolicyText());
    dup.setIn(['council', 'members', 1, 'signer'], KEYS.alice.publicKey);
    dup.setIn(['council', 'members', 2, 'signer'], SANDBOX.cosigner);
    expect(problemsOf(dup.toString()).map((p) => p.path)).toEqual(['council.members[1].signer', 'council.members[2].signer']);

    const bad = parseDocument(signedPolicyText());
    bad.setIn(['curators', 'approval'], 'maybe');
    bad.setIn(['council', 'members', 0, 'signer'], 'not-a-key');
    expect(problemsOf(bad.toString()).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'curators.approval: must be button or signed, found string "maybe"',
      'council.members[0].signer: not base58: "-" is not a base58 character',
    ]);
  });
});

describe('the message and its preimages', () => {
  it('names the proposal, its digest, revision and epoch; refuses a binding no proposal has', () => {
    expect(approvalMessage(BINDING)).toBe(`backstop approve ${SANDBOX.multisig}:7 digest ${DIGEST} revision ${REVISION} epoch 3`);
    expect(() => approvalMessage({ ...BINDING, digest: '' })).toThrow(RangeError);
    expect(() => approvalMessage({ ...BINDING, digest: DIGEST.toUpperCase() })).toThrow(RangeError);
    expect(() => approvalMessage({ ...BINDING, epoch: 0 })).toThrow(RangeError);
    expect(() => approvalMessage({ ...BINDING, multisig: 'x y' })).toThrow(RangeError);
  });

  it('the off-chain v0 envelope is byte for byte what @solana/kit encodes (domain, version, zero app domain, format, one signer, u16 LE length)', () => {
    const message = approvalMessage(BINDING);
    const kit = getOffchainMessageEncoder().encode({
      version: 0,
      applicationDomain: '11111111111111111111111111111111', // 32 zero bytes
      content: { format: 0, text: message },
      requiredSignatories: [{ address: KEYS.bob.publicKey as Address }],
    } as unknown as OffchainMessage);
    expect(Buffer.from(offchainMessageV0(message, KEYS.bob.publicKeyBytes)).toString('hex')).toBe(Buffer.from(kit).toString('hex'));
    expect(Buffer.from(SIGNING_DOMAIN).toString('latin1')).toBe('\xffsolana offchain');
  });

  it('the legacy envelope is the Solana SDK 2.x test vector ("Test Message")', () => {
    const expected = [255, 115, 111, 108, 97, 110, 97, 32, 111, 102, 102, 99, 104, 97, 105, 110, 0, 0, 12, 0, 84, 101, 115, 116, 32, 77, 101, 115, 115, 97, 103, 101];
    expect([...offchainMessageLegacy('Test Message')]).toEqual(expected);
    expect(() => offchainMessageLegacy('Тест')).toThrow(RangeError); // our messages are printable ASCII (format 0)
  });

  it('verifies each preimage with the right key only, and nothing for another message', async () => {
    const message = approvalMessage(BINDING);
    for (const preimage of ['raw', 'offchain-v0', 'offchain-legacy'] as const) {
      const signature = parseSignature(signMessage(KEYS.bob, message, preimage))!;
      expect(await verifyApproval({ message, signature, signer: KEYS.bob.publicKey })).toEqual({ ok: true, preimage });
      expect(await verifyApproval({ message, signature, signer: KEYS.carol.publicKey })).toEqual({ ok: false });
      expect(await verifyApproval({ message: approvalMessage({ ...BINDING, epoch: 4 }), signature, signer: KEYS.bob.publicKey })).toEqual({ ok: false });
      expect(await verifyApproval({ message: approvalMessage({ ...BINDING, digest: 'ac'.repeat(32) }), signature, signer: KEYS.bob.publicKey })).toEqual({ ok: false });
    }
    const good = parseSignature(signMessage(KEYS.bob, message))!;
    const flipped = Uint8Array.from(good);
    flipped[10] = flipped[10]! ^ 1;
    expect(await verifyApproval({ message, signature: flipped, signer: KEYS.bob.publicKey })).toEqual({ ok: false });
    expect(await verifyApproval({ message, signature: good, signer: 'not-a-key' })).toEqual({ ok: false });
  });

  it('parses base58 64-byte signatures only', () => {
    const text = signMessage(KEYS.bob, 'x y');
    expect(parseSignature(`  ${text}\n`)).toHaveLength(64);
    expect(parseSignature('')).toBeNull();
    expect(parseSignature(`${text}0`)).toBeNull(); // 0 is not base58
    expect(parseSignature(KEYS.bob.publicKey)).toBeNull(); // 32 bytes
    expect(parseSignature(Buffer.from(parseSignature(text)!).toString('base64'))).toBeNull();
  });
});

describe('recordSignedVote on a real workflow', () => {
  let world: WorkflowWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  /** Votes, state, epoch and the count of vote.recorded entries: what a refusal must not change. */
  const snapshot = async (w: WorkflowWorld, rowId: number) => {
    const row = (await w.store.getProposalByRowId(rowId))!;
    return { state: row.state, epoch: row.epoch, votes: (await w.store.votes(rowId)).length, recorded: (await w.store.auditEntries()).filter((e) => e.type === 'vote.recorded').length };
  };

  it('a valid signature counts, is audited with the signature and counts toward quorum; refusals change nothing', async () => {
    const started = await startSignedWorld();
    world = started.world;
    const { wf, store } = world;
    const row = started.row;
    const approve = (who: keyof typeof IDS, signature: string, over: { epoch?: number; digestShown?: string } = {}) =>
      recordSignedVote(wf, { rowId: row.rowId, epoch: over.epoch ?? row.epoch, telegramId: IDS[who], digestShown: over.digestShown ?? row.digest!, signature });

    // A signed role's plain Approve counts for nothing.
    const before = await snapshot(world, row.rowId);
    expect(await world.press(row.rowId, 'approve', IDS.bob)).toEqual({ kind: 'refused', text: SIGNED_ROLE_PRESS });
    expect(await snapshot(world, row.rowId)).toEqual(before);

    // Wrong key, stale digest, another round, no signature, a stranger: refused, nothing changed.
    const refusals: [keyof typeof IDS | 'stranger', Promise<unknown>][] = [
      ['bob', approve('bob', signMessage(KEYS.carol, messageOf(row)))],
      ['bob', approve('bob', signMessage(KEYS.bob, messageOf(row, { digest: 'ee'.repeat(32) })))],
      ['bob', approve('bob', signMessage(KEYS.bob, messageOf(row, { epoch: row.epoch + 1 })))],
      ['bob', approve('bob', '')],
      ['bob', approve('bob', signMessage(KEYS.bob, messageOf(row)), { digestShown: 'ee'.repeat(32) })],
      ['bob', approve('bob', signMessage(KEYS.bob, messageOf(row)), { epoch: row.epoch + 1 })],
      ['stranger', recordSignedVote(wf, { rowId: row.rowId, epoch: row.epoch, telegramId: 9999, digestShown: row.digest!, signature: signMessage(KEYS.mallory, messageOf(row)) })],
    ];
    for (const [, outcome] of refusals) expect(await outcome).toMatchObject({ kind: 'refused' });
    expect(await snapshot(world, row.rowId)).toEqual(before);
    const refused = (await store.auditEntries()).filter((e) => e.type === 'press.refused' && (e.payload as { channel?: string }).channel === MINIAPP_CHANNEL);
    expect(refused).toHaveLength(7);
    expect(refused.map((e) => (e.payload as { reason: string }).reason)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^The signature does not verify with your key/),
      expect.stringMatching(/^This approval is out of date/),
      expect.stringMatching(/^Paste the signature/),
      'You are not on this vault’s roster.',
    ]));

    // Valid: the curator with the CLI's envelope, bob with a wallet's raw bytes, carol with the legacy envelope.
    expect(await approve('alice', signMessage(KEYS.alice, messageOf(row), 'offchain-v0'))).toEqual({ kind: 'counted', text: 'Approval recorded.' });
    expect(await approve('bob', signMessage(KEYS.bob, messageOf(row), 'raw'))).toEqual({ kind: 'counted', text: 'Approval recorded.' });
    expect(await approve('bob', signMessage(KEYS.bob, messageOf(row), 'raw'))).toMatchObject({ kind: 'refused', text: 'You have already voted on this proposal.' });
    expect((await store.getProposalByRowId(row.rowId))!.state).toBe('awaiting-approval');
    expect(await approve('carol', signMessage(KEYS.carol, messageOf(row), 'offchain-legacy'))).toEqual({ kind: 'counted', text: 'Approved — quorum reached.' });
    expect((await store.getProposalByRowId(row.rowId))!.state).toBe('approved');

    const recorded = (await store.auditEntries()).filter((e) => e.type === 'vote.recorded').map((e) => e.payload as Record<string, unknown>);
    expect(recorded).toHaveLength(3);
    expect(recorded[1]).toMatchObject({
      telegramId: IDS.bob, role: 'council', vote: 'approve', channel: MINIAPP_CHANNEL, digest: row.digest, epoch: row.epoch,
      proof: { signature: signMessage(KEYS.bob, messageOf(row), 'raw'), signer: KEYS.bob.publicKey, preimage: 'raw', message: messageOf(row) },
    });
    expect(recorded.map((p) => (p['proof'] as { preimage: string }).preimage)).toEqual(['offchain-v0', 'raw', 'offchain-legacy']);
    expect(verifyAudit({ entries: await store.auditEntries(), publicKey: world.auditKey.publicKeyBytes }).ok).toBe(true);
  });

  it('a signature from before an invalidation does not count in the new round', async () => {
    const started = await startSignedWorld();
    world = started.world;
    const { wf, store } = world;
    const row = started.row;
    const oldSignature = signMessage(KEYS.bob, messageOf(row));
    await wf.invalidate(row.rowId, 'test: roster changed');
    const now = (await store.getProposalByRowId(row.rowId))!;
    expect(now.epoch).toBe(row.epoch + 1);
    expect(now.state).toBe('awaiting-approval');
    const before = await snapshot(world, row.rowId);
    expect(await recordSignedVote(wf, { rowId: row.rowId, epoch: now.epoch, telegramId: IDS.bob, digestShown: now.digest!, signature: oldSignature })).toMatchObject({
      kind: 'refused', text: expect.stringMatching(/^The signature does not verify/),
    });
    expect(await snapshot(world, row.rowId)).toEqual(before);
    expect(await recordSignedVote(wf, { rowId: row.rowId, epoch: now.epoch, telegramId: IDS.bob, digestShown: now.digest!, signature: signMessage(KEYS.bob, messageOf(now)) })).toMatchObject({ kind: 'counted' });
  });

  it('roles may differ: a button role approves in the Mini App without a signature, and by its press; the signed role only by signature', async () => {
    const started = await startSignedWorld({ curators: 'signed', council: 'button' });
    world = started.world;
    const { wf, store } = world;
    const row = started.row;
    expect(await recordSignedVote(wf, { rowId: row.rowId, epoch: row.epoch, telegramId: IDS.bob, digestShown: row.digest!, signature: '' })).toEqual({ kind: 'counted', text: 'Approval recorded.' });
    expect(await world.press(row.rowId, 'approve', IDS.carol)).toMatchObject({ kind: 'counted' });
    expect(await world.press(row.rowId, 'approve', IDS.alice)).toEqual({ kind: 'refused', text: SIGNED_ROLE_PRESS });
    expect(await recordSignedVote(wf, { rowId: row.rowId, epoch: row.epoch, telegramId: IDS.alice, digestShown: row.digest!, signature: '' })).toMatchObject({ kind: 'refused' });
    expect((await store.getProposalByRowId(row.rowId))!.state).toBe('awaiting-approval');
    expect(await recordSignedVote(wf, { rowId: row.rowId, epoch: row.epoch, telegramId: IDS.alice, digestShown: row.digest!, signature: signMessage(KEYS.alice, messageOf(row)) })).toEqual({ kind: 'counted', text: 'Approved — quorum reached.' });
    const channels = (await store.votes(row.rowId)).map((v) => [v.name, v.channel]);
    expect(channels).toEqual([['bob', MINIAPP_CHANNEL], ['carol', 'telegram'], ['alice', MINIAPP_CHANNEL]]);
  });

  it('Reject keeps its hold and confirm for a signed role', async () => {
    const started = await startSignedWorld();
    world = started.world;
    const row = started.row;
    expect(await world.press(row.rowId, 'reject', IDS.bob)).toMatchObject({ kind: 'counted', text: expect.stringMatching(/held for 10 minutes/) });
    expect((await world.store.getProposalByRowId(row.rowId))!.state).toBe('awaiting-approval');
    expect(await world.press(row.rowId, 'confirm-reject', IDS.bob)).toMatchObject({ kind: 'counted', text: expect.stringMatching(/^Rejected/) });
    expect((await world.store.getProposalByRowId(row.rowId))!.state).toBe('rejected');
    expect(await recordSignedVote(world.wf, { rowId: row.rowId, epoch: row.epoch, telegramId: IDS.carol, digestShown: row.digest!, signature: signMessage(KEYS.carol, messageOf(row)) })).toMatchObject({
      kind: 'refused', text: 'Approvals are not accepted while the proposal is rejected.',
    });
  });
});
