/**
 * The card's compensation plan line (issue 15): one line, only when the withdrawal's loss event has a
 * stored plan (holders, total, root prefix), within the 12-line phone budget in every state; Details
 * shows the plan whole.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/engine.ts';
import { examplePolicy, scenarioFacts, SCENARIO_NOW } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { PROPOSAL_STATES } from '../../src/store/types.ts';
import { renderCard, renderDetails, type CardLinks } from '../../src/telegram/card.ts';
import { tally } from '../../src/workflow/quorum.ts';
import { cardActions, unitsOf, verdictOf, type PlanLine, type ProposalView } from '../../src/workflow/views.ts';

const policy = examplePolicy();
const { decision, summary } = decide(scenarioFacts(), policy, SCENARIO_NOW);
const links: CardLinks = { squads: 'https://app.squads.so/x', explorer: 'https://explorer.solana.com/address/y', tx: (s) => `https://explorer.solana.com/tx/${s}` };
const PLAN: PlanLine = { lossEventId: 'le-0123456789abcdef', root: '1a2b3c4d'.repeat(8), total: 9_820_000_000n, claimants: 1_234 };

function view(state: ProposalView['state'], plan: PlanLine | null, holdBy?: string): ProposalView {
  const votes = [1001, 2001].map((id) => ({ telegramId: id, role: id < 2000 ? ('curator' as const) : ('council' as const), vote: 'approve' as const, digest: decision.digest!, policyRevision: decision.policyRevision, epoch: 1, at: SCENARIO_NOW }));
  const hold = holdBy ? { by: 2003, name: holdBy, until: new Date(SCENARIO_NOW.getTime() + 600_000) } : null;
  return {
    rowId: 7, id: `${SANDBOX.multisig}:1`, multisig: SANDBOX.multisig, transactionIndex: 1n, vault: SANDBOX.vault, vaultName: policy.name,
    state, epoch: 1, digest: decision.digest, policyRevision: decision.policyRevision, claim: 'x'.repeat(1000), lossEventId: null, mode: 'register',
    receivedAt: SCENARIO_NOW, deadline: new Date(SCENARIO_NOW.getTime() + 86_400_000), decision,
    rules: decision.rules.map(({ id, outcome, reason }) => ({ id, outcome, reason })), verdict: verdictOf(decision), summary,
    units: unitsOf({ file: 'p.yaml', policy, revision: decision.policyRevision }, summary),
    destination: summary.destination ? { address: summary.destination, escrowName: summary.escrowName } : null,
    lossEvents: [{ id: PLAN.lossEventId, reserve: SANDBOX.reserve, state: 'open', recordedLoss: 18_000_000_000n, compensated: 0n, reserved: 9_820_000_000n, remaining: 8_180_000_000n, at: new Date('2026-11-29T08:00:00Z') }],
    plan,
    approvals: [],
    tally: tally({ policy, votes, digest: decision.digest ?? '', policyRevision: decision.policyRevision, epoch: 1 }),
    required: { curators: 1, council: 2 },
    hold, intent: null, last: null, rejection: null,
    actions: cardActions(state, hold !== null),
  };
}

/** Lines as a 360-px phone shows them (as card.test.ts counts them). */
function phoneLines(html: string): number {
  const plain = html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return plain.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil([...line].length / 40)), 0);
}

describe('the plan line', () => {
  it('shows holders, total and root prefix in one line, only when a plan exists', () => {
    expect(renderCard(view('awaiting-approval', PLAN), links).text).toContain('Plan 1,234 holders · 9,820.00 · 1a2b3c4d');
    const without = renderCard(view('awaiting-approval', null), links).text;
    expect(without).not.toContain('Plan');
    expect(without).toContain('from the Insurance Pool');
  });

  it('keeps every state within 12 phone lines, with a hold and a long claim', () => {
    for (const state of PROPOSAL_STATES) {
      for (const plan of [PLAN, { ...PLAN, claimants: 123_456, total: 123_456_789_000_000n }]) {
        const { text } = renderCard(view(state, plan, 'dave'), links);
        expect(phoneLines(text), `${state}\n${text}`).toBeLessThanOrEqual(12);
        expect(text).toMatch(/Plan [^\n]*1a2b3c4d/);
      }
    }
  });

  it('Details show the whole root and the exact total', () => {
    const d = renderDetails(view('awaiting-approval', PLAN), links);
    expect(d).toContain(`root <code>${PLAN.root}</code>`);
    expect(d).toContain('(9820000000 base units)');
  });
});
