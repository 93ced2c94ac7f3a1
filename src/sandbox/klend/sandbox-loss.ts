/**
 * The sandbox world with its loss produced by the real klend program (real mode with the klend and
 * farms dumps): the world is seeded as usual, then the reserve is put back to its state before the
 * loss (1,000,000 more tokens borrowed, a config refresh_reserve accepts), its lending market is
 * written with the sandbox market owner, the clock moves to the sandbox loss slot (after the seeded
 * invest), and socialize_loss_v2 forgives RESERVE_FORGIVEN: afterwards the reserve holds exactly the
 * post-loss numbers of fixtures/world.ts, so every figure the sandbox shows is unchanged.
 */
import { reserveAccount } from '../fixtures/reserve.ts';
import { RESERVE_BORROWED, RESERVE_FORGIVEN } from '../fixtures/world.ts';
import type { Harness } from '../harness/index.ts';
import { SANDBOX, SANDBOX_KEYPAIRS } from '../seeds.ts';
import { seedSandboxChain, type SeededWorld } from '../world.ts';
import { lendingMarketAccount, socializeLossOnHarness, withUsableConfig } from './loss.ts';

/** The slot and time the sandbox loss happens at: those of the served recording it replaces. */
export const SANDBOX_LOSS_SLOT = 312_000_000n;
export const SANDBOX_LOSS_TIME = 1_764_400_000n;

/** Seeds the sandbox world and produces its loss with the real klend program; returns the executed loss's signature. */
export async function seedSandboxChainWithRealLoss(harness: Harness): Promise<SeededWorld> {
  const world = seedSandboxChain(harness);
  harness.svm.warpToSlot(SANDBOX_LOSS_SLOT);
  const clock = harness.svm.getClock();
  clock.unixTimestamp = SANDBOX_LOSS_TIME;
  harness.svm.setClock(clock);
  harness.setAccount(lendingMarketAccount({ market: SANDBOX.lendingMarket, owner: SANDBOX.lendingMarketOwner }));
  const before = reserveAccount({ liquidity: { borrowedAmountSf: (RESERVE_BORROWED + RESERVE_FORGIVEN) << 60n }, lastUpdate: { slot: SANDBOX_LOSS_SLOT } });
  harness.setAccount({ ...before, data: withUsableConfig(before.data, { slot: SANDBOX_LOSS_SLOT }) });
  const loss = await socializeLossOnHarness(harness, { reserve: SANDBOX.reserve, forgive: RESERVE_FORGIVEN, owner: SANDBOX_KEYPAIRS.lendingMarketOwner, name: 'sandbox' });
  return { ...world, lossSignature: loss.signature };
}
