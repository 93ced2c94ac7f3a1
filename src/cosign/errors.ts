/**
 * Why the co-signer refused to sign. Outages are `ChainUnavailable` (src/chain/errors.ts): retry
 * later; a `CosignRefused` says the chain or the inputs no longer allow this signature.
 */

/** The co-signer will not sign this: the message names the proposal and the reason, never a key. */
export class CosignRefused extends Error {
  override readonly name = 'CosignRefused';
  constructor(readonly proposal: string, reason: string) {
    super(`not signing ${proposal}: ${reason}`);
  }
}
