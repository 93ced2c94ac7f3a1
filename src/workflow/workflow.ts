/**
 * The workflow: the imperative shell around the pure policy engine and state machine (docs/flow.md).
 * It records losses, registers and decides proposals, moves them through the state table with the
 * cause each transition needs, keeps the ledger in step, and tells the humans. Every step is
 * serialised per proposal; every change goes through the store (and so into the audit log).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Address } from '@solana/kit';
import { decodeMultisig } from '../chain/accounts/squads.ts';
import { ChainUnavailable } from '../chain/errors.ts';
import { proposalAddresses } from '../chain/proposal.ts';
import { readAccount, type AccountMap, type AccountSource } from '../chain/types.ts';
import { decimalToBaseUnits } from '../policy/amounts.ts';
import type { DecisionSummary } from '../policy/summary.ts';
import { decide } from '../policy/engine.ts';
import { gatherFacts, type LossRecords } from '../policy/gather.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import type { PolicyRegistry } from '../policy/registry.ts';
import { buildSnapshot } from '../policy/snapshot.ts';
import { NotFound } from '../store/errors.ts';
import { lossRecordsFrom } from '../store/loss-records.ts';
import type { JsonInput, ProposalRecord, Store, StoredLossEvent, TransitionCause } from '../store/types.ts';
import { invalidInput, requireInput, unknownMultisig, unknownVault, WorkflowRefusal } from './errors.ts';
import { KeyedMutex } from './mutex.ts';
import type { AuditAnchor, CoSigner, Log, Notifier, ProposalCreator, WorkflowChain } from './ports.ts';
import { ProposalLockMisused, type ProposalLock } from './proposal-lock.ts';
import { decideOnEveryProvider, verifyLossOnEveryProvider, type FreshDecision } from './providers.ts';
import { ledgerEffect } from './release.ts';
import { checkTransition, isFinal, type ProposalState } from './states.ts';
import { deadline as deadlineOf, nextReminder } from './timers.ts';

export interface WorkflowDeps {
  readonly store: Store;
  readonly chain: WorkflowChain;
  readonly policies: PolicyRegistry;
  readonly notifier: Notifier;
  readonly cosigner: CoSigner;
  readonly log: Log;
  /** Create mode; absent until the co-signer can create proposals (creating is refused as not-implemented). */
  readonly creator?: ProposalCreator;
  /** The clock; tests move it. */
  readonly clock?: () => Date;
  /** Sends a copy of the audit head to the chat / a URL after each signing (optional). */
  readonly anchor?: AuditAnchor;
}

/** The state table as the store's transition validator. */
const validate = (from: ProposalState, to: ProposalState, cause: TransitionCause): string | null => {
  const check = checkTransition(from, to, cause);
  return check.ok ? null : check.reason;
};

export class Workflow {
  readonly store: Store;
  readonly chain: WorkflowChain;
  readonly policies: PolicyRegistry;
  readonly notifier: Notifier;
  readonly cosigner: CoSigner;
  readonly log: Log;
  readonly creator: ProposalCreator | undefined;
  readonly anchor: AuditAnchor | undefined;
  private readonly clock: () => Date;
  private readonly locks = new KeyedMutex();
  private readonly records: LossRecords;
  /** Set while this async context holds a proposal lock (the mutex is not reentrant). */
  private readonly inLock = new AsyncLocalStorage<number>();
  /** Vaults whose reservations were released: their denied proposals are decided again once no lock is held. */
  private readonly refusals = new Map<number, string>();
  private readonly freedBudget = new Map<Address, { why: string; except: Set<number> }>();

  constructor(deps: WorkflowDeps) {
    this.store = deps.store;
    this.chain = deps.chain;
    this.policies = deps.policies;
    this.notifier = deps.notifier;
    this.cosigner = deps.cosigner;
    this.log = deps.log;
    this.creator = deps.creator;
    this.anchor = deps.anchor;
    this.clock = deps.clock ?? (() => new Date());
    this.records = lossRecordsFrom(deps.store);
  }

  now(): Date {
    return this.clock();
  }

  /** True the first time `reason` is given for this proposal (signing refusals alert once, not every poll). */
  firstRefusal(rowId: number, reason: string): boolean {
    if (this.refusals.get(rowId) === reason) return false;
    this.refusals.set(rowId, reason);
    return true;
  }

  /**
   * Runs `fn` with the proposal's lock held (one step at a time per proposal), handing it the
   * `ProposalLock` through which the steps of src/workflow change the proposal. Re-decisions that a
   * released reservation queued run after the lock is released, so two proposals never wait on each other.
   */
  async withProposal<T>(rowId: number, fn: (lock: ProposalLock) => Promise<T>): Promise<T> {
    const result = await this.locks.run(`proposal:${rowId}`, () => this.inLock.run(rowId, () => this.holding(rowId, fn)));
    if (this.inLock.getStore() === undefined) await this.redecideFreed();
    return result;
  }

  /** Runs `fn` with a lock handle that refuses once `fn` is done, or when given another proposal's row. */
  private async holding<T>(rowId: number, fn: (lock: ProposalLock) => Promise<T>): Promise<T> {
    let held = true;
    const check = (row?: ProposalRecord): void => {
      if (!held) throw new ProposalLockMisused(`the lock of proposal row ${rowId} was used after its step ended; take it again with withProposal`);
      if (row !== undefined && row.rowId !== rowId) throw new ProposalLockMisused(`the lock of proposal row ${rowId} was used on proposal row ${row.rowId}`);
    };
    const lock: ProposalLock = {
      rowId,
      current: async () => {
        check();
        return this.mustGet(rowId);
      },
      transition: async (row, to, cause, detail) => {
        check(row);
        return this.transitionLocked(row, to, cause, detail);
      },
      invalidate: async (row, reason, cause) => {
        check(row);
        return this.invalidateLocked(row, reason, cause);
      },
      reserve: async (row, loaded, summary, now) => {
        check(row);
        return this.reserveLocked(row, loaded, summary, now);
      },
    };
    try {
      return await fn(lock);
    } finally {
      held = false;
    }
  }

  /** Decides again the denied proposals of vaults whose budget was freed (docs/flow.md "a released reservation"). */
  private async redecideFreed(): Promise<void> {
    while (this.freedBudget.size > 0) {
      const [vault, { why, except }] = this.freedBudget.entries().next().value as [Address, { why: string; except: Set<number> }];
      this.freedBudget.delete(vault);
      await this.redecideDenied(vault, why, except);
    }
  }

  policyFor(row: Pick<ProposalRecord, 'multisig'>): LoadedPolicy | undefined {
    return this.policies.forMultisig(row.multisig);
  }

  // ---------------------------------------------------------------- loss events

  /** docs/flow.md step 1: verify from the chain, then store. Refusals: unknown vault, malformed input, duplicate, unverifiable (LossUnverifiable). */
  async recordLoss(input: { vault: Address; reserve: Address; signature: string; vaultLoss: bigint; note?: string; recordedBy: string }): Promise<StoredLossEvent> {
    const loaded = this.policies.forVault(input.vault);
    if (!loaded) throw unknownVault(input.vault);
    requireInput.address('reserve', input.reserve);
    requireInput.signature('signature', input.signature);
    requireInput.u64('vaultLoss', input.vaultLoss, 1n);
    const existing = await this.store.listLossEvents({ vault: input.vault });
    if (existing.some((e) => e.signature === input.signature && e.reserve === input.reserve)) {
      throw new WorkflowRefusal('conflict', 'loss-event-exists', `a loss event for ${input.signature} on reserve ${input.reserve} is already recorded for this vault`);
    }
    const verified = await verifyLossOnEveryProvider(this, input, loaded.policy.telegram.chatId);
    const event = await this.store.recordLossEvent({
      vault: verified.vault,
      reserve: verified.reserve,
      signature: verified.signature,
      vaultLoss: verified.vaultLoss,
      evidence: verified.evidence,
      recordedLoss: verified.recordedLoss,
      forgiven: verified.forgiven,
      blockTime: verified.blockTime,
      slot: verified.slot ?? verified.evidence.readAtSlot,
      transaction: verified.transaction,
      recordedBy: input.recordedBy,
      ...(input.note ? { note: input.note } : {}),
    });
    this.log.info({ lossEvent: event.id, vault: event.vault, recordedLoss: event.recordedLoss.toString() }, 'loss event recorded');
    await this.redecideDenied(input.vault, `new loss event ${event.id}`);
    return event;
  }

  /** Closes a loss event: its reservations are released and the vault's pending approvals voided. */
  async closeLoss(input: { id: string; vault: Address }): Promise<StoredLossEvent> {
    const event = await this.store.getLossEvent(input.id);
    if (!event || event.vault !== input.vault) throw new WorkflowRefusal('not-found', 'not-found', `no loss event ${input.id} for vault ${input.vault}`);
    if (event.state === 'closed') throw new WorkflowRefusal('conflict', 'already-closed', `loss event ${input.id} is already closed`);
    const { event: closed, released } = await this.store.closeLossEvent(input.id);
    await this.invalidateVault(input.vault, `loss event ${input.id} closed`);
    if (released.length > 0) await this.redecideDenied(input.vault, `loss event ${input.id} closed and released reservations`);
    return closed;
  }

  // ---------------------------------------------------------------- proposals

  /**
   * docs/flow.md step 2 (register): stores the proposal and decides it. A known id answers its current
   * state; a `denied` one is decided again.
   */
  async registerProposal(input: { multisig: Address; transactionIndex: bigint; claim?: string; lossEventId?: string; mode?: 'register' | 'create' }): Promise<ProposalRecord> {
    const loaded = this.policies.forMultisig(input.multisig);
    if (!loaded) throw unknownMultisig(input.multisig);
    requireInput.u64('transactionIndex', input.transactionIndex);
    const known = await this.store.getProposal(`${input.multisig}:${input.transactionIndex}`);
    const seed = known ? undefined : await this.requireTransaction(input.multisig, input.transactionIndex);
    const now = this.now();
    const { created, proposal } = await this.store.insertProposal({
      multisig: input.multisig,
      transactionIndex: input.transactionIndex,
      vault: loaded.policy.vault,
      mode: input.mode ?? 'register',
      ...(input.claim !== undefined ? { claim: input.claim } : {}),
      ...(input.lossEventId !== undefined ? { lossEventId: input.lossEventId } : {}),
      deadline: deadlineOf(now, loaded.policy),
      state: 'received',
    });
    if (created) {
      await this.store.addTimer({ kind: 'expire', proposalRowId: proposal.rowId, dueAt: proposal.deadline ?? deadlineOf(now, loaded.policy) });
      return this.decideProposal(proposal.rowId, 'policy', 'received', seed);
    }
    if (proposal.state === 'denied' || proposal.state === 'received') return this.decideProposal(proposal.rowId, 'policy', 'registered again');
    return proposal;
  }

  /**
   * docs/flow.md step 2 (create): backstop builds the proposal of the allowed shape, then registers and
   * decides it from the chain like any other, bound to `lossEventId`.
   */
  async createProposal(input: { vault: Address; lossEventId: string; amount: bigint; escrow: Address; claim?: string }): Promise<ProposalRecord> {
    const loaded = this.policies.forVault(input.vault);
    if (!loaded) throw unknownVault(input.vault);
    if (!loaded.policy.escrows.some((e) => e.address === input.escrow)) {
      throw new WorkflowRefusal('unprocessable', 'unknown-escrow', `${input.escrow} is not a registered escrow of this vault`);
    }
    const event = await this.store.getLossEvent(input.lossEventId);
    if (!event || event.vault !== input.vault) throw new WorkflowRefusal('not-found', 'unknown-loss-event', `no loss event ${input.lossEventId} for vault ${input.vault}`);
    if (event.state !== 'open') throw new WorkflowRefusal('unprocessable', 'loss-event-closed', `loss event ${input.lossEventId} is closed`);
    if (input.amount <= 0n) throw invalidInput('amount', 'amount must be above 0', 'bad-amount');
    requireInput.u64('amount', input.amount);
    if (!this.creator) throw new WorkflowRefusal('not-implemented', 'not-implemented', 'create mode is not available in this build');
    const at = await this.creator.create({ policy: loaded, lossEventId: input.lossEventId, amount: input.amount, escrow: input.escrow });
    return this.registerProposal({ ...at, mode: 'create', lossEventId: input.lossEventId, ...(input.claim !== undefined ? { claim: input.claim } : {}) });
  }

  /**
   * A new proposal is stored only when the chain answers for it: with the RPC down, registering
   * would record a denial for no reason, so it is refused (ChainUnavailable) and the poller or sender
   * retries. An index the multisig has not reached is not found: stored, it would blind the poller.
   */
  private async requireTransaction(multisig: Address, index: bigint): Promise<AccountMap> {
    const { transactionPda, proposalPda } = proposalAddresses(multisig, index);
    const read = await this.chain.getAccounts([multisig, transactionPda, proposalPda]);
    for (const [address, result] of read) {
      if (result.kind === 'unavailable') throw new ChainUnavailable(`the chain did not answer for ${address}: ${result.error}`);
    }
    const ms = readAccount(read, multisig, decodeMultisig);
    if (ms.status !== 'ok') {
      throw new WorkflowRefusal('not-found', 'unknown-transaction', `multisig ${multisig} is ${ms.status} on-chain${'error' in ms ? ` (${ms.error})` : ''}; check the policy's insurancePool.multisig`);
    }
    if (index < 1n || index > ms.value.transactionIndex) {
      throw new WorkflowRefusal('not-found', 'unknown-transaction', `multisig ${multisig} has no transaction ${index} (its latest is ${ms.value.transactionIndex}); create the vault transaction first, then register it`);
    }
    return read; // the decision that follows starts from these accounts instead of reading them again
  }

  /** Decides (again) from fresh chain facts and moves the proposal accordingly. */
  decideProposal(rowId: number, cause: TransitionCause, why: string, seed?: AccountMap): Promise<ProposalRecord> {
    return this.withProposal(rowId, () => this.decideLocked(rowId, cause, why, seed));
  }

  /** Reads the facts and decides, without changing anything (the signing-time check records it). */
  async freshDecision(row: ProposalRecord, loaded: LoadedPolicy, seed?: AccountMap): Promise<FreshDecision> {
    // Several RPC providers: each decides on its own snapshot, and only their agreement allows (issue 13 §4).
    const everywhere = await decideOnEveryProvider(this, { id: row.id, chatId: loaded.policy.telegram.chatId }, (source) => this.decideOn(source, row, loaded));
    return everywhere ?? this.decideOn(this.chain, row, loaded, seed);
  }

  private async decideOn(source: AccountSource, row: ProposalRecord, loaded: LoadedPolicy, seed?: AccountMap): Promise<FreshDecision> {
    const facts = await gatherFacts({
      ...(seed ? { seed } : {}),
      source,
      ref: { multisig: row.multisig, transactionIndex: row.transactionIndex, ...(row.lossEventId ? { lossEventId: row.lossEventId } : {}) },
      policy: loaded.policy,
      records: this.records,
    });
    const now = this.now();
    return { facts, ...decide(facts, loaded.policy, now), now };
  }

  private async decideLocked(rowId: number, cause: TransitionCause, why: string, seed?: AccountMap): Promise<ProposalRecord> {
    let row = await this.mustGet(rowId);
    if (!['received', 'denied', 'invalidated'].includes(row.state)) return row;
    const loaded = this.policyFor(row);
    if (!loaded) {
      this.log.warn({ proposal: row.id }, 'no policy covers this proposal any more; it stays as it is');
      return row;
    }
    const { facts, decision, summary, now } = await this.freshDecision(row, loaded, seed);
    await this.store.recordDecision({ proposalRowId: rowId, decision, summary, snapshot: buildSnapshot({ facts, policy: loaded.policy, now }) });
    let allowed = decision.allowed;
    let reason = allowed ? 'every rule passes' : decision.rules.filter((r) => r.outcome !== 'pass').map((r) => `${r.id}: ${r.reason}`).join('; ');
    if (allowed) {
      const reservation = await this.reserveLocked(row, loaded, summary, now);
      if (reservation) {
        allowed = false;
        reason = `reservation refused: ${reservation}`;
      }
    }
    row = await this.store.updateProposal(rowId, { digest: decision.digest, policyRevision: decision.policyRevision });
    const target: ProposalState = allowed ? 'awaiting-approval' : 'denied';
    const detail = { decision: decision.id, why, reason };
    // Back from a denial means a new voting round: no vote from before it counts, nobody is locked out.
    if (row.state === 'denied' && target === 'awaiting-approval') await this.store.bumpEpoch(rowId, { payload: { reason: 'allowed again after a denial' } });
    if (row.state !== target) row = await this.transitionLocked(await this.mustGet(rowId), target, cause, detail);
    else if (target === 'denied') await this.releaseIfReserved(row, 'denied again');
    if (target === 'awaiting-approval') await this.scheduleReminder(row, loaded, now);
    await this.notifier.proposalChanged(rowId);
    return row;
  }

  /**
   * Reserves the decision's value under the vault lock (replacing the proposal's own reserved rows,
   * so the signing step re-reserves what it signs); returns a refusal reason or null.
   */
  private async reserveLocked(row: ProposalRecord, loaded: LoadedPolicy, summary: DecisionSummary, now: Date): Promise<string | null> {
    const value = summary.value;
    const decimals = summary.underlyingDecimals;
    const maxPerWindow = decimals === null ? null : decimalToBaseUnits(loaded.policy.limits.maxPerWindow, decimals);
    if (value === null || maxPerWindow === null) return 'the decision does not state its value';
    const result = await this.store.reserve({
      vault: loaded.policy.vault,
      proposal: row.id,
      value,
      ...(row.lossEventId ? { boundEventId: row.lossEventId } : {}),
      windowStart: new Date(now.getTime() - loaded.policy.limits.window * 1000),
      maxPerWindow,
    });
    return result.ok ? null : result.reason;
  }

  private async releaseIfReserved(row: ProposalRecord, why: string): Promise<void> {
    const rows = await this.store.ledgerForProposal(row.id);
    if (!rows.some((r) => r.state === 'reserved')) return;
    const released = await this.store.releaseReservation(row.id, { payload: { why } });
    if (released.length > 0) this.budgetFreed(row.vault, `a reservation of ${row.id} was released`, row.rowId);
  }

  /** Queues the vault's denied proposals for a new decision (run when no proposal lock is held). */
  private budgetFreed(vault: Address, why: string, except?: number): void {
    const queued = this.freedBudget.get(vault) ?? { why, except: new Set<number>() };
    if (except !== undefined) queued.except.add(except);
    this.freedBudget.set(vault, queued);
  }

  /** Moves a proposal (caller holds its lock), applying docs/flow.md step 7 to its ledger rows. */
  private async transitionLocked(row: ProposalRecord, to: ProposalState, cause: TransitionCause, detail: { readonly [k: string]: JsonInput }): Promise<ProposalRecord> {
    const effect = ledgerEffect(row.state, to, { cause });
    const next = await this.store.transitionProposal({ rowId: row.rowId, from: row.state, to, cause, detail, validate });
    this.log.info({ proposal: row.id, from: row.state, to, cause, ...detail }, 'proposal transition');
    if (effect === 'release') await this.releaseIfReserved(next, `${row.state} → ${to}`);
    if (effect === 'compensate') {
      const rows = await this.store.ledgerForProposal(row.id);
      if (rows.some((r) => r.state === 'reserved')) await this.store.compensateReservation(row.id);
    }
    if (isFinal(to)) await this.clearTimers(row.rowId);
    return next;
  }

  /**
   * Finishes ledger effects a crash cut off: a transition and its ledger change are two transactions,
   * so a proposal can be `executed` with its rows still reserved, or denied/ended with them not released.
   * Run each poll; each proposal under its own lock. Returns how many proposals it settled.
   */
  async reconcileLedger(vault: Address): Promise<number> {
    const reserved = (await this.store.ledgerForVault(vault)).filter((r) => r.state === 'reserved');
    let settled = 0;
    for (const id of new Set(reserved.map((r) => r.proposal))) {
      const row = await this.store.getProposal(id);
      if (!row) continue;
      settled += await this.withProposal(row.rowId, async () => {
        const current = await this.mustGet(row.rowId);
        const note = { payload: { why: `reconciled: the proposal is ${current.state}` } };
        if (current.state === 'executed') return (await this.store.compensateReservation(id, note)).length > 0 ? 1 : 0;
        if (current.state !== 'denied' && !isFinal(current.state)) return 0;
        const released = await this.store.releaseReservation(id, note);
        if (released.length > 0) this.budgetFreed(current.vault, `a reservation of ${id} was released`, current.rowId);
        return released.length > 0 ? 1 : 0;
      });
    }
    return settled;
  }

  /** Voids collected approvals (new epoch) and decides again. Only `awaiting-approval` and `approved`. */
  async invalidate(rowId: number, reason: string, cause: TransitionCause = 'policy'): Promise<ProposalRecord> {
    return this.withProposal(rowId, async () => this.invalidateLocked(await this.mustGet(rowId), reason, cause));
  }

  /** `invalidate` with the proposal's lock already held (the signing step finds a changed digest). */
  private async invalidateLocked(row: ProposalRecord, reason: string, cause: TransitionCause): Promise<ProposalRecord> {
    if (row.state !== 'awaiting-approval' && row.state !== 'approved') return row;
    await this.transitionLocked(row, 'invalidated', cause, { reason });
    await this.store.bumpEpoch(row.rowId, { payload: { reason } });
    await this.notifier.proposalChanged(row.rowId);
    return this.decideLocked(row.rowId, 'policy', `re-decided after: ${reason}`);
  }

  /** Invalidates every `awaiting-approval` and `approved` proposal of a vault. */
  async invalidateVault(vault: Address, reason: string): Promise<void> {
    for (const state of ['awaiting-approval', 'approved'] as const) {
      for (const row of await this.store.listProposals({ state, vault })) await this.invalidate(row.rowId, reason);
    }
  }

  /** Decides the vault's `denied` proposals again (after a new loss event or a released reservation). */
  async redecideDenied(vault: Address, why: string, except: ReadonlySet<number> = new Set()): Promise<void> {
    for (const row of await this.store.listProposals({ state: 'denied', vault })) {
      if (except.has(row.rowId)) continue;
      try {
        await this.decideProposal(row.rowId, 'policy', why);
      } catch (err) {
        this.log.warn({ proposal: row.id, err: (err as Error).message }, 're-decision failed; the poller will retry');
      }
    }
  }

  // ---------------------------------------------------------------- policies

  /** SIGHUP / every 60 s: a new revision or roster voids that vault's approvals; an invalid file keeps the old policy. */
  async reloadPolicies(): Promise<void> {
    const result = await this.policies.reload();
    if (!result.ok) {
      for (const problem of result.fresh) {
        this.log.error({ problem }, 'policy reload refused; the previous policies stay in force');
        const chats = new Set(this.policies.all().map((p) => p.policy.telegram.chatId));
        for (const chat of chats) await this.notifier.alert(chat, `Policy reload refused (the previous policy stays in force): ${problem}`);
        await this.store.appendAudit('policy.reload-refused', { problem });
      }
      return;
    }
    for (const change of result.changes) {
      await this.store.appendAudit('policy.changed', {
        vault: change.vault,
        before: change.before?.revision ?? null,
        after: change.after?.revision ?? null,
        rosterChanged: change.rosterChanged,
      });
      const what = change.rosterChanged ? 'the roster changed' : 'the policy revision changed';
      await this.invalidateVault(change.vault as Address, what);
      await this.redecideDenied(change.vault as Address, what);
    }
  }

  // ---------------------------------------------------------------- timers

  private async scheduleReminder(row: ProposalRecord, loaded: LoadedPolicy, now: Date): Promise<void> {
    const existing = await this.store.timersFor(row.rowId);
    if (existing.some((t) => t.kind === 'remind')) return;
    const due = nextReminder(now, loaded.policy, row.deadline ?? deadlineOf(row.receivedAt, loaded.policy));
    if (due) await this.store.addTimer({ kind: 'remind', proposalRowId: row.rowId, dueAt: due });
  }

  private async clearTimers(rowId: number): Promise<void> {
    for (const t of await this.store.timersFor(rowId)) await this.store.deleteTimer(t.id);
  }

  private async mustGet(rowId: number): Promise<ProposalRecord> {
    const row = await this.store.getProposalByRowId(rowId);
    if (!row) throw new NotFound(`proposal row ${rowId}`);
    return row;
  }
}
