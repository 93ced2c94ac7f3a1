/**
 * Pre-sign simulation (issue 12): before approve+execute is signed or stored, the same message is
 * simulated UNSIGNED (every signature zero, no signature check) and the accounts it writes are
 * compared with what the decision promised: the escrow gains exactly X, the farm vault loses exactly
 * X, no other token account's balance, owner, delegate or close authority changes, the vault PDA pays
 * at most the rent of an associated token account the message creates, and the fee payer at most the
 * fee. Program state (FarmState, Proposal) changes as the programs do and is not judged here.
 */
import type { Address } from '@solana/kit';
import { VersionedTransaction, type AddressLookupTableAccount } from '@solana/web3.js';
import { decodeTokenAccount, TOKEN_2022_PROGRAM_ADDRESS, TOKEN_PROGRAM_ADDRESS } from '../chain/accounts/spl.ts';
import { associatedTokenAddressOf } from '../chain/pda.ts';
import type { DecodedProposal } from '../chain/proposal.ts';
import type { AccountData } from '../chain/types.ts';
import type { Decision } from '../policy/decision.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import type { JsonInput } from '../store/types.ts';
import type { WorkflowChain } from '../workflow/ports.ts';
import type { SimulationFailure } from './errors.ts';
import { unsignedBytes } from './transaction.ts';

/**
 * `required` (the default, production): approve+execute is signed only after a simulation that
 * matches the decision. `skip-recorded-mode`: the sandbox without program binaries, which cannot
 * execute the programs; known from local configuration, never from an RPC's answer.
 */
export type SimulationMode = 'required' | 'skip-recorded-mode';

/** The base fee per signature; backstop's messages set no compute-unit price, so there is no priority fee. */
export const LAMPORTS_PER_SIGNATURE = 5000n;

/** What the simulation must show, from the decision and the message. */
export interface SimulationExpectation {
  /** The registered escrow the transfer pays (destination-escrow). */
  readonly escrow: Address;
  /** The farm's token vault the withdrawal draws from. */
  readonly farmVault: Address;
  /** X: the farm transfer the decision states, in kToken base units. */
  readonly amount: bigint;
  /** The multisig vault PDA (the inner message's payer). */
  readonly vaultPda: Address;
  readonly feePayer: Address;
  /** The most the fee payer may pay: the transaction fee. */
  readonly maxFee: bigint;
}

/** One requested account before (read) and after (simulated); null = does not exist. */
export interface AccountChange {
  readonly address: Address;
  readonly before: AccountData | null;
  readonly after: AccountData | null;
}

/** The checker's verdict: the problems found (none = pass) and what was seen, for the audit entry. */
export interface SimulationCheck {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly seen: { readonly [key: string]: JsonInput };
}

/** What `simulateUnsigned` concluded; `payload` goes into the `simulation` audit entry. */
export type SimulationOutcome =
  | { readonly ok: true; readonly payload: { readonly [key: string]: JsonInput } }
  | { readonly ok: false; readonly failure: SimulationFailure; readonly problems: readonly string[]; readonly payload: { readonly [key: string]: JsonInput } };

/** The token fields the simulation compares, or null when the account is not an initialized token account. */
interface TokenView {
  readonly mint: Address;
  readonly owner: Address;
  readonly amount: bigint;
  readonly delegate: Address | null;
  readonly delegatedAmount: bigint;
  readonly closeAuthority: Address | null;
  readonly state: string;
  readonly programId: Address;
}

function tokenView(a: AccountData | null): TokenView | null {
  if (!a || (a.owner !== TOKEN_PROGRAM_ADDRESS && a.owner !== TOKEN_2022_PROGRAM_ADDRESS)) return null;
  try {
    const t = decodeTokenAccount(a);
    if (t.state === 'uninitialized') return null;
    return { mint: t.mint, owner: t.owner, amount: t.amount, delegate: t.delegate, delegatedAmount: t.delegatedAmount, closeAuthority: t.closeAuthority, state: t.state, programId: t.programId };
  } catch {
    return null; // a mint or a token multisig: not a token account
  }
}

const viewJson = (t: TokenView | null): JsonInput =>
  t && { mint: t.mint, owner: t.owner, amount: t.amount, delegate: t.delegate, delegatedAmount: t.delegatedAmount, closeAuthority: t.closeAuthority, state: t.state };

/** X, the escrow and the farm vault from the allowed decision's summary and the decoded message; problems when they are not stated. */
export function expectationFromDecision(
  decision: Decision,
  summary: DecisionSummary,
  decoded: DecodedProposal,
  o: { feePayer: Address; maxFee: bigint },
): { ok: true; expectation: SimulationExpectation } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const { destination, farmTransfer, farm } = summary;
  if (!decision.allowed) problems.push(`the decision ${decision.id} does not allow the withdrawal`);
  if (destination === null || summary.escrowName === null) problems.push('the decision names no registered escrow the transfer pays');
  if (farmTransfer === null || farmTransfer <= 0n) problems.push('the decision does not state a positive farm transfer');
  if (farm === null) problems.push('the decision names no farm the withdrawal takes from');
  const withdrawals = (decoded.message?.instructions ?? []).filter((ix) => ix.kind === 'farms-withdraw-from-farm-vault');
  const vaults = new Set(withdrawals.map((w) => (w.kind === 'farms-withdraw-from-farm-vault' ? w.farmVault : null)));
  if (withdrawals.length === 0 || vaults.size !== 1) problems.push(`the message has ${withdrawals.length === 0 ? 'no withdraw_from_farm_vault' : 'withdrawals from several farm vaults'}`);
  if (withdrawals.some((w) => w.kind === 'farms-withdraw-from-farm-vault' && w.farmState !== farm)) problems.push(`the message withdraws from another farm than the decision's ${String(farm)}`);
  const paid = new Set((decoded.message?.instructions ?? []).flatMap((ix) => (ix.kind === 'token-transfer' || ix.kind === 'token-transfer-checked' ? [ix.destination] : [])));
  if (destination !== null && !paid.has(destination)) problems.push(`the message does not transfer to the decision's escrow ${destination}`);
  if (!decoded.vaultPda) problems.push('the proposal names no vault PDA');
  const [farmVault] = [...vaults];
  if (problems.length > 0 || !farmVault || !decoded.vaultPda || destination === null || farmTransfer === null) return { ok: false, problems };
  return {
    ok: true,
    expectation: { escrow: destination, farmVault, amount: farmTransfer, vaultPda: decoded.vaultPda, feePayer: o.feePayer, maxFee: o.maxFee },
  };
}

/**
 * Compares the accounts before and after the simulation with the expectation. Pure: the same
 * inputs always give the same verdict. Every requested token account is judged; other accounts
 * (program state) only through the vault PDA's and the fee payer's lamports.
 */
export function checkSimulation(expect: SimulationExpectation, changes: readonly AccountChange[]): SimulationCheck {
  const problems: string[] = [];
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const tokenAccounts: JsonInput[] = [];
  let createdRent = 0n;

  for (const c of changes) {
    const b = tokenView(c.before);
    const a = tokenView(c.after);
    if (!b && !a) continue; // program state, the vault PDA or the fee payer: judged below by lamports only
    const role = c.address === expect.escrow ? 'escrow' : c.address === expect.farmVault ? 'farm-vault' : b ? 'other' : 'created';
    const delta = b && a ? a.amount - b.amount : null;
    tokenAccounts.push({ address: c.address, role, before: viewJson(b), after: viewJson(a), delta });
    const what = role === 'escrow' ? `the escrow ${c.address}` : role === 'farm-vault' ? `the farm vault ${c.address}` : `token account ${c.address}`;
    if (b && !a) {
      problems.push(`${what} would be closed`);
      continue;
    }
    if (!b && a) {
      // Created by the message: only an empty, undelegated associated token account is expected.
      if (role !== 'created') problems.push(`${what} does not exist before the transaction`);
      if (a.amount !== 0n) problems.push(`${what} would be created holding ${a.amount}`);
      if (a.delegate !== null || a.closeAuthority !== null) problems.push(`${what} would be created with a delegate or close authority`);
      if (associatedTokenAddressOf(a.owner, a.mint, a.programId) !== c.address) problems.push(`${what} would be created but is not the associated token account of ${a.owner}`);
      createdRent += (c.after?.lamports ?? 0n) - (c.before?.lamports ?? 0n);
      continue;
    }
    if (!b || !a) continue;
    const expected = role === 'escrow' ? expect.amount : role === 'farm-vault' ? -expect.amount : 0n;
    if (a.amount - b.amount !== expected) {
      problems.push(
        role === 'escrow'
          ? `the escrow ${c.address} would receive ${a.amount - b.amount}, the decision promised ${expect.amount}`
          : role === 'farm-vault'
            ? `the farm vault ${c.address} would send ${b.amount - a.amount}, the decision promised ${expect.amount}`
            : `${what} would change balance by ${a.amount - b.amount} (${b.amount} → ${a.amount})`,
      );
    }
    if (a.owner !== b.owner) problems.push(`${what} would change owner ${b.owner} → ${a.owner}`);
    if (a.delegate !== b.delegate || a.delegatedAmount !== b.delegatedAmount) problems.push(`${what} would change delegate ${b.delegate ?? 'none'} → ${a.delegate ?? 'none'} (${b.delegatedAmount} → ${a.delegatedAmount})`);
    if (a.closeAuthority !== b.closeAuthority) problems.push(`${what} would change close authority ${b.closeAuthority ?? 'none'} → ${a.closeAuthority ?? 'none'}`);
    if (a.mint !== b.mint || a.state !== b.state) problems.push(`${what} would change mint or state (${b.mint} ${b.state} → ${a.mint} ${a.state})`);
  }
  for (const [address, what] of [[expect.escrow, 'the escrow'], [expect.farmVault, 'the farm vault']] as const) {
    const c = byAddress.get(address);
    if (!c) problems.push(`the message does not write ${what} ${address}`);
    else if (!tokenView(c.before) && !tokenView(c.after)) problems.push(`${what} ${address} is not a token account`);
  }

  const lamports = (a: AccountData | null | undefined) => a?.lamports ?? 0n;
  const vault = byAddress.get(expect.vaultPda);
  const vaultFall = vault ? lamports(vault.before) - lamports(vault.after) : null;
  if (vaultFall === null) problems.push(`the vault PDA ${expect.vaultPda} was not simulated`);
  else if (vaultFall > createdRent) {
    problems.push(`the vault PDA ${expect.vaultPda} would pay ${vaultFall} lamports; at most ${createdRent} (rent of the associated token accounts the message creates) is allowed`);
  }
  const payer = byAddress.get(expect.feePayer);
  const paid = payer?.before ? lamports(payer.before) - lamports(payer.after) : null;
  if (paid === null) problems.push(`the fee payer ${expect.feePayer} was not simulated or does not exist`);
  else if (paid > expect.maxFee) problems.push(`the fee payer ${expect.feePayer} would pay ${paid} lamports, more than the fee of ${expect.maxFee}`);

  return {
    ok: problems.length === 0,
    problems,
    seen: {
      tokenAccounts,
      vaultPda: { address: expect.vaultPda, before: vault ? lamports(vault.before) : null, after: vault ? lamports(vault.after) : null, maxFall: createdRent },
      feePayer: { address: expect.feePayer, before: payer ? lamports(payer.before) : null, after: payer ? lamports(payer.after) : null, maxFee: expect.maxFee },
    },
  };
}

/** Every account the message writes (lookup-table ones included), in message order. */
export function writableAccounts(tx: VersionedTransaction, lookupTables: readonly AddressLookupTableAccount[]): Address[] {
  const keys = tx.message.getAccountKeys({ addressLookupTableAccounts: [...lookupTables] });
  const out: Address[] = [];
  for (let i = 0; i < keys.length; i++) if (tx.message.isAccountWritable(i)) out.push(keys.get(i)!.toBase58() as Address);
  return out;
}

/** The transaction fee of `tx`: the base fee per required signature. */
export function feeOf(tx: VersionedTransaction): bigint {
  return LAMPORTS_PER_SIGNATURE * BigInt(tx.message.header.numRequiredSignatures);
}

const LOG_LINES_KEPT = 20;

/**
 * Simulates `tx` UNSIGNED with the accounts it writes plus the vault PDA, and checks the result.
 * Never throws for a chain failure: an unreadable account or an RPC failure is a refusal (`rpc`).
 */
export async function simulateUnsigned(input: {
  chain: Pick<WorkflowChain, 'getAccounts' | 'simulateTransaction'>;
  transaction: VersionedTransaction;
  lookupTables: readonly AddressLookupTableAccount[];
  expectation: SimulationExpectation;
}): Promise<SimulationOutcome> {
  const { chain, expectation } = input;
  const bytes = unsignedBytes(input.transaction);
  // Never hand a signature to the RPC before deciding: refuse to simulate anything signed.
  if (VersionedTransaction.deserialize(bytes).signatures.some((s) => s.some((b) => b !== 0))) throw new Error('refusing to simulate a signed transaction');
  const requested = [...new Set([...writableAccounts(input.transaction, input.lookupTables), expectation.vaultPda])];
  const expected = { ...expectation } as { readonly [key: string]: JsonInput };
  const refused = (failure: SimulationFailure, problems: string[], extra: { readonly [key: string]: JsonInput } = {}): SimulationOutcome => ({
    ok: false,
    failure,
    problems,
    payload: { outcome: 'refused', failure, problems, expected, requested, ...extra },
  });

  let before: Awaited<ReturnType<WorkflowChain['getAccounts']>>;
  try {
    before = await chain.getAccounts(requested);
  } catch (err) {
    return refused('rpc', [`reading the accounts before the simulation failed: ${(err as Error).message}`]);
  }
  const unreadable = requested.filter((a) => before.get(a)?.kind !== 'found' && before.get(a)?.kind !== 'missing');
  if (unreadable.length > 0) {
    const r = before.get(unreadable[0]!);
    return refused('rpc', [`could not read ${unreadable.join(', ')} before the simulation${r?.kind === 'unavailable' ? `: ${r.error}` : ''}`]);
  }

  let sim: Awaited<ReturnType<WorkflowChain['simulateTransaction']>>;
  try {
    sim = await chain.simulateTransaction(bytes, { accounts: requested });
  } catch (err) {
    return refused('rpc', [`the RPC could not simulate: ${(err as Error).message}`]);
  }
  const logs = sim.logs.slice(-LOG_LINES_KEPT);
  if (sim.err !== null && sim.err !== undefined) {
    return refused('simulation-error', [`the transaction fails in simulation: ${JSON.stringify(sim.err)}`], { simulationError: JSON.stringify(sim.err), logs });
  }
  if (!sim.accounts || sim.accounts.length !== requested.length) {
    return refused('rpc', ['the RPC did not answer the accounts after the simulation'], { logs });
  }
  const changes: AccountChange[] = requested.map((address, i) => {
    const b = before.get(address);
    return { address, before: b?.kind === 'found' ? b.account : null, after: sim.accounts![i] ?? null };
  });
  const check = checkSimulation(expectation, changes);
  if (!check.ok) return refused('deltas', [...check.problems], { ...check.seen, logs });
  return { ok: true, payload: { outcome: 'passed', expected, requested, ...check.seen, unitsConsumed: sim.unitsConsumed } };
}
