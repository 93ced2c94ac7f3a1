/**
 * Timers (docs/flow.md, docs/telegram.md) are rows, so they survive restarts: expiry at `ttl`, reminders every
 * `remindEvery` naming who is missing, the end of a Reject hold, and scheduled re-decisions.
 */
import { currentTally } from './votes.ts';
import { nextReminder, deadline as deadlineOf } from './timers.ts';
import type { Workflow } from './workflow.ts';

const EXPIRABLE = new Set(['received', 'denied', 'awaiting-approval', 'invalidated', 'approved']);

/** Runs every due timer once; returns how many ran. Errors leave the timer for the next tick. */
export async function runDueTimers(wf: Workflow): Promise<number> {
  const now = wf.now();
  let ran = 0;
  for (const timer of await wf.store.dueTimers(now)) {
    try {
      if (timer.proposalRowId === null) {
        await wf.store.deleteTimer(timer.id);
        continue;
      }
      const rowId = timer.proposalRowId;
      switch (timer.kind) {
        case 'expire':
          await wf.withProposal(rowId, async (lock) => {
            const row = await lock.current();
            await wf.store.deleteTimer(timer.id);
            if (EXPIRABLE.has(row.state)) {
              await lock.transition(row, 'expired', 'timer', { deadline: timer.dueAt.toISOString() });
              await wf.notifier.proposalChanged(rowId);
            }
          });
          break;
        case 'remind':
          await wf.withProposal(rowId, async (lock) => {
            const row = await lock.current();
            await wf.store.deleteTimer(timer.id);
            const loaded = wf.policyFor(row);
            if (row.state !== 'awaiting-approval' || !loaded) return;
            const t = await currentTally(wf, row);
            const missing = [
              ...(t && t.curatorsNeeded > 0 ? t.missingCurators.map((m) => `${m.name} (curator)`) : []),
              ...(t && t.councilNeeded > 0 ? t.missingCouncil.map((m) => `${m.name} (council)`) : []),
            ];
            await wf.notifier.remind(rowId, missing);
            const next = nextReminder(now, loaded.policy, row.deadline ?? deadlineOf(row.receivedAt, loaded.policy));
            if (next) await wf.store.addTimer({ kind: 'remind', proposalRowId: rowId, dueAt: next });
          });
          break;
        case 'hold-expiry':
          await wf.store.deleteTimer(timer.id);
          await wf.notifier.proposalChanged(rowId);
          break;
        case 'redecide':
        case 'poll': {
          await wf.store.deleteTimer(timer.id);
          // Under its lock, a decision leaves every state it does not decide (the final ones too) as it is.
          await wf.decideProposal(rowId, 'policy', 'scheduled re-decision');
          break;
        }
      }
      ran += 1;
    } catch (err) {
      wf.log.warn({ timer: timer.id, kind: timer.kind, err: (err as Error).message }, 'timer failed; it will run again');
    }
  }
  return ran;
}
