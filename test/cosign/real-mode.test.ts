/**
 * Real mode (docs/configuration.md): with `BACKSTOP_PROGRAMS_DIR` holding the Squads and Farms dumps
 * (`<program id>.so`), the same programs execute in LiteSVM. The emergency withdrawal executes and
 * the escrow holds exactly the farm's transfer; create mode makes a proposal the real Squads program
 * accepts; the pre-sign simulation is required and passes. Without the dumps these tests are skipped
 * (CI has none: binaries are never committed).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as multisigSdk from '@sqds/multisig';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeProposalAccount, decodeTransactionAccount } from '../../src/chain/accounts/squads.ts';
import { decodeTokenAccount } from '../../src/chain/accounts/spl.ts';
import { decodeProposal } from '../../src/chain/proposal.ts';
import { proposalPdaOf, transactionPdaOf } from '../../src/chain/pda.ts';
import { ChainProposalCreator } from '../../src/cosign/creator.ts';
import { farmTransfer } from '../../src/policy/valuation.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { FARM_TOTAL_STAKED, PENDING_AMOUNT } from '../../src/sandbox/fixtures/scenario.ts';
import { multisigAccount, proposalAccount } from '../../src/sandbox/fixtures/squads.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';
import { decodeFarmState } from '../../src/chain/accounts/farms.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import { approvedProposal, assemble, COSIGNER, FEE_PAYER, recordLoss, seedChain, type World } from './support.ts';

const DIR = process.env['BACKSTOP_PROGRAMS_DIR'];
const HAVE_DUMPS = DIR !== undefined && [PROGRAMS.squads, PROGRAMS.farms].every((id) => existsSync(join(DIR, `${id}.so`)));
if (!HAVE_DUMPS) console.log('real mode: not run');

let harness: Harness;
let w: World;
afterEach(async () => {
  await w?.store.close();
  await harness?.close();
});

/**
 * The program allocates a Proposal with room for every member in each vote list
 * (`Proposal::size(members)`); the SDK serializer writes it tight, so pad it like the program does.
 */
function roomyProposal(index: bigint, members = 2) {
  const a = proposalAccount({ index });
  const size = 8 + 32 + 8 + 1 + 8 + 1 + 3 * (4 + members * 32);
  const data = new Uint8Array(Math.max(size, a.data.length));
  data.set(a.data);
  return { ...a, data, lamports: 10_000_000n };
}

const balance = (address: Parameters<Harness['getAccount']>[0]) => {
  const a = harness.getAccount(address);
  return a ? decodeTokenAccount(a).amount : null;
};

async function realWorld(o: { initiate?: boolean } = {}) {
  harness = await startHarness({ programsDir: DIR! });
  expect(harness.mode).toBe('real');
  seedChain(harness);
  harness.setAccount(roomyProposal(1n));
  harness.setAccount(roomyProposal(2n));
  if (o.initiate) {
    // Create mode: the co-signer needs Initiate.
    harness.setAccount(multisigAccount({ transactionIndex: 2n, members: [{ key: SANDBOX.cosigner, mask: 7 }, { key: SANDBOX.curator, mask: 7 }] }));
  }
  w = await assemble({
    rpcUrl: harness.url,
    database: join(mkdtempSync(join(tmpdir(), 'backstop-real-')), 'b.db'),
    simulation: 'required', // the programs run here: approve+execute is simulated before it is signed
    creator: ({ store, chain, log }) => new ChainProposalCreator({ chain, store, signer: COSIGNER, feePayer: FEE_PAYER, log, pollMs: 20, confirmTimeoutMs: 10_000 }),
  });
}

describe.skipIf(!HAVE_DUMPS)('real mode: the programs execute', () => {
  it('the emergency withdrawal executes on the real programs and the escrow holds exactly the farm’s transfer', async () => {
    await realWorld();
    const farm = decodeFarmState(harness.getAccount(SANDBOX.farm)!);
    const expected = farmTransfer(PENDING_AMOUNT, farm.totalStakedAmount, farm.totalPendingAmount).transfer;
    const escrowBefore = balance(SANDBOX.escrow)!;
    const rowId = await approvedProposal(w);
    await pollOnce(w.wf); // sign + send: approve and execute land together
    await pollOnce(w.wf); // confirmation polled
    expect((await w.store.getProposalByRowId(rowId))!.state).toBe('executed');
    expect(harness.recordedTransactions()).toEqual([]); // executed, not recorded
    const proposal = decodeProposalAccount(harness.getAccount(proposalPdaOf(SANDBOX.multisig, 1n))!);
    expect(proposal.status.kind).toBe('Executed');
    expect(proposal.approved).toContain(SANDBOX.cosigner);
    expect(balance(SANDBOX.escrow)! - escrowBefore).toBe(expected);
    expect(balance(SANDBOX.farmVault)).toBe(FARM_TOTAL_STAKED - expected + farm.totalPendingAmount);
    const check = (await w.store.auditEntries()).find((e) => e.type === 'cosign.escrow-check');
    expect(check?.payload).toMatchObject({ destination: SANDBOX.escrow, ok: true });
    // The pre-sign simulation of the same message showed exactly the decided deltas.
    const simulation = (await w.store.auditEntries()).find((e) => e.type === 'simulation');
    expect(simulation?.payload).toMatchObject({ outcome: 'passed', expected: { escrow: SANDBOX.escrow, farmVault: SANDBOX.farmVault, amount: expected.toString() } });
  });

  it('create mode creates a proposal the real Squads program accepts, of exactly the allowed shape', async () => {
    await realWorld({ initiate: true });
    const event = await recordLoss(w.wf);
    const row = await w.wf.createProposal({ vault: SANDBOX.vault, lossEventId: event.id, amount: PENDING_AMOUNT, escrow: SANDBOX.escrow });
    expect(row.transactionIndex).toBe(3n);
    expect(row.mode).toBe('create');
    const tx = decodeTransactionAccount(harness.getAccount(transactionPdaOf(SANDBOX.multisig, 3n))!);
    expect(tx.type).toBe('vault');
    const proposal = decodeProposalAccount(harness.getAccount(proposalPdaOf(SANDBOX.multisig, 3n))!);
    expect(proposal.status.kind).toBe('Active');
    const decoded = await decodeProposal(w.chain, SANDBOX.multisig, 3n);
    expect(decoded.message!.instructions.map((i) => i.kind)).toEqual(['farms-withdraw-from-farm-vault', 'token-transfer-checked']);
    // The policy engine allows what backstop created (multisig-config sees the co-signer may initiate).
    expect(row.state).toBe('awaiting-approval');
    expect(multisigSdk.PROGRAM_ID.toBase58()).toBe(PROGRAMS.squads);
  });
});
