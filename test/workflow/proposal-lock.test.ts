/**
 * The proposal lock as a capability (issue 18 "smaller seams"): the steps that change a proposal are
 * reached only through the handle `withProposal` gives, for that proposal, while the lock is held —
 * and nothing outside src/workflow takes one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { ProposalLockMisused, type ProposalLock } from '../../src/workflow/proposal-lock.ts';
import { startWorkflowWorld, type WorkflowWorld } from '../support/workflow-world.ts';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

describe('a proposal lock handle', () => {
  let w: WorkflowWorld;
  beforeEach(async () => {
    w = await startWorkflowWorld();
    await w.recordLoss();
  });
  afterEach(async () => {
    await w.close();
  });

  it('refuses once its step has ended, changing nothing', async () => {
    const row = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    expect(row.state).toBe('awaiting-approval');
    const leaked = await w.wf.withProposal(row.rowId, async (lock: ProposalLock) => lock);
    const head = await w.store.auditHead();

    await expect(leaked.current()).rejects.toBeInstanceOf(ProposalLockMisused);
    await expect(leaked.transition(row, 'expired', 'timer', {})).rejects.toThrow(/used after its step ended/);
    await expect(leaked.invalidate(row, 'test', 'policy')).rejects.toBeInstanceOf(ProposalLockMisused);
    expect((await w.store.getProposal(row.id))!.state).toBe('awaiting-approval');
    expect(await w.store.auditHead()).toEqual(head);
  });

  it("refuses another proposal's row, and moves its own", async () => {
    const mine = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    const other = await w.wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 2n });
    expect(other.state).toBe('denied');

    await w.wf.withProposal(mine.rowId, async (lock) => {
      await expect(lock.transition(other, 'expired', 'timer', {})).rejects.toThrow(`the lock of proposal row ${mine.rowId} was used on proposal row ${other.rowId}`);
      const current = await lock.current();
      expect(current.rowId).toBe(mine.rowId);
      await lock.transition(current, 'expired', 'timer', { deadline: 'test' });
    });
    expect((await w.store.getProposal(other.id))!.state).toBe('denied');
    expect((await w.store.getProposal(mine.id))!.state).toBe('expired');
  });
});

describe('the workflow keeps its locked steps to itself', () => {
  it('no file outside src/workflow takes a proposal lock or calls a locked step', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (path !== join(SRC, 'workflow')) walk(path);
        } else if (entry.name.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          for (const m of text.matchAll(/\.(withProposal|transitionLocked|invalidateLocked|reserveLocked|decideLocked|mustGet)\(|workflow\/proposal-lock\.ts/g)) {
            offenders.push(`${relative(SRC, path)}: ${m[0]}`);
          }
        }
      }
    };
    walk(SRC);
    expect(offenders).toEqual([]);
  });
});
