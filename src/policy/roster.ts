/**
 * The roster approvals are bound to (docs/policy.md, docs/rules.md#what-is-denied "roster changed"): the policy layer owns it because
 * a policy reload compares rosters; the workflow's quorum counts against it.
 */
import { canonicalize, sha256Hex } from './jcs.ts';
import type { Policy } from './schema.ts';

/**
 * A stable hex digest of who may approve and how many are needed: the telegram ids per role (sorted,
 * names excluded — a rename changes no one's vote), `curators.required` and `council.quorum`.
 * Approvals are bound to it; when it changes they are void (docs/policy.md, docs/rules.md#what-is-denied "roster changed").
 */
export function rosterDigest(policy: Pick<Policy, 'curators' | 'council'>): string {
  const ids = (ms: readonly { telegramId: number }[]) => ms.map((m) => m.telegramId).sort((a, b) => a - b);
  return sha256Hex(
    canonicalize({
      v: 'backstop-roster-v1',
      curators: { required: policy.curators.required, members: ids(policy.curators.members) },
      council: { quorum: policy.council.quorum, members: ids(policy.council.members) },
    }),
  );
}
