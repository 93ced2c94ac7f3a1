/**
 * Why the co-signer refused to sign. Outages are `ChainUnavailable` (src/chain/errors.ts): retry
 * later; a `CosignRefused` says the chain or the inputs no longer allow this signature.
 */

import { SigningRefused } from '../workflow/errors.ts';

/** The co-signer will not sign this (the workflow's `SigningRefused`): names the proposal and the reason, never a key. */
export class CosignRefused extends SigningRefused {
  override readonly name: string = 'CosignRefused';
}

/**
 * Why a pre-sign simulation refused: `deltas` = it ran but moved other amounts or accounts than the
 * decision promised; `simulation-error` = the message failed in simulation; `rpc` = the node could not
 * simulate or read the accounts; `decision` = the decision does not state what to expect.
 */
export type SimulationFailure = 'deltas' | 'simulation-error' | 'rpc' | 'decision';

const NEXT_STEP: Record<SimulationFailure, string> = {
  deltas: 'do not retry blindly: inspect the proposal (`backstop inspect --multisig … --index …`) and the accounts named, then decide it again',
  'simulation-error': 'inspect the proposal and the simulation logs in the audit entry; signing resumes only with a simulation that succeeds',
  rpc: 'check the RPC node (SOLANA_RPC_URL) can simulate transactions; signing resumes only with a simulation that succeeds',
  decision: 'decide the proposal again: the decision must state the farm transfer (destination-escrow) and the withdrawal (farm-binding)',
};

/** The pre-sign simulation of approve+execute did not show what the decision promised: nothing was signed. */
export class SimulationRefused extends CosignRefused {
  override readonly name: string = 'SimulationRefused';
  constructor(proposal: string, readonly failure: SimulationFailure, readonly problems: readonly string[]) {
    super(proposal, `the pre-sign simulation ${failure === 'deltas' ? 'differs from the decision' : failure === 'decision' ? 'has nothing to check against' : 'could not run'}: ${problems.join('; ')}; nothing was signed — ${NEXT_STEP[failure]}`);
  }
}
