/** The card (SPEC §7), pure: what it shows in each state, its buttons, escaping and size limits. */
import type { Address } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/engine.ts';
import { examplePolicy, PENDING_AMOUNT, scenarioFacts, SCENARIO_NOW } from '../../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import type { ProposalRecord, ProposalState, TransitionRecord } from '../../src/store/types.ts';
import { MAX_CALLBACK_BYTES } from '../../src/telegram/callback.ts';
import { cardActions, MAX_MESSAGE_CHARS, renderCard, type CardInput } from '../../src/telegram/card.ts';
import { tally } from '../../src/workflow/quorum.ts';

const policy = examplePolicy();
const decision = decide(scenarioFacts(), policy, SCENARIO_NOW).decision;

function input(o: { state?: ProposalState; claim?: string; hold?: boolean; transition?: Partial<TransitionRecord>; rejection?: CardInput['rejection']; rowId?: number; epoch?: number; policyName?: string } = {}): CardInput {
  const row: ProposalRecord = {
    rowId: o.rowId ?? 7, id: `${SANDBOX.multisig}:1`, multisig: SANDBOX.multisig, transactionIndex: 1n, vault: SANDBOX.vault,
    state: o.state ?? 'awaiting-approval', epoch: o.epoch ?? 1, digest: decision.digest, policyRevision: decision.policyRevision,
    claim: o.claim ?? null, lossEventId: null, mode: 'register', receivedAt: SCENARIO_NOW,
    deadline: new Date(SCENARIO_NOW.getTime() + 86_400_000), updatedAt: SCENARIO_NOW,
  };
  const p = o.policyName ? examplePolicy((raw) => void (raw['name'] = o.policyName)) : policy;
  const at = SCENARIO_NOW;
  const votes = [
    { telegramId: 1001, role: 'curator' as const, vote: 'approve' as const, digest: decision.digest!, policyRevision: decision.policyRevision, epoch: 1, at },
    { telegramId: 2001, role: 'council' as const, vote: 'approve' as const, digest: decision.digest!, policyRevision: decision.policyRevision, epoch: 1, at },
  ];
  return {
    row, policy: p, decision,
    tally: tally({ policy: p, votes, digest: decision.digest!, policyRevision: decision.policyRevision, epoch: 1 }),
    hold: o.hold ? { by: 2003, startedAt: SCENARIO_NOW } : null,
    intent: null,
    lossEvents: [{ id: 'le-1', reserve: SANDBOX.reserve as Address, state: 'open', recordedLoss: 18_000_000_000n, compensated: 0n, reserved: 9_820_000_000n }],
    now: SCENARIO_NOW,
    links: { squads: 'https://app.squads.so/squads/x/transactions/1', explorer: 'https://explorer.solana.com/address/y' },
    lastTransition: o.transition ? ({ id: 1, proposalRowId: 7, from: 'approved', to: row.state, cause: 'human', detail: null, epoch: 1, at, ...o.transition } as TransitionRecord) : null,
    rejection: o.rejection ?? null,
  };
}

const data = (c: ReturnType<typeof renderCard>) => c.keyboard.inline_keyboard.flat().map((b) => ('callback_data' in b ? b.callback_data : ''));

describe('card content', () => {
  it('shows vault, amount in kTokens and ≈ underlying, escrow, loss and what remains, digest, rules, approvals, deadline, links', () => {
    const { text } = renderCard(input());
    expect(text).toContain(`Vault: Sandbox USDC vault <code>${SANDBOX.vault}</code>`);
    expect(text).toContain('<b>10000 kTokens</b> ≈ 9820 underlying');
    expect(text).toContain(`Escrow: distributor-1 <code>${SANDBOX.escrow}</code>`);
    expect(text).toContain('<code>le-1</code>: recorded 18000, compensated 0, reserved 9820 → remains 8180');
    expect(text).toContain(`Digest: <code>${decision.digest!.slice(0, 16)}</code>`);
    expect(text).toContain('✅ destination-escrow — 10000 (10000000000 base units) kTokens');
    expect(text).toContain('Curators 1/1: ✅ alice');
    expect(text).toContain('Council 1/2: ✅ bob · missing: carol, dave');
    expect(text).toContain('Deadline: 2026-12-01 12:00 UTC');
    expect(text).toContain('<a href="https://app.squads.so/squads/x/transactions/1">Squads app</a>');
    expect(text).toContain('<a href="https://explorer.solana.com/address/y">Explorer</a>');
  });

  it('shows ❌ and ❔ rules with their reasons', () => {
    const denied = decide(scenarioFacts({ instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) }), policy, SCENARIO_NOW).decision;
    const unknownRule = { ...denied, rules: denied.rules.map((r, i) => (i === 0 ? { ...r, outcome: 'unknown' as const, reason: 'rpc down' } : r)) };
    const { text } = renderCard({ ...input({ state: 'denied' }), decision: unknownRule });
    expect(text).toContain('❔ proposal-account — rpc down');
    expect(text).toMatch(/❌ destination-escrow — /);
  });

  it('keeps the final state visible: executed with its signature, rejected with its reason, expired, invalidated', () => {
    expect(renderCard(input({ state: 'executed', transition: { to: 'executed', detail: { signature: 'EXECSIG' } } })).text).toMatch(/Executed<\/b>: .*EXECSIG/);
    expect(renderCard(input({ state: 'rejected', rejection: { name: 'dave', reason: 'not our escrow' } })).text).toContain('Rejected</b> by dave: not our escrow');
    expect(renderCard(input({ state: 'rejected', transition: { to: 'rejected', cause: 'chain' } })).text).toContain('Rejected</b> on-chain');
    expect(renderCard(input({ state: 'expired' })).text).toContain('Expired</b> at 2026-12-01 12:00 UTC');
    expect(renderCard(input({ state: 'invalidated', transition: { to: 'invalidated', cause: 'policy', detail: { reason: 'the roster changed' } } })).text).toContain('voided — deciding again</b>: the roster changed');
  });

  it('escapes everything user- or chain-derived', () => {
    const { text } = renderCard(input({ claim: '<b>&"', policyName: 'vault <i>&' }));
    expect(text).toContain('&lt;b&gt;&amp;&quot;');
    expect(text).toContain('vault &lt;i&gt;&amp;');
    expect(text).not.toContain('<b>&"');
    expect(text).not.toContain('vault <i>');
  });

  it('shows bidirectional controls escaped, so a claim, a name or a reason cannot reorder the card', () => {
    // "pay le-1" followed by an override that would display "1-el" reversed, and an isolate.
    const claim = 'compensate le-1 \u202E1-el yap\u202C \u2066x\u2069 \u200F\u061C';
    const { text } = renderCard(input({ claim, policyName: 'vault\u202Eevil', state: 'rejected', rejection: { name: 'dave\u202D', reason: 'no\u200E\nApproved by everyone' } }));
    for (const c of ['\u202E', '\u202C', '\u2066', '\u2069', '\u200F', '\u061C', '\u202D', '\u200E']) expect(text, `U+${c.codePointAt(0)!.toString(16)}`).not.toContain(c);
    expect(text).toContain('compensate le-1 &lt;U+202E&gt;1-el yap&lt;U+202C&gt; &lt;U+2066&gt;x&lt;U+2069&gt; &lt;U+200F&gt;&lt;U+061C&gt;');
    expect(text).toContain('vault&lt;U+202E&gt;evil');
    // A line feed in a stored reason cannot start a line of its own on the card.
    expect(text).toContain('by dave&lt;U+202D&gt;: no&lt;U+200E&gt;&lt;U+000A&gt;Approved by everyone');
  });

  it('shows a control character left in stored text (NUL, ESC) escaped', () => {
    const { text } = renderCard(input({ claim: 'a\u0000b\u001b[31m' }));
    expect(text).toContain('a&lt;U+0000&gt;b&lt;U+001B&gt;[31m');
    expect(text).not.toMatch(/[\u0000\u001b]/);
  });

  it('stays within Telegram’s 4096 characters with a 1000-character claim', () => {
    for (const claim of ['&'.repeat(1000), '\u202E'.repeat(1000)]) {
      const { text } = renderCard(input({ claim }));
      expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
      expect(text).toContain('Approvals');
    }
  });

  it('hashes text and keyboard: same input, same hash; a change, a new hash', () => {
    expect(renderCard(input()).hash).toBe(renderCard(input()).hash);
    expect(renderCard(input({ hold: true })).hash).not.toBe(renderCard(input()).hash);
  });
});

describe('card buttons', () => {
  it('Approve only in awaiting-approval; Reject in denied, awaiting-approval and approved; none in the others', () => {
    const expected: Record<ProposalState, string[]> = {
      received: [], denied: ['reject'], 'awaiting-approval': ['approve', 'reject'], invalidated: [], approved: ['reject'],
      signing: [], signed: [], executed: [], rejected: [], expired: [], failed: [],
    };
    for (const [state, actions] of Object.entries(expected)) expect(cardActions(state as ProposalState, false), state).toEqual(actions);
  });

  it('while a hold is active: Confirm reject and Cancel instead of Reject', () => {
    expect(cardActions('awaiting-approval', true)).toEqual(['approve', 'confirm-reject', 'cancel-reject']);
    expect(cardActions('approved', true)).toEqual(['confirm-reject', 'cancel-reject']);
    expect(cardActions('executed', true)).toEqual([]);
    const card = renderCard(input({ hold: true }));
    expect(card.text).toContain('Signing held by dave’s Reject until 2026-11-30 12:10 UTC');
  });

  it('carry <a|r|y|n>:<row id>:<digest[0..16]>:<epoch>, at most 64 bytes even for the largest ids', () => {
    const d = decision.digest!.slice(0, 16);
    expect(data(renderCard(input()))).toEqual([`a:7:${d}:1`, `r:7:${d}:1`]);
    const big = renderCard(input({ rowId: Number.MAX_SAFE_INTEGER, epoch: Number.MAX_SAFE_INTEGER, hold: true }));
    for (const cb of data(big)) expect(Buffer.byteLength(cb)).toBeLessThanOrEqual(MAX_CALLBACK_BYTES);
    expect(data(big)).toHaveLength(3);
  });
});
