/**
 * Approvals bound to a key (docs/approvals.md): when a role's `approval` is `signed`, a member's
 * approval counts only with an ed25519 signature, by the `signer` the policy names for them, over
 *
 *   backstop approve <multisig>:<index> digest <64 hex> revision <64 hex> epoch <n>
 *
 * for the proposal's CURRENT digest, policy revision and epoch — so a signature never carries over to
 * another proposal, another transaction, another policy or a later approval round. Pure (no store,
 * no clock). Three preimages of that message are accepted, whichever the member's tool signed:
 * - `raw`: the message's bytes (a Wallet Standard wallet's `solana:signMessage`);
 * - `offchain-v0`: the Solana off-chain message, version 0, as the specification and current
 *   `solana sign-offchain-message` / Ledger build it: "\xffsolana offchain", version 0, a 32-byte
 *   application domain (zeros), format 0 (printable ASCII), signer count 1, the signer's key, u16 LE
 *   length, message;
 * - `offchain-legacy`: the same envelope as `solana sign-offchain-message` of Solana/Agave CLI 1.x–2.x
 *   builds it: "\xffsolana offchain", version 0, format 0, u16 LE length, message.
 * The envelopes begin with 0xff, which no transaction message does, so none of these signatures can
 * be replayed as a transaction signature.
 */
import { verifyAsync } from '@noble/ed25519';
import { getBase58Decoder, getBase58Encoder } from '@solana/kit';
import type { ApprovalMode, Policy } from '../policy/schema.ts';
import type { Role } from './quorum.ts';

/** What a signed approval is bound to: the proposal, and its current digest, policy revision and epoch. */
export interface ApprovalBinding {
  readonly multisig: string;
  readonly transactionIndex: bigint;
  readonly digest: string;
  readonly policyRevision: string;
  readonly epoch: number;
}

/** Which bytes the member's tool signed (see the module comment). */
export type Preimage = 'raw' | 'offchain-v0' | 'offchain-legacy';

/** The off-chain message signing domain: 0xff then "solana offchain". */
export const SIGNING_DOMAIN: Uint8Array = Uint8Array.from([0xff, ...new TextEncoder().encode('solana offchain')]);
/** Formats 0 and 1 are limited to 1232 bytes in all, so a Ledger can show them. */
export const OFFCHAIN_LEDGER_MAX = 1232;

const HEX64 = /^[0-9a-f]{64}$/;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** How `role` approves under `policy` (absent means `button`). */
export function approvalOf(policy: Pick<Policy, 'curators' | 'council'>, role: Role): ApprovalMode {
  return (role === 'curator' ? policy.curators.approval : policy.council.approval) ?? 'button';
}

/** Whether any role of `policy` approves with a signature (its card's Approve opens the Mini App). */
export function usesSignedApproval(policy: Pick<Policy, 'curators' | 'council'>): boolean {
  return approvalOf(policy, 'curator') === 'signed' || approvalOf(policy, 'council') === 'signed';
}

/** The message a member signs. Throws RangeError for a binding no proposal can have (no digest, bad epoch). */
export function approvalMessage(b: ApprovalBinding): string {
  if (!BASE58.test(b.multisig)) throw new RangeError(`bad multisig address ${JSON.stringify(b.multisig)}`);
  if (b.transactionIndex < 0n) throw new RangeError(`bad transaction index ${b.transactionIndex}`);
  if (!HEX64.test(b.digest)) throw new RangeError('a signed approval needs the proposal’s 64-hex digest');
  if (!HEX64.test(b.policyRevision)) throw new RangeError('a signed approval needs the 64-hex policy revision');
  if (!Number.isSafeInteger(b.epoch) || b.epoch < 1) throw new RangeError(`bad epoch ${b.epoch}`);
  return `backstop approve ${b.multisig}:${b.transactionIndex} digest ${b.digest} revision ${b.policyRevision} epoch ${b.epoch}`;
}

const u16le = (n: number): Uint8Array => Uint8Array.from([n & 0xff, (n >> 8) & 0xff]);

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const asciiBytes = (message: string): Uint8Array => {
  if (!PRINTABLE_ASCII.test(message)) throw new RangeError('an off-chain approval message is printable ASCII (format 0)');
  return new TextEncoder().encode(message);
};

/** The specification's version-0 off-chain message with one signer and the zero application domain. */
export function offchainMessageV0(message: string, signer: Uint8Array): Uint8Array {
  if (signer.length !== 32) throw new RangeError('a signer is a 32-byte public key');
  const body = asciiBytes(message);
  const out = concat(SIGNING_DOMAIN, Uint8Array.of(0), new Uint8Array(32), Uint8Array.of(0, 1), signer, u16le(body.length), body);
  if (out.length > OFFCHAIN_LEDGER_MAX) throw new RangeError(`an off-chain approval message is at most ${OFFCHAIN_LEDGER_MAX} bytes`);
  return out;
}

/** The version-0 off-chain message as Solana CLI 1.x–2.x builds it (no application domain, no signers). */
export function offchainMessageLegacy(message: string): Uint8Array {
  const body = asciiBytes(message);
  return concat(SIGNING_DOMAIN, Uint8Array.of(0, 0), u16le(body.length), body);
}

/** Every accepted preimage of `message` for `signer`, in the order they are tried. */
export function preimages(message: string, signer: Uint8Array): { readonly kind: Preimage; readonly bytes: Uint8Array }[] {
  return [
    { kind: 'offchain-v0', bytes: offchainMessageV0(message, signer) },
    { kind: 'offchain-legacy', bytes: offchainMessageLegacy(message) },
    { kind: 'raw', bytes: new TextEncoder().encode(message) },
  ];
}

/** A 64-byte signature from its base58 text (what `solana sign-offchain-message` prints), or null. */
export function parseSignature(text: string): Uint8Array | null {
  const t = text.trim();
  if (t.length < 64 || t.length > 90 || !BASE58.test(t)) return null;
  const bytes = getBase58Encoder().encode(t);
  return bytes.length === 64 ? Uint8Array.from(bytes) : null;
}

/** The base58 text of a signature or key. */
export const base58 = (bytes: Uint8Array): string => getBase58Decoder().decode(bytes);

/** A 32-byte public key from base58, or null. */
export function parsePublicKey(text: string): Uint8Array | null {
  if (!BASE58.test(text)) return null;
  const bytes = getBase58Encoder().encode(text);
  return bytes.length === 32 ? Uint8Array.from(bytes) : null;
}

export type SignatureCheck = { readonly ok: true; readonly preimage: Preimage } | { readonly ok: false };

/**
 * Whether `signature` is `signer`'s over one of the accepted preimages of `message` (RFC 8032 strict
 * verification, not ZIP-215). Never throws: anything malformed is `{ ok: false }`.
 */
export async function verifyApproval(input: { readonly message: string; readonly signature: Uint8Array; readonly signer: string }): Promise<SignatureCheck> {
  const key = parsePublicKey(input.signer);
  if (key === null || input.signature.length !== 64) return { ok: false };
  let candidates: ReturnType<typeof preimages>;
  try {
    candidates = preimages(input.message, key);
  } catch {
    return { ok: false };
  }
  for (const { kind, bytes } of candidates) {
    try {
      if (await verifyAsync(input.signature, bytes, key, { zip215: false })) return { ok: true, preimage: kind };
    } catch {
      return { ok: false }; // a key that is not a curve point verifies nothing
    }
  }
  return { ok: false };
}
