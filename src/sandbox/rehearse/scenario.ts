/**
 * `backstop rehearse`: a sandbox whose chain is a copy of a real vault's (docs/configuration.md sandbox, issue 17 §4).
 * Programs come as dumps from the source (or BACKSTOP_PROGRAMS_DIR); every account the flow touches
 * is cloned; then only what a rehearsal needs is overridden on the copy: the multisig's curator and
 * council members become local keys (members re-serialised sorted, as Squads keeps them; the two
 * rehearsal proposals take the next indices, older ones marked stale), a loss on the vault's largest
 * reserve (real socialize_loss with the klend dump, else a served recording and the reserve's debt
 * reduced by it), a pending proposal paying the escrow with the curator's vote in place and one
 * paying an outsider, and SOL for local fees. The policy is rewritten for this machine (policy.ts).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { address, type Address } from '@solana/kit';
import { PublicKey } from '@solana/web3.js';
import * as multisigSdk from '@sqds/multisig';
import BN from 'bn.js';
import { decodeReserve } from '../../chain/accounts/klend.ts';
import { ChainUnavailable } from '../../chain/errors.ts';
import { isOffCurve } from '../../chain/curve.ts';
import { associatedTokenAddressOf } from '../../chain/pda.ts';
import { ProgramDumpRefused, readProgramDump } from '../../chain/program-dump.ts';
import { PROGRAMS } from '../../chain/programs.ts';
import { floorDiv, floorFrac, minBig } from '../../policy/amounts.ts';
import { computeAum, farmTransfer, reserveTotalSupply } from '../../policy/valuation.ts';
import { decimalToBaseUnits } from '../../util/units.ts';
import { lossTransaction } from '../fixtures/loss-transaction.ts';
import { findPda, key, tag } from '../fixtures/pda.ts';
import { proposalAccount, vaultTransactionAccount, withdrawalInstructions } from '../fixtures/squads.ts';
import { tokenAccount } from '../fixtures/token.ts';
import type { Harness } from '../harness/index.ts';
import { lendingMarketCodec, patchAccount, reserveCodec } from '../klend/layouts.ts';
import { canProduceRealLoss, socializeLossOnHarness } from '../klend/loss.ts';
import { SANDBOX, sandboxKeypair } from '../seeds.ts';
import type { SandboxScenario, SeededScenario } from '../start.ts';
import { cloneVault, RehearsalRefused, type ClonedVault } from './clone.ts';
import { readPolicyTemplate, rehearsalPolicy, rehearsalPolicyText, type PolicyTemplate, type RehearsalEscrow } from './policy.ts';
import type { SourceChain } from './source.ts';

/** Programs a rehearsal runs for real when the source (or BACKSTOP_PROGRAMS_DIR) has them. */
export const REHEARSAL_PROGRAMS: readonly { name: string; id: Address }[] = [
  { name: 'squads-v4', id: PROGRAMS.squads },
  { name: 'farms', id: PROGRAMS.farms },
  { name: 'klend', id: PROGRAMS.klend },
];

export interface RehearsalOptions {
  readonly source: SourceChain;
  readonly vault: Address;
  readonly multisig?: Address;
  readonly escrow?: Address;
  /** The curator's policy file: its roster names, limits, escrows and pool settings are kept. */
  readonly policyFile?: string;
  /** Dumps to load instead of reading the programs from the source (BACKSTOP_PROGRAMS_DIR). */
  readonly programsDir?: string;
  /** Debt forgiven on the largest reserve, underlying base units (default 1 % of its supply, at most its debt). */
  readonly forgive?: bigint;
}

/** What the rehearsal did, for its banner and tests. */
export interface RehearsalReport {
  clone?: ClonedVault;
  programs: string[];
  notes: string[];
  proposalAmount?: bigint;
  forgiven?: bigint;
}

const SF_ONE = 1n << 60n;

/** Reads what it can of the three programs from the source into `dir`; returns the dir when any was written. */
async function fetchPrograms(source: SourceChain, dir: string, report: RehearsalReport): Promise<string | undefined> {
  rmSync(dir, { recursive: true, force: true }); // each rehearsal is fresh: no dump of an earlier source
  let written = 0;
  for (const p of REHEARSAL_PROGRAMS) {
    try {
      const dump = await readProgramDump(source, p.id);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, `${p.id}.so`), dump.bytes);
      report.programs.push(`${p.name} ${p.id} (deployed at slot ${dump.slot})`);
      written++;
    } catch (err) {
      if (!(err instanceof ProgramDumpRefused)) throw err;
      report.notes.push(`${p.name}: ${err.message}; transactions to it are recorded, not executed`);
    }
  }
  return written > 0 ? dir : undefined;
}

/** Which members are the curator's and the council's: named by the policy, else told apart by Initiate. */
function memberRoles(clone: ClonedVault, template: PolicyTemplate | null, notes: string[]): { curator: Address; council: Address } {
  const members = clone.multisig.members;
  if (template) {
    const curator = template.policy.insurancePool.curatorMember;
    const council = template.policy.cosigner;
    for (const [what, k] of [['insurancePool.curatorMember', curator], ['cosigner', council]] as const) {
      if (!members.some((m) => m.key === k)) throw new RehearsalRefused(`the policy's ${what} ${k} is not a member of multisig ${clone.multisigAddress}: fix the policy, or rehearse without --policy`);
    }
    return { curator, council };
  }
  if (members.length !== 2) {
    throw new RehearsalRefused(`multisig ${clone.multisigAddress} has ${members.length} members, not the 2 of a 2-of-2: pass --policy naming insurancePool.curatorMember and cosigner`);
  }
  const initiators = members.filter((m) => m.initiate);
  const curator = initiators.length === 1 ? initiators[0]! : members[0]!;
  const council = members.find((m) => m !== curator)!;
  if (initiators.length !== 1) notes.push(`multisig members ${members.map((m) => m.key).join(', ')} cannot be told apart by permissions: ${curator.key} plays the curator; pass --policy to name them`);
  return { curator: curator.key, council: council.key };
}

/** The multisig with its curator and council members replaced by local keys (sorted by key bytes), at the given indices. */
function overriddenMultisig(data: Uint8Array, roles: { curator: Address; council: Address }, o: { transactionIndex: bigint; staleTransactionIndex: bigint }): Uint8Array {
  const [m] = multisigSdk.accounts.Multisig.deserialize(Buffer.from(data));
  const replace = new Map([[roles.curator, SANDBOX.curator], [roles.council, SANDBOX.cosigner]]);
  const members = m.members
    .map((x) => ({ key: new PublicKey(replace.get(address(x.key.toBase58())) ?? x.key.toBase58()), permissions: x.permissions }))
    .sort((a, b) => Buffer.compare(a.key.toBuffer(), b.key.toBuffer()));
  const [bytes] = multisigSdk.accounts.Multisig.fromArgs({
    createKey: m.createKey,
    configAuthority: m.configAuthority,
    threshold: m.threshold,
    timeLock: m.timeLock,
    transactionIndex: new BN(o.transactionIndex.toString()),
    staleTransactionIndex: new BN(o.staleTransactionIndex.toString()),
    rentCollector: m.rentCollector,
    bump: m.bump,
    members,
  }).serialize();
  // Squads sizes the account for its members; keep any room the original had.
  const out = new Uint8Array(Math.max(bytes.length, data.length));
  out.set(bytes);
  return out;
}

/** The escrow to pay: the one read from the chain, or a distributor-owned kToken account made on the copy. */
function escrowFor(clone: ClonedVault, harness: Harness, template: PolicyTemplate | null, notes: string[]): RehearsalEscrow {
  if (clone.escrow) {
    const named = template?.policy.escrows.find((e) => e.address === clone.escrow!.address);
    return { name: named?.name ?? 'escrow', ...clone.escrow, walletAuthority: named?.walletAuthority ?? !isOffCurve(clone.escrow.authority) };
  }
  const base = sandboxKeypair('rehearsal-distributor-base').publicKey;
  const version = Buffer.alloc(8);
  const authority = findPda([tag('MerkleDistributor'), base.toBuffer(), key(clone.vault.sharesMint), version], PROGRAMS.distributor).address;
  const at = associatedTokenAddressOf(authority, clone.vault.sharesMint, clone.sharesMint.programId);
  harness.setAccount(tokenAccount({ address: at, owner: authority, mint: clone.vault.sharesMint, programId: clone.sharesMint.programId }));
  notes.push(`escrow candidate ${at} (a merkle distributor's kToken account) exists only on this copy: pass --escrow to rehearse with yours`);
  return { name: 'escrow-candidate', address: at, authority, mint: clone.vault.sharesMint, walletAuthority: false };
}

/** A loss of `forgive` on `reserve`: real socialize_loss when klend runs here, else a served recording and the debt reduced to match. */
async function produceLoss(harness: Harness, clone: ClonedVault, reserve: Address, forgive: bigint, slot: bigint, now: bigint): Promise<{ signature: string; source: 'served' | 'executed' }> {
  if (canProduceRealLoss(harness)) {
    const real = await socializeLossOnHarness(harness, { reserve, forgive, name: 'rehearsal' });
    return { signature: real.signature, source: 'executed' };
  }
  const account = harness.getAccount(reserve)!;
  harness.setAccount({
    ...account,
    data: patchAccount(reserveCodec, account.data, (r) => ({
      ...r,
      lastUpdate: { ...r.lastUpdate, stale: 1 }, // socialize_loss marks the reserve stale
      liquidity: { ...r.liquidity, borrowedAmountSf: r.liquidity.borrowedAmountSf - forgive * SF_ONE },
    })),
  });
  const decoded = clone.reserves.get(reserve)!;
  const market = clone.accounts.get(decoded.lendingMarket)!;
  const tx = lossTransaction({
    name: `rehearsal-loss:${reserve}`,
    reserve,
    lendingMarket: decoded.lendingMarket,
    lendingMarketOwner: lendingMarketCodec.decode(market.data).lendingMarketOwner,
    obligation: address(sandboxKeypair(`rehearsal-obligation:${reserve}`).publicKey.toBase58()),
    forgiven: forgive,
    slot: Number(slot),
    blockTime: Number(now),
  });
  harness.addTransaction(tx.signature, tx.result);
  return { signature: tx.signature, source: 'served' };
}

/** A sandbox scenario that copies `o.vault`'s world from `o.source` (reads only) and rehearses its emergency withdrawal. */
export function rehearsalScenario(o: RehearsalOptions, report: RehearsalReport = { programs: [], notes: [] }): SandboxScenario {
  return {
    async programsDir(dataDir) {
      if (o.programsDir) {
        report.programs.push(`dumps from ${o.programsDir}`);
        return o.programsDir;
      }
      return fetchPrograms(o.source, join(dataDir, 'programs'), report);
    },

    async seed(harness, { dataDir }): Promise<SeededScenario> {
      const notes = report.notes;
      const template = o.policyFile ? readPolicyTemplate(o.policyFile, o.vault) : null;
      const clone = await cloneVault(o.source, {
        vault: o.vault,
        ...((o.multisig ?? template?.policy.insurancePool.multisig) ? { multisig: (o.multisig ?? template?.policy.insurancePool.multisig)! } : {}),
        ...((o.escrow ?? template?.policy.escrows[0]?.address) ? { escrow: (o.escrow ?? template?.policy.escrows[0]?.address)! } : {}),
        wallets: template?.policy.curators.members.flatMap((m) => (m.wallet ? [m.wallet] : [])) ?? [],
      });
      report.clone = clone;
      notes.push(...clone.notes);
      for (const a of clone.accounts.values()) harness.setAccount(a);

      // The copy's clock runs after everything read: the loss lands after every invest and refresh.
      const { vault, farm } = clone;
      const slot = [clone.slot, ...vault.activeAllocations.map((a) => a.lastInvestSlot), ...[...clone.reserves.values()].map((r) => r.lastUpdate.slot)].reduce((a, b) => (a > b ? a : b)) + 1n;
      const now = BigInt(Math.floor(Date.now() / 1000));
      harness.svm.warpToSlot(slot);
      const clock = harness.svm.getClock();
      clock.unixTimestamp = now;
      harness.svm.setClock(clock);

      // The loss, on the reserve where the vault holds the most.
      const reserveAddress = clone.largestReserve;
      const reserve = clone.reserves.get(reserveAddress)!;
      const allocation = vault.activeAllocations.find((a) => a.reserve === reserveAddress)!;
      const forgive = minBig(o.forgive ?? floorFrac(reserveTotalSupply(reserve)) / 100n, reserve.liquidity.borrowedAmountSf / SF_ONE);
      if (forgive <= 0n) throw new RehearsalRefused(`reserve ${reserveAddress} has no debt to socialize: there is no loss to rehearse on the vault's largest reserve`);
      const vaultLoss = (forgive * allocation.ctokenAllocation) / reserve.collateral.mintTotalSupply;
      if (vaultLoss === 0n) throw new RehearsalRefused(`a loss of ${forgive} on reserve ${reserveAddress} costs the vault nothing in base units: pass a larger --forgive`);
      const loss = await produceLoss(harness, clone, reserveAddress, forgive, slot, now);
      report.forgiven = forgive;

      // What a kToken is worth after the loss, from the copy's reserves.
      const after = new Map([...clone.reserves.keys()].map((r) => [r, decodeReserve(harness.getAccount(r)!)]));
      const aum = computeAum(vault, (r) => (after.has(r) ? { status: 'ok', value: after.get(r)! } : { status: 'missing' }));
      if (aum.outcome !== 'pass') throw new RehearsalRefused(`the vault cannot be valued after the loss: ${aum.reason}`);

      const escrow = escrowFor(clone, harness, template, notes);
      const { raw, policy, roster, notes: policyNotes } = rehearsalPolicy({ clone, template, escrow, source: o.source.endpoint });
      notes.push(...policyNotes);

      // The proposal withdraws kTokens worth half of what the loss and the limits allow, never the whole pool.
      const decimals = Number(vault.tokenMintDecimals);
      const limit = (s: string) => decimalToBaseUnits(s, decimals) ?? 0n;
      const cap = minBig(minBig(vaultLoss, limit(policy.limits.maxPerProposal)), limit(policy.limits.maxPerWindow)) / 2n;
      const pool = farm.totalStakedAmount + farm.totalPendingAmount;
      const amount = minBig(floorDiv(cap * vault.sharesIssued * aum.aum.den, aum.aum.num === 0n ? 1n : aum.aum.num), pool / 2n);
      if (amount <= 0n) throw new RehearsalRefused(`nothing to withdraw: the Insurance Pool holds ${pool} kTokens and the loss allows ${cap} base units`);
      report.proposalAmount = amount;
      const transfer = farmTransfer(amount, farm.totalStakedAmount, farm.totalPendingAmount).transfer;

      // Local-only accounts: the outsider's kToken account (denied proposal) and SOL for fees.
      const tokenProgram = clone.sharesMint.programId;
      const outsiderAta = associatedTokenAddressOf(SANDBOX.outsider, vault.sharesMint, tokenProgram);
      harness.setAccount(tokenAccount({ address: outsiderAta, owner: SANDBOX.outsider, mint: vault.sharesMint, programId: tokenProgram }));
      for (const k of [SANDBOX.cosigner, SANDBOX.feePayer, SANDBOX.curator]) harness.airdrop(k, 10_000_000_000n);
      if (!clone.vaultPdaSharesAta.exists && (harness.getAccount(clone.vaultPda)?.lamports ?? 0n) < 10_000_000n) harness.airdrop(clone.vaultPda, 10_000_000n);

      // The two proposals at the multisig's next indices; the curator's vote is in place on both.
      const roles = memberRoles(clone, template, notes);
      const pending = clone.multisig.transactionIndex + 1n;
      const denied = pending + 1n;
      const instructions = (destination: Address) =>
        withdrawalInstructions({
          amount,
          transferAmount: transfer,
          destination,
          farm: clone.farmAddress,
          farmVault: farm.farmVault,
          farmVaultsAuthority: farm.farmVaultsAuthority,
          withdrawerTokenAccount: clone.vaultPdaSharesAta.address,
          mint: vault.sharesMint,
          decimals: clone.sharesMint.decimals,
          vaultPda: clone.vaultPda,
          createAta: !clone.vaultPdaSharesAta.exists,
          tokenProgram,
        });
      for (const [index, destination] of [[pending, escrow.address], [denied, outsiderAta]] as const) {
        harness.setAccount(vaultTransactionAccount({ index, multisig: clone.multisigAddress, vaultIndex: clone.vaultIndex, creator: SANDBOX.curator, instructions: instructions(destination) }));
        harness.setAccount(proposalAccount({ index, multisig: clone.multisigAddress, approved: [SANDBOX.curator], memberCount: clone.multisig.members.length }));
      }
      const ms = harness.getAccount(clone.multisigAddress)!;
      const stale = clone.multisig.staleTransactionIndex > clone.multisig.transactionIndex ? clone.multisig.staleTransactionIndex : clone.multisig.transactionIndex;
      harness.setAccount({ ...ms, data: overriddenMultisig(ms.data, roles, { transactionIndex: denied, staleTransactionIndex: stale }) });

      const policyDir = join(dataDir, 'policies');
      mkdirSync(policyDir, { recursive: true, mode: 0o700 });
      for (const f of readdirSync(policyDir)) if (/\.ya?ml$/.test(f)) rmSync(join(policyDir, f));
      const policyFile = join(policyDir, 'rehearsal.yaml');
      writeFileSync(policyFile, rehearsalPolicyText(raw, { source: o.source.endpoint, slot: clone.slot, template: template?.file ?? null }), { mode: 0o600 });

      return {
        vault: clone.vaultAddress,
        reserve: reserveAddress,
        multisig: clone.multisigAddress,
        escrow: escrow.address,
        loss: {
          signature: loss.signature,
          vaultLoss,
          note: `rehearsal: ${forgive} forgiven on reserve ${reserveAddress} (${loss.source === 'executed' ? 'socialize_loss executed by the klend program' : 'a served recording'})`,
          source: loss.source,
        },
        pendingIndex: pending,
        deniedIndex: denied,
        policyDir,
        policyFile,
        telegram: roster,
        rehearsal: { source: o.source.endpoint, slot: clone.slot.toString(), clonedAccounts: clone.accounts.size, notes: [...notes] },
      };
    },
  };
}

/** What `backstop rehearse` prints under the sandbox banner. */
export function rehearsalBanner(report: RehearsalReport, source: string): string {
  const c = report.clone;
  const lines = [
    `rehearsal of kvault ${c?.vaultAddress ?? '?'} copied from ${source} at slot ${c?.slot ?? '?'} (${c?.accounts.size ?? 0} accounts; reads only)`,
    `  multisig        ${c?.multisigAddress ?? '?'} (vault ${c?.vaultIndex ?? '?'}): curator and council members replaced by local keys`,
    `  loss            ${report.forgiven ?? '?'} base units forgiven on reserve ${c?.largestReserve ?? '?'} (the vault's largest)`,
    `  proposal        withdraws ${report.proposalAmount ?? '?'} kToken base units from the Insurance Pool to the escrow`,
    `  programs        ${report.programs.length > 0 ? report.programs.join('; ') : 'none: recorded mode'}`,
    ...report.notes.map((n) => `  note: ${n}`),
  ];
  return `${lines.join('\n')}\n`;
}

export { ChainUnavailable, RehearsalRefused };
