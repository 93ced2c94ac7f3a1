/**
 * A policy reload (SIGHUP / every 60 s, docs/policy.md) on real parts: a policy directory holding a copy
 * of policies/example.yaml, the LiteSVM harness, a SQLite store. A roster change voids the
 * approvals collected so far (new epoch); an invalid file keeps the old policy in force and is
 * reported once; a comment-only edit changes nothing.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainReader } from '../../src/chain/reader.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { examplePolicyText, sandboxLoss, SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX, SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import { seedSandboxChain } from '../../src/sandbox/world.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';
import { SILENT_LOG } from '../../src/workflow/ports.ts';
import { currentTally, digestField, handlePress, type PressAction } from '../../src/workflow/votes.ts';
import { Workflow } from '../../src/workflow/workflow.ts';
import { cardNotifier, NO_COSIGNER } from '../support/workflow-doubles.ts';

const EXAMPLE = examplePolicyText();
const COUNCIL_LINE = '    - { name: dave, telegramId: 2003 }\n';
/** The example with council member 2004 added. */
const WITH_ERIN = EXAMPLE.replace(COUNCIL_LINE, `${COUNCIL_LINE}    - { name: erin, telegramId: 2004 }\n`);
/** The example without council member 2003. */
const WITHOUT_DAVE = EXAMPLE.replace(COUNCIL_LINE, '');
/** The example with a curator listed twice in the council (a Telegram id may appear once). */
const INVALID = EXAMPLE.replace(COUNCIL_LINE, `${COUNCIL_LINE}    - { name: alice-again, telegramId: 1001 }\n`);


let harness: Harness;
let store: Store;
let wf: Workflow;
let policies: PolicyRegistry;
let policyFile: string;
const alerts: string[] = [];

beforeEach(async () => {
  harness = await startHarness();
  seedSandboxChain(harness);
  const dir = mkdtempSync(join(tmpdir(), 'backstop-reload-'));
  mkdirSync(join(dir, 'policies'));
  policyFile = join(dir, 'policies', 'example.yaml');
  writeFileSync(policyFile, EXAMPLE);
  policies = await PolicyRegistry.load(join(dir, 'policies'));
  store = await openStore({ database: join(dir, 'b.db'), auditKey: Ed25519Keypair.generate() });
  alerts.length = 0;
  const notifier = cardNotifier(() => store, alerts);
  wf = new Workflow({
    store,
    chain: new ChainReader({ rpcUrl: harness.url, retries: 0, timeoutMs: 3000 }),
    policies,
    notifier,
    cosigner: NO_COSIGNER,
    log: SILENT_LOG,
    clock: () => new Date('2026-12-01T10:00:00Z'),
  });
});
afterEach(async () => {
  await store.close();
  await harness.close();
});

/** A press on the card, with the card's digest and the given (default: current) epoch. */
async function press(rowId: number, action: PressAction, telegramId: number, epoch?: number) {
  const row = (await store.getProposalByRowId(rowId))!;
  const card = (await store.getCard(rowId))!;
  return handlePress(wf, {
    rowId, action, telegramId, name: String(telegramId), chatId: SANDBOX_TELEGRAM.chatId, messageId: card.messageId,
    digestPrefix: digestField(row.digest), epoch: epoch ?? row.epoch,
  });
}

/** Loss recorded, the pending proposal registered, the curator and one council member approved. */
async function halfApproved(): Promise<number> {
  await wf.recordLoss({ vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: sandboxLoss().event.signature, vaultLoss: SANDBOX_VAULT_LOSS, recordedBy: 'test' });
  const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
  expect(row.state).toBe('awaiting-approval');
  expect((await press(row.rowId, 'approve', 1001)).kind).toBe('counted');
  expect((await press(row.rowId, 'approve', 2001)).kind).toBe('counted');
  const t = (await currentTally(wf, (await store.getProposalByRowId(row.rowId))!))!;
  expect([t.curatorApprovals.length, t.councilApprovals.length]).toEqual([1, 1]);
  return row.rowId;
}

const auditOf = async (type: string) => (await store.auditEntries()).filter((e) => e.type === type);
const transitionsOf = async (rowId: number) => (await store.transitions(rowId)).map((t) => `${t.from}→${t.to}`);

describe('policy reload: a roster change voids the approvals collected so far', () => {
  it.each([
    ['a council member added', WITH_ERIN],
    ['a council member removed', WITHOUT_DAVE],
  ])('%s → invalidated, epoch 2, earlier approvals no longer count, old-epoch presses refused', async (_what, text) => {
    const rowId = await halfApproved();
    const revisionBefore = policies.all()[0]!.revision;
    writeFileSync(policyFile, text);
    await wf.reloadPolicies();

    expect(policies.all()[0]!.revision).not.toBe(revisionBefore);
    const row = (await store.getProposalByRowId(rowId))!;
    expect(await transitionsOf(rowId)).toEqual(['received→awaiting-approval', 'awaiting-approval→invalidated', 'invalidated→awaiting-approval']);
    expect(row.state).toBe('awaiting-approval');
    expect(row.epoch).toBe(2);
    expect(row.policyRevision).toBe(policies.all()[0]!.revision);
    const t = (await currentTally(wf, row))!;
    expect(t.curatorApprovals).toEqual([]);
    expect(t.councilApprovals).toEqual([]);
    expect(t.met).toBe(false);
    const changed = await auditOf('policy.changed');
    expect(changed.map((e) => e.payload)).toEqual([{ vault: SANDBOX.vault, before: revisionBefore, after: row.policyRevision, rosterChanged: true }]);

    // A press from the old card (epoch 1) is refused; a press in epoch 2 counts again.
    expect(await press(rowId, 'approve', 2002, 1)).toMatchObject({ kind: 'refused' });
    expect(await press(rowId, 'approve', 1001)).toMatchObject({ kind: 'counted' });
    expect(await press(rowId, 'approve', 2001)).toMatchObject({ kind: 'counted' });
    expect((await store.getProposalByRowId(rowId))!.state).toBe('awaiting-approval'); // the old 2001 vote did not carry over
    expect(await press(rowId, 'approve', 2002)).toMatchObject({ kind: 'counted' });
    expect((await store.getProposalByRowId(rowId))!.state).toBe('approved');
  });

  it('the new council member counts in the new epoch', async () => {
    const rowId = await halfApproved();
    expect(await press(rowId, 'approve', 2004)).toMatchObject({ kind: 'refused' }); // not a member yet
    writeFileSync(policyFile, WITH_ERIN);
    await wf.reloadPolicies();
    expect(await press(rowId, 'approve', 2004)).toMatchObject({ kind: 'counted' });
  });
});

describe('policy reload: an invalid file keeps the old policy in force', () => {
  it('nothing is invalidated, one policy.reload-refused entry per error however often it reloads, and a fixed file reloads normally', async () => {
    const rowId = await halfApproved();
    const before = policies.all();
    writeFileSync(policyFile, INVALID);
    for (let i = 0; i < 3; i++) await wf.reloadPolicies();

    expect(policies.all()).toBe(before);
    const row = (await store.getProposalByRowId(rowId))!;
    expect(row.epoch).toBe(1);
    expect(await transitionsOf(rowId)).toEqual(['received→awaiting-approval']);
    const refused = await auditOf('policy.reload-refused');
    expect(refused).toHaveLength(1);
    expect(JSON.stringify(refused[0]!.payload)).toContain('1001');
    expect(alerts).toHaveLength(1);
    expect(await auditOf('policy.changed')).toEqual([]);
    // The approvals still count under the old policy: one more council approval reaches quorum.
    expect(await press(rowId, 'approve', 2002)).toMatchObject({ kind: 'counted' });
    expect((await store.getProposalByRowId(rowId))!.state).toBe('approved');

    // Fixed (with a roster change): reloads normally and voids the approvals.
    writeFileSync(policyFile, WITH_ERIN);
    await wf.reloadPolicies();
    expect(policies.all()).not.toBe(before);
    expect(policies.all()[0]!.policy.council.members.map((m) => m.telegramId)).toEqual([2001, 2002, 2003, 2004]);
    const after = (await store.getProposalByRowId(rowId))!;
    expect(after.epoch).toBe(2);
    expect(after.state).toBe('awaiting-approval');
    expect(await auditOf('policy.changed')).toHaveLength(1);
    expect(await auditOf('policy.reload-refused')).toHaveLength(1);

    // Broken again with the same error: reported again (the fix cleared what was reported).
    writeFileSync(policyFile, INVALID);
    await wf.reloadPolicies();
    await wf.reloadPolicies();
    expect(await auditOf('policy.reload-refused')).toHaveLength(2);
  });
});

describe('policy reload: a comment or formatting change', () => {
  it('keeps the same revision and invalidates nothing', async () => {
    const rowId = await halfApproved();
    const revision = policies.all()[0]!.revision;
    const reformatted = `# edited by hand\n${EXAMPLE.replace('quorum: 2                     #', 'quorum:   2 #')
      .replace('name: Sandbox USDC vault        # shown on Telegram cards', "name: 'Sandbox USDC vault'")
      .replace('window: 7d', 'window: 168h')}`;
    expect(reformatted).not.toBe(EXAMPLE);
    writeFileSync(policyFile, reformatted);
    await wf.reloadPolicies();

    expect(policies.all()[0]!.revision).toBe(revision);
    const row = (await store.getProposalByRowId(rowId))!;
    expect(row.epoch).toBe(1);
    expect(await transitionsOf(rowId)).toEqual(['received→awaiting-approval']);
    expect(await auditOf('policy.changed')).toEqual([]);
    expect(await auditOf('policy.reload-refused')).toEqual([]);
    const t = (await currentTally(wf, row))!;
    expect([t.curatorApprovals.length, t.councilApprovals.length]).toEqual([1, 1]);
  });
});
