/**
 * The card (docs/telegram.md, phone first), pure: rendered from the workflow's ProposalView in every state,
 * within the line budget of a 360-px phone, with units; the Details view; buttons; escaping.
 */
import type { Address } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/engine.ts';
import { examplePolicy, PENDING_AMOUNT, scenarioFacts, SCENARIO_NOW } from '../../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { PROPOSAL_STATES, type ProposalState } from '../../src/store/types.ts';
import { MAX_CALLBACK_BYTES, parseCallback } from '../../src/telegram/callback.ts';
import { MAX_MESSAGE_CHARS, renderCard, renderDetails, shortAddress, type CardLinks } from '../../src/telegram/card.ts';
import { tally } from '../../src/workflow/quorum.ts';
import { cardActions, unitsOf, verdictOf, type ProposalView } from '../../src/workflow/views.ts';

const policy = examplePolicy();
const allowed = decide(scenarioFacts(), policy, SCENARIO_NOW);
const denied = decide(scenarioFacts({ instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) }), policy, SCENARIO_NOW);
const links: CardLinks = {
  squads: 'https://app.squads.so/squads/x/transactions/1',
  explorer: 'https://explorer.solana.com/address/y',
  tx: (s) => `https://explorer.solana.com/tx/${s}`,
};

function view(o: Partial<ProposalView> & { decided?: typeof allowed; votes?: number[]; holdBy?: string } = {}): ProposalView {
  const { decision, summary } = o.decided ?? allowed;
  const state: ProposalState = o.state ?? 'awaiting-approval';
  const at = SCENARIO_NOW;
  const votes = (o.votes ?? [1001, 2001]).map((id) => ({
    telegramId: id, role: id < 2000 ? ('curator' as const) : ('council' as const), vote: 'approve' as const,
    digest: allowed.decision.digest!, policyRevision: allowed.decision.policyRevision, epoch: 1, at,
  }));
  const hold = o.holdBy ? { by: 2003, name: o.holdBy, until: new Date(at.getTime() + 600_000) } : null;
  return {
    rowId: 7, id: `${SANDBOX.multisig}:1`, multisig: SANDBOX.multisig, transactionIndex: 1n, vault: SANDBOX.vault, vaultName: policy.name,
    state, epoch: 1, digest: decision.digest, policyRevision: decision.policyRevision, claim: null, lossEventId: null, mode: 'register',
    receivedAt: at, deadline: new Date(at.getTime() + 86_400_000), decision,
    rules: decision.rules.map(({ id, outcome, reason }) => ({ id, outcome, reason })), verdict: verdictOf(decision), summary,
    units: unitsOf({ file: 'p.yaml', policy, revision: decision.policyRevision }, summary),
    destination: summary.destination ? { address: summary.destination, escrowName: summary.escrowName } : null,
    lossEvents: [{ id: 'le-0123456789abcdef', reserve: SANDBOX.reserve as Address, state: 'open', recordedLoss: 18_000_000_000n, compensated: 0n, reserved: 9_820_000_000n, remaining: 8_180_000_000n, at: new Date('2026-11-29T08:00:00Z') }],
    approvals: [],
    tally: tally({ policy, votes, digest: decision.digest ?? '', policyRevision: decision.policyRevision, epoch: 1 }),
    required: { curators: 1, council: 2 },
    hold, intent: null, last: null, rejection: null,
    actions: cardActions(state, hold !== null),
    ...o,
  };
}

/** Lines as a 360-px phone shows them: tags stripped, entities decoded, wrapped at 40 characters. */
function phoneLines(html: string): number {
  const plain = html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return plain.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil([...line].length / 40)), 0);
}

const data = (c: ReturnType<typeof renderCard>) => c.keyboard.inline_keyboard.flat().map((b) => ('callback_data' in b ? b.callback_data : ''));

describe('the card, phone first', () => {
  it('says what, why, where, the verdict, who, the deadline and the digest, with units', () => {
    const { text } = renderCard(view(), links);
    expect(text).toContain('<b>#7 Sandbox USDC vault</b>\n<b>🗳 Awaiting approval</b>');
    expect(text).toContain('Withdraw <b>10,000.00 kUSDC</b> ≈ 9,820.00 USDC\nfrom the Insurance Pool');
    expect(text).toContain(`Why: loss <code>le-01234567</code> (2026-11-29)\non <code>${shortAddress(SANDBOX.reserve)}</code> · 8,180.00 USDC left`);
    expect(text).toContain(`To: distributor-1 <code>${shortAddress(SANDBOX.escrow)}</code>`);
    expect(text).toContain('✅ All 9 checks passed');
    expect(text).toContain('Curator 1 of 1: alice ✅\nCouncil 1 of 2: bob ✅ · 1 more needed');
    expect(text).not.toContain('carol'); // "1 more needed", not every missing name
    expect(text).toContain(`Until 2026-12-01 12:00 UTC\n<code>${allowed.decision.digest!.slice(0, 16)}</code> · <a href="https://app.squads.so/squads/x/transactions/1">Squads</a> · <a href="https://explorer.solana.com/address/y">Explorer</a>`);
    expect(text).not.toContain(SANDBOX.escrow); // the full address is in Details
  });

  it('fits 12 phone lines in every state, with a hold and a long claim', () => {
    for (const state of PROPOSAL_STATES) {
      for (const extra of [{}, { holdBy: 'dave', claim: 'x'.repeat(1000) }, { decided: denied }]) {
        const { text } = renderCard(view({ state, ...extra }), links);
        expect(phoneLines(text), `${state} ${JSON.stringify(Object.keys(extra))}\n${text}`).toBeLessThanOrEqual(12);
      }
    }
  });

  it('a denial shows one verdict line: the first rule that failed and why, not the table', () => {
    const { text } = renderCard(view({ state: 'denied', decided: denied }), links);
    expect(text).toMatch(/❌ destination-escrow: the transfer pays [^\n]+…/);
    expect(text).toContain('⚠️ <i>not an escrow</i>');
    expect(text).not.toContain('Council'); // votes do not count on a denied proposal
    expect(text.match(/destination-escrow/g)).toHaveLength(1);
  });

  it('recorded mode says “recorded, not executed”; final states stay visible', () => {
    const intent = { kind: 'approve-execute' as const, signature: 'SIG', status: 'recorded' as const, transaction: new Uint8Array() };
    expect(renderCard(view({ state: 'signing', intent }), links).text).toContain('Signing</b> — recorded, not executed');
    expect(renderCard(view({ state: 'signing', intent: { ...intent, status: 'sent' } }), links).text).not.toContain('recorded');
    expect(renderCard(view({ state: 'rejected', rejection: { name: 'dave', reason: 'not our escrow' } }), links).text).toContain('Rejected</b> by dave: not our escrow');
    expect(renderCard(view({ state: 'rejected', last: { cause: 'chain', at: SCENARIO_NOW, reason: null, signature: null } }), links).text).toContain('Rejected</b> on-chain');
    expect(renderCard(view({ state: 'expired' }), links).text).toContain('Expired</b> at 2026-12-01 12:00 UTC');
    expect(renderCard(view({ state: 'invalidated', last: { cause: 'policy', at: SCENARIO_NOW, reason: 'the roster changed', signature: null } }), links).text).toContain('Voided — deciding again</b>: the roster changed');
  });

  it('without decimals it says base units rather than guess', () => {
    const summary = { ...allowed.summary, underlyingDecimals: null, sharesDecimals: null };
    const { text } = renderCard(view({ summary, units: unitsOf(undefined, summary) }), links);
    expect(text).toContain('Withdraw <b>10000000000 base units of kTokens</b> ≈ 9820000000 base units of tokens');
  });

  it('escapes everything user- or chain-derived and shows bidi controls', () => {
    const v = view({ claim: '<b>&" \u202E1-el', vaultName: 'vault <i>&\u202E' });
    const { text } = renderCard(v, links);
    expect(text).toContain('vault &lt;i&gt;&amp;&lt;U+202E&gt;');
    expect(text).not.toContain('\u202E');
    const details = renderDetails(v, links);
    expect(details).toContain('&lt;b&gt;&amp;&quot; &lt;U+202E&gt;1-el');
    expect(details).not.toContain('\u202E');
    expect(renderCard(view({ state: 'rejected', rejection: { name: 'dave\u202D', reason: 'no\nApproved by everyone' } }), links).text).toContain('by dave&lt;U+202D&gt;: no&lt;U+000A&gt;Approved by everyone');
  });

  it('hashes text and keyboard: same input, same hash; a change, a new hash', () => {
    expect(renderCard(view(), links).hash).toBe(renderCard(view(), links).hash);
    expect(renderCard(view({ holdBy: 'dave' }), links).hash).not.toBe(renderCard(view(), links).hash);
  });
});

describe('the Details view', () => {
  it('has every rule with its reason, the full escrow address, digest and revision, amounts in base units', () => {
    const text = renderDetails(view({ state: 'denied', decided: denied }), links);
    for (const r of denied.decision.rules) expect(text).toContain(`${r.id} — `);
    expect(text).toContain(`<code>${SANDBOX.outsiderSharesAta}</code>`);
    expect(text).toContain(`Digest <code>${denied.decision.digest}</code>`);
    expect(text).toContain(`Policy <code>${denied.decision.policyRevision}</code>`);
    expect(text).toContain('Amount 10,000.00 kUSDC (10000000000 base units)');
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
  });
});

describe('card buttons', () => {
  it('Approve only in awaiting-approval; Reject in denied, awaiting-approval and approved; Details always', () => {
    const expected: Record<ProposalState, string[]> = {
      received: [], denied: ['reject'], 'awaiting-approval': ['approve', 'reject'], invalidated: [], approved: ['reject'],
      signing: [], signed: [], executed: [], rejected: [], expired: [], failed: [],
    };
    for (const [state, actions] of Object.entries(expected)) {
      expect(cardActions(state as ProposalState, false), state).toEqual(actions);
      expect(data(renderCard(view({ state: state as ProposalState }), links)).map((d) => parseCallback(d)!.action)).toEqual([...actions, 'details']);
    }
  });

  it('while a hold is active: Confirm reject and Cancel instead of Reject', () => {
    expect(cardActions('awaiting-approval', true)).toEqual(['approve', 'confirm-reject', 'cancel-reject']);
    expect(renderCard(view({ holdBy: 'dave' }), links).text).toContain('⏸ dave’s Reject holds signing to 12:10');
  });

  it('carry <a|r|y|n|d>:<row id>:<digest[0..16]>:<epoch>, at most 64 bytes even for the largest ids', () => {
    const d = allowed.decision.digest!.slice(0, 16);
    expect(data(renderCard(view(), links))).toEqual([`a:7:${d}:1`, `r:7:${d}:1`, `d:7:${d}:1`]);
    const big = renderCard(view({ rowId: Number.MAX_SAFE_INTEGER, epoch: Number.MAX_SAFE_INTEGER, holdBy: 'dave' }), links);
    for (const cb of data(big)) expect(Buffer.byteLength(cb)).toBeLessThanOrEqual(MAX_CALLBACK_BYTES);
    expect(data(big)).toHaveLength(4);
  });
});
