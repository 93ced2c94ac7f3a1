/**
 * The real co-signer (docs/flow.md steps 6–7): re-reads the proposal right before signing, builds
 * `proposal_approve` (+ `vault_transaction_execute` in the SAME transaction when the policy executes
 * and the time lock is 0), signs, and stores the intent BEFORE anything is sent. Sending only ever
 * sends stored bytes, after reading the Proposal account; confirmation is polled.
 */
import type { Address } from '@solana/kit';
import { PublicKey, type AddressLookupTableAccount, type Connection, type TransactionInstruction, type VersionedTransaction } from '@solana/web3.js';
import * as multisigSdk from '@sqds/multisig';
import { decodeProposalAccount, SQUADS_PROGRAM, type ProposalAccount } from '../chain/accounts/squads.ts';
import { ChainUnavailable } from '../chain/errors.ts';
import { proposalPdaOf } from '../chain/pda.ts';
import { readAccount } from '../chain/types.ts';
import type { Decision } from '../policy/decision.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import type { IntentKind, IntentRecord, ProposalRecord, Store } from '../store/types.ts';
import type { ApprovalStatus, CoSigner, Log, WorkflowChain } from '../workflow/ports.ts';
import { CosignRefused, SimulationRefused, type SimulationFailure } from './errors.ts';
import { checkEscrowReceipt, escrowBalances, type EscrowBalances } from './escrow-check.ts';
import { lookupTableAccounts, readProposalForSigning, sdkVaultTransaction, type ProposalForSigning } from './read.ts';
import type { Signer } from './signer.ts';
import { expectationFromDecision, feeOf, simulateUnsigned, type SimulationMode } from './simulate.ts';
import { compileV0, signCompiled, signV0 } from './transaction.ts';

const { instructions, generated, utils } = multisigSdk;

/** The fee payer needs at least this much for `/readyz` (0.05 SOL). */
export const MIN_FEE_PAYER_LAMPORTS = 50_000_000n;
/** The memo of the co-signer's on-chain rejection. */
export const REJECT_MEMO = 'rejected in backstop';

/** Named arguments of `ChainCoSigner`. */
export interface ChainCoSignerOptions {
  readonly chain: WorkflowChain;
  readonly store: Store;
  /** The co-signer key (a member of the multisig with Vote, and Execute when backstop executes). */
  readonly signer: Signer;
  /** Pays fees; the co-signer pays when omitted. */
  readonly feePayer?: Signer;
  readonly log: Log;
  /**
   * Resends of one intent are spaced out: `initialMs` after the first send, doubling up to `maxMs`
   * (default 2 s → 30 s). A new process sends at once (it cannot know when the last send was).
   */
  readonly resendBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Milliseconds clock for the backoff (tests). */
  readonly now?: () => number;
  /**
   * Pre-sign simulation of approve+execute: `required` (default) or `skip-recorded-mode`, which only
   * the sandbox without program binaries passes (local configuration, never an RPC's answer).
   */
  readonly simulation?: SimulationMode;
}

/** What `readiness()` reports for `/readyz`. */
export interface CoSignerReadiness {
  readonly ok: boolean;
  readonly feePayer: Address;
  readonly lamports: bigint | null;
  readonly detail: string;
}

/** `<multisig>:<transactionIndex>` → its parts. */
export function parseProposalId(id: string): { multisig: Address; transactionIndex: bigint } {
  const at = id.lastIndexOf(':');
  const index = id.slice(at + 1);
  if (at <= 0 || !/^[0-9]+$/.test(index)) throw new Error(`not a proposal id: ${id}`);
  return { multisig: id.slice(0, at) as Address, transactionIndex: BigInt(index) };
}

// The execute accounts come from tables we resolved ourselves; a network lookup would bypass that check.
const NO_CONNECTION = new Proxy({} as Connection, {
  get: (_t, method) => () => {
    throw new Error(`the co-signer resolves lookup tables itself; the SDK asked the network for ${String(method)}`);
  },
});

/** The co-signer on a real chain (or the sandbox harness). */
export class ChainCoSigner implements CoSigner {
  readonly address: Address;
  private readonly chain: WorkflowChain;
  private readonly store: Store;
  private readonly signer: Signer;
  private readonly feePayer: Signer;
  private readonly log: Log;
  /** Escrow balances read at signing time, per intent signature (this process only). */
  private readonly before = new Map<string, EscrowBalances>();
  /** Intent signatures whose escrow receipt was already checked. */
  private readonly checked = new Set<string>();
  /** Per intent signature: sends so far and when the next resend is due. */
  private readonly resends = new Map<string, { count: number; dueAt: number }>();
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  private readonly nowMs: () => number;
  private readonly simulation: SimulationMode;

  constructor({ chain, store, signer, feePayer, log, resendBackoff = { initialMs: 2000, maxMs: 30_000 }, now = Date.now, simulation = 'required' }: ChainCoSignerOptions) {
    this.simulation = simulation;
    this.backoff = resendBackoff;
    this.nowMs = now;
    this.chain = chain;
    this.store = store;
    this.signer = signer;
    this.feePayer = feePayer ?? signer;
    this.log = log;
    this.address = signer.address;
  }

  /** Builds and signs the approval (with execution when allowed) and stores the intent; sends nothing. */
  async prepareApproval({ row, policy, decision, summary }: { row: ProposalRecord; policy: LoadedPolicy; decision: Decision; summary: DecisionSummary }): Promise<IntentRecord> {
    const refuse = (reason: string) => new CosignRefused(row.id, reason);
    const p = policy.policy;
    if (p.insurancePool.multisig !== row.multisig) throw refuse(`the policy ${policy.file} does not cover multisig ${row.multisig}`);
    if (p.cosigner !== this.address) throw refuse(`the policy's co-signer is ${p.cosigner}, this key is ${this.address}`);
    if (!decision.allowed || decision.digest === null) throw refuse(`decision ${decision.id} does not allow it`);
    if (decision.digest !== row.digest) throw refuse('the decision’s digest differs from the one the humans approved');
    if (decision.policyRevision !== row.policyRevision || decision.policyRevision !== policy.revision) {
      throw refuse('the decision’s policy revision differs from the one the humans approved');
    }

    // Re-read everything (tables included) and check that what executes is what was decided.
    const read = await readProposalForSigning(this.chain, row.multisig, row.transactionIndex);
    const d = read.decoded;
    if (d.multisig.status !== 'ok') throw refuse(`the multisig is ${d.multisig.status}`);
    if (d.proposal.status !== 'ok') throw refuse(`the Proposal account is ${d.proposal.status}`);
    if (d.transaction.status !== 'ok' || d.transaction.value.type !== 'vault') throw refuse('the transaction account is not a readable VaultTransaction');
    if (!d.message || d.message.unresolved !== null) throw refuse(`the message does not resolve: ${d.message?.unresolved ?? 'no message'}`);
    if (d.digest !== decision.digest) throw refuse('what would execute changed since the decision (digest differs)');
    const ms = d.multisig.value;
    const proposal = d.proposal.value;
    if (proposal.status.kind !== 'Active') throw refuse(`the proposal is ${proposal.status.kind}, not Active`);
    if (row.transactionIndex <= ms.staleTransactionIndex) throw refuse('the proposal is stale');
    if (proposal.approved.includes(this.address)) throw refuse('the co-signer already approved on-chain');
    const member = ms.members.find((m) => m.key === this.address);
    if (!member?.vote) throw refuse('the co-signer is not a voting member of the multisig');
    const execute = p.execution.execute && ms.timeLock === 0;
    if (execute && !member.execute) throw refuse('the co-signer lacks Execute, so it cannot approve and execute in one transaction');

    const multisigPda = new PublicKey(row.multisig);
    const ixs: TransactionInstruction[] = [
      instructions.proposalApprove({ multisigPda, transactionIndex: row.transactionIndex, member: new PublicKey(this.address), memo: decision.id }),
    ];
    const tables = lookupTableAccounts(read);
    if (execute) ixs.push(await this.executeInstruction(row, read, tables));

    const { blockhash, lastValidBlockHeight } = await this.chain.getLatestBlockhash();
    const tx = compileV0({ instructions: ixs, payer: this.feePayer, blockhash, lookupTables: tables });
    // Approve-only changes no balance; approve+execute is simulated unsigned before anything is signed.
    if (execute) await this.simulateBeforeSigning({ row, decision, summary, read, tx, tables });
    const signed = await signCompiled(tx, { payer: this.feePayer, signers: [this.signer] });
    const kind: IntentKind = execute ? 'approve-execute' : 'approve';
    // Best effort: the balances let the escrow receipt be checked after execution.
    const balances = await escrowBalances(this.chain, d).catch(() => null);
    const intent = await this.store.recordIntent({
      proposal: row.id, kind, transaction: signed.bytes, signature: signed.signature, blockhash, lastValidBlockHeight: BigInt(lastValidBlockHeight), status: 'sent',
    });
    if (balances) this.before.set(intent.signature, balances);
    this.log.info({ proposal: row.id, kind, signature: intent.signature, decision: decision.id }, 'approval signed and stored; not sent yet');
    return intent;
  }

  /**
   * Simulates the unsigned approve+execute and audits what it showed (`simulation`); throws
   * `SimulationRefused` unless the deltas are exactly what the decision promised. In
   * `skip-recorded-mode` it audits the skip and returns.
   */
  private async simulateBeforeSigning(o: { row: ProposalRecord; decision: Decision; summary: DecisionSummary; read: ProposalForSigning; tx: VersionedTransaction; tables: AddressLookupTableAccount[] }): Promise<void> {
    const ctx = { proposal: o.row.id, decision: o.decision.id };
    if (this.simulation === 'skip-recorded-mode') {
      await this.store.appendAudit('simulation', { ...ctx, outcome: 'skipped (recorded mode)' });
      this.log.info(ctx, 'simulation: skipped (recorded mode: the programs cannot execute here)');
      return;
    }
    const expected = expectationFromDecision(o.decision, o.summary, o.read.decoded, { feePayer: this.feePayer.address, maxFee: feeOf(o.tx) });
    const refused = (failure: SimulationFailure, problems: string[]) => ({ ok: false, failure, problems, payload: { outcome: 'refused', failure, problems } }) as const;
    const outcome = expected.ok
      ? await simulateUnsigned({ chain: this.chain, transaction: o.tx, lookupTables: o.tables, expectation: expected.expectation }).catch((err: Error) =>
          refused('simulation-error', [`the simulation could not be prepared: ${err.message}`]),
        )
      : refused('decision', expected.problems);
    await this.store.appendAudit('simulation', { ...ctx, ...outcome.payload });
    if (outcome.ok) {
      this.log.info(ctx, 'simulation: the deltas are exactly what the decision promised');
      return;
    }
    this.log.error({ ...ctx, failure: outcome.failure, problems: outcome.problems }, 'simulation refused: nothing signed');
    throw new SimulationRefused(o.row.id, outcome.failure, outcome.problems);
  }

  /** Sends a stored intent's exact bytes, after reading the Proposal account; never throws, never signs. */
  async send(intent: IntentRecord): Promise<void> {
    const ctx = { proposal: intent.proposal, kind: intent.kind, signature: intent.signature };
    if (intent.status === 'failed' || intent.status === 'expired' || intent.status === 'landed') {
      this.log.info({ ...ctx, status: intent.status }, 'not resending: the intent is settled');
      return;
    }
    const last = this.resends.get(intent.signature);
    if (last && this.nowMs() < last.dueAt) {
      this.log.debug({ ...ctx, dueAt: new Date(last.dueAt).toISOString() }, 'resend deferred (backoff)');
      return;
    }
    let target: { multisig: Address; transactionIndex: bigint };
    try {
      target = parseProposalId(intent.proposal);
    } catch (err) {
      this.log.error({ ...ctx, err: (err as Error).message }, 'cannot send: the intent names no proposal');
      return;
    }
    const pda = proposalPdaOf(target.multisig, target.transactionIndex);
    let proposal: ProposalAccount;
    let programRunsHere = true;
    try {
      const accounts = await this.chain.getAccounts([pda, SQUADS_PROGRAM]);
      const read = readAccount(accounts, pda, decodeProposalAccount);
      if (read.status !== 'ok') {
        this.log.warn({ ...ctx, read: read.status, err: 'error' in read ? read.error : undefined }, 'not sending: the Proposal account could not be read; retrying next poll');
        return;
      }
      proposal = read.value;
      const program = accounts.get(SQUADS_PROGRAM);
      programRunsHere = program?.kind === 'found' && program.account.executable;
    } catch (err) {
      this.log.warn({ ...ctx, err: (err as Error).message }, 'not sending: the chain is unavailable; retrying next poll');
      return;
    }
    const s = proposal.status.kind;
    if (intent.kind === 'reject') {
      if (s !== 'Active' || proposal.rejected.includes(this.address)) {
        this.log.info({ ...ctx, onChain: s }, 'not sending the rejection: the proposal is not Active or already carries it');
        return;
      }
    } else if (s === 'Executed' || proposal.approved.includes(this.address)) {
      this.log.info({ ...ctx, onChain: s }, 'not sending: the co-signer’s approval is already on-chain');
      return;
    }
    const count = (last?.count ?? 0) + 1;
    this.resends.set(intent.signature, { count, dueAt: this.nowMs() + Math.min(this.backoff.initialMs * 2 ** (count - 1), this.backoff.maxMs) });
    try {
      const answered = await this.chain.sendRawTransaction(intent.transaction);
      if (answered !== intent.signature) this.log.error({ ...ctx, answered }, 'the node answered another signature for the stored bytes');
      if (!programRunsHere) {
        if (intent.status === 'sent') await this.store.updateIntentStatus(intent.id, 'recorded');
        this.log.info(ctx, 'recorded, not executed (the Squads program is not executable on this chain)');
      } else {
        this.log.info(ctx, 'sent');
      }
    } catch (err) {
      // A refusal or an outage: the next poll resends these same bytes; nothing new is signed.
      this.log.warn({ ...ctx, err: (err as Error).message }, 'send failed; the next poll resends the stored bytes');
    }
  }

  /** Where a sent approval stands: executed, approved-not-executed, expired (provably not landed), or pending. */
  async approvalStatus(row: ProposalRecord, intent: IntentRecord): Promise<ApprovalStatus> {
    const [status] = await this.chain.getSignatureStatuses([intent.signature]);
    const pda = proposalPdaOf(row.multisig, row.transactionIndex);
    const read = readAccount(await this.chain.getAccounts([pda]), pda, decodeProposalAccount);
    if (read.status === 'unavailable') throw new ChainUnavailable(`could not read the Proposal ${pda}: ${read.error}`, read.error);
    if (read.status === 'invalid') throw new Error(`the Proposal ${pda} is invalid: ${read.error}`);
    const landedOk = status !== null && status !== undefined && status.err === null;
    if (read.status === 'missing') {
      // Squads lets terminal proposals be closed for rent; only our own landed execution tells what happened.
      if (landedOk && intent.kind === 'approve-execute') return this.executed(row, intent);
      this.log.warn({ proposal: row.id }, 'the Proposal account does not exist; waiting');
      return { kind: 'pending' };
    }
    const proposal = read.value;
    if (proposal.status.kind === 'Executed') return this.executed(row, intent);
    if (proposal.approved.includes(this.address)) return { kind: 'approved-not-executed' };
    if (status && status.err !== null) {
      this.log.error({ proposal: row.id, signature: intent.signature, err: status.err }, 'the approval landed but failed; nothing changed on-chain');
      return { kind: 'failed-on-chain', error: JSON.stringify(status.err) };
    }
    if (!landedOk) {
      const height = BigInt(await this.chain.getBlockHeight());
      if (height > intent.lastValidBlockHeight) {
        this.log.info({ proposal: row.id, signature: intent.signature, height: height.toString() }, 'the approval’s blockhash expired without a co-signer vote on-chain');
        return { kind: 'expired' };
      }
    }
    return { kind: 'pending' };
  }

  /** Casts `proposal_reject` by the co-signer; the intent is stored before it is sent. */
  async reject({ row, policy }: { row: ProposalRecord; policy: LoadedPolicy }): Promise<void> {
    if (policy.policy.cosigner !== this.address) throw new CosignRefused(row.id, `the policy's co-signer is ${policy.policy.cosigner}, this key is ${this.address}`);
    const pda = proposalPdaOf(row.multisig, row.transactionIndex);
    const read = readAccount(await this.chain.getAccounts([pda]), pda, decodeProposalAccount);
    if (read.status === 'unavailable') throw new ChainUnavailable(`could not read the Proposal ${pda}: ${read.error}`, read.error);
    if (read.status !== 'ok') throw new CosignRefused(row.id, `the Proposal account is ${read.status}`);
    if (read.value.status.kind !== 'Active') {
      this.log.info({ proposal: row.id, onChain: read.value.status.kind }, 'not rejecting on-chain: the proposal is not Active');
      return;
    }
    if (read.value.rejected.includes(this.address)) return;
    const ix = instructions.proposalReject({ multisigPda: new PublicKey(row.multisig), transactionIndex: row.transactionIndex, member: new PublicKey(this.address), memo: REJECT_MEMO });
    const { blockhash, lastValidBlockHeight } = await this.chain.getLatestBlockhash();
    const signed = await signV0({ instructions: [ix], payer: this.feePayer, signers: [this.signer], blockhash });
    const intent = await this.store.recordIntent({
      proposal: row.id, kind: 'reject', transaction: signed.bytes, signature: signed.signature, blockhash, lastValidBlockHeight: BigInt(lastValidBlockHeight), status: 'sent',
    });
    await this.send(intent);
  }

  /** Fee payer balance ≥ 0.05 SOL (for `/readyz`); never throws. */
  async readiness(): Promise<CoSignerReadiness> {
    const feePayer = this.feePayer.address;
    try {
      const lamports = await this.chain.getBalance(feePayer);
      const ok = lamports >= MIN_FEE_PAYER_LAMPORTS;
      return { ok, feePayer, lamports, detail: ok ? 'fee payer funded' : `fee payer ${feePayer} holds ${lamports} lamports, below ${MIN_FEE_PAYER_LAMPORTS}` };
    } catch (err) {
      return { ok: false, feePayer, lamports: null, detail: `fee payer balance unavailable: ${(err as Error).message}` };
    }
  }

  // ---- internals ----

  /** `vault_transaction_execute` with the co-signer as member, its accounts from the tables we resolved. */
  private async executeInstruction(row: ProposalRecord, read: Awaited<ReturnType<typeof readProposalForSigning>>, tables: ReturnType<typeof lookupTableAccounts>): Promise<TransactionInstruction> {
    const tx = sdkVaultTransaction(read);
    const multisigPda = new PublicKey(row.multisig);
    const transactionPda = new PublicKey(read.decoded.transactionPda);
    const vaultPda = new PublicKey(read.decoded.vaultPda!);
    const { accountMetas } = await utils.accountsForTransactionExecute({
      connection: NO_CONNECTION,
      message: tx.message,
      ephemeralSignerBumps: [...tx.ephemeralSignerBumps],
      vaultPda,
      transactionPda,
      addressLookupTableAccounts: tables,
    });
    // docs/chain.md#squads-v4: any inner signer besides the vault/ephemeral PDAs would sign with our keys. Never.
    const signer = accountMetas.find((m) => m.isSigner);
    if (signer) throw new CosignRefused(row.id, `the vault transaction needs an extra signer ${signer.pubkey.toBase58()}`);
    return generated.createVaultTransactionExecuteInstruction({
      multisig: multisigPda,
      member: new PublicKey(this.address),
      proposal: new PublicKey(read.decoded.proposalPda),
      transaction: transactionPda,
      anchorRemainingAccounts: accountMetas,
    });
  }

  /** The proposal executed: report it, after checking (once, best effort) what the escrow received. */
  private async executed(row: ProposalRecord, intent: IntentRecord): Promise<ApprovalStatus> {
    if (!this.checked.has(intent.signature)) {
      this.checked.add(intent.signature);
      await checkEscrowReceipt({
        chain: this.chain, store: this.store, log: this.log, row, signature: intent.kind === 'approve-execute' ? intent.signature : null,
        before: this.before.get(intent.signature) ?? null,
      });
    }
    return { kind: 'executed', signature: intent.signature };
  }
}
