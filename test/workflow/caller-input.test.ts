/**
 * The caller's inputs the workflow sends to the chain are checked at its boundary (docs/api.md "bad input
 * never yields a 5xx"): a malformed one is an `invalid-input` refusal naming it, nothing is stored,
 * and neither the RPC nor the encoders see it. The HTTP schemas check the same fields first; these
 * are the in-process callers (the sandbox, the bot, tools).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PENDING_AMOUNT, sandboxLoss, SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { WorkflowRefusal } from '../../src/workflow/errors.ts';
import { startWorkflowWorld, type WorkflowWorld } from '../support/workflow-world.ts';

const U64_MAX = 2n ** 64n - 1n;

let w: WorkflowWorld;
beforeEach(async () => {
  w = await startWorkflowWorld();
});
afterEach(async () => {
  await w.close();
});

const refusedFor = (input: string) => ({ kind: 'invalid-input', code: 'invalid-value', input, message: expect.stringMatching(new RegExp(`^${input} must be`)) });

const rpcRequests = (): number => [...w.harness.requestCount.values()].reduce((a, b) => a + b, 0);

/** Runs `act`, expects it refused for `input`, and checks the RPC was not asked and nothing was written. */
async function refusedUnchanged(act: () => Promise<unknown>, input: string): Promise<void> {
  const head = await w.store.auditHead();
  const requests = rpcRequests();
  const err = await act().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowRefusal);
  expect(err).toMatchObject(refusedFor(input));
  expect(rpcRequests()).toBe(requests);
  expect(await w.store.auditHead()).toEqual(head);
  expect(await w.store.listProposals()).toEqual([]);
}

describe('recording a loss', () => {
  const loss = { vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: sandboxLoss().event.signature, vaultLoss: SANDBOX_VAULT_LOSS, recordedBy: 'test' };

  it('refuses a signature that is not a transaction signature, before asking the chain', async () => {
    await refusedUnchanged(() => w.wf.recordLoss({ ...loss, signature: 'not-a-signature' }), 'signature');
    await refusedUnchanged(() => w.wf.recordLoss({ ...loss, signature: '1'.repeat(88) }), 'signature');
    expect(await w.store.listLossEvents()).toEqual([]);
  });

  it('refuses a reserve that is not an address', async () => {
    await refusedUnchanged(() => w.wf.recordLoss({ ...loss, reserve: 'not-an-address' as typeof loss.reserve }), 'reserve');
    expect(await w.store.listLossEvents()).toEqual([]);
  });

  it('refuses a vault loss below 1 or above a u64 (a negative one would be stored as a negative loss)', async () => {
    await refusedUnchanged(() => w.wf.recordLoss({ ...loss, vaultLoss: -5n }), 'vaultLoss');
    await refusedUnchanged(() => w.wf.recordLoss({ ...loss, vaultLoss: 0n }), 'vaultLoss');
    await refusedUnchanged(() => w.wf.recordLoss({ ...loss, vaultLoss: U64_MAX + 1n }), 'vaultLoss');
    expect(await w.store.listLossEvents()).toEqual([]);
    await expect(w.wf.recordLoss(loss)).resolves.toMatchObject({ vaultLoss: SANDBOX_VAULT_LOSS });
    expect(rpcRequests()).toBeGreaterThan(0); // the counter counts: a valid loss is read from the chain
  });
});

describe('registering and creating proposals', () => {
  it('refuses a transaction index outside a u64', async () => {
    await refusedUnchanged(() => w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: -1n }), 'transactionIndex');
    await refusedUnchanged(() => w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: U64_MAX + 1n }), 'transactionIndex');
  });

  it('refuses an amount above a u64; an amount of 0 stays bad-amount', async () => {
    const event = await w.recordLoss();
    const create = { vault: SANDBOX.vault, lossEventId: event.id, escrow: SANDBOX.escrow };
    await refusedUnchanged(() => w.wf.createProposal({ ...create, amount: U64_MAX + 1n }), 'amount');
    await expect(w.wf.createProposal({ ...create, amount: 0n })).rejects.toMatchObject({ code: 'bad-amount', message: 'amount must be above 0' });
    expect(PENDING_AMOUNT).toBeLessThan(U64_MAX);
  });
});
