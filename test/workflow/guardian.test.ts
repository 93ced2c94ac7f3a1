/**
 * The guardian (issue 14) on real parts: the LiteSVM harness over HTTP with the production
 * ChainReader, a SQLite store with its audit log, a real Workflow. Each alert kind is raised once
 * (not per poll) and cleared once; a binding change invalidates open proposals through the workflow
 * and the rules deny them; one extra round trip per poll; a restart repeats nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Address } from '@solana/kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ChainReader } from '../../src/chain/reader.ts';
import { MultiRpc } from '../../src/chain/multi-rpc.ts';
import { startHarness } from '../../src/sandbox/harness/index.ts';
import { worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { multisigAccount } from '../../src/sandbox/fixtures/squads.ts';
import { decodeFarmState } from '../../src/chain/accounts/farms.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { policyRevision } from '../../src/policy/revision.ts';
import { farmAccount, farmUserStateAccount } from '../../src/sandbox/fixtures/farm.ts';
import { vaultAccount, worldAllocation } from '../../src/sandbox/fixtures/kvault.ts';
import { examplePolicy } from '../../src/sandbox/fixtures/scenario.ts';
import { FARM_TOTAL_STAKED, ONE, WAD } from '../../src/sandbox/fixtures/world.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';
import { GUARDIAN_AUDIT_TYPE, guardPools, latestPoolChecks } from '../../src/workflow/guardian.ts';
import { SILENT_LOG } from '../../src/workflow/ports.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import { Workflow } from '../../src/workflow/workflow.ts';
import { startWorkflowWorld, type WorkflowWorld } from '../support/workflow-world.ts';

let w: WorkflowWorld;
afterEach(async () => {
  await w?.close();
});

const healthyVault = (o: Parameters<typeof vaultAccount>[0] = {}) =>
  vaultAccount({ allowAllocationsInWhitelistedReservesOnly: 1, allowInvestInWhitelistedReservesOnly: 1, ...o });

/** A world whose pool passes every check, with the curator wallet's stake; `patch` edits the policy. */
async function world(patch?: (raw: Record<string, any>) => void): Promise<WorkflowWorld> {
  const policy = examplePolicy(patch);
  w = await startWorkflowWorld({ policies: PolicyRegistry.of([{ file: 'policies/example.yaml', policy, revision: policyRevision(policy) }]) });
  w.harness.setAccount(healthyVault());
  w.harness.setAccount(farmUserStateAccount());
  return w;
}

/** Two passes: the first learns the vault's farm and reserves, the second judges. */
async function settle(): Promise<void> {
  await guardPools(w.wf);
  await guardPools(w.wf);
}

const guardianEntries = async () => (await w.store.auditEntries()).filter((e) => e.type === GUARDIAN_AUDIT_TYPE);

/** The curator unstakes `amount` kTokens: the farm moves it from staked to pending, the UserState records the unlock time. */
function curatorUnstakes(amount: bigint, unlockTs: bigint): void {
  w.harness.setAccount(farmAccount({ totalStakedAmount: FARM_TOTAL_STAKED - amount, totalPendingAmount: amount }));
  w.harness.setAccount(farmUserStateAccount({ activeStakeScaled: (FARM_TOTAL_STAKED - amount) * WAD, pendingWithdrawalUnstakeScaled: amount * WAD, pendingWithdrawalUnstakeTs: unlockTs }));
}

describe('guardian: a healthy pool', () => {
  it('says nothing, records a baseline, and keeps the latest check for the metrics', async () => {
    await world();
    const first = await guardPools(w.wf);
    expect(first.deferred).toEqual([SANDBOX.vault]); // the reserves are learned first
    const second = await guardPools(w.wf);
    expect(second.checked).toEqual([SANDBOX.vault]);
    expect(second.alerts).toEqual([]);
    expect(w.alerts).toEqual([]);
    const entries = await guardianEntries();
    expect(entries.map((e) => (e.payload as { event: string }).event)).toEqual(['baseline']);
    const [view] = latestPoolChecks(w.wf);
    expect(view?.counts).toEqual({ pass: 9, fail: 0, warn: 0, unknown: 0 });
    expect(view?.depthRatio).toBe('0.2');
  });

  it('reads every vault in one extra round trip per poll (accounts and UserStates in one batch)', async () => {
    await world();
    await settle();
    const reader = w.wf.chain as ChainReader;
    const trips = reader.roundTrips;
    const gpa = w.harness.requestCount.get('getProgramAccounts') ?? 0;
    const gma = w.harness.requestCount.get('getMultipleAccounts') ?? 0;
    const r = await guardPools(w.wf);
    expect(r.checked).toEqual([SANDBOX.vault]);
    expect(reader.roundTrips - trips).toBe(1);
    expect((w.harness.requestCount.get('getProgramAccounts') ?? 0) - gpa).toBe(1);
    expect((w.harness.requestCount.get('getMultipleAccounts') ?? 0) - gma).toBe(1);
  });

  it('the farm’s UserStates come from getProgramAccounts filtered on the farm (memcmp) and the UserState size', async () => {
    await world();
    const reader = w.wf.chain as ChainReader;
    const query = (farm: Address, size = 920) => ({ program: PROGRAMS.farms, filters: [{ dataSize: size }, { memcmp: { offset: 16, bytes: farm } }] });
    const r = await reader.readBatch([SANDBOX.vault], [query(SANDBOX.farm), query(SANDBOX.misconfiguredFarm), query(SANDBOX.farm, 8336)]);
    expect(r.accounts.get(SANDBOX.vault)?.kind).toBe('found');
    expect(r.programAccounts.map((p) => (p.kind === 'found' ? p.accounts.map((a) => a.address) : p.error))).toEqual([[farmUserStateAccount().address], [], []]);
    expect(typeof r.slot).toBe('bigint');
  });

  it('an RPC outage is not a change: nothing is said until every account answers', async () => {
    await world();
    await settle();
    w.harness.breakAccount(SANDBOX.farm);
    const r = await guardPools(w.wf);
    expect(r.deferred).toEqual([SANDBOX.vault]);
    expect(w.alerts).toEqual([]);
  });
});

describe('guardian: several RPC providers (SOLANA_RPC_URL lists more than one)', () => {
  it('judges only what every provider agrees on: the same chain twice is checked, two chains that differ are deferred', async () => {
    await world();
    const same = new MultiRpc([new ChainReader({ rpcUrl: w.harness.url, retries: 0 }), new ChainReader({ rpcUrl: w.harness.url, retries: 0 })]);
    const wf = new Workflow({ store: w.store, chain: same as unknown as ChainReader, policies: w.wf.policies, notifier: w.wf.notifier, cosigner: w.cosigner, log: SILENT_LOG, clock: () => w.clock });
    await guardPools(wf);
    expect((await guardPools(wf)).checked).toEqual([SANDBOX.vault]);

    const other = await startHarness();
    try {
      for (const a of [...worldAccounts(), multisigAccount(), farmUserStateAccount()]) other.setAccount(a);
      other.setAccount(farmAccount({ withdrawAuthority: SANDBOX.outsider })); // a lying or stale provider
      const split = new MultiRpc([new ChainReader({ rpcUrl: w.harness.url, retries: 0 }), new ChainReader({ rpcUrl: other.url, retries: 0 })]);
      const wf2 = new Workflow({ store: w.store, chain: split as unknown as ChainReader, policies: w.wf.policies, notifier: w.wf.notifier, cosigner: w.cosigner, log: SILENT_LOG, clock: () => w.clock });
      await guardPools(wf2);
      expect((await guardPools(wf2)).deferred).toEqual([SANDBOX.vault]);
      expect(w.alerts).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe('guardian: a check changes outcome', () => {
  it('withdraw_authority re-pointed: raised once (not per poll), cleared once when it is put back', async () => {
    await world();
    await settle();
    w.harness.setAccount(farmAccount({ withdrawAuthority: SANDBOX.outsider }));
    await guardPools(w.wf);
    await guardPools(w.wf);
    const raised = w.alerts.filter((a) => a.includes('withdraw-authority is fail'));
    expect(raised).toHaveLength(1);
    expect(raised[0]).toContain(`withdraw_authority is ${SANDBOX.outsider}, not the 2-of-2's vault ${SANDBOX.vaultPda}`);
    expect(raised[0]).toContain('update_farm_config(mode 2 WithdrawAuthority');
    w.harness.setAccount(farmAccount());
    await guardPools(w.wf);
    await guardPools(w.wf);
    expect(w.alerts.filter((a) => a.includes('withdraw-authority passes again'))).toHaveLength(1);
    const events = (await guardianEntries()).map((e) => e.payload as { event: string; key?: string });
    expect(events.filter((e) => e.key === 'check:withdraw-authority').map((e) => e.event)).toEqual(['raised', 'cleared']);
  });

  it('a first-loss farm that disappears is said once, as flc-farm, not once per check that needs it', async () => {
    await world();
    await settle();
    w.harness.setAccount(healthyVault({ firstLossCapitalFarm: SANDBOX.outsider }));
    await settle();
    const keys = (await guardianEntries()).map((e) => e.payload as { event: string; key?: string }).filter((e) => e.event === 'raised').map((e) => e.key);
    expect(keys).toEqual(['check:flc-farm', 'check:policy']);
    expect(w.alerts.filter((a) => a.includes('flc-farm is fail'))).toHaveLength(1);
  });

  it('whitelisted flags turned off: a warning raised once, cleared once', async () => {
    await world();
    await settle();
    w.harness.setAccount(healthyVault({ allowInvestInWhitelistedReservesOnly: 0 }));
    await settle();
    expect(w.alerts.filter((a) => a.includes('whitelisted-reserves is warn'))).toHaveLength(1);
    w.harness.setAccount(healthyVault());
    await settle();
    expect(w.alerts.filter((a) => a.includes('whitelisted-reserves passes again'))).toHaveLength(1);
  });

  it('a restart repeats no alert: the last state is resumed from the audit log', async () => {
    await world();
    await settle();
    w.harness.setAccount(farmAccount({ withdrawalCooldownPeriod: 7 * 86_400 }));
    await settle();
    expect(w.alerts.filter((a) => a.includes('cooldown is fail'))).toHaveLength(1);
    const restarted = new Workflow({ store: w.store, chain: w.wf.chain, policies: w.wf.policies, notifier: w.wf.notifier, cosigner: w.cosigner, log: SILENT_LOG, clock: () => w.clock });
    await guardPools(restarted);
    await guardPools(restarted);
    expect(w.alerts.filter((a) => a.includes('cooldown is fail'))).toHaveLength(1);
  });
});

describe('guardian: a normal withdrawal from the pool', () => {
  it('starting is said once with the amount, its share of the pool and the date; ending once', async () => {
    await world();
    await settle();
    const unlock = BigInt(Date.parse('2026-12-31T10:00:00Z') / 1000);
    curatorUnstakes(50_000n * ONE, unlock);
    await settle();
    const started = w.alerts.filter((a) => a.startsWith('Normal withdrawal started'));
    expect(started).toHaveLength(1);
    expect(started[0]).toBe(
      `Normal withdrawal started from the Insurance Pool of Sandbox USDC vault (the public 30-day exit signal): curator alice (${SANDBOX.curatorWallet}) unstaked 50000 kTokens, 25% of the pool, withdrawable from 2026-12-31 10:00 UTC.`,
    );
    // Cancelled (restaked) before the unlock time.
    w.harness.setAccount(farmAccount());
    w.harness.setAccount(farmUserStateAccount());
    await settle();
    const ended = w.alerts.filter((a) => a.includes('is no longer pending'));
    expect(ended).toEqual([`Insurance Pool of Sandbox USDC vault: the pending withdrawal of curator alice (${SANDBOX.curatorWallet}), 50000 kTokens is no longer pending: cancelled before its unlock time.`]);
  });

  it('a withdrawal after the unlock time is said as withdrawn; a staker who is not a curator is named by wallet', async () => {
    await world();
    await settle();
    const stranger = SANDBOX.outsider;
    const unlock = BigInt(Date.parse('2026-11-01T00:00:00Z') / 1000);
    w.harness.setAccount(farmAccount({ totalStakedAmount: FARM_TOTAL_STAKED, totalPendingAmount: 10_000n * ONE }));
    w.harness.setAccount(farmUserStateAccount({ owner: stranger, activeStakeScaled: 0n, pendingWithdrawalUnstakeScaled: 10_000n * ONE * WAD, pendingWithdrawalUnstakeTs: unlock }));
    await settle();
    expect(w.alerts.filter((a) => a.includes(`staker ${stranger} unstaked 10000 kTokens`))).toHaveLength(1);
    w.harness.setAccount(farmAccount());
    w.harness.setAccount(farmUserStateAccount({ owner: stranger, activeStakeScaled: 0n }));
    await settle();
    expect(w.alerts.filter((a) => a.includes('withdrawn (its unlock time had passed) or cancelled'))).toHaveLength(1);
  });
});

describe('guardian: depth and reserves', () => {
  it('pool depth below insurancePool.minDepthRatio: raised once, cleared once when the curator stakes more', async () => {
    await world((raw) => (raw['insurancePool'].minDepthRatio = '0.25'));
    await settle();
    await settle();
    const low = w.alerts.filter((a) => a.includes('below its minimum depth'));
    expect(low).toHaveLength(1);
    expect(low[0]).toContain('ratio 0.2 < minDepthRatio 0.25');
    expect(low[0]).toContain('stakes 50000 more kTokens');
    w.harness.setAccount(farmAccount({ totalStakedAmount: 250_000n * ONE }));
    await settle();
    expect(w.alerts.filter((a) => a.includes('back at its minimum depth'))).toHaveLength(1);
  });

  it('an allocation outside insurancePool.reserves: raised once, cleared once when it is removed', async () => {
    await world((raw) => (raw['insurancePool'].reserves = [SANDBOX.reserve]));
    await settle();
    expect(w.alerts).toEqual([]);
    const stray = SANDBOX.lendingMarket;
    w.harness.setAccount(healthyVault({ allocations: [worldAllocation(), { reserve: stray, ctokenAllocation: 0n }] }));
    await settle();
    await settle();
    expect(w.alerts.filter((a) => a.includes(`outside insurancePool.reserves: ${stray}`))).toHaveLength(1);
    expect(w.alerts.some((a) => a.includes('policy is fail'))).toBe(false); // said once, as reserves
    w.harness.setAccount(healthyVault());
    await settle();
    expect(w.alerts.filter((a) => a.includes('allocates only to insurancePool.reserves again'))).toHaveLength(1);
  });
});

describe('guardian: a change to what farm-binding or multisig-config reads', () => {
  it('invalidates the open proposal through the workflow, and the rules deny it', async () => {
    await world();
    await w.recordLoss();
    await pollOnce(w.wf); // registers and decides proposals 1 and 2; the guardian learns the reserves
    await pollOnce(w.wf);
    const row = (await w.store.getProposal(`${SANDBOX.multisig}:1`))!;
    expect(row.state).toBe('awaiting-approval');
    w.harness.setAccount(farmAccount({ farmAdmin: SANDBOX.outsider }));
    const r = await guardPools(w.wf);
    expect(r.invalidated).toEqual([SANDBOX.vault]);
    const after = (await w.store.getProposalByRowId(row.rowId))!;
    expect(after.state).toBe('denied');
    expect(after.epoch).toBeGreaterThan(row.epoch);
    const path = (await w.store.transitions(row.rowId)).map((t) => t.to);
    expect(path.slice(-2)).toEqual(['invalidated', 'denied']);
    const decision = (await w.store.latestDecision(row.rowId))!.decision;
    expect(decision.rules.find((x) => x.id === 'farm-binding')?.outcome).toBe('fail');
    expect(w.alerts.some((a) => a.includes('1 open proposal(s) invalidated'))).toBe(true);
    // Said and done once: the next poll sees no new change.
    const again = await guardPools(w.wf);
    expect(again.invalidated).toEqual([]);
  });

  it('a multisig config change invalidates too; balances moving do not', async () => {
    await world();
    await w.recordLoss();
    await pollOnce(w.wf);
    await pollOnce(w.wf);
    const row = (await w.store.getProposal(`${SANDBOX.multisig}:1`))!;
    w.harness.setAccount(farmAccount({ totalStakedAmount: FARM_TOTAL_STAKED + ONE }));
    expect((await guardPools(w.wf)).invalidated).toEqual([]);
    expect((await w.store.getProposalByRowId(row.rowId))!.state).toBe('awaiting-approval');
    w.harness.setAccount(multisigAccount({ transactionIndex: 2n, timeLock: 3600 }));
    expect((await guardPools(w.wf)).invalidated).toEqual([SANDBOX.vault]);
    const after = (await w.store.getProposalByRowId(row.rowId))!;
    expect(after.state).toBe('denied');
    expect((await w.store.latestDecision(row.rowId))!.decision.rules.find((x) => x.id === 'multisig-config')?.outcome).toBe('fail');
  });
});

// Real mode (docs/configuration.md): the farms program's own update_farm_config re-points withdraw_authority.
const DIR = process.env['BACKSTOP_PROGRAMS_DIR'];
const HAVE_FARMS = DIR !== undefined && existsSync(join(DIR, `${PROGRAMS.farms}.so`));
if (!HAVE_FARMS) {
  console.log('real mode: not run');
} else {
  describe('real mode: the farms program', () => {
    it('update_farm_config(WithdrawAuthority) signed by the farm admin is seen and alerted', async () => {
      const { getUpdateFarmConfigInstruction } = await import('@kamino-finance/farms-sdk/dist/@codegen/farms/instructions/updateFarmConfig.js');
      const { appendTransactionMessageInstructions, createKeyPairSignerFromPrivateKeyBytes, createTransactionMessage, getAddressEncoder, pipe, setTransactionMessageFeePayerSigner, setTransactionMessageLifetimeUsingBlockhash, signTransactionMessageWithSigners } = await import('@solana/kit');
      const { SANDBOX_KEYPAIRS } = await import('../../src/sandbox/seeds.ts');
      const admin = await createKeyPairSignerFromPrivateKeyBytes(SANDBOX_KEYPAIRS.vaultAdmin.secretKey.slice(0, 32));
      // The farm admin is a key the policy trusts, so the farm-admin check passes before the change.
      await world((raw) => (raw['insurancePool'].farmAdmins = [admin.address]));
      await w.harness.close();
      const real = await startHarness({ programsDir: DIR! });
      (w as { harness: typeof real }).harness = real;
      const { proposalAccounts } = await import('../../src/sandbox/fixtures/scenario.ts');
      const { withdrawalInstructions } = await import('../../src/sandbox/fixtures/squads.ts');
      worldAccounts().forEach((a) => real.setAccount(a));
      proposalAccounts({ index: 1n, instructions: withdrawalInstructions({ amount: 1n }) }).forEach((a) => real.setAccount(a));
      real.setAccount(healthyVault());
      real.setAccount(farmAccount({ farmAdmin: admin.address }));
      real.setAccount(farmUserStateAccount());
      real.airdrop(admin.address, 1_000_000_000n);
      const wf = new Workflow({ store: w.store, chain: new ChainReader({ rpcUrl: real.url, retries: 0 }), policies: w.wf.policies, notifier: w.wf.notifier, cosigner: w.cosigner, log: SILENT_LOG, clock: () => w.clock });
      await guardPools(wf);
      await guardPools(wf);
      expect(w.alerts).toEqual([]);
      const ix = getUpdateFarmConfigInstruction({ signer: admin, farmState: SANDBOX.farm, scopePrices: PROGRAMS.farms, mode: 2, data: getAddressEncoder().encode(SANDBOX.outsider as Address) });
      const reader = new ChainReader({ rpcUrl: real.url });
      const { blockhash, lastValidBlockHeight } = await reader.getLatestBlockhash();
      const message = pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayerSigner(admin, m),
        (m) => setTransactionMessageLifetimeUsingBlockhash({ blockhash: blockhash as never, lastValidBlockHeight: BigInt(lastValidBlockHeight) }, m),
        (m) => appendTransactionMessageInstructions([ix], m),
      );
      const signed = await signTransactionMessageWithSigners(message);
      const { getTransactionEncoder } = await import('@solana/kit');
      await reader.sendRawTransaction(new Uint8Array(getTransactionEncoder().encode(signed)));
      expect(decodeFarmState(real.getAccount(SANDBOX.farm)!).withdrawAuthority).toBe(SANDBOX.outsider);
      await guardPools(wf);
      expect(w.alerts.filter((a) => a.includes('withdraw-authority is fail'))).toHaveLength(1);
    });
  });
}
