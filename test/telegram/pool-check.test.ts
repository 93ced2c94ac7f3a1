/**
 * `/pool` (docs/telegram.md) with the compact pool-check card appended (issue 14), answered from the harness
 * chain through the production ChainReader: a healthy pool, a misconfigured one, and the card's escaping.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainReader } from '../../src/chain/reader.ts';
import { farmAccount, farmUserStateAccount } from '../../src/sandbox/fixtures/farm.ts';
import { vaultAccount } from '../../src/sandbox/fixtures/kvault.ts';
import { worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { multisigAccount } from '../../src/sandbox/fixtures/squads.ts';
import { DEFAULT_ADDRESS } from '../../src/chain/accounts/kvault.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { SANDBOX, SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import type { Store } from '../../src/store/types.ts';
import { answerCommand, type CommandDeps } from '../../src/telegram/commands.ts';
import { formatPoolCheckCard } from '../../src/telegram/pool.ts';
import { poolCheckView } from '../../src/workflow/pool-view.ts';
import { exampleRegistry } from '../support/workflow-doubles.ts';

let harness: Harness;
beforeEach(async () => {
  harness = await startHarness();
  worldAccounts().forEach((a) => harness.setAccount(a));
  harness.setAccount(multisigAccount());
  harness.setAccount(farmUserStateAccount());
});
afterEach(() => harness.close());

const pool = () => {
  // /pool reads only the policies and the chain; no proposal is rendered.
  const deps = { store: {} as Store, policies: exampleRegistry(), chain: new ChainReader({ rpcUrl: harness.url, retries: 0 }), renderDetails: async () => null, renderCard: async () => null };
  return answerCommand('pool', '', { chatId: SANDBOX_TELEGRAM.chatId, chatType: 'supergroup', userId: 2001 }, deps as CommandDeps);
};

describe('/pool with the pool check card', () => {
  it('a healthy pool: the totals, then one line saying every check passes', async () => {
    const text = (await pool())!;
    expect(text).toContain('Staked: 200000 kTokens');
    expect(text).toContain('<b>Pool check</b>: 9 ✅ — every check passes');
    expect(text).not.toContain('❌');
  });

  it('a misconfigured pool: each failing check with its evidence and fix, warnings without a fix line', async () => {
    harness.setAccount(farmAccount({ withdrawAuthority: DEFAULT_ADDRESS, withdrawalCooldownPeriod: 7 * 86_400 }));
    harness.setAccount(vaultAccount({ allowInvestInWhitelistedReservesOnly: 0 }));
    const text = (await pool())!;
    expect(text).toContain('<b>Pool check</b>: 6 ✅ · 1 ⚠️ · 2 ❌');
    expect(text).toContain('❌ <b>withdraw-authority</b>: withdraw_authority is unset (the default key): no emergency withdrawal is possible');
    expect(text).toContain(`   → the farm admin ${SANDBOX.vaultPda} (the 2-of-2's vault, through a Squads vault transaction) signs farms update_farm_config(mode 2 WithdrawAuthority, ${SANDBOX.vaultPda})`);
    expect(text).toContain('❌ <b>cooldown</b>: withdrawal_cooldown_period is 604800 s (7 days), below 30 days (2592000 s)');
    expect(text).toContain('⚠️ <b>whitelisted-reserves</b>');
    expect(text.split('\n').filter((l) => l.startsWith('   → '))).toHaveLength(2);
  });

  it('an unreachable chain says so instead of judging', async () => {
    harness.breakAccount(SANDBOX.vault);
    const text = (await pool())!;
    expect(text).toContain('— the vault could not be read');
  });
});

describe('the compact card', () => {
  it('escapes what it shows and keeps each line short', () => {
    const view = poolCheckView({
      target: { vault: SANDBOX.vault },
      slot: 1,
      readable: true,
      checks: [{ id: 'policy', outcome: 'fail', evidence: `<b>forged</b> ${'x'.repeat(400)}`, fix: 'do <this>', facts: {} }],
    });
    const card = formatPoolCheckCard(view);
    expect(card).toContain('&lt;b&gt;forged&lt;/b&gt;');
    expect(card).toContain('→ do &lt;this&gt;');
    expect(card).not.toContain('<b>forged');
    expect(card.split('\n')[1]!.length).toBeLessThan(300);
  });
});
