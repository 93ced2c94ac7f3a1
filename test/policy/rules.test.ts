/**
 * The nine rules on real-format bytes (docs/rules.md, docs/rules.md#what-is-denied): each case changes one thing in the sandbox
 * world and names the rule that must deny it. Legitimate variants must still be allowed.
 */
import { describe, expect, it } from 'vitest';
import { address, type Address } from '@solana/kit';
import { Keypair, PublicKey, SystemProgram, TransactionInstruction } from '@solana/web3.js';
import {
  createApproveInstruction,
  createCloseAccountInstruction,
  createSetAuthorityInstruction,
  AuthorityType,
  createTransferCheckedInstruction,
  createAssociatedTokenAccountIdempotentInstruction,
  TOKEN_2022_PROGRAM_ID,
} from '@solana/spl-token';
import { ComputeBudgetProgram } from '@solana/web3.js';
import * as multisigSdk from '@sqds/multisig';
import { decide } from '../../src/policy/engine.ts';
import type { Decision } from '../../src/policy/decision.ts';
import type { LedgerRow } from '../../src/policy/facts.ts';
import { RULE_IDS } from '../../src/policy/rules/index.ts';
import {
  DENIED_INDEX,
  PENDING_AMOUNT,
  PENDING_INDEX,
  SANDBOX_LOSS_EVENT_ID,
  SANDBOX_VAULT_LOSS,
  SCENARIO_NOW,
  examplePolicy,
  sandboxLoss,
  scenarioFacts,
  type ScenarioOptions,
} from '../../src/sandbox/fixtures/scenario.ts';
import { farmAccount } from '../../src/sandbox/fixtures/farm.ts';
import { vaultAccount, worldAllocation } from '../../src/sandbox/fixtures/kvault.ts';
import { lookupTableAccount, toWeb3LookupTable } from '../../src/sandbox/fixtures/lookup-table.ts';
import { configTransactionAccount, batchAccount, multisigAccount, proposalAccount, vaultTransactionAccount, withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { escrowAccount, extension, sharesMintAccount } from '../../src/sandbox/fixtures/token.ts';
import { FARM_TOTAL_STAKED, ONE } from '../../src/sandbox/fixtures/world.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import type { Policy } from '../../src/policy/schema.ts';

const pk = (a: string) => new PublicKey(a);
const VALUE_OF_PENDING = 9_820n * ONE; // 10,000 kTokens × 0.982
const stranger = (name: string): Address => address(Keypair.fromSeed(Buffer.alloc(32, name.length + 7)).publicKey.toBase58());

function run(o: ScenarioOptions = {}, policy: Policy = examplePolicy()): Decision {
  return decide(scenarioFacts(o), policy, SCENARIO_NOW).decision;
}
function rule(d: Decision, id: string) {
  const r = d.rules.find((x) => x.id === id);
  if (!r) throw new Error(`rule ${id} missing`);
  return r;
}
/** Asserts the decision is denied and `id` has `outcome`. */
function expectDenied(d: Decision, id: string, outcome: 'fail' | 'unknown' = 'fail', reason?: RegExp) {
  expect(d.allowed).toBe(false);
  const r = rule(d, id);
  expect(r.outcome, `${id}: ${r.reason}`).toBe(outcome);
  if (reason) expect(r.reason).toMatch(reason);
}
const reserved = (amount: bigint, extra: Partial<LedgerRow> = {}): LedgerRow => ({
  lossEventId: SANDBOX_LOSS_EVENT_ID,
  proposal: `${SANDBOX.multisig}:99`,
  amount,
  state: 'reserved',
  at: new Date('2026-11-29T10:00:00Z'),
  ...extra,
});
const withIxs = (instructions: TransactionInstruction[], o: ScenarioOptions = {}) => run({ ...o, instructions });
const base = () => withdrawalInstructions({ amount: PENDING_AMOUNT });

describe('decision', () => {
  it('allows the sandbox pending proposal with all nine rules passing, in table order', () => {
    const d = run();
    expect(d.rules.map((r) => r.id)).toEqual([
      'proposal-account', 'multisig-config', 'instruction-allowlist', 'lookup-tables', 'farm-binding',
      'loss-event', 'amount-within-loss', 'destination-escrow', 'limits',
    ]);
    expect(RULE_IDS).toHaveLength(9);
    for (const r of d.rules) expect(r.outcome, `${r.id}: ${r.reason}`).toBe('pass');
    expect(d.allowed).toBe(true);
    expect(d.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(d.decidedAt).toBe('2026-11-30T12:00:00.000Z');
    expect(d.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is deterministic: the same inputs give the same id', () => {
    expect(run().id).toBe(run().id);
  });

  it('reports bigint facts as decimal strings', () => {
    expect(rule(run(), 'amount-within-loss').facts['value']).toBe(VALUE_OF_PENDING.toString());
  });

  it('the id changes with the clock', () => {
    const facts = scenarioFacts();
    expect(decide(facts, examplePolicy(), SCENARIO_NOW).decision.id).not.toBe(decide(facts, examplePolicy(), new Date('2026-11-30T12:00:01Z')).decision.id);
  });

  it('denies the sandbox proposal that pays a non-escrow account', () => {
    const d = run({ index: DENIED_INDEX, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) });
    expectDenied(d, 'destination-escrow', 'fail', /not a registered escrow/);
  });
});

describe('proposal-account', () => {
  it('fails a Config transaction at the index', () => {
    const d = run({ accounts: [configTransactionAccount({ index: PENDING_INDEX })] });
    expectDenied(d, 'proposal-account', 'fail', /ConfigTransaction/);
    expect(d.digest).toBeNull();
  });
  it('fails a Batch at the index', () => {
    expectDenied(run({ accounts: [batchAccount({ index: PENDING_INDEX })] }), 'proposal-account', 'fail', /Batch/);
  });
  for (const status of ['Draft', 'Approved', 'Rejected', 'Executed', 'Cancelled'] as const) {
    it(`fails a ${status} (non-Active) proposal`, () => {
      expectDenied(run({ accounts: [proposalAccount({ index: PENDING_INDEX, status })] }), 'proposal-account', 'fail', /not Active/);
    });
  }
  it('fails a stale proposal', () => {
    expectDenied(run({ accounts: [multisigAccount({ transactionIndex: 2n, staleTransactionIndex: 1n })] }), 'proposal-account', 'fail', /stale/);
  });
  it('fails when the proposal does not exist', () => {
    const [pda] = multisigSdk.getProposalPda({ multisigPda: pk(SANDBOX.multisig), transactionIndex: PENDING_INDEX });
    expectDenied(run({ remove: [address(pda.toBase58())] }), 'proposal-account', 'fail', /does not exist/);
  });
  it('fails when the transaction account does not exist', () => {
    const [pda] = multisigSdk.getTransactionPda({ multisigPda: pk(SANDBOX.multisig), index: PENDING_INDEX });
    expectDenied(run({ remove: [address(pda.toBase58())] }), 'proposal-account', 'fail');
  });
  it('is unknown when the transaction account could not be read', () => {
    const [pda] = multisigSdk.getTransactionPda({ multisigPda: pk(SANDBOX.multisig), index: PENDING_INDEX });
    const d = run({ unavailable: [address(pda.toBase58())] });
    expectDenied(d, 'proposal-account', 'unknown');
    expect(rule(d, 'instruction-allowlist').outcome).toBe('unknown');
  });
  it('is unknown when the proposal could not be read', () => {
    const [pda] = multisigSdk.getProposalPda({ multisigPda: pk(SANDBOX.multisig), transactionIndex: PENDING_INDEX });
    expectDenied(run({ unavailable: [address(pda.toBase58())] }), 'proposal-account', 'unknown');
  });
  it('fails a transaction for another vault index', () => {
    const other = vaultTransactionAccount({ index: PENDING_INDEX, vaultIndex: 1, instructions: base() });
    expectDenied(run({ accounts: [other] }), 'proposal-account', 'fail');
  });
  it('fails a transaction account not owned by Squads', () => {
    const real = vaultTransactionAccount({ index: PENDING_INDEX, instructions: base() });
    expectDenied(run({ accounts: [{ ...real, owner: SANDBOX.outsider }] }), 'proposal-account', 'fail');
  });
  it('fails a proposal of another multisig than the policy names', () => {
    const policy = examplePolicy((raw) => {
      raw.insurancePool.multisig = stranger('ms');
    });
    expectDenied(run({}, policy), 'proposal-account', 'fail');
  });
});

describe('multisig-config', () => {
  const ms = (o: Parameters<typeof multisigAccount>[0]) => run({ accounts: [multisigAccount({ transactionIndex: 2n, ...o })] });
  it('fails a 2-of-3', () => {
    expectDenied(ms({ members: [{ key: SANDBOX.cosigner, mask: 6 }, { key: SANDBOX.curator, mask: 7 }, { key: stranger('third'), mask: 2 }] }), 'multisig-config');
  });
  it('fails threshold 1', () => {
    expectDenied(ms({ threshold: 1 }), 'multisig-config', 'fail', /threshold/);
  });
  it('fails a member that is not the curator', () => {
    expectDenied(ms({ members: [{ key: SANDBOX.cosigner, mask: 6 }, { key: stranger('not-curator'), mask: 7 }] }), 'multisig-config');
  });
  it('fails when the co-signer lacks Execute (execute in one transaction)', () => {
    expectDenied(ms({ members: [{ key: SANDBOX.cosigner, mask: 2 }, { key: SANDBOX.curator, mask: 7 }] }), 'multisig-config', 'fail', /Execute/);
  });
  it('passes without Execute when the policy does not execute', () => {
    const policy = examplePolicy((raw) => {
      raw.execution = { execute: false };
    });
    const d = run({ accounts: [multisigAccount({ transactionIndex: 2n, members: [{ key: SANDBOX.cosigner, mask: 2 }, { key: SANDBOX.curator, mask: 7 }] })] }, policy);
    expect(rule(d, 'multisig-config').outcome).toBe('pass');
  });
  it('fails when the curator lacks Vote', () => {
    expectDenied(ms({ members: [{ key: SANDBOX.cosigner, mask: 6 }, { key: SANDBOX.curator, mask: 5 }] }), 'multisig-config', 'fail', /Vote/);
  });
  it('fails a controlled multisig (config authority set)', () => {
    expectDenied(ms({ configAuthority: SANDBOX.vaultPda }), 'multisig-config', 'fail', /config_authority/);
  });
  it('fails a time lock other than the policy expects', () => {
    expectDenied(ms({ timeLock: 3600 }), 'multisig-config', 'fail', /time lock/);
  });
  it('fails a proposal created by backstop when the co-signer lacks Initiate', () => {
    expectDenied(run({ creator: SANDBOX.cosigner }), 'multisig-config', 'fail', /Initiate/);
  });
  it('passes a proposal created by backstop when the co-signer may initiate', () => {
    const d = run({ creator: SANDBOX.cosigner, accounts: [multisigAccount({ transactionIndex: 2n, members: [{ key: SANDBOX.cosigner, mask: 7 }, { key: SANDBOX.curator, mask: 7 }] })] });
    expect(rule(d, 'multisig-config').outcome).toBe('pass');
  });
  it('is unknown when the multisig could not be read', () => {
    expectDenied(run({ unavailable: [SANDBOX.multisig] }), 'multisig-config', 'unknown');
  });
  it('fails when the multisig does not exist', () => {
    expectDenied(run({ remove: [SANDBOX.multisig] }), 'multisig-config', 'fail');
  });
});

describe('instruction-allowlist', () => {
  const vault = pk(SANDBOX.vaultPda);
  const ata = pk(SANDBOX.vaultPdaSharesAta);
  const extra: Record<string, () => TransactionInstruction> = {
    setAuthority: () => createSetAuthorityInstruction(ata, vault, AuthorityType.AccountOwner, pk(SANDBOX.outsider)),
    closeAccount: () => createCloseAccountInstruction(ata, pk(SANDBOX.outsider), vault),
    approve: () => createApproveInstruction(ata, pk(SANDBOX.outsider), vault, 1n),
    'system transfer': () => SystemProgram.transfer({ fromPubkey: vault, toPubkey: pk(SANDBOX.outsider), lamports: 1 }),
    'memo decoy': () => new TransactionInstruction({ programId: pk('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr'), keys: [], data: Buffer.from('compensation for le-1') }),
    'Squads self-call': () =>
      multisigSdk.instructions.proposalApprove({ multisigPda: pk(SANDBOX.multisig), transactionIndex: 5n, member: vault }),
  };
  for (const [name, make] of Object.entries(extra)) {
    it(`fails an extra instruction: ${name}`, () => {
      expectDenied(withIxs([...base(), make()]), 'instruction-allowlist', 'fail', /not allowed/);
    });
  }
  it('fails a message without a withdrawal', () => {
    const [, transfer] = base();
    expectDenied(withIxs([transfer!]), 'instruction-allowlist');
  });
  it('fails two withdrawals', () => {
    const [w, t] = base();
    expectDenied(withIxs([w!, w!, t!]), 'instruction-allowlist', 'fail', /second withdraw/);
  });
  it('fails the transfer before the withdrawal', () => {
    const [w, t] = base();
    expectDenied(withIxs([t!, w!]), 'instruction-allowlist', 'fail', /before the withdrawal/);
  });
  it('fails two transfers', () => {
    const [w, t] = base();
    const half = createTransferCheckedInstruction(ata, pk(SANDBOX.sharesMint), pk(SANDBOX.escrow), vault, 1n, 6);
    expectDenied(withIxs([w!, t!, half]), 'instruction-allowlist', 'fail', /second token transfer/);
  });
  it('fails a second signer', () => {
    const [w] = base();
    const t = createTransferCheckedInstruction(ata, pk(SANDBOX.sharesMint), pk(SANDBOX.escrow), vault, PENDING_AMOUNT, 6, [pk(SANDBOX.cosigner)]);
    expectDenied(withIxs([w!, t]), 'instruction-allowlist', 'fail', /only signer/);
  });
  it('fails a transfer out of another account than the withdrawer', () => {
    const [w] = base();
    const t = createTransferCheckedInstruction(pk(SANDBOX.farmVault), pk(SANDBOX.sharesMint), pk(SANDBOX.escrow), vault, PENDING_AMOUNT, 6);
    expectDenied(withIxs([w!, t]), 'instruction-allowlist');
  });
  it('fails a zero withdrawal', () => {
    expectDenied(withIxs(withdrawalInstructions({ amount: 0n })), 'instruction-allowlist', 'fail', /above 0/);
  });
  it('passes ComputeBudget instructions anywhere', () => {
    const [w, t] = base();
    const d = withIxs([ComputeBudgetProgram.setComputeUnitLimit({ units: 200_000 }), w!, ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1 }), t!]);
    expect(rule(d, 'instruction-allowlist').outcome).toBe('pass');
    expect(d.allowed).toBe(true);
  });
  it('passes an ATA createIdempotent of the vault before the withdrawal', () => {
    const d = withIxs(withdrawalInstructions({ amount: PENDING_AMOUNT, createAta: true }));
    expect(rule(d, 'instruction-allowlist').outcome, rule(d, 'instruction-allowlist').reason).toBe('pass');
    expect(d.allowed).toBe(true);
  });
  it('fails an ATA created for someone else', () => {
    const [w, t] = base();
    const other = createAssociatedTokenAccountIdempotentInstruction(vault, pk(SANDBOX.outsiderSharesAta), pk(SANDBOX.outsider), pk(SANDBOX.sharesMint));
    expectDenied(withIxs([other, w!, t!]), 'instruction-allowlist');
  });
});

describe('lookup-tables', () => {
  const table = (o: { authority?: Address | null; addresses?: Address[] } = {}) =>
    lookupTableAccount({ addresses: o.addresses ?? [SANDBOX.escrow], authority: o.authority ?? null });
  const allow = () => examplePolicy((raw) => { raw.allowLookupTables = true; });
  const hidden = (account = table()) => ({ accounts: [account], lookupTables: [toWeb3LookupTable(account)] });

  it('fails a destination hidden in a lookup table when tables are not allowed', () => {
    const d = run(hidden());
    expectDenied(d, 'lookup-tables', 'fail', /does not allow/);
  });
  it('passes a frozen, fully resolved table when allowed', () => {
    const d = run(hidden(), allow());
    expect(rule(d, 'lookup-tables').outcome, rule(d, 'lookup-tables').reason).toBe('pass');
    expect(d.allowed).toBe(true);
  });
  it('the digest of a table-resolved message equals the static one', () => {
    expect(run(hidden(), allow()).digest).toBe(run().digest);
  });
  it('fails a table that is not frozen', () => {
    expectDenied(run(hidden(table({ authority: SANDBOX.outsider })), allow()), 'lookup-tables', 'fail', /not frozen/);
  });
  it('fails an index missing from its table (digest null)', () => {
    const full = table({ addresses: [SANDBOX.escrow] });
    const built = run(hidden(full), allow());
    expect(built.allowed).toBe(true);
    const shrunk = lookupTableAccount({ addresses: [], authority: null, address: full.address });
    const d = decide(scenarioFacts({ ...hidden(full), accounts: [shrunk] }), allow(), SCENARIO_NOW).decision;
    expectDenied(d, 'lookup-tables', 'fail', /lacks index/);
    expect(d.digest).toBeNull();
  });
  it('is unknown when the table could not be read', () => {
    const t = table();
    const d = run({ ...hidden(t), unavailable: [t.address] }, allow());
    expectDenied(d, 'lookup-tables', 'unknown');
    expect(rule(d, 'instruction-allowlist').outcome).toBe('unknown'); // what executes cannot be told
    expect(d.digest).toBeNull();
  });
  it('fails when the table does not exist', () => {
    const t = table();
    expectDenied(run({ ...hidden(t), remove: [t.address] }, allow()), 'lookup-tables', 'fail', /does not exist/);
  });
});

describe('farm-binding', () => {
  const farm = (o: Parameters<typeof farmAccount>[0]) => run({ accounts: [farmAccount(o)] });
  it('passes a farm with pending withdrawals', () => {
    const d = run({ pending: 10_000n * ONE, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, transferAmount: (200_000n * ONE * PENDING_AMOUNT) / (210_000n * ONE) + (10_000n * ONE * PENDING_AMOUNT) / (210_000n * ONE) }) });
    for (const r of d.rules) expect(r.outcome, `${r.id}: ${r.reason}`).toBe('pass');
  });
  it("fails a farm that is not the vault's first-loss farm", () => {
    expectDenied(run({ accounts: [vaultAccount({ firstLossCapitalFarm: stranger('flc') })] }), 'farm-binding', 'fail', /first-loss/);
  });
  it('fails a withdrawal from another farm', () => {
    const other = stranger('other-farm');
    const d = run({ accounts: [farmAccount({ address: other })], instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, farm: other }) });
    expectDenied(d, 'farm-binding', 'fail', /not the policy's/);
  });
  it('fails a withdraw authority that is not the multisig', () => {
    expectDenied(farm({ withdrawAuthority: SANDBOX.curator }), 'farm-binding', 'fail', /withdraw authority/);
  });
  it('fails a farm admin that is not the multisig', () => {
    expectDenied(farm({ farmAdmin: SANDBOX.curator }), 'farm-binding', 'fail', /farm admin/);
  });
  it('passes a farm admin listed in farmAdmins', () => {
    const policy = examplePolicy((raw) => { raw.insurancePool.farmAdmins = [SANDBOX.vaultAdmin]; });
    expect(rule(run({ accounts: [farmAccount({ farmAdmin: SANDBOX.vaultAdmin })] }, policy), 'farm-binding').outcome).toBe('pass');
  });
  it('fails a pending farm admin that is not the multisig', () => {
    expectDenied(farm({ pendingFarmAdmin: SANDBOX.outsider }), 'farm-binding', 'fail', /pending admin/);
  });
  it('fails a delegated farm', () => {
    expectDenied(farm({ delegateAuthority: SANDBOX.outsider }), 'farm-binding', 'fail', /delegated/);
    expectDenied(farm({ isFarmDelegated: 1 }), 'farm-binding', 'fail', /delegated/);
  });
  it('fails a farm staking another mint', () => {
    expectDenied(farm({ token: { mint: SANDBOX.tokenMint } }), 'farm-binding', 'fail', /stakes/);
  });
  it('fails a withdrawal of the whole pool unless allowFullDrain', () => {
    const ixs = withdrawalInstructions({ amount: FARM_TOTAL_STAKED });
    expectDenied(withIxs(ixs), 'farm-binding', 'fail', /drain/);
    const policy = examplePolicy((raw) => { raw.insurancePool.allowFullDrain = true; raw.limits.maxPerProposal = '1000000'; raw.limits.maxPerWindow = '1000000'; });
    expect(rule(run({ instructions: ixs }, policy), 'farm-binding').outcome).toBe('pass');
  });
  it('fails when the farm does not exist', () => {
    expectDenied(run({ remove: [SANDBOX.farm] }), 'farm-binding', 'fail', /does not exist/);
  });
  it('is unknown when the farm could not be read', () => {
    expectDenied(run({ unavailable: [SANDBOX.farm] }), 'farm-binding', 'unknown');
  });
  it('fails an account that is not a FarmState', () => {
    expectDenied(run({ accounts: [{ ...farmAccount(), owner: SANDBOX.outsider }] }), 'farm-binding', 'fail', /not valid/);
  });
});

describe('loss-event', () => {
  it('fails with no open loss event', () => {
    expectDenied(run({ losses: [] }), 'loss-event', 'fail', /no open loss event/);
  });
  it('fails when the only event is closed', () => {
    expectDenied(run({ losses: [sandboxLoss({ state: 'closed' })] }), 'loss-event', 'fail');
  });
  it('fails a loss transaction that failed', () => {
    expectDenied(run({ losses: [sandboxLoss({ tx: { failed: true } })] }), 'loss-event', 'fail', /failed/);
  });
  it('fails a loss transaction that is not klend', () => {
    expectDenied(run({ losses: [sandboxLoss({ tx: { programId: SANDBOX.outsider } })] }), 'loss-event', 'fail');
  });
  it('fails a klend transaction that is not socialize_loss', () => {
    expectDenied(run({ losses: [sandboxLoss({ tx: { notSocialize: true } })] }), 'loss-event', 'fail');
  });
  it('is unknown when the log line is missing', () => {
    expectDenied(run({ losses: [sandboxLoss({ tx: { logLine: 'absent' } })] }), 'loss-event', 'unknown', /Forgiving debt amount/);
  });
  it('fails a loss that socializes another reserve than declared', () => {
    const loss = sandboxLoss({ tx: { name: 'other', reserve: SANDBOX.outsider } });
    // the event declares the sandbox reserve, the transaction touches another one
    const event = { ...loss.event, reserve: SANDBOX.reserve };
    expectDenied(run({ losses: [{ ...loss, event }] }), 'loss-event', 'fail', /another reserve/);
  });
  it('fails a reserve the vault did not hold', () => {
    const loss = sandboxLoss();
    const event = { ...loss.event, evidence: { ...loss.event.evidence, vaultCTokens: 0n } };
    expectDenied(run({ losses: [{ ...loss, event }] }), 'loss-event', 'fail', /no cTokens/);
  });
  it('is unknown with a zero cToken supply in the evidence', () => {
    const loss = sandboxLoss();
    const event = { ...loss.event, evidence: { ...loss.event.evidence, reserveCTokenSupply: 0n } };
    expectDenied(run({ losses: [{ ...loss, event }] }), 'loss-event', 'unknown');
  });
  it('is unknown when the stored transaction is not available', () => {
    const loss = sandboxLoss();
    const facts = scenarioFacts({ losses: [loss] });
    const d = decide({ ...facts, transactions: new Map() }, examplePolicy(), SCENARIO_NOW).decision;
    expectDenied(d, 'loss-event', 'unknown');
  });
  it('passes when one of several events verifies, leaving the others out of the remaining loss', () => {
    const good = sandboxLoss();
    const bad = sandboxLoss({ id: 'le-bad', tx: { name: 'bad', failed: true }, vaultLoss: 1_000_000n * ONE });
    const d = run({ losses: [good, bad] });
    expect(rule(d, 'loss-event').outcome).toBe('pass');
    expect(rule(d, 'amount-within-loss').facts['remainingLoss']).toBe(SANDBOX_VAULT_LOSS.toString());
    expect(d.allowed).toBe(true);
  });
  it('ignores events of another vault', () => {
    const loss = sandboxLoss();
    expectDenied(run({ losses: [{ ...loss, event: { ...loss.event, vault: stranger('vault') } }] }), 'loss-event', 'fail', /no open loss event/);
  });
  it('judges a bound event alone (lossEventId)', () => {
    const good = sandboxLoss();
    const bad = sandboxLoss({ id: 'le-bad', tx: { name: 'bad', failed: true } });
    expect(run({ losses: [good, bad], lossEventId: good.event.id }).allowed).toBe(true);
    expectDenied(run({ losses: [good, bad], lossEventId: 'le-bad' }), 'loss-event', 'fail');
    expectDenied(run({ losses: [good], lossEventId: 'le-absent' }), 'loss-event', 'fail', /not recorded/);
  });
});

describe('amount-within-loss', () => {
  it('passes an amount exactly equal to what remains', () => {
    const d = run({ ledger: [reserved(SANDBOX_VAULT_LOSS - VALUE_OF_PENDING)] });
    expect(rule(d, 'amount-within-loss').outcome, rule(d, 'amount-within-loss').reason).toBe('pass');
    expect(d.allowed).toBe(true);
  });
  it('fails an amount above the remaining loss by one base unit', () => {
    expectDenied(run({ ledger: [reserved(SANDBOX_VAULT_LOSS - VALUE_OF_PENDING + 1n)] }), 'amount-within-loss', 'fail', /by 0.000001 \(1 base units\)/);
  });
  it('fails two proposals that together exceed the loss', () => {
    // another proposal holds a reservation of 9,000 tokens; 9,820 more exceeds the 18,000 loss
    expectDenied(run({ ledger: [reserved(9_000n * ONE)] }), 'amount-within-loss');
  });
  it('counts compensated rows, ignores released rows and the proposal’s own rows', () => {
    expectDenied(run({ ledger: [reserved(9_000n * ONE, { state: 'compensated' })] }), 'amount-within-loss');
    expect(run({ ledger: [reserved(9_000n * ONE, { state: 'released' })] }).allowed).toBe(true);
    expect(run({ ledger: [reserved(18_000n * ONE, { proposal: `${SANDBOX.multisig}:${PENDING_INDEX}` })] }).allowed).toBe(true);
  });
  it('caps a declared loss above the verified bound', () => {
    // declared 1,000,000 tokens, verified bound 18,000: a withdrawal worth 19,640 must fail
    const loss = sandboxLoss({ vaultLoss: 1_000_000n * ONE });
    const d = run({ losses: [loss], instructions: withdrawalInstructions({ amount: 2n * PENDING_AMOUNT }) });
    expectDenied(d, 'amount-within-loss', 'fail');
    expect(rule(d, 'loss-event').facts['events']).toEqual([expect.objectContaining({ recordedLoss: SANDBOX_VAULT_LOSS.toString() })]);
  });
  it('uses a declared loss below the verified bound', () => {
    expectDenied(run({ losses: [sandboxLoss({ vaultLoss: VALUE_OF_PENDING - 1n })] }), 'amount-within-loss');
    expect(run({ losses: [sandboxLoss({ vaultLoss: VALUE_OF_PENDING })] }).allowed).toBe(true);
  });
  it('is unknown when an allocated reserve could not be read', () => {
    expectDenied(run({ unavailable: [SANDBOX.reserve] }), 'amount-within-loss', 'unknown');
  });
  it('is unknown when an allocated reserve is missing', () => {
    expectDenied(run({ remove: [SANDBOX.reserve] }), 'amount-within-loss', 'unknown');
  });
  it('fails when the kvault does not exist', () => {
    expectDenied(run({ remove: [SANDBOX.vault] }), 'amount-within-loss', 'fail');
  });
  it('is unknown with zero shares issued', () => {
    expectDenied(run({ accounts: [vaultAccount({ sharesIssued: 0n })] }), 'amount-within-loss', 'unknown');
  });
  it('values the pool after the loss, ignoring allocations of zero cTokens', () => {
    const second = worldAllocation({ reserve: stranger('reserve-2'), ctokenAllocation: 0n });
    const d = run({ accounts: [vaultAccount({ allocations: [worldAllocation(), second] } as never)] });
    expect(rule(d, 'amount-within-loss').facts['value']).toBe(VALUE_OF_PENDING.toString());
  });
});

describe('destination-escrow', () => {
  const esc = (o: Parameters<typeof escrowAccount>[0]) => run({ accounts: [escrowAccount(o)] });
  it('fails a destination that is not an escrow', () => {
    const d = run({ instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) });
    expectDenied(d, 'destination-escrow', 'fail', /not a registered escrow/);
  });
  it('fails an escrow with the wrong mint', () => {
    expectDenied(esc({ mint: SANDBOX.tokenMint }), 'destination-escrow', 'fail', /mint/);
  });
  it('fails an escrow with the wrong owner', () => {
    expectDenied(esc({ owner: SANDBOX.outsider }), 'destination-escrow', 'fail', /owner/);
  });
  it('fails an escrow with a delegate', () => {
    expectDenied(esc({ delegate: SANDBOX.outsider, delegatedAmount: 1n }), 'destination-escrow', 'fail', /delegate/);
  });
  it('fails an escrow with a close authority', () => {
    expectDenied(esc({ closeAuthority: SANDBOX.outsider }), 'destination-escrow', 'fail', /close authority/);
  });
  it('fails a frozen escrow', () => {
    expectDenied(esc({ state: 'frozen' }), 'destination-escrow', 'fail', /frozen/);
  });
  it('fails an escrow owned by another token program than the mint', () => {
    expectDenied(esc({ programId: address(TOKEN_2022_PROGRAM_ID.toBase58()) }), 'destination-escrow', 'fail', /token program/);
  });
  it('fails a Token-2022 escrow with extensions other than ImmutableOwner', () => {
    const t22 = address(TOKEN_2022_PROGRAM_ID.toBase58());
    const mint = sharesMintAccount({ programId: t22 });
    const instructions = withdrawalInstructions({ amount: PENDING_AMOUNT, tokenProgram: t22 });
    const d = run({ instructions, accounts: [mint, escrowAccount({ programId: t22, extensions: [extension.immutableOwner(), extension.memoTransfer()] })] });
    expectDenied(d, 'destination-escrow', 'fail', /extensions/);
    const ok = run({ instructions, accounts: [mint, escrowAccount({ programId: t22, extensions: [extension.immutableOwner()] })] });
    expect(rule(ok, 'destination-escrow').outcome, rule(ok, 'destination-escrow').reason).toBe('pass');
  });
  it('fails a Token-2022 shares mint with PermanentDelegate or TransferHook', () => {
    const t22 = address(TOKEN_2022_PROGRAM_ID.toBase58());
    const escrow = escrowAccount({ programId: t22, extensions: [extension.immutableOwner()] });
    const instructions = withdrawalInstructions({ amount: PENDING_AMOUNT, tokenProgram: t22 });
    expectDenied(run({ instructions, accounts: [escrow, sharesMintAccount({ programId: t22, extensions: [extension.permanentDelegate(SANDBOX.outsider)] })] }), 'destination-escrow', 'fail', /PermanentDelegate/);
    expectDenied(run({ instructions, accounts: [escrow, sharesMintAccount({ programId: t22, extensions: [extension.transferHook({ programId: SANDBOX.outsider })] })] }), 'destination-escrow', 'fail', /TransferHook/);
  });
  it('fails a transfer run by another token program than the mint’s', () => {
    const t22 = address(TOKEN_2022_PROGRAM_ID.toBase58());
    expectDenied(withIxs(withdrawalInstructions({ amount: PENDING_AMOUNT, tokenProgram: t22 })), 'destination-escrow', 'fail', /token program/);
  });
  it('fails an escrow authority that is a wallet (on curve) unless walletAuthority', () => {
    const wallet = SANDBOX.outsider;
    const patch = (walletAuthority: boolean) => examplePolicy((raw) => { raw.escrows[0].authority = wallet; raw.escrows[0].walletAuthority = walletAuthority; });
    expectDenied(run({ accounts: [escrowAccount({ owner: wallet })] }, patch(false)), 'destination-escrow', 'fail', /on curve/);
    expect(run({ accounts: [escrowAccount({ owner: wallet })] }, patch(true)).allowed).toBe(true);
  });
  it('fails a transfer that moves less than the farm sends', () => {
    expectDenied(withIxs(withdrawalInstructions({ amount: PENDING_AMOUNT, transferAmount: PENDING_AMOUNT - 1n })), 'destination-escrow', 'fail', /farm sends/);
  });
  it('fails when the escrow does not exist', () => {
    expectDenied(run({ remove: [SANDBOX.escrow] }), 'destination-escrow', 'fail', /does not exist/);
  });
  it('is unknown when the escrow could not be read', () => {
    expectDenied(run({ unavailable: [SANDBOX.escrow] }), 'destination-escrow', 'unknown');
  });
  it('fails an uninitialized escrow', () => {
    expectDenied(esc({ state: 'uninitialized' }), 'destination-escrow', 'fail');
  });
});

describe('limits', () => {
  const limited = (perProposal: string, perWindow: string, window = '7d') =>
    examplePolicy((raw) => { raw.limits = { maxPerProposal: perProposal, maxPerWindow: perWindow, window }; });
  it('fails a value above maxPerProposal', () => {
    expectDenied(run({}, limited('9819.999999', '500000')), 'limits', 'fail', /maxPerProposal/);
    expect(run({}, limited('9820', '500000')).allowed).toBe(true);
  });
  it('fails when the window would overflow', () => {
    const ledger = [reserved(1n, { lossEventId: SANDBOX_LOSS_EVENT_ID })];
    expectDenied(run({ ledger }, limited('250000', '9820')), 'limits', 'fail', /maxPerWindow/);
    expect(run({ ledger: [] }, limited('250000', '9820')).allowed).toBe(true);
  });
  it('leaves rows outside the window and released rows out; counts rows without a time', () => {
    const old = reserved(1n, { at: new Date('2026-11-01T00:00:00Z'), state: 'compensated' });
    expect(run({ ledger: [old, reserved(1n, { state: 'released' })] }, limited('250000', '9820')).allowed).toBe(true);
    const timeless: LedgerRow = { lossEventId: SANDBOX_LOSS_EVENT_ID, proposal: `${SANDBOX.multisig}:7`, amount: 1n, state: 'compensated' };
    expectDenied(run({ ledger: [timeless] }, limited('250000', '9820')), 'limits');
  });
  it('fails limits written with more decimals than the token has', () => {
    expectDenied(run({}, limited('250000.0000001', '500000')), 'limits', 'fail', /decimals/);
  });
  it('is unknown when the value cannot be computed', () => {
    expectDenied(run({ unavailable: [SANDBOX.reserve] }), 'limits', 'unknown');
  });
});
