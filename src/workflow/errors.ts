/**
 * Domain refusals of the workflow, each with the HTTP status the API answers (SPEC §6). Outages are
 * `ChainUnavailable` / `StoreUnavailable` (503), never one of these.
 */
export class WorkflowRefusal extends Error {
  constructor(
    readonly status: 404 | 409 | 422 | 501 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const unknownVault = (vault: string) => new WorkflowRefusal(404, 'unknown-vault', `no policy covers vault ${vault}`);
export const unknownMultisig = (multisig: string) => new WorkflowRefusal(404, 'unknown-multisig', `no policy covers multisig ${multisig}`);

/**
 * The co-signer will not sign this (the port's refusal; src/cosign's `CosignRefused` is one): the
 * workflow keeps the proposal where it is, alerts the chat and records why.
 */
export class SigningRefused extends Error {
  constructor(readonly proposal: string, readonly reason: string) {
    super(`not signing ${proposal}: ${reason}`);
  }
}
