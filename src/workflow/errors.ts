/**
 * Domain refusals of the workflow: what is wrong in the domain's words (`kind`) and a stable `code`
 * for clients. The HTTP layer maps each kind to a status (docs/api.md, src/server/errors.ts). Outages
 * are `ChainUnavailable` / `StoreUnavailable`, never one of these.
 */
import { isAddress, isSignature } from '@solana/kit';

export type RefusalKind =
  /** What the request names does not exist (for this vault). */
  | 'not-found'
  /** It exists already, or is already in the state the request would put it in. */
  | 'conflict'
  /** Well-formed, but the facts refuse it (a closed loss event, an unregistered escrow). */
  | 'unprocessable'
  /** One of the caller's inputs is not what it claims to be; `input` names it. */
  | 'invalid-input'
  /** Something it needs cannot do it now (the programs are absent, a creation did not land). */
  | 'unavailable'
  /** This build cannot do it. */
  | 'not-implemented';

export class WorkflowRefusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    readonly code: string,
    message: string,
    /** The caller's input at fault (its request field name), for `invalid-input`. */
    readonly input?: string,
  ) {
    // An answer in the domain's words, not a bug: no stack trace (capturing one cost an audited 404 ~20 µs, as HttpError found).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

export const unknownVault = (vault: string) => new WorkflowRefusal('not-found', 'unknown-vault', `no policy covers vault ${vault}`);
export const unknownMultisig = (multisig: string) => new WorkflowRefusal('not-found', 'unknown-multisig', `no policy covers multisig ${multisig}`);

/** The caller's `input` is not what it claims: refused before the chain or the store sees it. */
export const invalidInput = (input: string, message: string, code = 'invalid-value') => new WorkflowRefusal('invalid-input', code, message, input);

const U64_MAX = 2n ** 64n - 1n;

/** kit's checks throw on characters outside base58 instead of answering false. */
const safely = (check: (value: string) => boolean) => (value: string): boolean => {
  try {
    return check(value);
  } catch {
    return false;
  }
};
const validAddress = safely(isAddress);
const validSignature = safely(isSignature);

/** Checks of the caller's inputs the workflow sends to the chain: a malformed one is the caller's 4xx, never the RPC's 5xx. */
export const requireInput = {
  address(input: string, value: string): void {
    if (!validAddress(value)) throw invalidInput(input, `${input} must be a base58 account address (32 bytes)`);
  },
  signature(input: string, value: string): void {
    if (!validSignature(value)) throw invalidInput(input, `${input} must be a base58 transaction signature (64 bytes)`);
  },
  u64(input: string, value: bigint, min = 0n): void {
    if (value < min || value > U64_MAX) throw invalidInput(input, `${input} must be a whole number from ${min} to ${U64_MAX}`);
  },
};

/**
 * The co-signer will not sign this (the port's refusal; src/cosign's `CosignRefused` is one): the
 * workflow keeps the proposal where it is, alerts the chat and records why.
 */
export class SigningRefused extends Error {
  constructor(readonly proposal: string, readonly reason: string) {
    super(`not signing ${proposal}: ${reason}`);
  }
}
