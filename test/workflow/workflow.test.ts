/**
 * The workflow end to end on real parts: the LiteSVM harness over HTTP with the production
 * ChainReader, a real SQLite store with its audit log, the example policy. The co-signer is an
 * in-process one that stores intents (the real co-signer is tested with its own issue).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { escrowAccount } from '../../src/sandbox/fixtures/token.ts';
import { proposalAccount } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX, SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import { SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';
import { verifyAudit } from '../../src/store/audit.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { Harness } from '../../src/sandbox/harness/index.ts';
import { runDueTimers } from '../../src/workflow/tick.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import type { Workflow } from '../../src/workflow/workflow.ts';
import type { RecordingCoSigner } from '../support/workflow-doubles.ts';
import { startWorkflowWorld, type WorkflowWorld } from '../support/workflow-world.ts';

let w: WorkflowWorld;
let harness: Harness;
let store: SqlStore;
let wf: Workflow;
let cosigner: RecordingCoSigner;

beforeEach(async () => {
  w = await startWorkflowWorld();
  ({ harness, store, wf, cosigner } = w);
});
afterEach(async () => {
  await w.close();
});

const recordLoss = () => w.recordLoss();
const press = (...args: Parameters<WorkflowWorld['press']>) => w.press(...args);

describe('workflow: the pending proposal from loss to execution', () => {
  it('records, decides, collects approvals, signs last and accounts for it', async () => {
    const event = await recordLoss();
    expect(event.recordedLoss).toBe(SANDBOX_VAULT_LOSS);
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    expect(row.state).toBe('awaiting-approval');
    expect(row.digest).toMatch(/^[0-9a-f]{64}$/);
    const ledger = await store.ledgerForProposal(row.id);
    expect(ledger.map((r) => [r.state, r.amount])).toEqual([['reserved', 9_820_000_000n]]);

    expect((await press(row.rowId, 'approve', 1001)).kind).toBe('counted');
    expect((await press(row.rowId, 'approve', 2001)).kind).toBe('counted');
    expect((await store.getProposal(row.id))!.state).toBe('awaiting-approval');
    const last = await press(row.rowId, 'approve', 2002);
    expect(last).toEqual({ kind: 'counted', text: 'Approved — quorum reached.' });
    expect((await store.getProposal(row.id))!.state).toBe('approved');

    await pollOnce(wf); // the curator's vote is on-chain (fixture): decide again, store the intent, send
    expect((await store.getProposal(row.id))!.state).toBe('signing');
    expect(cosigner.sent).toEqual([`sig-${row.id}-0`]);

    cosigner.status = { kind: 'pending' };
    await pollOnce(wf);
    expect(cosigner.sent).toEqual([`sig-${row.id}-0`, `sig-${row.id}-0`]); // resends the same bytes
    cosigner.status = { kind: 'executed', signature: 'exec-sig' };
    await pollOnce(wf);
    const done = (await store.getProposal(row.id))!;
    expect(done.state).toBe('executed');
    expect((await store.ledgerForProposal(row.id)).map((r) => r.state)).toEqual(['compensated']);
    const transitions = (await store.transitions(row.rowId)).map((t) => `${t.from}→${t.to}(${t.cause})`);
    expect(transitions).toEqual(['received→awaiting-approval(policy)', 'awaiting-approval→approved(human)', 'approved→signing(chain)', 'signing→executed(chain)']);
    const entries = await store.auditEntries();
    expect(verifyAudit({ entries, publicKey: w.auditKey.publicKeyBytes }).ok).toBe(true);
  });

  it('denies the proposal that pays a non-escrow account, with no reservation', async () => {
    await recordLoss();
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 2n });
    expect(row.state).toBe('denied');
    expect(await store.ledgerForProposal(row.id)).toEqual([]);
    const decision = (await store.latestDecision(row.rowId))!.decision;
    expect(decision.rules.find((r) => r.id === 'destination-escrow')!.outcome).toBe('fail');
    expect((await press(row.rowId, 'approve', 1001)).kind).toBe('refused');
  });

  it('registering reads the chain once per batch: the availability check seeds the decision (3 round trips)', async () => {
    await recordLoss();
    const before = harness.requestCount.get('getMultipleAccounts') ?? 0;
    await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    expect((harness.requestCount.get('getMultipleAccounts') ?? 0) - before).toBe(3);
  });

  it('denies without a loss event, and allows once the loss is recorded', async () => {
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    expect(row.state).toBe('denied');
    await recordLoss();
    expect((await store.getProposal(row.id))!.state).toBe('awaiting-approval');
  });

  it('refuses duplicate loss events (409) and unknown vaults (404)', async () => {
    await recordLoss();
    await expect(recordLoss()).rejects.toMatchObject({ kind: 'conflict' });
    await expect(wf.recordLoss({ vault: SANDBOX.outsider, reserve: SANDBOX.reserve, signature: 'x', vaultLoss: 1n, recordedBy: 't' })).rejects.toMatchObject({ kind: 'not-found' });
  });
});

describe('workflow: presses that must not count', () => {
  let rowId: number;
  beforeEach(async () => {
    await recordLoss();
    rowId = (await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n })).rowId;
  });
  it('a non-member, twice by one member, a curator as council, another chat, another card, an old digest or epoch', async () => {
    expect(await press(rowId, 'approve', SANDBOX_TELEGRAM.outsider)).toMatchObject({ kind: 'refused' });
    expect(await press(rowId, 'approve', 2001)).toMatchObject({ kind: 'counted' });
    expect(await press(rowId, 'approve', 2001)).toMatchObject({ kind: 'refused' });
    expect(await press(rowId, 'approve', 2002, { chatId: -999 })).toMatchObject({ kind: 'refused' });
    expect(await press(rowId, 'approve', 2002, { messageId: 1 })).toMatchObject({ kind: 'refused' });
    expect(await press(rowId, 'approve', 2002, { digestPrefix: '0000000000000000' })).toMatchObject({ kind: 'refused' });
    expect(await press(rowId, 'approve', 2002, { epoch: 2 })).toMatchObject({ kind: 'refused' });
    expect(await press(rowId, 'approve', 1001)).toMatchObject({ kind: 'counted' });
    expect((await store.getProposalByRowId(rowId))!.state).toBe('awaiting-approval'); // curator + 1 council < quorum
    const refused = (await store.auditEntries()).filter((e) => e.type === 'press.refused');
    expect(refused).toHaveLength(6);
  });

  it('a press after expiry', async () => {
    w.clock = new Date(w.clock.getTime() + 25 * 3600 * 1000);
    await runDueTimers(wf);
    expect((await store.getProposalByRowId(rowId))!.state).toBe('expired');
    expect((await store.ledgerForProposal((await store.getProposalByRowId(rowId))!.id)).map((r) => r.state)).toEqual(['released']);
    expect(await press(rowId, 'approve', 2001)).toMatchObject({ kind: 'refused' });
  });

  it('a reject racing the last approval holds signing; confirming rejects it and releases the reservation', async () => {
    await press(rowId, 'approve', 1001);
    await press(rowId, 'approve', 2001);
    expect(await press(rowId, 'reject', 2003)).toMatchObject({ kind: 'counted' });
    expect(await press(rowId, 'approve', 2002)).toMatchObject({ kind: 'counted' });
    expect((await store.getProposalByRowId(rowId))!.state).toBe('approved');
    await pollOnce(wf);
    expect((await store.getProposalByRowId(rowId))!.state).toBe('approved'); // held: nothing signed
    expect(cosigner.sent).toEqual([]);
    expect(await press(rowId, 'confirm-reject', 2002)).toMatchObject({ kind: 'refused' }); // only the holder
    expect(await press(rowId, 'confirm-reject', 2003)).toMatchObject({ kind: 'counted' });
    const row = (await store.getProposalByRowId(rowId))!;
    expect(row.state).toBe('rejected');
    expect(cosigner.rejected).toEqual([row.id]);
    expect((await store.ledgerForProposal(row.id)).map((r) => r.state)).toEqual(['released']);
  });

  it('a cancelled or timed-out hold lets signing go ahead', async () => {
    await press(rowId, 'reject', 2003);
    expect(await press(rowId, 'cancel-reject', 2003)).toMatchObject({ kind: 'counted' });
    await press(rowId, 'reject', 2003);
    for (const id of [1001, 2001, 2002]) await press(rowId, 'approve', id);
    await pollOnce(wf);
    expect((await store.getProposalByRowId(rowId))!.state).toBe('approved');
    w.clock = new Date(w.clock.getTime() + 11 * 60 * 1000);
    await runDueTimers(wf);
    await pollOnce(wf);
    expect((await store.getProposalByRowId(rowId))!.state).toBe('signing');
  });
});

describe('workflow: chain and policy changes', () => {
  it('a policy change after approvals voids them (new epoch) and re-decides', async () => {
    await recordLoss();
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await press(row.rowId, 'approve', 1001);
    await wf.invalidate(row.rowId, 'the roster changed');
    const after = (await store.getProposalByRowId(row.rowId))!;
    expect(after.state).toBe('awaiting-approval');
    expect(after.epoch).toBe(2);
    expect(await press(row.rowId, 'approve', 1001)).toMatchObject({ kind: 'counted' }); // counts again in the new epoch
  });

  it('an on-chain rejection ends a live proposal', async () => {
    await recordLoss();
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    harness.setAccount(proposalAccount({ index: 1n, status: 'Rejected' }));
    await pollOnce(wf);
    expect((await store.getProposal(row.id))!.state).toBe('rejected');
  });

  it('the poller registers proposals that appear on-chain without a webhook', async () => {
    await recordLoss();
    const report = await pollOnce(wf);
    expect(report.registered).toEqual([`${SANDBOX.multisig}:1`, `${SANDBOX.multisig}:2`]);
    expect((await store.getProposal(`${SANDBOX.multisig}:1`))!.state).toBe('awaiting-approval');
    expect((await pollOnce(wf)).registered).toEqual([]);
  });

  it('a proposal denied with an unknown rule is decided again (at most once a minute) and allowed once it can tell', async () => {
    await recordLoss();
    harness.breakAccount(SANDBOX.reserve); // the allocated reserve cannot be read: amount-within-loss is unknown
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    expect(row.state).toBe('denied');
    expect((await store.latestDecision(row.rowId))!.decision.rules.find((r) => r.id === 'amount-within-loss')!.outcome).toBe('unknown');
    harness.faults.clear();
    await pollOnce(wf);
    expect((await store.getProposal(row.id))!.state).toBe('denied'); // not yet: decided less than a minute ago
    w.clock = new Date(w.clock.getTime() + 61_000);
    await pollOnce(wf);
    expect((await store.getProposal(row.id))!.state).toBe('awaiting-approval');
  });

  it('after a crash with a stored approval, the chain is decided again before the stored bytes are resent', async () => {
    await recordLoss();
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    for (const id of [1001, 2001, 2002]) await press(row.rowId, 'approve', id);
    const approved = (await store.getProposal(row.id))!;
    const { decision, summary } = (await store.latestDecision(row.rowId))!;
    await cosigner.prepareApproval({ row: approved, policy: wf.policyFor(approved)!, decision, summary: summary! }); // stored, then the "crash"
    harness.setAccount(escrowAccount({ state: 'frozen' })); // meanwhile the escrow was frozen
    await pollOnce(wf);
    expect((await store.getProposal(row.id))!.state).toBe('denied');
    expect(cosigner.sent).toEqual([]);
  });

  it('a proposal whose first decision did not complete (store outage mid-way) is decided by the next poll', async () => {
    await recordLoss();
    const { proposal } = await store.insertProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n, vault: SANDBOX.vault, mode: 'register', state: 'received' });
    await pollOnce(wf);
    expect((await store.getProposal(proposal.id))!.state).toBe('awaiting-approval');
  });

  it('signs nothing when the chain is down at signing time, and signs once it is back', async () => {
    await recordLoss();
    const row = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    for (const id of [1001, 2001, 2002]) await press(row.rowId, 'approve', id);
    harness.faults.set('getMultipleAccounts', { httpStatus: 500 });
    await pollOnce(wf);
    expect(cosigner.sent).toEqual([]);
    expect((await store.getProposal(row.id))!.state).toBe('approved');
    harness.faults.clear();
    await pollOnce(wf);
    expect((await store.getProposal(row.id))!.state).toBe('signing');
  });
});
