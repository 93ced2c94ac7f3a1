/**
 * The real co-signer in recorded mode (what CI has): the harness validates and records what is
 * sent, never imitates the Squads program. docs/flow.md steps 6–7 and the docs/rules.md#what-is-denied cases about signing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublicKey } from '@solana/web3.js';
import * as multisigSdk from '@sqds/multisig';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { proposalPdaOf, transactionPdaOf } from '../../src/chain/pda.ts';
import { CosignRefused } from '../../src/cosign/errors.ts';
import { ChainCoSigner, REJECT_MEMO } from '../../src/cosign/cosigner.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { PENDING_AMOUNT } from '../../src/sandbox/fixtures/scenario.ts';
import { proposalAccount, vaultTransactionAccount, withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { escrowAccount } from '../../src/sandbox/fixtures/token.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import {
  approvedProposal, assemble, COSIGNER, COSIGNER_KEYPAIR, decodeSent, ed25519Verifies, FEE_PAYER, loadedPolicy, MemoryLog, press, recordLoss, seedChain, type World,
} from './support.ts';

const { generated } = multisigSdk;
const disc = (d: number[] | Uint8Array) => Buffer.from(d).toString('hex');
const APPROVE = disc(generated.proposalApproveInstructionDiscriminator);
const EXECUTE = disc(generated.vaultTransactionExecuteInstructionDiscriminator);
const REJECT = disc(generated.proposalRejectInstructionDiscriminator);
const head = (data: Uint8Array) => Buffer.from(data.subarray(0, 8)).toString('hex');

let harness: Harness;
let w: World;
/** The co-signer's backoff clock (ms). */
let ms = 0;

async function setup(o: { policy?: ReturnType<typeof loadedPolicy> } = {}) {
  harness = await startHarness();
  seedChain(harness);
  ms = 1_000_000;
  w = await assemble({ rpcUrl: harness.url, database: join(mkdtempSync(join(tmpdir(), 'backstop-cosign-')), 'b.db'), cosignerNow: () => ms, ...o });
}
afterEach(async () => {
  await w?.store.close();
  await harness?.close();
});

const stateOf = async (rowId: number) => (await w.store.getProposalByRowId(rowId))!.state;

describe('co-sign last: approve and execute in one transaction', () => {
  beforeEach(() => setup());

  it('sends proposal_approve + vault_transaction_execute for the right multisig, index and member, memo = decision id, validly signed', async () => {
    const rowId = await approvedProposal(w);
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('signing');
    const recorded = harness.recordedTransactions();
    expect(recorded).toHaveLength(1);
    const sent = decodeSent(recorded[0]!.bytes);
    expect(sent.signers).toEqual([FEE_PAYER.address, SANDBOX.cosigner]); // fee payer first

    expect(sent.instructions.map((i) => [i.program, head(i.data)])).toEqual([[PROGRAMS.squads, APPROVE], [PROGRAMS.squads, EXECUTE]]);
    const [approve, execute] = sent.instructions as [typeof sent.instructions[0], typeof sent.instructions[0]];
    const decision = (await w.store.latestDecision(rowId))!.decision;
    const [args] = generated.proposalApproveStruct.deserialize(Buffer.from(approve.data));
    expect(args.args.memo).toBe(decision.id);
    expect(approve.accounts).toEqual([SANDBOX.multisig, SANDBOX.cosigner, proposalPdaOf(SANDBOX.multisig, 1n)]);
    expect(execute.accounts.slice(0, 4)).toEqual([SANDBOX.multisig, proposalPdaOf(SANDBOX.multisig, 1n), transactionPdaOf(SANDBOX.multisig, 1n), SANDBOX.cosigner]);
    // The remaining accounts are the vault transaction's: the farm, its vault, the escrow, and the vault PDA (never a signer).
    for (const a of [SANDBOX.vaultPda, SANDBOX.farm, SANDBOX.farmVault, SANDBOX.vaultPdaSharesAta, SANDBOX.escrow, PROGRAMS.farms, PROGRAMS.token]) {
      expect(execute.accounts).toContain(a);
    }

    const cosignerAt = sent.keys.indexOf(SANDBOX.cosigner);
    expect(ed25519Verifies(COSIGNER_KEYPAIR.publicKeyBytes, sent.message, sent.signatures[cosignerAt]!)).toBe(true);
    const tampered = Uint8Array.from(sent.message);
    tampered[tampered.length - 1]! ^= 1;
    expect(ed25519Verifies(COSIGNER_KEYPAIR.publicKeyBytes, tampered, sent.signatures[cosignerAt]!)).toBe(false);

    const intent = (await w.store.latestIntent(`${SANDBOX.multisig}:1`))!;
    expect(intent.kind).toBe('approve-execute');
    expect(intent.signature).toBe(recorded[0]!.signature);
    expect(Buffer.from(intent.transaction).equals(Buffer.from(recorded[0]!.bytes))).toBe(true);
    expect(intent.status).toBe('recorded'); // recorded, not executed
    expect(w.log.lines.some((l) => l.msg.includes('recorded, not executed'))).toBe(true);
  });

  it('recorded, not executed, stays pending: the same bytes are resent with backoff, nothing new is signed', async () => {
    const rowId = await approvedProposal(w);
    await pollOnce(w.wf);
    const sends = () => harness.requestCount.get('sendTransaction') ?? 0;
    const first = sends();
    await pollOnce(w.wf); // within the 2 s backoff: not resent
    expect(sends()).toBe(first);
    ms += 2_000;
    await pollOnce(w.wf);
    expect(sends()).toBe(first + 1);
    ms += 2_000; // the backoff doubled to 4 s
    await pollOnce(w.wf);
    expect(sends()).toBe(first + 1);
    ms += 2_000;
    await pollOnce(w.wf);
    expect(sends()).toBe(first + 2);
    expect(await stateOf(rowId)).toBe('signing');
    expect(new Set(harness.recordedTransactions().map((t) => t.signature)).size).toBe(1);
  });

  it('once the blockhash provably expired with no co-signer vote, a new approval is signed — and only then', async () => {
    const rowId = await approvedProposal(w);
    await pollOnce(w.wf);
    await pollOnce(w.wf);
    expect(harness.recordedTransactions()).toHaveLength(1);
    harness.expireBlockhash();
    await pollOnce(w.wf);
    const sigs = harness.recordedTransactions().map((t) => t.signature);
    expect(sigs).toHaveLength(2);
    expect(sigs[0]).not.toBe(sigs[1]);
    expect(await stateOf(rowId)).toBe('signing');
    await pollOnce(w.wf);
    expect(harness.recordedTransactions()).toHaveLength(2);
  });

  it('signed → executed when the chain shows the proposal Executed; the escrow receipt is checked', async () => {
    const rowId = await approvedProposal(w);
    await pollOnce(w.wf);
    // Stand in for the program: the proposal executed and the escrow received the transfer.
    harness.setAccount(proposalAccount({ index: 1n, status: 'Executed', approved: [SANDBOX.curator, SANDBOX.cosigner] }));
    harness.setAccount(escrowAccount({ amount: PENDING_AMOUNT }));
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('executed');
    const check = (await w.store.auditEntries()).find((e) => e.type === 'cosign.escrow-check');
    expect(check?.payload).toMatchObject({ destination: SANDBOX.escrow, expected: PENDING_AMOUNT.toString(), received: PENDING_AMOUNT.toString(), ok: true });
  });

  it('does not resend once the co-signer’s vote is on-chain (approved, not executed → signed)', async () => {
    const rowId = await approvedProposal(w);
    await pollOnce(w.wf);
    const sends = harness.requestCount.get('sendTransaction') ?? 0;
    harness.setAccount(proposalAccount({ index: 1n, status: 'Approved', approved: [SANDBOX.curator, SANDBOX.cosigner] }));
    const intent = (await w.store.latestIntent(`${SANDBOX.multisig}:1`))!;
    ms += 60_000; // past any backoff: only the on-chain vote can stop the resend
    await w.cosigner.send(intent);
    expect(w.log.lines.some((l) => l.msg.includes('already on-chain'))).toBe(true);
    expect(harness.requestCount.get('sendTransaction') ?? 0).toBe(sends);
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('signed');
  });
});

describe('co-sign last: without execution', () => {
  it('execution.execute false: only proposal_approve', async () => {
    await setup({ policy: loadedPolicy((t) => t.replace('execute: true ', 'execute: false')) });
    await approvedProposal(w);
    await pollOnce(w.wf);
    const sent = decodeSent(harness.recordedTransactions()[0]!.bytes);
    expect(sent.instructions.map((i) => head(i.data))).toEqual([APPROVE]);
    expect((await w.store.latestIntent(`${SANDBOX.multisig}:1`))!.kind).toBe('approve');
  });

  it('the co-signer pays fees when no fee payer is given', async () => {
    await setup();
    const own = new ChainCoSigner({ chain: w.chain, store: w.store, signer: COSIGNER, log: new MemoryLog(), simulation: 'skip-recorded-mode' });
    const rowId = await approvedProposal(w);
    const row = (await w.store.getProposalByRowId(rowId))!;
    const { decision, summary } = (await w.store.latestDecision(rowId))!;
    const intent = await own.prepareApproval({ row, policy: loadedPolicy(), decision, summary: summary! });
    expect(decodeSent(intent.transaction).signers).toEqual([SANDBOX.cosigner]);
    expect(harness.recordedTransactions()).toHaveLength(0); // prepare never sends
  });
});

describe('nothing is signed', () => {
  beforeEach(() => setup());
  const nothingSigned = async () => {
    expect(harness.recordedTransactions()).toEqual([]);
    expect(await w.store.latestIntent(`${SANDBOX.multisig}:1`)).toBeNull();
  };

  it('when the digest changed after approval (the VaultTransaction was swapped)', async () => {
    const rowId = await approvedProposal(w);
    harness.setAccount(vaultTransactionAccount({ index: 1n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT - 1n }) }));
    await pollOnce(w.wf);
    // Approvals voided (invalidated, new epoch) and re-decided on the same row: the humans must approve again.
    const row = (await w.store.getProposalByRowId(rowId))!;
    expect((await w.store.transitions(rowId)).map((t) => t.to)).toContain('invalidated');
    expect(row.epoch).toBe(2);
    expect(row.state).toBe('awaiting-approval');
    await nothingSigned();
  });

  it('when the policy revision changed after approval', async () => {
    const rowId = await approvedProposal(w);
    (w.policies as unknown as { current: unknown }).current = [loadedPolicy((t) => t.replace('remindEvery: 2h', 'remindEvery: 3h'))];
    await pollOnce(w.wf);
    // Approvals voided (invalidated, new epoch) and re-decided on the same row: the humans must approve again.
    const row = (await w.store.getProposalByRowId(rowId))!;
    expect((await w.store.transitions(rowId)).map((t) => t.to)).toContain('invalidated');
    expect(row.epoch).toBe(2);
    expect(row.state).toBe('awaiting-approval');
    await nothingSigned();
  });

  it('while a Reject hold is active', async () => {
    await recordLoss(w.wf);
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await press(w, row.rowId, 'approve', 1001);
    await press(w, row.rowId, 'approve', 2001);
    expect((await press(w, row.rowId, 'reject', 2003)).kind).toBe('counted');
    await press(w, row.rowId, 'approve', 2002);
    await pollOnce(w.wf);
    expect(await stateOf(row.rowId)).toBe('approved');
    await nothingSigned();
  });

  it('when RPC fails at signing time (getMultipleAccounts), and signs once it is back', async () => {
    const rowId = await approvedProposal(w);
    harness.faults.set('getMultipleAccounts', { httpStatus: 500 });
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('approved');
    await nothingSigned();
    harness.faults.clear();
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('signing');
    expect(harness.recordedTransactions()).toHaveLength(1);
  });

  it('when RPC fails at signing time (getLatestBlockhash)', async () => {
    const rowId = await approvedProposal(w);
    harness.faults.set('getLatestBlockhash', { httpStatus: 500 });
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('approved');
    await nothingSigned();
  });

  it('when the decision handed to the co-signer is not the approved one (digest or revision)', async () => {
    const rowId = await approvedProposal(w);
    const row = (await w.store.getProposalByRowId(rowId))!;
    const { decision, summary } = (await w.store.latestDecision(rowId))!;
    await expect(w.cosigner.prepareApproval({ row, policy: loadedPolicy(), decision: { ...decision, digest: 'ff'.repeat(32) }, summary: summary! })).rejects.toBeInstanceOf(CosignRefused);
    await expect(w.cosigner.prepareApproval({ row, policy: loadedPolicy(), decision: { ...decision, policyRevision: 'ee'.repeat(32) }, summary: summary! })).rejects.toBeInstanceOf(CosignRefused);
    await nothingSigned();
  });

  it('when the co-signer already voted on-chain', async () => {
    const rowId = await approvedProposal(w);
    const row = (await w.store.getProposalByRowId(rowId))!;
    const { decision, summary } = (await w.store.latestDecision(rowId))!;
    harness.setAccount(proposalAccount({ index: 1n, approved: [SANDBOX.curator, SANDBOX.cosigner] }));
    await expect(w.cosigner.prepareApproval({ row, policy: loadedPolicy(), decision, summary: summary! })).rejects.toThrow(/already approved/);
    await nothingSigned();
  });
});

describe('reject on-chain', () => {
  beforeEach(() => setup());

  it('a confirmed roster Reject sends a decodable proposal_reject by the co-signer, stored first', async () => {
    await recordLoss(w.wf);
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    await press(w, row.rowId, 'reject', 2003);
    expect((await press(w, row.rowId, 'confirm-reject', 2003)).kind).toBe('counted');
    expect(await stateOf(row.rowId)).toBe('rejected');
    const recorded = harness.recordedTransactions();
    expect(recorded).toHaveLength(1);
    const sent = decodeSent(recorded[0]!.bytes);
    expect(sent.instructions).toHaveLength(1);
    const ix = sent.instructions[0]!;
    expect([ix.program, head(ix.data)]).toEqual([PROGRAMS.squads, REJECT]);
    expect(ix.accounts).toEqual([SANDBOX.multisig, SANDBOX.cosigner, proposalPdaOf(SANDBOX.multisig, 1n)]);
    expect(generated.proposalRejectStruct.deserialize(Buffer.from(ix.data))[0].args.memo).toBe(REJECT_MEMO);
    const cosignerAt = sent.keys.indexOf(SANDBOX.cosigner);
    expect(ed25519Verifies(new PublicKey(SANDBOX.cosigner).toBytes(), sent.message, sent.signatures[cosignerAt]!)).toBe(true);
    const intent = (await w.store.latestIntent(row.id))!;
    expect([intent.kind, intent.signature]).toEqual(['reject', recorded[0]!.signature]);
  });
});

describe('readiness', () => {
  beforeEach(() => setup());
  it('ready with a funded fee payer; not ready below 0.05 SOL', async () => {
    expect(await w.cosigner.readiness()).toMatchObject({ ok: true, feePayer: FEE_PAYER.address, lamports: 1_000_000_000n });
    const poor = new ChainCoSigner({ chain: w.chain, store: w.store, signer: COSIGNER, log: new MemoryLog() });
    expect(await poor.readiness()).toMatchObject({ ok: false, feePayer: SANDBOX.cosigner });
  });
});
