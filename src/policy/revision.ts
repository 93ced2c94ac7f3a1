/**
 * The policy revision (docs/policy.md): what the humans' approvals and every decision are bound to.
 */
import { canonicalize, sha256Hex } from './jcs.ts';
import type { Policy } from './schema.ts';

/**
 * sha256 hex of the RFC 8785 JCS text of the PARSED policy, i.e. exactly the object `validatePolicy`
 * returns: every default filled in (farmAdmins, allowFullDrain, walletAuthority, execution, approvals,
 * allowLookupTables, webhookSources), durations as integer seconds (`window: 7d` and `window: 168h` hash
 * the same), limits as the strings written ("250000" ≠ "250000.0"), addresses as base58 strings, an
 * absent optional `wallet` absent. YAML comments, key order, quoting and layout therefore do not
 * change it; changing any value does.
 */
export function policyRevision(policy: Policy): string {
  return sha256Hex(canonicalize(policy));
}
