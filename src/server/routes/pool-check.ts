/**
 * GET /v1/vaults/:vault/pool-check (issue 14, read token): the vault's Insurance Pool audit read
 * from the chain now, as `backstop pool check --json` prints it — `{ vault, slot, checks: [{ id,
 * outcome, evidence, fix }] }`. 404 for a vault no policy covers; 503 when the chain cannot be read.
 */
import { isAddress, type Address } from '@solana/kit';
import type { Router } from 'express';
import { z } from 'zod';
import { ChainUnavailable } from '../../chain/errors.ts';
import { POOL_CHECK_IDS } from '../../policy/pool-checks.ts';
import { checkPoolNow, poolCheckJson } from '../../workflow/pool-view.ts';
import type { Workflow } from '../../workflow/workflow.ts';
import { HttpError } from '../errors.ts';
import { jsonText, sendJsonText } from '../pipeline.ts';

/** The answer's schema (OpenAPI `PoolCheck`). */
export const PoolCheckAnswer = z.object({
  vault: z.string().describe('the kvault'),
  slot: z.number().int().nullable().describe('the slot the chain was read at, null when the node did not say'),
  checks: z.array(
    z.object({
      id: z.enum(POOL_CHECK_IDS),
      outcome: z.enum(['pass', 'fail', 'warn', 'unknown']),
      evidence: z.string().describe('what was found, with addresses and numbers'),
      fix: z.string().nullable().describe('for a failure or warning: which instruction, signed by whom'),
    }),
  ),
});

export function registerPoolCheckRoutes(router: Router, deps: { workflow: Workflow }): void {
  const { workflow } = deps;
  router.get('/v1/vaults/:vault/pool-check', async (req, res) => {
    const vault = req.params['vault'] ?? '';
    if (!isAddress(vault)) throw new HttpError(400, 'invalid-value', 'vault must be a base58 address');
    const loaded = workflow.policies.forVault(vault as Address);
    if (!loaded) throw new HttpError(404, 'not-found', `no policy covers vault ${vault}`);
    const view = await checkPoolNow(workflow.chain, { vault: vault as Address, policy: loaded.policy });
    if (!view.readable) throw new ChainUnavailable(`vault ${vault} could not be read`);
    sendJsonText(res, 200, jsonText(poolCheckJson(view)));
  });
}
