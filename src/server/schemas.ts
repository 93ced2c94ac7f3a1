/**
 * The HTTP API's request and response shapes (docs/api.md) as zod 4 schemas. Requests are strict
 * (unknown keys are refused); amounts and indices travel as decimal strings and come out as bigint.
 * /openapi.json is generated from these same schemas.
 */
import type { Address } from '@solana/kit';
import { z } from 'zod';
import { PROPOSAL_STATES, type ProposalState } from '../store/types.ts';
import { cleanText } from '../util/text.ts';
import { isBase58Address, isBase58Signature } from './base58.ts';

const U64_MAX = 2n ** 64n - 1n;
const STATES = PROPOSAL_STATES as unknown as readonly [ProposalState, ...ProposalState[]];

const address = (what: string) =>
  z
    .string()
    .refine(safely(isBase58Address), { message: `${what} must be a base58 public key (32 bytes)` })
    .transform((s) => s as Address)
    .meta({ description: `${what}: base58 public key`, example: '11111111111111111111111111111111' });

/** A u64 as a decimal string (also accepts a JSON integer within 2^53). */
const u64 = (what: string, min = 0n) =>
  z
    .union([z.string().regex(/^(0|[1-9][0-9]{0,19})$/, { message: `${what} must be a decimal integer string` }), z.number().int().nonnegative()])
    .transform((v, ctx) => {
      const n = BigInt(v);
      if (n > U64_MAX) ctx.addIssue({ code: 'custom', message: `${what} must fit in a u64` });
      if (n < min) ctx.addIssue({ code: 'custom', message: `${what} must be at least ${min}` });
      return n;
    })
    .meta({ description: `${what}: a u64 as a decimal string`, example: '1000000' });

/** Refinements never throw (a throw escapes safeParse and became a 500): a throw is a failed check. */
const safely =
  (check: (s: string) => boolean) =>
  (s: string): boolean => {
    try {
      return check(s);
    } catch {
      return false;
    }
  };

/** Human text: at most 1000 characters, control characters stripped (bidi controls are shown escaped where rendered). */
const humanText = (what: string, description: string) =>
  z.string().max(1000, { message: `${what} is at most 1000 characters` }).transform(cleanText).meta({ description });

const claim = humanText('claim', 'shown to humans, never used to decide; control characters are removed');

/** POST /v1/loss-events */
export const LossEventRequest = z
  .strictObject({
    vault: address('vault'),
    reserve: address('reserve'),
    signature: z
      .string()
      // A well-formed string that is not a transaction signature is unprocessable (422), not malformed (400).
      .refine(safely(isBase58Signature), { message: 'signature must be a base58 transaction signature (64 bytes)', params: { status: 422 } }),
    vaultLoss: u64('vaultLoss', 1n),
    note: humanText('note', 'shown to humans; control characters are removed').optional(),
  })
  ;

/** POST /v1/loss-events/:id/close */
export const CloseLossRequest = z.strictObject({ vault: address('vault') });

/** POST /v1/proposals, register mode. */
export const RegisterProposalRequest = z
  .strictObject({ multisig: address('multisig'), transactionIndex: u64('transactionIndex'), claim: claim.optional() })
  ;

/** POST /v1/proposals, create mode (`amount` in kToken base units, `escrow` a registered escrow). */
export const CreateProposalRequest = z
  .strictObject({
    vault: address('vault'),
    lossEventId: z.string().min(1).max(128),
    amount: u64('amount', 1n),
    escrow: address('escrow'),
    claim: claim.optional(),
  })
  ;

/** POST /v1/proposals: register (has `multisig`) or create (has `vault`). */
export const ProposalRequest = z.union([RegisterProposalRequest, CreateProposalRequest]);

/** Picks the proposal mode's schema by its distinguishing key, so errors name the right fields. */
export function proposalSchemaFor(body: unknown): typeof RegisterProposalRequest | typeof CreateProposalRequest {
  return typeof body === 'object' && body !== null && 'vault' in body && !('multisig' in body) ? CreateProposalRequest : RegisterProposalRequest;
}

/** GET /v1/proposals?state= */
export const ProposalListQuery = z.strictObject({ state: z.enum(STATES).optional() });

// ---- responses ----

const decimal = z.string().regex(/^[0-9]+$/).meta({ description: 'a u64 as a decimal string' });
const time = z.string().meta({ description: 'RFC 3339 UTC time' });

/** `{ error: { code, message, details? } }` */
export const ErrorResponse = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  ;

export const LossEventView = z
  .object({
    id: z.string(),
    vault: z.string(),
    reserve: z.string(),
    signature: z.string(),
    vaultLoss: decimal,
    recordedLoss: decimal,
    forgiven: decimal,
    state: z.enum(['open', 'closed']),
    evidence: z.object({ vaultCTokens: decimal, reserveCTokenSupply: decimal, readAtSlot: decimal }),
    slot: decimal,
    blockTime: z.number().nullable(),
    note: z.string().nullable(),
    recordedAt: time,
    recordedBy: z.string(),
    closedAt: time.nullable(),
  })
  ;

export const DecisionView = z
  .object({
    id: z.string(),
    allowed: z.boolean(),
    digest: z.string().nullable(),
    policyRevision: z.string(),
    decidedAt: z.string(),
    rules: z.array(z.object({ id: z.string(), outcome: z.enum(['pass', 'fail', 'unknown']), reason: z.string(), facts: z.record(z.string(), z.unknown()) })),
  })
  ;

export const ProposalView = z
  .object({
    id: z.string().meta({ description: '<multisig>:<transactionIndex>' }),
    multisig: z.string(),
    transactionIndex: decimal,
    vault: z.string(),
    state: z.enum(STATES),
    epoch: z.number().int(),
    digest: z.string().nullable(),
    policyRevision: z.string().nullable(),
    claim: z.string().nullable(),
    lossEventId: z.string().nullable(),
    mode: z.enum(['register', 'create']),
    receivedAt: time,
    deadline: time.nullable(),
    decision: DecisionView.nullable(),
    approvals: z.array(
      z.object({ telegramId: z.number().int(), name: z.string(), role: z.enum(['curator', 'council']), vote: z.enum(['approve', 'reject']), at: time }),
    ),
    intent: z
      .object({ signature: z.string(), transaction: z.string().meta({ description: 'base64' }), status: z.enum(['sent', 'recorded', 'landed', 'expired', 'failed']) })
      .nullable(),
  })
  ;

export const LossEventList = z.object({ lossEvents: z.array(LossEventView) });
export const ProposalList = z.object({ proposals: z.array(ProposalView) });
export const HealthAnswer = z.object({ ok: z.literal(true) });
export const ReadyAnswer = z.object({
  ready: z.boolean(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});
