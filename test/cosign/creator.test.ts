/**
 * Create mode in recorded mode (docs/configuration.md): the Squads program is not executable on the chain, so
 * backstop answers 503 `programs-unavailable` and creates, signs and sends nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChainProposalCreator } from '../../src/cosign/creator.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { PENDING_AMOUNT } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { assemble, COSIGNER, FEE_PAYER, recordLoss, seedChain, type World } from './support.ts';

let harness: Harness;
let w: World;
afterEach(async () => {
  await w?.store.close();
  await harness?.close();
});

describe('create mode', () => {
  it('answers 503 programs-unavailable in recorded mode, and sends nothing', async () => {
    harness = await startHarness();
    seedChain(harness);
    w = await assemble({
      rpcUrl: harness.url,
      database: join(mkdtempSync(join(tmpdir(), 'backstop-create-')), 'b.db'),
      creator: ({ store, chain, log }) => new ChainProposalCreator({ chain, store, signer: COSIGNER, feePayer: FEE_PAYER, log }),
    });
    const event = await recordLoss(w.wf);
    await expect(w.wf.createProposal({ vault: SANDBOX.vault, lossEventId: event.id, amount: PENDING_AMOUNT, escrow: SANDBOX.escrow })).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'programs-unavailable',
    });
    expect(harness.recordedTransactions()).toEqual([]);
    expect(await w.store.latestIntent(`${SANDBOX.multisig}:3`)).toBeNull();
    expect((await w.store.listProposals()).length).toBe(0);
  });
});
