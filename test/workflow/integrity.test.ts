/**
 * Workflow integrity under attack (issue 12): approvals that count, a loss paid at most once, nothing
 * signed that the signed audit log cannot prove, a poller no webhook can blind. Each case reproduced
 * the weakness before its fix, on real parts (harness, ChainReader, SQLite with its audit log).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainUnavailable } from '../../src/chain/errors.ts';
import { vaultAccount } from '../../src/sandbox/fixtures/kvault.ts';
import { escrowAccount } from '../../src/sandbox/fixtures/token.ts';
import { VAULT_TOKEN_AVAILABLE, ONE } from '../../src/sandbox/fixtures/world.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { SigningRefused } from '../../src/workflow/errors.ts';
import { currentTally } from '../../src/workflow/votes.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import { startWorkflowWorld, type WorkflowWorld } from '../support/workflow-world.ts';

let w: WorkflowWorld;
beforeEach(async () => {
  w = await startWorkflowWorld();
});
afterEach(async () => {
  await w.close();
});

const state = async (id: string) => (await w.store.getProposal(id))!.state;
const approveAll = async (rowId: number) => {
  for (const id of [1001, 2001, 2002]) expect(await w.press(rowId, 'approve', id)).toMatchObject({ kind: 'counted' });
};
const sql = (text: string, params: (string | number)[] = []) => w.store.sql.transaction((tx) => tx.run(text, params));

describe('approvals after a signing-time denial (finding 1)', () => {
  it('a return to awaiting-approval starts a new round: old votes do not count and the same people can approve again', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await approveAll(row.rowId);
    w.harness.setAccount(escrowAccount({ state: 'frozen' }));
    await pollOnce(w.wf); // the check before signing fails
    expect(await state(row.id)).toBe('denied');

    w.harness.setAccount(escrowAccount());
    const again = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n }); // same digest, same revision
    expect(again.state).toBe('awaiting-approval');
    expect(again.epoch).toBeGreaterThan(row.epoch);
    const tally = (await currentTally(w.wf, again))!;
    expect(tally.counted).toEqual([]);
    await approveAll(row.rowId);
    expect(await state(row.id)).toBe('approved');
    await pollOnce(w.wf);
    expect(await state(row.id)).toBe('signing');
  });
});

describe('closing a loss event (finding 2)', () => {
  it('keeps the reservation of a proposal already signing; execution compensates it', async () => {
    const event = await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await approveAll(row.rowId);
    await pollOnce(w.wf);
    expect(await state(row.id)).toBe('signing');
    await w.wf.closeLoss({ id: event.id, vault: SANDBOX.vault });
    expect((await w.store.ledgerForProposal(row.id)).map((r) => r.state)).toEqual(['reserved']);
    w.cosigner.status = { kind: 'executed', signature: 'exec' };
    await pollOnce(w.wf);
    expect((await w.store.ledgerForProposal(row.id)).map((r) => r.state)).toEqual(['compensated']);
  });

  it('releases the reservation of a proposal still awaiting approval', async () => {
    const event = await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    const { released } = await w.store.closeLossEvent(event.id);
    expect(released.map((r) => r.proposal)).toEqual([row.id]);
  });
});

describe('signing trusts the signed audit log, not the state column (finding 3)', () => {
  it('a row set to approved in the database, with forged vote rows, is not signed; the chat is alerted once and the refusal audited', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await sql(`UPDATE proposals SET state = 'approved' WHERE row_id = $1`, [row.rowId]);
    for (const [id, role] of [[1001, 'curator'], [2001, 'council'], [2002, 'council']] as const) {
      await sql(
        `INSERT INTO votes (proposal_row_id, telegram_id, name, role, vote, digest, policy_revision, epoch, at, channel) VALUES ($1, $2, 'x', $3, 'approve', $4, $5, $6, $7, 'telegram')`,
        [row.rowId, id, role, row.digest!, row.policyRevision!, row.epoch, new Date().toISOString()],
      );
    }
    expect((await currentTally(w.wf, (await w.store.getProposal(row.id))!))!.met).toBe(true); // the vote rows alone would pass
    await pollOnce(w.wf);
    await pollOnce(w.wf);
    expect(await state(row.id)).toBe('approved');
    expect(w.cosigner.sent).toEqual([]);
    expect(await w.store.latestIntent(row.id)).toBeNull();
    expect(w.alerts).toHaveLength(1);
    expect(w.alerts[0]).toMatch(/did not sign .*quorum/);
    const refused = (await w.store.auditEntries()).filter((e) => e.type === 'signing.refused');
    expect(refused).toHaveLength(1);
  });

  it('an epoch rolled back in the database does not bring old-round votes back', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await approveAll(row.rowId);
    await w.wf.invalidate(row.rowId, 'the roster changed'); // round 2
    expect((await w.store.getProposal(row.id))!.epoch).toBe(2);
    await sql(`UPDATE proposals SET state = 'approved', epoch = 1 WHERE row_id = $1`, [row.rowId]);
    await pollOnce(w.wf);
    expect(await state(row.id)).toBe('approved');
    expect(w.cosigner.sent).toEqual([]);
    expect(w.alerts.join('\n')).toMatch(/round is 1 in the database but 2 in the signed audit log/);
  });

  it('an audit entry edited in the database stops all signing', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await approveAll(row.rowId);
    await sql(`UPDATE audit_log SET payload = replace(payload, '"test"', '"evil"') WHERE seq = 1`);
    await pollOnce(w.wf);
    expect(await state(row.id)).toBe('approved');
    expect(w.cosigner.sent).toEqual([]);
    expect(w.alerts.join('\n')).toMatch(/audit log does not verify at entry 1/);
  });
});

describe('signing holds the log to its anchor (finding 4)', () => {
  it('a log cut at its tail (entries deleted in the database) signs nothing, though the chain that is left verifies', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await approveAll(row.rowId);
    const head = (await w.store.auditHead())!;
    await sql(`DELETE FROM audit_log WHERE seq > $1`, [head.seq - 3]);
    await pollOnce(w.wf);
    expect(await state(row.id)).toBe('approved');
    expect(w.cosigner.sent).toEqual([]);
    expect(w.alerts.join('\n')).toMatch(/audit log does not verify at entry \d+: .*(removed from the end|cut and rewritten)/);
  });
});

describe('a webhook cannot blind the poller (finding 5)', () => {
  it('refuses an index above the multisig’s transaction_index (404, nothing stored) and 503 when the multisig cannot be read', async () => {
    await expect(w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 18446744073709551615n })).rejects.toMatchObject({ kind: 'not-found', code: 'unknown-transaction' });
    await expect(w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 3n })).rejects.toMatchObject({ kind: 'not-found', code: 'unknown-transaction' });
    expect(await w.store.listProposals()).toEqual([]);
    w.harness.breakAccount(SANDBOX.multisig);
    await expect(w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n })).rejects.toBeInstanceOf(ChainUnavailable);
    expect(await w.store.listProposals()).toEqual([]);
  });

  it('a huge index already stored does not hide the real proposals, and a denied one is not decided again on every poll', async () => {
    await w.recordLoss();
    await w.store.insertProposal({ multisig: SANDBOX.multisig, transactionIndex: 18446744073709551615n, vault: SANDBOX.vault, mode: 'register', state: 'denied' });
    const report = await pollOnce(w.wf);
    expect(report.registered).toEqual([`${SANDBOX.multisig}:1`, `${SANDBOX.multisig}:2`]);
    const denied = (await w.store.getProposal(`${SANDBOX.multisig}:2`))!;
    expect(denied.state).toBe('denied');
    await pollOnce(w.wf);
    await pollOnce(w.wf);
    expect(await w.store.decisions(denied.rowId)).toHaveLength(1);
    w.addProposal(3n);
    expect((await pollOnce(w.wf)).registered).toEqual([`${SANDBOX.multisig}:3`]);
  });
});

describe('the reservation follows the value signed (finding 7)', () => {
  it('re-values at signing and re-reserves atomically; execution compensates the value actually signed', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    const first = (await w.store.ledgerForProposal(row.id)).reduce((s, r) => s + r.amount, 0n);
    await approveAll(row.rowId);
    w.harness.setAccount(vaultAccount({ tokenAvailable: VAULT_TOKEN_AVAILABLE + 50_000n * ONE })); // AUM up: each kToken is worth more
    await pollOnce(w.wf);
    expect(await state(row.id)).toBe('signing');
    const signed = (await w.store.latestDecision(row.rowId))!.summary!.value!;
    expect(signed).toBeGreaterThan(first);
    const reserved = (await w.store.ledgerForProposal(row.id)).filter((r) => r.state === 'reserved');
    expect(reserved.reduce((s, r) => s + r.amount, 0n)).toBe(signed);
    w.cosigner.status = { kind: 'executed', signature: 'exec' };
    await pollOnce(w.wf);
    const compensated = (await w.store.ledgerForProposal(row.id)).filter((r) => r.state === 'compensated');
    expect(compensated.reduce((s, r) => s + r.amount, 0n)).toBe(signed);
  });
});

describe('a crash between a transition and its ledger change loses nothing', () => {
  it('an executed proposal whose rows are still reserved is compensated by the next poll', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await sql(`UPDATE proposals SET state = 'executed' WHERE row_id = $1`, [row.rowId]); // the state change landed, the compensation did not
    await pollOnce(w.wf);
    expect((await w.store.ledgerForProposal(row.id)).map((r) => r.state)).toEqual(['compensated']);
  });

  it('an expired proposal whose rows are still reserved is released by the next poll', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    expect((await w.store.ledgerForProposal(row.id)).map((r) => r.state)).toEqual(['reserved']);
    await sql(`UPDATE proposals SET state = 'expired' WHERE row_id = $1`, [row.rowId]);
    await pollOnce(w.wf);
    expect((await w.store.ledgerForProposal(row.id)).map((r) => r.state)).toEqual(['released']);
  });
});

describe('a released reservation re-decides the vault’s denied proposals (finding 8)', () => {
  it('rejecting the first proposal frees the loss budget and the second is allowed, without the two locks waiting on each other', async () => {
    await w.recordLoss();
    const first = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    w.addProposal(3n);
    const second = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 3n });
    expect(second.state).toBe('denied'); // 9,820 + 9,820 > the 18,000 loss
    expect(await w.press(first.rowId, 'reject', 2001)).toMatchObject({ kind: 'counted' });
    expect(await w.press(first.rowId, 'confirm-reject', 2001)).toMatchObject({ kind: 'counted' });
    expect(await state(first.id)).toBe('rejected');
    expect(await state(second.id)).toBe('awaiting-approval');
    expect((await w.store.ledgerForProposal(second.id)).map((r) => r.state)).toEqual(['reserved']);
  });
});

describe('a co-signer refusal (e.g. the pre-sign simulation) at signing', () => {
  it('signs nothing, keeps the proposal approved, alerts the chat once per reason and audits why', async () => {
    await w.recordLoss();
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await approveAll(row.rowId);
    w.cosigner.prepareApproval = async () => {
      throw new SigningRefused(row.id, 'the pre-sign simulation differs from the decision: escrow +9 instead of +10');
    };
    await pollOnce(w.wf);
    await pollOnce(w.wf);
    expect(await state(row.id)).toBe('approved');
    expect(await w.store.latestIntent(row.id)).toBeNull();
    expect(w.alerts).toEqual([expect.stringMatching(/did not sign .*: the pre-sign simulation differs from the decision: escrow \+9 instead of \+10\. Nothing was sent/)]);
    expect((await w.store.auditEntries()).filter((e) => e.type === 'signing.refused')).toHaveLength(1);
  });
});
