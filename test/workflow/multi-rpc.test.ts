/**
 * Not trusting one RPC (issue 13 §4), end to end: the real Workflow and co-signer over two LiteSVM
 * harnesses holding the same sandbox world. Both honest → it signs, through both. One lying (another
 * escrow owner, another transaction message) or one down → no signature, a decision `unknown` that
 * names the providers, and one alert.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeProposalAccount } from '../../src/chain/accounts/squads.ts';
import { ChainUnavailable } from '../../src/chain/errors.ts';
import { MultiRpc } from '../../src/chain/multi-rpc.ts';
import { proposalPdaOf } from '../../src/chain/pda.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import { readAccount } from '../../src/chain/types.ts';
import { ChainCoSigner } from '../../src/cosign/cosigner.ts';
import { LossUnverifiable } from '../../src/policy/loss-recording.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { examplePolicy, PENDING_AMOUNT, proposalAccounts, sandboxLoss, scenarioFacts, type ScenarioOptions } from '../../src/sandbox/fixtures/scenario.ts';
import { vaultAccount, vaultStateFields } from '../../src/sandbox/fixtures/kvault.ts';
import { decide } from '../../src/policy/engine.ts';
import { withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { escrowAccount } from '../../src/sandbox/fixtures/token.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { openStore } from '../../src/store/open.ts';
import type { Notifier } from '../../src/workflow/ports.ts';
import { combineDecisions } from '../../src/workflow/providers.ts';
import { pollOnce, signingStep } from '../../src/workflow/watch.ts';
import { Workflow } from '../../src/workflow/workflow.ts';
import { approvedProposal, AUDIT_KEY, cardNotifier, COSIGNER, FEE_PAYER, loadedPolicy, MemoryLog, NOW, recordLoss, seedChain, type World } from '../cosign/support.ts';

let a: Harness;
let b: Harness;
let w: World & { alerts: string[]; multi: MultiRpc };

beforeEach(async () => {
  [a, b] = await Promise.all([startHarness(), startHarness()]);
  seedChain(a);
  seedChain(b);
  const store = await openStore({ database: join(mkdtempSync(join(tmpdir(), 'backstop-multi-')), 'b.db'), auditKey: AUDIT_KEY });
  const log = new MemoryLog();
  const multi = new MultiRpc([a, b].map((h) => new ChainReader({ rpcUrl: h.url, retries: 0, timeoutMs: 2000 })), { log });
  const cosigner = new ChainCoSigner({ chain: multi, store, signer: COSIGNER, feePayer: FEE_PAYER, log, simulation: 'skip-recorded-mode' });
  const alerts: string[] = [];
  const cards = cardNotifier(() => store);
  const notifier: Notifier = { ...cards, alert: async (_chat, text) => void alerts.push(text) };
  const wf = new Workflow({ store, chain: multi, policies: PolicyRegistry.of([loadedPolicy()]), notifier, cosigner, log, clock: () => NOW });
  w = { store, wf, cosigner, chain: multi as unknown as ChainReader, log, policies: wf.policies, alerts, multi };
});
afterEach(async () => {
  await w?.store.close();
  await Promise.all([a?.close(), b?.close()]);
});

const stateOf = async (rowId: number) => (await w.store.getProposalByRowId(rowId))!.state;
const nameOf = (h: Harness) => new URL(h.url).origin;

describe('two honest providers', () => {
  it('decide alike, so it signs once, and the same bytes go out through both', async () => {
    const rowId = await approvedProposal(w);
    expect(w.alerts).toEqual([]);
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('signing');
    const [sentA, sentB] = [a.recordedTransactions(), b.recordedTransactions()];
    expect(sentA).toHaveLength(1);
    expect(sentB).toHaveLength(1);
    expect(Buffer.from(sentB[0]!.bytes).equals(Buffer.from(sentA[0]!.bytes))).toBe(true);
    expect(w.alerts).toEqual([]);
  });
});

describe('one lying provider never causes a signature', () => {
  it('another escrow owner on one provider: unknown naming both, no signature on either, one alert', async () => {
    const rowId = await approvedProposal(w);
    b.setAccount(escrowAccount({ owner: SANDBOX.outsider }));
    await pollOnce(w.wf);
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('approved');
    expect(a.recordedTransactions()).toHaveLength(0);
    expect(b.recordedTransactions()).toHaveLength(0);
    expect(await w.store.latestIntent(`${SANDBOX.multisig}:1`)).toBeNull();
    const { decision } = (await w.store.latestDecision(rowId))!;
    expect(decision.allowed).toBe(false);
    const escrow = decision.rules.find((r) => r.id === 'destination-escrow')!;
    expect(escrow.outcome).toBe('unknown');
    expect(escrow.reason).toContain(`${nameOf(a)} pass`);
    expect(escrow.reason).toContain(`${nameOf(b)} fail`);
    expect(decision.rules.filter((r) => r.outcome === 'fail')).toEqual([]);
    // Two polls, one alert: the same disagreement is said once.
    expect(w.alerts).toHaveLength(1);
    expect(w.alerts[0]).toContain(nameOf(b));
    expect(w.alerts[0]).toContain(`${nameOf(a)} allows it`);

    // The liar mends its ways: the next poll signs.
    b.setAccount(escrowAccount());
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('signing');
    expect(a.recordedTransactions()).toHaveLength(1);
  });

  it('another transaction message on one provider: the digests differ, unknown naming them, no signature', async () => {
    const rowId = await approvedProposal(w);
    const approvedDigest = (await w.store.getProposalByRowId(rowId))!.digest!;
    for (const acc of proposalAccounts({ index: 1n, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) }).slice(1, 2)) b.setAccount(acc);
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('approved');
    expect(a.recordedTransactions()).toHaveLength(0);
    expect(b.recordedTransactions()).toHaveLength(0);
    const { decision } = (await w.store.latestDecision(rowId))!;
    expect(decision.allowed).toBe(false);
    expect(decision.digest).toBeNull();
    const account = decision.rules.find((r) => r.id === 'proposal-account')!;
    expect(account.outcome).toBe('unknown');
    expect(account.reason).toContain(`${nameOf(a)} digest ${approvedDigest.slice(0, 16)}`);
    expect(account.reason).toContain(nameOf(b));
    expect(w.alerts).toHaveLength(1);
    expect(w.alerts[0]).toContain(nameOf(b));
  });

  it('a provider that lies from the start: the proposal is denied as unknown, never put to a vote, and alerted', async () => {
    b.setAccount(escrowAccount({ owner: SANDBOX.outsider }));
    await recordLoss(w.wf);
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    expect(row.state).toBe('denied');
    const { decision } = (await w.store.latestDecision(row.rowId))!;
    expect(decision.rules.find((r) => r.id === 'destination-escrow')!.outcome).toBe('unknown');
    expect(w.alerts).toHaveLength(1);
  });
});

describe('a provider ahead (or lying about the block height) cannot make an approval look expired', () => {
  it('no second approval until every provider is past its blockhash; then one, through both', async () => {
    const rowId = await approvedProposal(w);
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('signing');
    const first = (await w.store.latestIntent(`${SANDBOX.multisig}:1`))!;
    a.expireBlockhash();
    await pollOnce(w.wf);
    expect(await stateOf(rowId)).toBe('signing');
    const still = (await w.store.latestIntent(`${SANDBOX.multisig}:1`))!;
    expect([still.signature, still.status]).toEqual([first.signature, 'recorded']);
    expect(new Set([...a.recordedTransactions(), ...b.recordedTransactions()].map((t) => Buffer.from(t.bytes).toString('base64'))).size).toBe(1);

    b.expireBlockhash();
    await pollOnce(w.wf);
    const second = (await w.store.latestIntent(`${SANDBOX.multisig}:1`))!;
    expect(second.signature).not.toBe(first.signature);
    expect(a.recordedTransactions().at(-1)!.signature).toBe(second.signature);
    expect(b.recordedTransactions().at(-1)!.signature).toBe(second.signature);
  });
});

describe('one provider down: fail closed', () => {
  it('the poll stops at the first read, naming the provider; the signing check decides unknown and alerts; nothing is sent', async () => {
    const rowId = await approvedProposal(w);
    const pda = proposalPdaOf(SANDBOX.multisig, 1n);
    const onChain = readAccount(await new ChainReader({ rpcUrl: a.url }).getAccounts([pda]), pda, decodeProposalAccount);
    if (onChain.status !== 'ok') throw new Error('the proposal is not readable on the honest provider');
    b.faults.set('getMultipleAccounts', { httpStatus: 500 });

    const report = await pollOnce(w.wf);
    expect(report.errors.join('\n')).toContain(nameOf(b));
    await signingStep(w.wf, (await w.store.getProposalByRowId(rowId))!, onChain.value);
    expect(await stateOf(rowId)).toBe('approved');
    expect(a.recordedTransactions()).toHaveLength(0);
    const { decision } = (await w.store.latestDecision(rowId))!;
    expect(decision.allowed).toBe(false);
    expect(decision.rules.some((r) => r.outcome === 'unknown' && r.reason.includes(nameOf(b)))).toBe(true);
    expect(w.alerts).toHaveLength(1);
    expect(w.alerts[0]).toContain(`${nameOf(b)} does not`);
  });

  it('registering a new proposal while one provider is down is refused as unavailable, nothing stored', async () => {
    await recordLoss(w.wf);
    b.faults.set('getMultipleAccounts', { httpStatus: 500 });
    await expect(w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n })).rejects.toBeInstanceOf(ChainUnavailable);
    expect(await w.store.listProposals()).toEqual([]);
  });
});

describe('recording a loss on every provider', () => {
  it('a provider that does not know the loss transaction: refused naming both, nothing recorded, alerted; one down: unavailable', async () => {
    b.faults.set('getTransaction', { httpStatus: 500 });
    const down = await recordLoss(w.wf).catch((e: Error) => e);
    expect(down).toBeInstanceOf(ChainUnavailable);
    expect((down as Error).message).toContain(nameOf(b));
    b.faults.clear();
    b.addTransaction(sandboxLoss().transaction.signature, null);
    const refused = await recordLoss(w.wf).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(LossUnverifiable);
    expect((refused as Error).message).toContain(`${nameOf(a)} verifies it`);
    expect((refused as Error).message).toContain(`${nameOf(b)}: transaction`);
    expect(await w.store.listLossEvents()).toEqual([]);
    expect(w.alerts).toHaveLength(1);
    expect(w.alerts[0]).toContain(nameOf(b));
  });

  it('both honest: recorded once, with the evidence they agree on', async () => {
    const event = await recordLoss(w.wf);
    expect(event.evidence.vaultCTokens).toBeGreaterThan(0n);
    expect(await w.store.listLossEvents()).toHaveLength(1);
    expect(w.alerts).toEqual([]);
  });
});

describe('combining the providers’ decisions (pure)', () => {
  const at = new Date('2026-12-01T10:00:00Z');
  const decided = (provider: string, o: ScenarioOptions = {}) => {
    const facts = scenarioFacts(o);
    return { provider, fresh: { facts, ...decide(facts, examplePolicy(), at), now: at } };
  };

  it('all allow alike: the one valued highest is kept, so the reservation covers every view; no disagreement', () => {
    const richer = vaultAccount({ tokenAvailable: vaultStateFields().tokenAvailable * 2n });
    const [a, b] = [decided('https://a'), decided('https://b', { accounts: [richer] })];
    expect(a.fresh.decision.allowed && b.fresh.decision.allowed).toBe(true);
    expect(b.fresh.summary.value!).toBeGreaterThan(a.fresh.summary.value!);
    for (const order of [[a, b], [b, a]]) {
      const c = combineDecisions(order);
      expect(c.disagreement).toBeNull();
      expect(c.fresh.summary.value).toBe(b.fresh.summary.value);
    }
  });

  it('the same denial everywhere stays that denial, unalerted; a different loss evidence is unknown on loss-event', () => {
    const [a, b] = [decided('https://a', { remove: [SANDBOX.escrow] }), decided('https://b', { remove: [SANDBOX.escrow] })];
    const same = combineDecisions([a, b]);
    expect(same.disagreement).toBeNull();
    expect(same.fresh.decision).toEqual(a.fresh.decision);

    const reserved = { lossEventId: sandboxLoss().event.id, proposal: 'other:1', amount: 1_000_000n, state: 'reserved' as const, at: new Date('2026-11-30T10:00:00Z') };
    const c = combineDecisions([decided('https://a'), decided('https://b', { ledger: [reserved] })]);
    expect(c.fresh.decision.allowed).toBe(false);
    const loss = c.fresh.decision.rules.find((r) => r.id === 'loss-event')!;
    expect(loss.outcome).toBe('unknown');
    expect(loss.reason).toContain('https://b events');
    expect(c.disagreement).not.toBeNull();
  });
});
