/**
 * `backstop inspect` against the LiteSVM harness over HTTP, for each proposal shape, and snapshots
 * it writes replaying to identical decisions with `backstop evaluate` (docs/rules.md#snapshots-replaying-a-decision).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountData } from '../../src/chain/types.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { lookupTableAccount, toWeb3LookupTable } from '../../src/sandbox/fixtures/lookup-table.ts';
import { sandboxLoss, worldAccounts, PENDING_AMOUNT } from '../../src/sandbox/fixtures/scenario.ts';
import { batchAccount, configTransactionAccount, multisigAccount, proposalAccount, vaultTransactionAccount, withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { ONE } from '../../src/sandbox/fixtures/world.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { backstop } from '../support/cli.ts';

let harness: Harness;
const dir = mkdtempSync(join(tmpdir(), 'backstop-inspect-'));
const loss = sandboxLoss();

// Index → what is at it. 1 pays the escrow; 2 pays a non-escrow account; 3 Config; 4 Batch;
// 5 hides the escrow in a lookup table whose index 1 is missing; 6 is not a Squads account; 7 is absent;
// 8 withdraws too much for the loss (amount-within-loss); 9 is above maxPerProposal of a strict policy.
function seed(h: Harness) {
  const put = (a: AccountData) => h.setAccount(a);
  worldAccounts().forEach(put);
  put(multisigAccount({ transactionIndex: 9n }));
  const tx = (index: bigint, instructions = withdrawalInstructions({ amount: PENDING_AMOUNT }), lookupTables?: Parameters<typeof vaultTransactionAccount>[0]['lookupTables']) => {
    put(vaultTransactionAccount({ index, instructions, ...(lookupTables ? { lookupTables } : {}) }));
    put(proposalAccount({ index }));
  };
  tx(1n);
  tx(2n, withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }));
  put(configTransactionAccount({ index: 3n }));
  put(proposalAccount({ index: 3n }));
  put(batchAccount({ index: 4n }));
  put(proposalAccount({ index: 4n }));
  const table = lookupTableAccount({ addresses: [SANDBOX.outsider, SANDBOX.escrow] });
  tx(5n, withdrawalInstructions({ amount: PENDING_AMOUNT }), [toWeb3LookupTable(table)]);
  put(lookupTableAccount({ addresses: [SANDBOX.outsider], address: table.address })); // index 1 gone
  const six = vaultTransactionAccount({ index: 6n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) });
  put({ ...six, owner: SANDBOX.outsider });
  tx(8n, withdrawalInstructions({ amount: 20_000n * ONE }));
  tx(9n);
  h.addTransaction(loss.transaction.signature, (loss.transaction.stored as { result: unknown }).result);
}

const lossFile = join(dir, 'losses.json');
const strictPolicy = join(dir, 'strict.yaml');

beforeAll(async () => {
  harness = await startHarness();
  seed(harness);
  const e = loss.event;
  writeFileSync(lossFile, JSON.stringify({
    lossEvents: [{ id: e.id, vault: e.vault, reserve: e.reserve, signature: e.signature, vaultLoss: e.vaultLoss.toString(), state: 'open',
      evidence: { vaultCTokens: e.evidence.vaultCTokens.toString(), reserveCTokenSupply: e.evidence.reserveCTokenSupply.toString(), readAtSlot: e.evidence.readAtSlot.toString() } }],
    ledger: [],
  }));
  const { readFileSync } = await import('node:fs');
  writeFileSync(strictPolicy, readFileSync('policies/example.yaml', 'utf8').replace('maxPerProposal: "250000"', 'maxPerProposal: "5000"'));
});
afterAll(() => harness.close());

const inspect = (index: number | string, ...rest: string[]) =>
  backstop(['inspect', '--rpc', harness.url, '--multisig', SANDBOX.multisig, '--index', String(index), ...rest]);

describe('backstop inspect (decode only)', () => {
  it('decodes the pending proposal with decimals and its digest (exit 0)', async () => {
    const r = await inspect(1);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/withdraw_from_farm_vault 10000 \(10000000000 base units\) kTokens/);
    expect(r.stdout).toMatch(/transferChecked 10000 .* to 4nBVUVvK1eLEJL2agHPcPPbyopP9ZVGBvQvwBQCnFAFH/);
    expect(r.stdout).toMatch(/digest\s+[0-9a-f]{64}/);
  });
  it('prints JSON with --json', async () => {
    const r = await inspect(2, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.recognised).toBe(true);
    expect(j.proposal.message.instructions[1].destination).toBe(SANDBOX.outsiderSharesAta);
    expect(j.proposal.digest).toMatch(/^[0-9a-f]{64}$/);
  });
  it('names a Config transaction and a Batch (exit 0)', async () => {
    const [c, b] = await Promise.all([inspect(3), inspect(4)]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/ConfigTransaction: ChangeThreshold/);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/Batch of 1/);
  });
  it('exits 2 naming the problem: lookup index missing, not a Squads account, absent, RPC unreachable', async () => {
    const [alt, owner, absent, down] = await Promise.all([
      inspect(5),
      inspect(6),
      inspect(7),
      backstop(['inspect', '--rpc', 'http://127.0.0.1:9', '--multisig', SANDBOX.multisig, '--index', '1']),
    ]);
    expect(alt.code).toBe(2);
    expect(alt.stderr).toMatch(/has no index 1/);
    expect(owner.code).toBe(2);
    expect(owner.stderr).toMatch(/owned by/);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/no transaction account/);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/could not be read/);
  }, 60_000);
  it('exits 2 on bad arguments', async () => {
    expect((await backstop(['inspect', '--rpc', harness.url, '--multisig', 'nope', '--index', '1'])).code).toBe(2);
    expect((await backstop(['inspect', '--rpc', harness.url])).code).toBe(2);
  });
});

describe('backstop inspect --policy: decisions and snapshots that replay', () => {
  const cases: [string, number, string, number, string | null][] = [
    ['allowed', 1, 'policies/example.yaml', 0, null],
    ['denied by destination-escrow', 2, 'policies/example.yaml', 1, 'destination-escrow'],
    ['denied by amount-within-loss', 8, 'policies/example.yaml', 1, 'amount-within-loss'],
    ['denied by limits', 9, 'STRICT', 1, 'limits'],
  ];
  for (const [name, index, policy, code, failing] of cases) {
    it(`${name}: inspect decides, evaluate replays the same id`, async () => {
      const snap = join(dir, `snap-${index}.json`);
      const r = await inspect(index, '--policy', policy === 'STRICT' ? strictPolicy : policy, '--loss-events', lossFile, '--json', '--snapshot', snap);
      expect(r.code, r.stderr).toBe(code);
      const live = JSON.parse(r.stdout);
      if (failing) expect(live.rules.find((x: { id: string }) => x.id === failing).outcome).toBe('fail');
      const replay = await backstop(['evaluate', '--snapshot', snap, '--json']);
      expect(replay.code).toBe(code);
      expect(JSON.parse(replay.stdout)).toEqual(live);
    });
  }
  it('denied by loss-event when there is no open loss event', async () => {
    const none = join(dir, 'none.json');
    writeFileSync(none, JSON.stringify({ lossEvents: [], ledger: [] }));
    const snap = join(dir, 'snap-none.json');
    const r = await inspect(1, '--policy', 'policies/example.yaml', '--loss-events', none, '--json', '--snapshot', snap);
    expect(r.code).toBe(1);
    const live = JSON.parse(r.stdout);
    expect(live.rules.find((x: { id: string }) => x.id === 'loss-event').outcome).toBe('fail');
    const replay = await backstop(['evaluate', '--snapshot', snap, '--json']);
    expect(JSON.parse(replay.stdout).id).toBe(live.id);
  });
});

describe('backstop inspect --policy --database: loss events and ledger from the store', () => {
  it('decides from a store that holds the loss event; refuses an absent store (exit 2)', async () => {
    const { openStore } = await import('../../src/store/open.ts');
    const { Ed25519Keypair } = await import('../../src/store/keys.ts');
    const { SANDBOX_VAULT_LOSS } = await import('../../src/sandbox/fixtures/scenario.ts');
    const database = join(dir, 'inspect.db');
    const store = await openStore({ database, auditKey: Ed25519Keypair.generate() });
    const e = loss.event;
    await store.recordLossEvent({
      vault: e.vault, reserve: e.reserve, signature: e.signature, vaultLoss: e.vaultLoss, evidence: e.evidence, recordedLoss: SANDBOX_VAULT_LOSS,
      forgiven: 1_000_000_000_000n, blockTime: 1_764_400_000, slot: 312_000_000n, transaction: (loss.transaction.stored as unknown as { result: never }).result, recordedBy: 'test',
    });
    await store.close();
    const r = await inspect(1, '--policy', 'policies/example.yaml', '--database', database, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).allowed).toBe(true);
    const missing = await inspect(1, '--policy', 'policies/example.yaml', '--database', join(dir, 'absent.db'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot open the store/);
  });
});
