/**
 * The pre-sign simulation (issue 12): the delta checker as a pure function on crafted before/after
 * account sets, `simulateUnsigned` end to end on the harness with SPL Token transfers LiteSVM runs
 * without program dumps, and the co-signer's refusals in `required` mode (recorded harness).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address, type Address } from '@solana/kit';
import { Keypair, PublicKey, VersionedTransaction } from '@solana/web3.js';
import { createTransferCheckedInstruction } from '@solana/spl-token';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeFarmState } from '../../src/chain/accounts/farms.ts';
import { decodeTokenAccount } from '../../src/chain/accounts/spl.ts';
import { ChainUnavailable } from '../../src/chain/errors.ts';
import { decodeProposal } from '../../src/chain/proposal.ts';
import { associatedTokenAddressOf } from '../../src/chain/pda.ts';
import { ChainReader, type SimulationResult } from '../../src/chain/reader.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { SimulationRefused } from '../../src/cosign/errors.ts';
import {
  checkSimulation, expectationFromDecision, feeOf, LAMPORTS_PER_SIGNATURE, simulateUnsigned, type AccountChange, type SimulationExpectation,
} from '../../src/cosign/simulate.ts';
import { compileV0 } from '../../src/cosign/transaction.ts';
import { farmTransfer } from '../../src/policy/valuation.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { PENDING_AMOUNT } from '../../src/sandbox/fixtures/scenario.ts';
import { mintAccount, tokenAccount, type TokenAccountFixture } from '../../src/sandbox/fixtures/token.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import { approvedProposal, assemble, decodeSent, FEE_PAYER, loadedPolicy, seedChain, type World } from './support.ts';

const X = 1_000_000n;
const ATA_RENT = 2_039_280n;
const FEE = 2n * LAMPORTS_PER_SIGNATURE;
const addr = () => address(Keypair.generate().publicKey.toBase58());

/** A world of addresses shaped like the sandbox's approve+execute. */
const A = {
  escrow: SANDBOX.escrow,
  farmVault: SANDBOX.farmVault,
  withdrawer: SANDBOX.vaultPdaSharesAta,
  other: SANDBOX.outsiderSharesAta,
  vaultPda: SANDBOX.vaultPda,
  feePayer: SANDBOX.feePayer,
};
const EXPECT: SimulationExpectation = { escrow: A.escrow, farmVault: A.farmVault, amount: X, vaultPda: A.vaultPda, feePayer: A.feePayer, maxFee: FEE };

const token = (address: Address, owner: Address, amount: bigint, more: TokenAccountFixture = {}) =>
  tokenAccount({ address, owner, amount, lamports: ATA_RENT, ...more });
const system = (address: Address, lamports: bigint): AccountData => ({ address, owner: PROGRAMS.system, lamports, data: new Uint8Array(0), executable: false });

/** Before: the escrow holds 5, the farm vault 10 X, the withdrawer nothing, an outsider 77. */
function before(): Map<Address, AccountData | null> {
  return new Map<Address, AccountData | null>([
    [A.escrow, token(A.escrow, SANDBOX.escrowAuthority, 5n)],
    [A.farmVault, token(A.farmVault, SANDBOX.farmVaultsAuthority, 10n * X)],
    [A.withdrawer, token(A.withdrawer, SANDBOX.vaultPda, 0n)],
    [A.other, token(A.other, SANDBOX.outsider, 77n)],
    [A.vaultPda, system(A.vaultPda, 1_000_000_000n)],
    [A.feePayer, system(A.feePayer, 1_000_000_000n)],
  ]);
}

/** After, as the real programs leave it when everything goes as decided. */
function after(): Map<Address, AccountData | null> {
  const m = before();
  m.set(A.escrow, token(A.escrow, SANDBOX.escrowAuthority, 5n + X));
  m.set(A.farmVault, token(A.farmVault, SANDBOX.farmVaultsAuthority, 9n * X));
  m.set(A.feePayer, system(A.feePayer, 1_000_000_000n - FEE));
  return m;
}

const changes = (b: Map<Address, AccountData | null>, a: Map<Address, AccountData | null>): AccountChange[] =>
  [...new Set([...b.keys(), ...a.keys()])].map((address) => ({ address, before: b.get(address) ?? null, after: a.get(address) ?? null }));

const check = (edit: (after: Map<Address, AccountData | null>, before: Map<Address, AccountData | null>) => void = () => {}) => {
  const b = before();
  const a = after();
  edit(a, b);
  return checkSimulation(EXPECT, changes(b, a));
};

describe('the delta checker (pure)', () => {
  it('escrow +X and farm vault −X, nothing else: passes, and reports what it saw', () => {
    const r = check();
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.seen['tokenAccounts']).toContainEqual(expect.objectContaining({ address: A.escrow, role: 'escrow', delta: X }));
    expect(r.seen['tokenAccounts']).toContainEqual(expect.objectContaining({ address: A.farmVault, role: 'farm-vault', delta: -X }));
    expect(r.seen['feePayer']).toMatchObject({ before: 1_000_000_000n, after: 1_000_000_000n - FEE, maxFee: FEE });
  });

  it('refuses when the farm moved fewer tokens (the withdrawer’s leftover made up the transfer)', () => {
    const r = check((a, b) => {
      b.set(A.withdrawer, token(A.withdrawer, SANDBOX.vaultPda, 1n));
      a.set(A.farmVault, token(A.farmVault, SANDBOX.farmVaultsAuthority, 10n * X - (X - 1n)));
    });
    expect(r.ok).toBe(false);
    expect(r.problems).toContain(`the farm vault ${A.farmVault} would send ${X - 1n}, the decision promised ${X}`);
    expect(r.problems).toContain(`token account ${A.withdrawer} would change balance by -1 (1 → 0)`);
  });

  it('refuses when the escrow got X−1', () => {
    const r = check((a) => {
      a.set(A.escrow, token(A.escrow, SANDBOX.escrowAuthority, 5n + X - 1n));
      a.set(A.withdrawer, token(A.withdrawer, SANDBOX.vaultPda, 1n));
    });
    expect(r.problems).toContain(`the escrow ${A.escrow} would receive ${X - 1n}, the decision promised ${X}`);
    expect(r.ok).toBe(false);
  });

  it('refuses when the escrow got X+1 (exactly X, not at least X)', () => {
    const r = check((a, b) => {
      b.set(A.withdrawer, token(A.withdrawer, SANDBOX.vaultPda, 1n));
      a.set(A.escrow, token(A.escrow, SANDBOX.escrowAuthority, 5n + X + 1n));
    });
    expect(r.problems).toContain(`the escrow ${A.escrow} would receive ${X + 1n}, the decision promised ${X}`);
  });

  it('refuses when a third token account changes balance', () => {
    const r = check((a) => a.set(A.other, token(A.other, SANDBOX.outsider, 70n)));
    expect(r.problems).toEqual([`token account ${A.other} would change balance by -7 (77 → 70)`]);
  });

  it('refuses when a third token account changes owner', () => {
    const thief = addr();
    const r = check((a) => a.set(A.other, token(A.other, thief, 77n)));
    expect(r.problems).toEqual([`token account ${A.other} would change owner ${SANDBOX.outsider} → ${thief}`]);
  });

  it('refuses when a third token account gets a delegate', () => {
    const thief = addr();
    const r = check((a) => a.set(A.other, token(A.other, SANDBOX.outsider, 77n, { delegate: thief, delegatedAmount: 77n })));
    expect(r.problems).toEqual([`token account ${A.other} would change delegate none → ${thief} (0 → 77)`]);
  });

  it('refuses when a third token account gets a close authority', () => {
    const thief = addr();
    const r = check((a) => a.set(A.other, token(A.other, SANDBOX.outsider, 77n, { closeAuthority: thief })));
    expect(r.problems).toEqual([`token account ${A.other} would change close authority none → ${thief}`]);
  });

  it('refuses when the escrow itself changes owner or gets a delegate, even with +X', () => {
    const thief = addr();
    const r = check((a) => a.set(A.escrow, token(A.escrow, thief, 5n + X, { delegate: thief, delegatedAmount: 1n })));
    expect(r.problems).toEqual([
      `the escrow ${A.escrow} would change owner ${SANDBOX.escrowAuthority} → ${thief}`,
      `the escrow ${A.escrow} would change delegate none → ${thief} (0 → 1)`,
    ]);
  });

  it('refuses when a token account is closed', () => {
    const r = check((a) => a.set(A.withdrawer, null));
    expect(r.problems).toEqual([`token account ${A.withdrawer} would be closed`]);
  });

  it('lets the vault PDA pay the rent of an associated token account the message creates, and not one lamport more', () => {
    const ata = associatedTokenAddressOf(SANDBOX.vaultPda, SANDBOX.tokenMint, PROGRAMS.token);
    const create = (extra: bigint) => (a: Map<Address, AccountData | null>, b: Map<Address, AccountData | null>) => {
      b.set(ata, null);
      a.set(ata, tokenAccount({ address: ata, owner: SANDBOX.vaultPda, mint: SANDBOX.tokenMint, lamports: ATA_RENT }));
      a.set(A.vaultPda, system(A.vaultPda, 1_000_000_000n - ATA_RENT - extra));
    };
    expect(check(create(0n)).problems).toEqual([]);
    expect(check(create(1n)).problems).toEqual([
      `the vault PDA ${A.vaultPda} would pay ${ATA_RENT + 1n} lamports; at most ${ATA_RENT} (rent of the associated token accounts the message creates) is allowed`,
    ]);
  });

  it('refuses when the vault PDA loses lamports and nothing is created', () => {
    const r = check((a) => a.set(A.vaultPda, system(A.vaultPda, 1_000_000_000n - 1n)));
    expect(r.problems).toEqual([`the vault PDA ${A.vaultPda} would pay 1 lamports; at most 0 (rent of the associated token accounts the message creates) is allowed`]);
  });

  it('refuses a created token account that is not an associated token account, or that holds tokens', () => {
    const odd = addr();
    const r = check((a, b) => {
      b.set(odd, null);
      a.set(odd, tokenAccount({ address: odd, owner: SANDBOX.vaultPda, amount: 3n, lamports: ATA_RENT }));
    });
    expect(r.problems).toEqual([`token account ${odd} would be created holding 3`, `token account ${odd} would be created but is not the associated token account of ${SANDBOX.vaultPda}`]);
  });

  it('refuses when the fee payer pays more than the fee', () => {
    const r = check((a) => a.set(A.feePayer, system(A.feePayer, 1_000_000_000n - FEE - 1n)));
    expect(r.problems).toEqual([`the fee payer ${A.feePayer} would pay ${FEE + 1n} lamports, more than the fee of ${FEE}`]);
  });

  it('refuses when the message does not write the escrow or the farm vault', () => {
    const b = before();
    const a = after();
    b.delete(A.escrow);
    a.delete(A.escrow);
    a.set(A.farmVault, b.get(A.farmVault)!);
    a.set(A.withdrawer, token(A.withdrawer, SANDBOX.vaultPda, X));
    const r = checkSimulation(EXPECT, changes(b, a));
    expect(r.problems).toContain(`the message does not write the escrow ${A.escrow}`);
    expect(r.problems).toContain(`the farm vault ${A.farmVault} would send 0, the decision promised ${X}`);
  });
});

/** A chain double for the two ports `simulateUnsigned` uses. */
function fakeChain(o: { simulate: (bytes: Uint8Array, opts: { accounts: readonly Address[] }) => Promise<SimulationResult>; accounts?: Map<Address, AccountData | null> }) {
  const accounts = o.accounts ?? before();
  return {
    getAccounts: async (addresses: readonly Address[]) =>
      new Map(addresses.map((a) => [a, accounts.get(a) ? { kind: 'found' as const, account: accounts.get(a)! } : { kind: 'missing' as const }])),
    simulateTransaction: o.simulate,
  };
}

/** An approve+execute-sized stand-in: a transfer from the farm vault to the escrow, paid by the fee payer. */
function transferTx(o: { from: Address; to: Address; owner: Address; amount: bigint; payer: Address; mint?: Address; blockhash?: string }): VersionedTransaction {
  return compileV0({
    instructions: [createTransferCheckedInstruction(new PublicKey(o.from), new PublicKey(o.mint ?? SANDBOX.sharesMint), new PublicKey(o.to), new PublicKey(o.owner), o.amount, 6)],
    payer: { address: o.payer, signMessage: async () => { throw new Error('a simulation never signs'); } },
    blockhash: o.blockhash ?? Keypair.generate().publicKey.toBase58(),
  });
}

describe('simulateUnsigned: errors and outages are refusals', () => {
  const tx = () => transferTx({ from: A.farmVault, to: A.escrow, owner: SANDBOX.farmVaultsAuthority, amount: X, payer: A.feePayer });

  it('a simulation error refuses with the error and the logs', async () => {
    const r = await simulateUnsigned({
      chain: fakeChain({ simulate: async () => ({ err: { InstructionError: [0, { Custom: 1 }] }, logs: ['Program log: Error: insufficient funds'], accounts: null, unitsConsumed: 10 }) }),
      transaction: tx(), lookupTables: [], expectation: EXPECT,
    });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.failure).toBe('simulation-error');
    expect(r.payload).toMatchObject({ outcome: 'refused', simulationError: '{"InstructionError":[0,{"Custom":1}]}', logs: ['Program log: Error: insufficient funds'] });
  });

  it('an RPC that is down refuses (rpc), and so does one that answers no accounts', async () => {
    const down = await simulateUnsigned({
      chain: fakeChain({ simulate: async () => { throw new ChainUnavailable('simulateTransaction failed after 1 attempts at http://127.0.0.1:1: fetch failed'); } }),
      transaction: tx(), lookupTables: [], expectation: EXPECT,
    });
    expect(down).toMatchObject({ ok: false, failure: 'rpc', problems: ['the RPC could not simulate: simulateTransaction failed after 1 attempts at http://127.0.0.1:1: fetch failed'] });
    const mute = await simulateUnsigned({
      chain: fakeChain({ simulate: async () => ({ err: null, logs: [], accounts: null, unitsConsumed: 1 }) }),
      transaction: tx(), lookupTables: [], expectation: EXPECT,
    });
    expect(mute).toMatchObject({ ok: false, failure: 'rpc' });
  });

  it('an account that cannot be read before the simulation refuses (rpc) without simulating', async () => {
    let simulated = false;
    const chain = {
      getAccounts: async (addresses: readonly Address[]) => new Map(addresses.map((a) => [a, { kind: 'unavailable' as const, error: 'HTTP 500' }])),
      simulateTransaction: async (): Promise<SimulationResult> => { simulated = true; return { err: null, logs: [], accounts: [], unitsConsumed: 0 }; },
    };
    const r = await simulateUnsigned({ chain, transaction: tx(), lookupTables: [], expectation: EXPECT });
    expect(r).toMatchObject({ ok: false, failure: 'rpc' });
    expect(simulated).toBe(false);
  });

  it('asks for every account the message writes plus the vault PDA, with every signature zero', async () => {
    let seen: { bytes: Uint8Array; accounts: readonly Address[] } | undefined;
    await simulateUnsigned({
      chain: fakeChain({ simulate: async (bytes, o) => { seen = { bytes, accounts: o.accounts }; return { err: 'BlockhashNotFound', logs: [], accounts: null, unitsConsumed: 0 }; } }),
      transaction: tx(), lookupTables: [], expectation: EXPECT,
    });
    expect(seen!.accounts).toEqual([A.feePayer, A.farmVault, A.escrow, A.vaultPda]);
    const sent = VersionedTransaction.deserialize(seen!.bytes);
    expect(sent.signatures).toHaveLength(2);
    expect(sent.signatures.every((s) => s.every((b) => b === 0))).toBe(true);
  });
});

describe('simulateUnsigned on the harness (SPL Token transfers, no program dumps)', () => {
  let harness: Harness;
  let chain: ChainReader;
  const owner = Keypair.generate();
  const ownerAddr = address(owner.publicKey.toBase58());
  const payer = address(Keypair.generate().publicKey.toBase58());
  const mint = addr();
  const farmVault = addr();
  const escrow = addr();
  const vaultPda = addr();
  const exp = (): SimulationExpectation => ({ escrow, farmVault, amount: X, vaultPda, feePayer: payer, maxFee: FEE });

  beforeEach(async () => {
    harness = await startHarness();
    chain = new ChainReader({ rpcUrl: harness.url, retries: 0, timeoutMs: 5000 });
    harness.setAccount(mintAccount({ address: mint, supply: 100n * X }));
    harness.setAccount(tokenAccount({ address: farmVault, owner: ownerAddr, mint, amount: 10n * X, lamports: ATA_RENT }));
    harness.setAccount(tokenAccount({ address: escrow, owner: addr(), mint, amount: 5n, lamports: ATA_RENT }));
    harness.airdrop(payer, 1_000_000_000n);
  });
  afterEach(async () => {
    await harness.close();
  });
  const tx = async (amount: bigint) => transferTx({ from: farmVault, to: escrow, owner: ownerAddr, amount, payer, mint, blockhash: (await chain.getLatestBlockhash()).blockhash });
  const balance = (a: Address) => decodeTokenAccount(harness.getAccount(a)!).amount;

  it('passes for escrow +X / farm vault −X; the harness saw only zero signatures and the chain is unchanged', async () => {
    const t = await tx(X);
    expect(feeOf(t)).toBe(FEE); // the payer and the token owner sign
    const r = await simulateUnsigned({ chain, transaction: t, lookupTables: [], expectation: exp() });
    expect(r.ok === false ? r.problems : []).toEqual([]);
    expect(r.payload).toMatchObject({ outcome: 'passed', feePayer: { before: 1_000_000_000n, after: 1_000_000_000n - FEE } });
    const received = harness.simulatedTransactions();
    expect(received).toHaveLength(1);
    expect(VersionedTransaction.deserialize(received[0]!).signatures.every((s) => s.every((b) => b === 0))).toBe(true);
    expect([balance(farmVault), balance(escrow), harness.getAccount(payer)!.lamports]).toEqual([10n * X, 5n, 1_000_000_000n]);
    expect(harness.requestCount.get('sendTransaction') ?? 0).toBe(0);
  });

  it('refuses X−1 reaching the escrow, naming both accounts', async () => {
    const r = await simulateUnsigned({ chain, transaction: await tx(X - 1n), lookupTables: [], expectation: exp() });
    expect(r).toMatchObject({ ok: false, failure: 'deltas' });
    expect(r.ok === false && r.problems).toEqual([
      `the farm vault ${farmVault} would send ${X - 1n}, the decision promised ${X}`,
      `the escrow ${escrow} would receive ${X - 1n}, the decision promised ${X}`,
    ]);
    expect(balance(escrow)).toBe(5n);
  });

  it('refuses a transfer the token program rejects (simulation error)', async () => {
    const r = await simulateUnsigned({ chain, transaction: await tx(11n * X), lookupTables: [], expectation: { ...exp(), amount: 11n * X } });
    expect(r).toMatchObject({ ok: false, failure: 'simulation-error' });
    expect(String(r.payload['simulationError'])).toContain('InstructionError');
  });

  it('refuses when the RPC cannot simulate (HTTP 500)', async () => {
    harness.faults.set('simulateTransaction', { httpStatus: 500 });
    const r = await simulateUnsigned({ chain, transaction: await tx(X), lookupTables: [], expectation: exp() });
    expect(r).toMatchObject({ ok: false, failure: 'rpc' });
  });
});

describe('the co-signer in required mode (recorded harness: the Squads program cannot run)', () => {
  let harness: Harness;
  let w: World;
  const setup = async (o: { policy?: ReturnType<typeof loadedPolicy>; simulation?: 'required' | 'skip-recorded-mode' } = {}) => {
    harness = await startHarness();
    seedChain(harness);
    w = await assemble({ rpcUrl: harness.url, database: join(mkdtempSync(join(tmpdir(), 'backstop-sim-')), 'b.db'), simulation: o.simulation ?? 'required', ...(o.policy ? { policy: o.policy } : {}) });
  };
  afterEach(async () => {
    await w?.store.close();
    await harness?.close();
  });
  const simulationEntries = async () => (await w.store.auditEntries()).filter((e) => e.type === 'simulation');
  const prepare = async (rowId: number, edit: (d: Awaited<ReturnType<World['store']['latestDecision']>>) => void = () => {}) => {
    const row = (await w.store.getProposalByRowId(rowId))!;
    const stored = (await w.store.latestDecision(rowId))!;
    edit(stored);
    return w.cosigner.prepareApproval({ row, policy: loadedPolicy(), decision: stored.decision, summary: stored.summary! });
  };

  it('the sandbox decision states what to expect: its escrow, farm vault and the farm transfer', async () => {
    await setup();
    const rowId = await approvedProposal(w);
    const { decision, summary } = (await w.store.latestDecision(rowId))!;
    const decoded = await decodeProposal(w.chain, SANDBOX.multisig, 1n);
    const e = expectationFromDecision(decision, summary!, decoded, { feePayer: FEE_PAYER.address, maxFee: FEE });
    const state = decodeFarmState(harness.getAccount(SANDBOX.farm)!);
    const farm = farmTransfer(PENDING_AMOUNT, state.totalStakedAmount, state.totalPendingAmount).transfer;
    expect(farm).toBeGreaterThan(0n);
    expect(e).toEqual({ ok: true, expectation: { escrow: SANDBOX.escrow, farmVault: SANDBOX.farmVault, amount: farm, vaultPda: SANDBOX.vaultPda, feePayer: FEE_PAYER.address, maxFee: FEE } });
  });

  it('expects nothing from a decision that is not allowed or whose summary does not name the escrow, the farm or a farm transfer', async () => {
    await setup();
    const rowId = await approvedProposal(w);
    const stored = (await w.store.latestDecision(rowId))!;
    const summary = stored.summary!;
    // The stored summary is the one the decision was made on, read back from the database.
    expect(summary).toMatchObject({ destination: SANDBOX.escrow, farm: SANDBOX.farm, escrowName: expect.any(String) });
    const decoded = await decodeProposal(w.chain, SANDBOX.multisig, 1n);
    const expect_ = (d: typeof stored.decision, s: typeof summary) => expectationFromDecision(d, s, decoded, { feePayer: FEE_PAYER.address, maxFee: FEE });
    const problems = (r: ReturnType<typeof expect_>) => (r.ok ? [] : r.problems.join('; '));
    expect(problems(expect_({ ...stored.decision, allowed: false }, summary))).toMatch(/does not allow/);
    expect(problems(expect_(stored.decision, { ...summary, escrowName: null }))).toMatch(/no registered escrow/);
    expect(problems(expect_(stored.decision, { ...summary, farmTransfer: 0n }))).toMatch(/positive farm transfer/);
    expect(problems(expect_(stored.decision, { ...summary, farm: null }))).toMatch(/names no farm/);
    expect(problems(expect_(stored.decision, { ...summary, farm: SANDBOX.outsider }))).toMatch(/another farm/);
    expect(problems(expect_(stored.decision, { ...summary, destination: SANDBOX.outsider }))).toMatch(/does not transfer to the decision's escrow/);
  });

  it('never hands a signature to the RPC, and a failing simulation signs and stores nothing', async () => {
    await setup();
    const rowId = await approvedProposal(w);
    const err = await prepare(rowId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationRefused);
    expect((err as SimulationRefused).failure).toBe('simulation-error');
    expect((err as Error).message).toMatch(/^not signing .*: the pre-sign simulation could not run: the transaction fails in simulation: .*; nothing was signed — /);
    const received = harness.simulatedTransactions();
    expect(received).toHaveLength(1);
    const sent = decodeSent(received[0]!);
    expect(sent.signers).toEqual([FEE_PAYER.address, SANDBOX.cosigner]);
    expect(sent.signatures.every((s) => s.every((b) => b === 0))).toBe(true);
    expect(sent.instructions.map((i) => i.program)).toEqual([PROGRAMS.squads, PROGRAMS.squads]); // approve + execute, the message that would be signed
    expect(await w.store.latestIntent(`${SANDBOX.multisig}:1`)).toBeNull();
    expect(harness.recordedTransactions()).toEqual([]);
    const [entry] = await simulationEntries();
    expect(entry?.payload).toMatchObject({ proposal: `${SANDBOX.multisig}:1`, outcome: 'refused', failure: 'simulation-error' });
  });

  it('an RPC that fails simulation: no intent is stored, the audit has a simulation entry (through the poller)', async () => {
    await setup();
    await approvedProposal(w);
    harness.faults.set('simulateTransaction', { httpStatus: 500 });
    await pollOnce(w.wf);
    expect(harness.requestCount.get('simulateTransaction')).toBeGreaterThan(0);
    expect(await w.store.latestIntent(`${SANDBOX.multisig}:1`)).toBeNull();
    expect(harness.recordedTransactions()).toEqual([]);
    const entries = await simulationEntries();
    expect(entries.length).toBeGreaterThan(0);
    expect(entries[0]!.payload).toMatchObject({ outcome: 'refused', failure: 'rpc' });
  });

  it('a decision that does not state the farm transfer refuses before simulating', async () => {
    await setup();
    const rowId = await approvedProposal(w);
    const err = await prepare(rowId, (d) => {
      Object.assign(d!, { summary: { ...d!.summary!, farmTransfer: null } });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationRefused);
    expect((err as SimulationRefused).failure).toBe('decision');
    expect(harness.requestCount.get('simulateTransaction') ?? 0).toBe(0);
    expect(await w.store.latestIntent(`${SANDBOX.multisig}:1`)).toBeNull();
    expect((await simulationEntries())[0]?.payload).toMatchObject({ outcome: 'refused', failure: 'decision' });
  });

  it('skip-recorded-mode audits the skip and signs without simulating', async () => {
    await setup({ simulation: 'skip-recorded-mode' });
    const rowId = await approvedProposal(w);
    const intent = await prepare(rowId);
    expect(intent.kind).toBe('approve-execute');
    expect(harness.requestCount.get('simulateTransaction') ?? 0).toBe(0);
    expect((await simulationEntries()).map((e) => e.payload)).toEqual([{ proposal: `${SANDBOX.multisig}:1`, decision: expect.any(String), outcome: 'skipped (recorded mode)' }]);
  });

  it('approve-only (execute: false) has nothing to simulate, even in required mode', async () => {
    await setup({ policy: loadedPolicy((t) => t.replace('execute: true ', 'execute: false')) });
    const rowId = await approvedProposal(w);
    const row = (await w.store.getProposalByRowId(rowId))!;
    const { decision, summary } = (await w.store.latestDecision(rowId))!;
    const intent = await w.cosigner.prepareApproval({ row, policy: loadedPolicy((t) => t.replace('execute: true ', 'execute: false')), decision, summary: summary! });
    expect(intent.kind).toBe('approve');
    expect(harness.requestCount.get('simulateTransaction') ?? 0).toBe(0);
    expect(await simulationEntries()).toEqual([]);
  });
});
