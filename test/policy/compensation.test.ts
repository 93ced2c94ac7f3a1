/**
 * Compensation (issue 15 §2–§4): the snapshot's exclusions and aggregation, the plan arithmetic
 * (sums, cap, dust, remainder), the merkle tree checked against an independent implementation
 * written here, the `--json` shape, the distributor codec built from the IDL, and the
 * `compensation.requirePlan` part of destination-escrow on every mismatch.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Keypair, PublicKey } from '@solana/web3.js';
import { address, type Address } from '@solana/kit';
import { decodeMerkleDistributor, MERKLE_DISTRIBUTOR_DISCRIMINATOR, MERKLE_DISTRIBUTOR_SIZE } from '../../src/chain/accounts/distributor.ts';
import { isOffCurve } from '../../src/chain/curve.ts';
import { buildPlan, kTokensForValue, planJsonText } from '../../src/policy/compensation/plan.ts';
import { snapshotDepositors, type FarmAtSlot, type HolderAtSlot, type SnapshotInput } from '../../src/policy/compensation/snapshot.ts';
import { frac } from '../../src/policy/amounts.ts';
import { stakesAtSlot } from '../../src/policy/compensation/stakers.ts';
import { buildSnapshot, parseSnapshot } from '../../src/policy/snapshot.ts';
import type { HistoryTransaction } from '../../src/chain/history.ts';
import { decide } from '../../src/policy/engine.ts';
import { parsePolicyText } from '../../src/policy/load.ts';
import { policyRevision } from '../../src/policy/revision.ts';
import { distributorAccount, SANDBOX_DISTRIBUTOR_ADMIN } from '../../src/sandbox/fixtures/distributor.ts';
import { PENDING_AMOUNT, SCENARIO_NOW, examplePolicy, sandboxLoss, scenarioFacts, examplePolicyText } from '../../src/sandbox/fixtures/scenario.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';

const wallet = (): Address => address(Keypair.generate().publicKey.toBase58());
const pdaOf = (seed: string): Address => address(PublicKey.findProgramAddressSync([Buffer.from(seed)], new PublicKey(PROGRAMS.distributor))[0].toBase58());

// ---- an independent merkle implementation: Buffers, recursion, no code shared with src ----

function refLeaf(claimant: Address, unlocked: bigint, locked: bigint): Buffer {
  const amounts = Buffer.alloc(16);
  amounts.writeBigUInt64LE(unlocked, 0);
  amounts.writeBigUInt64LE(locked, 8);
  const inner = createHash('sha256').update(Buffer.concat([new PublicKey(claimant).toBuffer(), amounts])).digest();
  return createHash('sha256').update(Buffer.concat([Buffer.from([0]), inner])).digest();
}
function refParent(a: Buffer, b: Buffer): Buffer {
  const [lo, hi] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
  return createHash('sha256').update(Buffer.concat([Buffer.from([1]), lo, hi])).digest();
}
function refRoot(level: Buffer[]): Buffer {
  if (level.length === 1) return level[0]!;
  const up: Buffer[] = [];
  for (let i = 0; i < level.length; i += 2) up.push(refParent(level[i]!, level[Math.min(i + 1, level.length - 1)]!));
  return refRoot(up);
}
function refVerify(proofHex: readonly string[], rootHex: string, leaf: Buffer): boolean {
  return proofHex.reduce((node, p) => refParent(node, Buffer.from(p, 'hex')), leaf).toString('hex') === rootHex;
}

// ---- snapshot inputs ----

const MINT = SANDBOX.sharesMint;
function input(holders: HolderAtSlot[], o: Partial<SnapshotInput> = {}): SnapshotInput {
  return {
    sharesMint: MINT,
    lossSlot: 1_000n,
    supply: holders.reduce((s, h) => s + h.amount, 0n),
    holders,
    excludedAccounts: new Map(),
    excludedOwners: new Map(),
    farms: [],
    isOffCurve,
    ...o,
  };
}

describe('snapshotDepositors', () => {
  it('aggregates by owner, excludes the pool, the escrow and the vault, replaces a farm vault by its stakers, sends off-curve owners to manual review', () => {
    const [alice, bob, carol] = [wallet(), wallet(), wallet()];
    const protocol = pdaOf('another-protocol');
    const farmVault = wallet();
    const farm: FarmAtSlot = { farm: wallet(), farmVault, stakes: { kind: 'known', byOwner: new Map([[bob, 70n], [carol, 29n]]) } };
    const holders: HolderAtSlot[] = [
      { account: wallet(), owner: alice, amount: 100n },
      { account: wallet(), owner: alice, amount: 50n }, // a second account of the same owner: one leaf
      { account: wallet(), owner: bob, amount: 30n },
      { account: SANDBOX.farmVault, owner: SANDBOX.farmVaultsAuthority, amount: 500n },
      { account: SANDBOX.escrow, owner: SANDBOX.escrowAuthority, amount: 40n },
      { account: wallet(), owner: SANDBOX.vaultBaseAuthority, amount: 10n },
      { account: farmVault, owner: pdaOf('farm-authority'), amount: 100n }, // 99 staked + 1 of rounding
      { account: wallet(), owner: protocol, amount: 20n },
      { account: wallet(), owner: carol, amount: 0n },
    ];
    const s = snapshotDepositors(
      input(holders, {
        farms: [farm],
        excludedAccounts: new Map([[SANDBOX.farmVault, 'insurance-pool'], [SANDBOX.escrow, 'escrow']]),
        excludedOwners: new Map([[SANDBOX.vaultBaseAuthority, 'vault']]),
      }),
    );
    expect(s.outcome).toBe('pass');
    if (s.outcome !== 'pass') return;
    expect(s.totalShares).toBe(850n);
    expect(s.excluded.map((e) => [e.reason, e.shares])).toEqual([['insurance-pool', 500n], ['escrow', 40n], ['vault', 10n], ['farm-rounding', 1n]]);
    expect(s.excludedShares).toBe(551n);
    expect(s.affectedShares).toBe(299n);
    const shares = new Map(s.claimants.map((c) => [c.owner, c.shares]));
    expect(shares).toEqual(new Map([[alice, 150n], [bob, 100n], [carol, 29n]]));
    expect(s.manualReview).toEqual([{ owner: protocol, shares: 20n }]);
    expect([...s.claimants, ...s.manualReview].reduce((a, c) => a + c.shares, 0n)).toBe(s.affectedShares);
    // Leaf order: claimant bytes ascending.
    const bytes = s.claimants.map((c) => new PublicKey(c.owner).toBuffer());
    for (let i = 1; i < bytes.length; i++) expect(Buffer.compare(bytes[i - 1]!, bytes[i]!)).toBe(-1);
  });

  it('is unknown when the balances do not sum to the supply, or a farm cannot be accounted for', () => {
    const a = wallet();
    const bad = snapshotDepositors(input([{ account: wallet(), owner: a, amount: 10n }], { supply: 11n }));
    expect(bad).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/sum to 10, the supply then was 11 \(unexplained difference 1\)/) });
    const vault = wallet();
    const holders = [{ account: vault, owner: pdaOf('f'), amount: 100n }];
    const unknownStakes = snapshotDepositors(input(holders, { farms: [{ farm: wallet(), farmVault: vault, stakes: { kind: 'unknown', reason: 'an unstake could not be decoded' } }] }));
    expect(unknownStakes).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/an unstake could not be decoded/) });
    const short = snapshotDepositors(input(holders, { farms: [{ farm: wallet(), farmVault: vault, stakes: { kind: 'known', byOwner: new Map([[a, 90n]]) } }] }));
    expect(short).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/stakers account for 90 of the 100 kTokens/) });
  });
});

describe('buildPlan', () => {
  const snap = (shares: bigint[], manual = 0n) => {
    const owners = shares.map(() => wallet());
    const holders = shares.map((amount, i) => ({ account: wallet(), owner: owners[i]!, amount }));
    if (manual > 0n) holders.push({ account: wallet(), owner: pdaOf('manual'), amount: manual });
    return { s: snapshotDepositors(input(holders)), owners };
  };

  it('pays floor(amount × shares / affected), reports the remainder, and keeps entries + manual + dust = affected', () => {
    const { s } = snap([333n, 333n, 334n], 100n);
    const r = buildPlan({ lossEventId: 'le-1', snapshot: s, requested: 1_000n, cap: 10_000n, dust: 0n });
    expect(r.outcome).toBe('pass');
    if (r.outcome !== 'pass') return;
    const p = r.plan;
    expect(p.affectedShares).toBe(1_100n);
    expect(p.entries.map((e) => e.amountUnlocked).sort()).toEqual([302n, 302n, 303n]);
    expect(p.total).toBe(907n);
    expect(p.remainder).toBe(93n); // the manual-review share (90) and rounding (3)
    expect(p.amount).toBe(p.total + p.remainder);
    const counted = [...p.entries.map((e) => e.shares), ...p.manualReview.map((m) => m.shares), ...p.dust.map((d) => d.shares)].reduce((a, b) => a + b, 0n);
    expect(counted).toBe(p.affectedShares);
    expect(p.entries.every((e) => e.amountLocked === 0n)).toBe(true);
  });

  it('caps the amount at the affected holders’ loss and reports claimants below dust', () => {
    const { s } = snap([9_000n, 990n, 10n]);
    const r = buildPlan({ lossEventId: 'le-1', snapshot: s, requested: 50_000n, cap: 1_000n, dust: 5n });
    expect(r.outcome).toBe('pass');
    if (r.outcome !== 'pass') return;
    expect(r.plan.amount).toBe(1_000n);
    expect(r.plan.requested).toBe(50_000n);
    expect(r.plan.entries.map((e) => e.amountUnlocked).sort((a, b) => Number(a - b))).toEqual([99n, 900n]);
    expect(r.plan.dust).toEqual([{ owner: expect.any(String), shares: 10n }]); // 1 kToken base unit < dust 5
    expect(r.plan.remainder).toBe(1n);
    expect(buildPlan({ lossEventId: 'le-1', snapshot: s, requested: 3n, cap: 10n, dust: 0n })).toMatchObject({ outcome: 'pass', plan: { total: 2n } });
    expect(buildPlan({ lossEventId: 'le-1', snapshot: s, requested: 1n, cap: 10n, dust: 0n })).toMatchObject({ outcome: 'unknown', reason: expect.stringMatching(/below the dust threshold/) });
  });

  it('converts value to kTokens at the vault’s price, rounding down', () => {
    // 0.982 tokens per kToken: 9,820 tokens are 10,000 kTokens; one base unit less is one kToken base unit less.
    expect(kTokensForValue(9_820_000_000n, 1_000_000n, frac(982_000n))).toBe(10_000_000_000n);
    expect(kTokensForValue(9_819_999_999n, 1_000_000n, frac(982_000n))).toBe(9_999_999_998n);
  });

  it('builds the distributor’s tree: the root and every proof agree with an independent implementation', () => {
    for (const n of [1, 2, 3, 5, 8, 13]) {
      const { s } = snap(Array.from({ length: n }, (_, i) => BigInt(1_000 + i * 37)));
      const r = buildPlan({ lossEventId: 'le-1', snapshot: s, requested: 1_000_000n, cap: 1_000_000n, dust: 0n });
      if (r.outcome !== 'pass') throw new Error(r.reason);
      const json = JSON.parse(planJsonText(r.plan)) as { root: string; entries: { claimant: Address; amountUnlocked: string; amountLocked: string; proof: string[] }[] };
      const leaves = json.entries.map((e) => refLeaf(e.claimant, BigInt(e.amountUnlocked), BigInt(e.amountLocked)));
      expect(json.root).toBe(refRoot(leaves).toString('hex'));
      json.entries.forEach((e, i) => expect(refVerify(e.proof, json.root, leaves[i]!)).toBe(true));
      // A proof for another amount does not verify.
      const e0 = json.entries[0]!;
      if (n > 1) expect(refVerify(e0.proof, json.root, refLeaf(e0.claimant, BigInt(e0.amountUnlocked) + 1n, 0n))).toBe(false);
    }
  });

  it('prints --json with exactly the keys of the issue, amounts as decimal strings and 64-hex root and proofs', () => {
    const { s } = snap([5n, 7n], 3n);
    const r = buildPlan({ lossEventId: 'le-x', snapshot: s, requested: 100n, cap: 100n, dust: 0n });
    if (r.outcome !== 'pass') throw new Error(r.reason);
    const json = JSON.parse(planJsonText(r.plan)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['lossEventId', 'lossSlot', 'sharesMint', 'totalShares', 'excludedShares', 'affectedShares', 'amount', 'total', 'remainder', 'root', 'entries', 'manualReview', 'dust']);
    expect(json).toMatchObject({ lossEventId: 'le-x', lossSlot: '1000', totalShares: '15', excludedShares: '0', affectedShares: '15', amount: '100', total: '79', remainder: '21' });
    const entries = json['entries'] as Record<string, unknown>[];
    expect(Object.keys(entries[0]!)).toEqual(['claimant', 'shares', 'amountUnlocked', 'amountLocked', 'proof']);
    for (const e of entries) for (const p of e['proof'] as string[]) expect(p).toMatch(/^[0-9a-f]{64}$/);
    expect(json['root']).toMatch(/^[0-9a-f]{64}$/);
    expect(json['manualReview']).toEqual([{ owner: pdaOf('manual'), shares: '3' }]);
  });
});

describe('the MerkleDistributor codec (built from the IDL)', () => {
  it('has Anchor’s discriminator and the IDL’s size, and round-trips a distributor', () => {
    expect(Buffer.from(MERKLE_DISTRIBUTOR_DISCRIMINATOR).toString('hex')).toBe(createHash('sha256').update('account:MerkleDistributor').digest().subarray(0, 8).toString('hex'));
    // 8 + bump 1 + version 8 + root 32 + 3 keys + 4 u64 + 3 i64 + 2 keys + bool + u64 + bool + 3 × 32 = 371.
    expect(MERKLE_DISTRIBUTOR_SIZE).toBe(8 + 1 + 8 + 32 + 3 * 32 + 4 * 8 + 3 * 8 + 2 * 32 + 1 + 8 + 1 + 3 * 32);
    const a = distributorAccount({ rootHex: 'ab'.repeat(32), maxTotalClaim: 123n, totalAmountClaimed: 4n });
    expect(a.address).toBe(SANDBOX.escrowAuthority);
    const d = decodeMerkleDistributor(a);
    expect(Buffer.from(d.root).toString('hex')).toBe('ab'.repeat(32));
    expect(d).toMatchObject({ maxTotalClaim: 123n, totalAmountClaimed: 4n, mint: SANDBOX.sharesMint, tokenVault: SANDBOX.escrow, admin: SANDBOX_DISTRIBUTOR_ADMIN });
    expect(() => decodeMerkleDistributor({ ...a, owner: SANDBOX.vault })).toThrow(/not a merkle distributor MerkleDistributor: owned by/);
  });
});

describe('compensation.requirePlan in destination-escrow', () => {
  const ROOT = '1a2b3c4d'.repeat(8);
  const TOTAL = 9_000_000_000n;
  const policy = examplePolicy((raw) => {
    raw['compensation'] = { requirePlan: true, clawbackReceivers: [SANDBOX_DISTRIBUTOR_ADMIN], distributorAdmins: [SANDBOX_DISTRIBUTOR_ADMIN] };
  });
  const loss = (plan: { root: string; total: bigint } | null = { root: ROOT, total: TOTAL }) => {
    const l = sandboxLoss();
    return { ...l, event: { ...l.event, ...(plan ? { plan } : {}) } };
  };
  const judge = (o: { distributor?: Parameters<typeof distributorAccount>[0] | null; plan?: { root: string; total: bigint } | null; unavailable?: boolean; extraLoss?: boolean } = {}) => {
    const accounts = o.distributor === null ? [] : [distributorAccount({ rootHex: ROOT, maxTotalClaim: TOTAL, ...o.distributor })];
    const losses = [loss(o.plan === undefined ? undefined : o.plan)];
    if (o.extraLoss) losses.push(sandboxLoss({ id: 'le-second', tx: { name: 'second-loss' } }));
    const facts = scenarioFacts({ accounts, losses, ...(o.unavailable ? { unavailable: [SANDBOX.escrowAuthority] } : {}), ...(o.distributor === null ? { remove: [SANDBOX.escrowAuthority] } : {}) });
    const { decision } = decide(facts, policy, SCENARIO_NOW);
    return decision.rules.find((r) => r.id === 'destination-escrow')!;
  };

  it('passes when the escrow is the vault of a distributor holding exactly the plan', () => {
    const r = judge();
    expect(r).toMatchObject({ outcome: 'pass' });
    expect(r.reason).toMatch(/a distributor holding the loss event's plan/);
  });

  it.each([
    ['root', { rootHex: 'ff'.repeat(32) }, `its root is ${'ff'.repeat(32)}, the plan's is ${'1a2b3c4d'.repeat(8)}`],
    ['max_total_claim', { maxTotalClaim: TOTAL + 1n }, `its max_total_claim is ${TOTAL + 1n}, the plan's total is ${TOTAL}`],
    ['token vault', { tokenVault: SANDBOX.outsiderSharesAta }, `its token vault is ${SANDBOX.outsiderSharesAta}, the escrow is ${SANDBOX.escrow}`],
    ['clawback receiver', { clawbackReceiver: SANDBOX.outsider }, `its clawback receiver is ${SANDBOX.outsider}, allowed: ${SANDBOX_DISTRIBUTOR_ADMIN}`],
    ['admin', { admin: SANDBOX.outsider }, `its admin is ${SANDBOX.outsider}, allowed: ${SANDBOX_DISTRIBUTOR_ADMIN}`],
    ['clawed back', { clawedBack: true }, 'it has been clawed back'],
  ] as const)('fails on a %s mismatch, showing both values', (_what, distributor, expected) => {
    const r = judge({ distributor });
    expect(r.outcome).toBe('fail');
    expect(r.reason).toContain(expected);
  });

  it('fails when the escrow would hold less than what is still claimable after the transfer', () => {
    const big = PENDING_AMOUNT * 2n;
    const r = judge({ distributor: { maxTotalClaim: big, totalAmountClaimed: 1n }, plan: { root: ROOT, total: big } });
    expect(r.outcome).toBe('fail');
    expect(r.reason).toContain(`the escrow would hold ${PENDING_AMOUNT} after the transfer, below the ${big - 1n} still claimable`);
  });

  it('fails on a mint mismatch and on a distributor that is not the program’s PDA', () => {
    const other = wallet();
    // Placed at the escrow authority but derived from another mint / version: both show.
    const r = judge({ distributor: { mint: other, address: SANDBOX.escrowAuthority } });
    expect(r.reason).toContain(`its mint is ${other}, the shares mint is ${SANDBOX.sharesMint}`);
    expect(r.reason).toMatch(/is not the program's PDA for base/);
    const v = judge({ distributor: { version: 7n, address: SANDBOX.escrowAuthority } });
    expect(v.outcome).toBe('fail');
    expect(v.reason).toMatch(/version 7/);
  });

  it('fails without a stored plan, without a distributor, or drawing on two events; unknown when the distributor is unreadable', () => {
    expect(judge({ plan: null })).toMatchObject({ outcome: 'fail', reason: expect.stringMatching(/has no stored compensation plan: build one with POST \/v1\/loss-events\/le-sandbox-1\/plan/) });
    expect(judge({ distributor: null })).toMatchObject({ outcome: 'fail', reason: expect.stringMatching(/MerkleDistributor does not exist/) });
    expect(judge({ distributor: { programId: SANDBOX.vault } })).toMatchObject({ outcome: 'fail', reason: expect.stringMatching(/is not valid/) });
    expect(judge({ unavailable: true })).toMatchObject({ outcome: 'unknown' });
    const two = judge({ extraLoss: true });
    expect(two.outcome === 'fail' || two.outcome === 'unknown').toBe(true);
  });

  it('is inert without the block: the example policy keeps its revision and decides as before', () => {
    const before = parsePolicyText(readFileSync('test/policy/fixtures/example-before-pool-keys.yaml', 'utf8'), 'example-before-pool-keys.yaml');
    expect(before.ok && before.revision).toBe('503c4ae0a3b3f5d026da1c09b1375f44a0db563cf41fa6cbcd77018b0cc39484');
    expect('compensation' in examplePolicy()).toBe(false);
    expect(policyRevision(policy)).not.toBe(policyRevision(examplePolicy()));
    const plain = decide(scenarioFacts(), examplePolicy(), SCENARIO_NOW).decision.rules.find((r) => r.id === 'destination-escrow')!;
    expect(plain.reason).not.toMatch(/plan/);
  });

  it('refuses requirePlan without allowed receivers and admins, and a dust that is not a whole number', () => {
    const text = (block: string) => `${examplePolicyText()}\ncompensation:\n${block}\n`;
    const paths = (block: string) => {
      const r = parsePolicyText(text(block), 'p.yaml');
      return r.ok ? [] : r.problems.map((p) => p.path);
    };
    expect(paths('  requirePlan: true')).toEqual(['compensation.clawbackReceivers', 'compensation.distributorAdmins']);
    expect(paths('  dust: 1.5')).toEqual(['compensation.dust']);
    const ok = parsePolicyText(text(`  requirePlan: true\n  clawbackReceivers: [${SANDBOX_DISTRIBUTOR_ADMIN}]\n  distributorAdmins: [${SANDBOX_DISTRIBUTOR_ADMIN}]\n  dust: "1000"`), 'p.yaml');
    expect(ok.ok && ok.policy.compensation).toEqual({ requirePlan: true, clawbackReceivers: [SANDBOX_DISTRIBUTOR_ADMIN], distributorAdmins: [SANDBOX_DISTRIBUTOR_ADMIN], dust: '1000' });
  });
});

describe('stakesAtSlot (a farm vault replaced by its stakers)', () => {
  const farm = wallet();
  const farmVault = wallet();
  const [bob, dave] = [wallet(), wallet()];
  const WAD = 10n ** 18n;
  const totals = { totalStakedAmount: 170n, totalActiveStakeScaled: 170n * WAD, totalPendingAmount: 10n, totalPendingStakeScaled: 10n * WAD };
  const stakers = [
    { userState: wallet(), owner: bob, activeStakeScaled: 100n * WAD, pendingWithdrawalUnstakeScaled: 10n * WAD },
    { userState: wallet(), owner: dave, activeStakeScaled: 70n * WAD, pendingWithdrawalUnstakeScaled: 0n },
  ];
  const tx = (o: { moved: bigint; ixs: { data: string; accounts: Address[] }[] }): HistoryTransaction => ({
    signature: 'sig',
    slot: 10n,
    failed: false,
    pre: new Map([[farmVault, { owner: farm, amount: 1_000n }]]),
    post: new Map([[farmVault, { owner: farm, amount: 1_000n + o.moved }]]),
    instructions: o.ixs.map((ix) => ({ programId: PROGRAMS.farms, accounts: ix.accounts, data: Buffer.from(ix.data, 'hex'), topLevel: 0, inner: false })),
  });
  const stake = (owner: Address, userState: Address) => ({ data: 'ceb0ca12c8d1b36c1400000000000000', accounts: [owner, userState, farm, farmVault] });

  it('takes each claim now (active + pending) and undoes stakes and withdrawals after S', () => {
    const r = stakesAtSlot({ farm, farmVault, totals, stakers, transactions: [tx({ moved: 20n, ixs: [stake(dave, stakers[1]!.userState)] }), tx({ moved: -5n, ixs: [{ data: '2466bb31dc248443', accounts: [bob, stakers[0]!.userState, farm, wallet(), farmVault] }] })] });
    expect(r).toEqual({ kind: 'known', byOwner: new Map([[bob, 115n], [dave, 50n]]) });
  });

  it('is unknown when a vault movement has no single stake or withdrawal of that farm to explain it', () => {
    const deposit = { data: '83a6405e6cd572b7', accounts: [wallet(), farm, farmVault] }; // deposit_to_farm_vault
    expect(stakesAtSlot({ farm, farmVault, totals, stakers, transactions: [tx({ moved: 7n, ixs: [deposit] })] })).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/moves 7 kTokens into farm/) });
    const two = [stake(dave, stakers[1]!.userState), stake(bob, stakers[0]!.userState)];
    expect(stakesAtSlot({ farm, farmVault, totals, stakers, transactions: [tx({ moved: 7n, ixs: two })] }).kind).toBe('unknown');
  });
});

describe('snapshots carry the plan', () => {
  it('buildSnapshot → parseSnapshot keeps lossEvents[].plan, so evaluate replays the check offline', async () => {
    const l = sandboxLoss();
    const facts = scenarioFacts({ losses: [{ ...l, event: { ...l.event, plan: { root: 'ab'.repeat(32), total: 5n } } }] });
    const json = JSON.parse(JSON.stringify(buildSnapshot({ facts, policy: examplePolicy(), now: SCENARIO_NOW })));
    expect(json.lossEvents[0].plan).toEqual({ root: 'ab'.repeat(32), total: '5' });
    const back = await parseSnapshot(json, '.');
    expect(back.facts.lossEvents[0]!.plan).toEqual({ root: 'ab'.repeat(32), total: 5n });
    const plain = JSON.parse(JSON.stringify(buildSnapshot({ facts: scenarioFacts(), policy: examplePolicy(), now: SCENARIO_NOW })));
    expect('plan' in plain.lossEvents[0]).toBe(false);
    await expect(parseSnapshot({ ...json, lossEvents: [{ ...json.lossEvents[0], plan: { root: 'xyz', total: '5' } }] }, '.')).rejects.toThrow(/64 lowercase hex/);
  });
});
