/**
 * Human votes (docs/telegram.md): a button press counts only when it comes from the roster, in the policy
 * chat, on the proposal's stored card, for the current digest and epoch, in a state that accepts it
 * — and only once it is stored. Refused presses change nothing and are audit-logged.
 * A role whose `approval` is `signed` approves only through {@link recordSignedVote} (the Mini App,
 * docs/approvals.md): its members' Approve presses count for nothing.
 */
import { StoreUnavailable } from '../store/errors.ts';
import { cleanText } from '../util/text.ts';
import type { NewVote, ProposalRecord, TimerRecord } from '../store/types.ts';
import type { ProposalLock } from './proposal-lock.ts';
import { auditRefusal } from './refusals.ts';
import { roleOf, tally, type StoredVote, type Tally } from './quorum.ts';
import { approvalMessage, approvalOf, base58, parseSignature, verifyApproval } from './signed-approval.ts';
import { acceptsApprove, acceptsReject } from './states.ts';
import { REJECT_HOLD_SECONDS, holdActive, type RejectHold } from './timers.ts';
import type { Workflow } from './workflow.ts';

export type PressAction = 'approve' | 'reject' | 'confirm-reject' | 'cancel-reject';

/** One button press as Telegram delivers it (callback data parsed, docs/telegram.md). */
export interface Press {
  readonly rowId: number;
  readonly action: PressAction;
  /** The digest prefix in the callback data (16 hex, or '' when the card had no digest). */
  readonly digestPrefix: string;
  readonly epoch: number;
  readonly telegramId: number;
  readonly name: string;
  readonly chatId: number;
  readonly messageId: number;
}

export type PressOutcome =
  | { readonly kind: 'counted'; readonly text: string }
  | { readonly kind: 'refused'; readonly text: string }
  | { readonly kind: 'not-recorded'; readonly text: string };

export const NOT_RECORDED = 'Not recorded — press again';

/** The callback-data digest field of a proposal: the first 16 hex of its digest, or '' without one. */
export const digestField = (digest: string | null): string => (digest ?? '').slice(0, 16);

/** The active Reject hold of a proposal, if any (stored as a `hold-expiry` timer). */
export function activeHold(timers: readonly TimerRecord[], now: Date): (RejectHold & { timerId: number }) | null {
  for (const t of timers) {
    if (t.kind !== 'hold-expiry') continue;
    const p = t.payload as { by?: number; startedAt?: string } | null;
    if (typeof p?.by !== 'number' || typeof p.startedAt !== 'string') continue;
    const hold = { by: p.by, startedAt: new Date(p.startedAt) };
    if (holdActive(hold, now)) return { ...hold, timerId: t.id };
  }
  return null;
}

/** The tally of a proposal's current epoch against the current policy. */
export async function currentTally(wf: Pick<Workflow, 'policyFor' | 'store'>, row: ProposalRecord): Promise<Tally | null> {
  const loaded = wf.policyFor(row);
  if (!loaded) return null;
  const votes: StoredVote[] = (await wf.store.votes(row.rowId, row.epoch)).map((v) => ({
    telegramId: v.telegramId,
    role: v.role,
    vote: v.vote,
    digest: v.digest ?? '',
    policyRevision: v.policyRevision,
    epoch: v.epoch,
    at: v.at,
  }));
  return tally({ policy: loaded.policy, votes, digest: row.digest ?? '', policyRevision: row.policyRevision ?? '', epoch: row.epoch });
}

/** Handles one press. Never throws: a storage failure answers "Not recorded — press again". */
export async function handlePress(wf: Workflow, press: Press): Promise<PressOutcome> {
  try {
    return await wf.withProposal(press.rowId, (lock) => pressLocked(wf, lock, press));
  } catch (err) {
    wf.log.error({ err: (err as Error).message, press: { ...press } }, 'press not recorded');
    return { kind: 'not-recorded', text: NOT_RECORDED };
  }
}

async function pressLocked(wf: Workflow, lock: ProposalLock, press: Press): Promise<PressOutcome> {
  const now = wf.now();
  const refuse = async (reason: string): Promise<PressOutcome> => {
    await auditRefusal(wf, press.telegramId, { ...press, reason }); // folded per user and minute when the bot installed a folder
    return { kind: 'refused', text: reason };
  };
  const row = await wf.store.getProposalByRowId(press.rowId);
  if (!row) return refuse('This proposal is unknown.');
  const loaded = wf.policyFor(row);
  if (!loaded) return refuse('No policy covers this proposal any more.');
  const policy = loaded.policy;
  if (press.chatId !== policy.telegram.chatId) return refuse('Votes count only in the policy chat.');
  const card = await wf.store.getCard(row.rowId);
  if (!card || card.chatId !== press.chatId || card.messageId !== press.messageId) return refuse("This is not this proposal's card.");
  const role = roleOf(policy, press.telegramId);
  if (!role) return refuse('You are not on this vault’s roster.');
  if (press.digestPrefix !== digestField(row.digest) || press.epoch !== row.epoch) {
    return refuse('This button is out of date: the proposal changed. Use the current card.');
  }
  const member = (role === 'curator' ? policy.curators.members : policy.council.members).find((m) => m.telegramId === press.telegramId)!;
  const timers = await wf.store.timersFor(row.rowId);
  const hold = activeHold(timers, now);

  switch (press.action) {
    case 'approve': {
      // A press proves a Telegram account, not a key: for a signed role it counts for nothing.
      if (approvalOf(policy, role) === 'signed') return refuse(SIGNED_ROLE_PRESS);
      if (!acceptsApprove(row.state)) return refuse(`Approvals are not accepted while the proposal is ${row.state}.`);
      return approveLocked(wf, lock, row, { telegramId: press.telegramId, name: member.name, role, channel: 'telegram', at: now }, refuse);
    }
    case 'reject': {
      if (!acceptsReject(row.state)) return refuse(`Rejections are not accepted while the proposal is ${row.state}.`);
      if (hold) return refuse(hold.by === press.telegramId ? 'You already hold signing: Confirm or Cancel.' : 'Signing is already held by another member’s Reject.');
      await wf.store.addTimer({
        kind: 'hold-expiry', proposalRowId: row.rowId, dueAt: new Date(now.getTime() + REJECT_HOLD_SECONDS * 1000),
        payload: { by: press.telegramId, name: member.name, startedAt: now.toISOString() },
      });
      await wf.notifier.proposalChanged(row.rowId);
      return { kind: 'counted', text: 'Signing is held for 10 minutes. Confirm the rejection or Cancel.' };
    }
    case 'confirm-reject': {
      if (!hold || hold.by !== press.telegramId) return refuse('Only the member who pressed Reject can confirm it.');
      if (!acceptsReject(row.state)) return refuse(`Rejections are not accepted while the proposal is ${row.state}.`);
      const result = await wf.store.recordVote({
        proposalRowId: row.rowId, telegramId: press.telegramId, name: member.name, role, vote: 'reject',
        digest: row.digest, policyRevision: row.policyRevision ?? '', epoch: row.epoch, at: now, channel: 'telegram',
      });
      await wf.store.deleteTimer(hold.timerId);
      // A member who approved earlier may still reject: the rejection is in the transition and the audit log.
      const next = await lock.transition(row, 'rejected', 'human', { by: press.telegramId, name: member.name, earlierVote: result.kind === 'duplicate' ? result.existing.vote : null });
      if (policy.execution.rejectOnChain) {
        try {
          await wf.cosigner.reject({ row: next, policy: loaded });
        } catch (err) {
          wf.log.warn({ proposal: row.id, err: (err as Error).message }, 'on-chain reject not sent; the proposal is rejected in backstop');
        }
      }
      await wf.notifier.proposalChanged(row.rowId);
      return { kind: 'counted', text: 'Rejected. Reply to the card to add a reason.' };
    }
    case 'cancel-reject': {
      if (!hold || hold.by !== press.telegramId) return refuse('Only the member who pressed Reject can cancel it.');
      await wf.store.deleteTimer(hold.timerId);
      await wf.notifier.proposalChanged(row.rowId);
      return { kind: 'counted', text: 'Hold lifted.' };
    }
  }
}

/** What a signed role's member is told when they press a plain Approve. */
export const SIGNED_ROLE_PRESS =
  'Your role approves with a signed message: press Approve on the current card to open the backstop Mini App and sign there (if Approve does not open it, the operator must set TELEGRAM_MINIAPP).';

/** Records an approval that passed its channel's checks: once per person and epoch, then the quorum. */
async function approveLocked(
  wf: Workflow,
  lock: ProposalLock,
  row: ProposalRecord,
  voter: { telegramId: number; name: string; role: 'curator' | 'council'; channel: string; at: Date; proof?: NewVote['proof'] },
  refuse: (reason: string) => Promise<PressOutcome>,
): Promise<PressOutcome> {
  const result = await wf.store.recordVote({
    proposalRowId: row.rowId, telegramId: voter.telegramId, name: voter.name, role: voter.role, vote: 'approve',
    digest: row.digest, policyRevision: row.policyRevision ?? '', epoch: row.epoch, at: voter.at, channel: voter.channel,
    ...(voter.proof ? { proof: voter.proof } : {}),
  });
  if (result.kind === 'duplicate') return refuse('You have already voted on this proposal.');
  const t = await currentTally(wf, row);
  if (t?.met) await lock.transition(row, 'approved', 'human', { by: voter.telegramId, quorum: true });
  await wf.notifier.proposalChanged(row.rowId);
  return { kind: 'counted', text: t?.met ? 'Approved — quorum reached.' : 'Approval recorded.' };
}

/** The channel a Mini App approval is stored and audited with. */
export const MINIAPP_CHANNEL = 'telegram-miniapp';

/**
 * An approval from the Mini App (docs/approvals.md). The caller has validated Telegram's `initData`
 * (HMAC over the bot token, at most 10 minutes old): `telegramId` is Telegram's word for who it is.
 * The Mini App has no chat or message, so the docs/telegram.md press checks it cannot make are replaced by the
 * signature, which binds the proposal, its current digest, policy revision and epoch.
 */
export interface SignedApproval {
  readonly rowId: number;
  /** The approval round the Mini App was opened for (`startapp=<row>_<epoch>`). */
  readonly epoch: number;
  readonly telegramId: number;
  /** The digest the page showed: when it is no longer current the member signed something else. */
  readonly digestShown: string;
  /** The signature as pasted (base58), or empty for a member whose role approves with the button. */
  readonly signature: string;
}

/**
 * Verifies a Mini App approval and only then records it through the same checks as a press (roster,
 * epoch, state, once per person, quorum). A `signed` role needs a signature by the member's `signer`
 * over the CURRENT binding; a `button` role's member approves here without one (their Telegram
 * identity is what a press proves too). Refusals change nothing and are audit-logged. Never throws.
 */
export async function recordSignedVote(wf: Workflow, input: SignedApproval): Promise<PressOutcome> {
  try {
    return await wf.withProposal(input.rowId, (lock) => signedLocked(wf, lock, input));
  } catch (err) {
    wf.log.error({ err: (err as Error).message, rowId: input.rowId, telegramId: input.telegramId }, 'signed approval not recorded');
    return { kind: 'not-recorded', text: 'Not recorded — submit again.' };
  }
}

async function signedLocked(wf: Workflow, lock: ProposalLock, input: SignedApproval): Promise<PressOutcome> {
  const now = wf.now();
  const refuse = async (reason: string): Promise<PressOutcome> => {
    await auditRefusal(wf, input.telegramId, {
      rowId: input.rowId, epoch: input.epoch, telegramId: input.telegramId, action: 'approve', channel: MINIAPP_CHANNEL,
      digestShown: cleanText(input.digestShown.slice(0, 64)), signature: cleanText(input.signature.trim().slice(0, 100)), reason,
    });
    return { kind: 'refused', text: reason };
  };
  const row = await wf.store.getProposalByRowId(input.rowId);
  if (!row) return refuse('This proposal is unknown.');
  const loaded = wf.policyFor(row);
  if (!loaded) return refuse('No policy covers this proposal any more.');
  const policy = loaded.policy;
  const role = roleOf(policy, input.telegramId);
  if (!role) return refuse('You are not on this vault’s roster.');
  if (input.epoch !== row.epoch || input.digestShown !== (row.digest ?? '')) {
    return refuse(`This approval is out of date: the proposal changed (now round ${row.epoch}). Open Approve on the current card and sign the new message.`);
  }
  if (!acceptsApprove(row.state)) return refuse(`Approvals are not accepted while the proposal is ${row.state}.`);
  const member = (role === 'curator' ? policy.curators.members : policy.council.members).find((m) => m.telegramId === input.telegramId)!;
  const voter = { telegramId: input.telegramId, name: member.name, role, channel: MINIAPP_CHANNEL, at: now };
  if (approvalOf(policy, role) === 'button') return approveLocked(wf, lock, row, voter, refuse);

  if (!member.signer) return refuse('The policy names no signer key for you: ask the operator to add yours (members[].signer).');
  if (row.digest === null || row.policyRevision === null) return refuse('This proposal has no digest to sign yet.');
  const signature = parseSignature(input.signature);
  if (!signature) return refuse('Paste the signature `solana sign-offchain-message` printed (base58, 64 bytes), or sign with your wallet.');
  const message = approvalMessage({ multisig: row.multisig, transactionIndex: row.transactionIndex, digest: row.digest, policyRevision: row.policyRevision, epoch: row.epoch });
  const check = await verifyApproval({ message, signature, signer: member.signer });
  if (!check.ok) {
    return refuse(`The signature does not verify with your key ${member.signer} over this proposal’s current message (digest, policy revision and round ${row.epoch}): sign exactly the message shown, with that key.`);
  }
  return approveLocked(wf, lock, row, { ...voter, proof: { signature: base58(signature), signer: member.signer, preimage: check.preimage, message } }, refuse);
}

/** A reason replied by the member who rejected; attached to their stored rejection. */
export async function attachRejectReason(wf: Workflow, input: { rowId: number; telegramId: number; reason: string }): Promise<boolean> {
  const row = await wf.store.getProposalByRowId(input.rowId);
  if (!row) return false;
  const votes = await wf.store.votes(row.rowId);
  const mine = votes.filter((v) => v.telegramId === input.telegramId && v.vote === 'reject').at(-1);
  if (!mine) return false;
  try {
    await wf.store.attachReason({ proposalRowId: row.rowId, telegramId: input.telegramId, epoch: mine.epoch, reason: input.reason.slice(0, 1000) });
  } catch (err) {
    if (err instanceof StoreUnavailable) throw err;
    return false;
  }
  await wf.notifier.proposalChanged(row.rowId);
  return true;
}
