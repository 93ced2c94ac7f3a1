/**
 * Seeds a sandbox chain (docs/configuration.md): the vault and its reserve, the FLC farm, the 2-of-2 multisig, an
 * escrow, the vault's invest and the klend loss transactions, one pending proposal with the curator's
 * on-chain vote in place, and a second one at the next index paying a non-escrow kToken account; the
 * curator wallet's stake in the pool, a second, misconfigured vault for `backstop pool check`, and the
 * depositors who held the vault's other kTokens at the loss (fixtures/depositors.ts).
 * Accounts are written with the SDKs' serializers (src/sandbox/fixtures).
 */
import type { AccountData } from '../chain/types.ts';
import type { Harness } from './harness/index.ts';
import { sandboxInvest } from './fixtures/ctoken-history.ts';
import { depositorWorld } from './fixtures/depositors.ts';
import { DENIED_INDEX, PENDING_AMOUNT, PENDING_INDEX, proposalAccounts, sandboxLoss, worldAccounts } from './fixtures/scenario.ts';
import { multisigAccount, withdrawalInstructions } from './fixtures/squads.ts';
import { farmUserStateAccount } from './fixtures/farm.ts';
import { misconfiguredVaultAccounts } from './fixtures/misconfigured.ts';
import { SANDBOX } from './seeds.ts';

export interface SeededWorld {
  readonly lossSignature: string;
  readonly pendingIndex: bigint;
  readonly deniedIndex: bigint;
}

/** Writes the sandbox world into the harness; returns what was seeded. */
export function seedSandboxChain(harness: Harness): SeededWorld {
  const put = (a: AccountData) => harness.setAccount(a);
  worldAccounts().forEach(put);
  // The curator wallet's stake in the pool: the guardian finds it among the farm's UserStates.
  put(farmUserStateAccount());
  // A second vault whose pool `backstop pool check` fails (sandbox.json `misconfiguredVault`).
  misconfiguredVaultAccounts().forEach(put);
  const [, pendingTx, pendingProposal] = proposalAccounts({ index: PENDING_INDEX, instructions: withdrawalInstructions({ amount: PENDING_AMOUNT }) });
  // The co-signer may also initiate, so create mode works in real mode.
  const multisig = multisigAccount({ transactionIndex: DENIED_INDEX, members: [{ key: SANDBOX.cosigner, mask: 7 }, { key: SANDBOX.curator, mask: 7 }] });
  const [, deniedTx, deniedProposal] = proposalAccounts({
    index: DENIED_INDEX,
    instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }),
  });
  [multisig, pendingTx!, pendingProposal!, deniedTx!, deniedProposal!].forEach(put);
  const loss = sandboxLoss();
  if (loss.transaction.stored.kind === 'found') harness.addTransaction(loss.transaction.signature, loss.transaction.stored.result);
  // The invest that gave the vault its cTokens before the loss: the history loss evidence reads.
  const invest = sandboxInvest();
  harness.addTransaction(invest.signature, invest.result);
  // The depositors at the loss (issue 15): accounts as they are now, and their served history.
  const depositors = depositorWorld();
  depositors.accounts.forEach(put);
  for (const t of depositors.transactions) harness.addTransaction(t.signature, t.result);
  // The co-signer and the fee payer need SOL for fees (readiness wants ≥ 0.05 SOL).
  harness.airdrop(SANDBOX.cosigner, 10_000_000_000n);
  harness.airdrop(SANDBOX.feePayer, 10_000_000_000n);
  harness.airdrop(SANDBOX.curator, 10_000_000_000n);
  return { lossSignature: loss.transaction.signature, pendingIndex: PENDING_INDEX, deniedIndex: DENIED_INDEX };
}
