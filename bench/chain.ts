import { decodeProposal } from '../src/chain/proposal.ts';
import { ChainReader } from '../src/chain/reader.ts';
import type { AccountData } from '../src/chain/types.ts';
import { decide } from '../src/policy/engine.ts';
import { gatherFacts, MemoryLossRecords } from '../src/policy/gather.ts';
import { startHarness } from '../src/sandbox/harness/index.ts';
import { lookupTableAccount, toWeb3LookupTable } from '../src/sandbox/fixtures/lookup-table.ts';
import { examplePolicy, PENDING_AMOUNT, proposalAccounts, sandboxLoss, worldAccounts } from '../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../src/sandbox/fixtures/squads.ts';
import { SANDBOX } from '../src/sandbox/seeds.ts';
import type { BenchRow } from './run.ts';
import { ms, timeIt } from './stats.ts';

export async function chainBench(): Promise<BenchRow[]> {
  const harness = await startHarness();
  try {
    const put = (a: AccountData) => harness.setAccount(a);
    worldAccounts().forEach(put);
    proposalAccounts({ index: 1n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) }).forEach(put);
    const table = lookupTableAccount({ addresses: [SANDBOX.escrow] });
    put(table);
    proposalAccounts({ index: 2n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }), lookupTables: [toWeb3LookupTable(table)] }).forEach(put);

    const reader = new ChainReader({ rpcUrl: harness.url });
    const policy = examplePolicy();
    const loss = sandboxLoss();
    const records = new MemoryLossRecords([loss.event], [], new Map([[loss.transaction.signature, loss.transaction.stored]]));
    const rows: BenchRow[] = [];

    for (const [label, index] of [['static keys', 1n], ['with a lookup table', 2n]] as const) {
      let before = reader.roundTrips;
      await decodeProposal(reader, SANDBOX.multisig, index);
      const decodeTrips = reader.roundTrips - before;
      before = reader.roundTrips;
      await gatherFacts({ source: reader, ref: { multisig: SANDBOX.multisig, transactionIndex: index }, policy, records });
      const gatherTrips = reader.roundTrips - before;
      const decodeTime = await timeIt(() => decodeProposal(reader, SANDBOX.multisig, index), 200);
      const endToEnd = await timeIt(async () => {
        const facts = await gatherFacts({ source: reader, ref: { multisig: SANDBOX.multisig, transactionIndex: index }, policy, records });
        return decide(facts, policy, new Date());
      }, 200);
      rows.push(
        { name: `decodeProposal round trips (${label})`, value: String(decodeTrips) },
        { name: `decision reads: round trips after the proposal (${label})`, value: String(gatherTrips - 1), goal: '≤ 2', ok: gatherTrips - 1 <= 2 },
        { name: `decodeProposal time, median (${label})`, value: ms(decodeTime.median) },
        { name: `inspect end to end (read + decide), median (${label})`, value: ms(endToEnd.median) },
      );
    }
    return rows;
  } finally {
    await harness.close();
  }
}
