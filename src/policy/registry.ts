/**
 * The policies in force: loaded from POLICY_DIR, looked up by multisig or vault, and reloaded on
 * SIGHUP and every 60 s (docs/policy.md). An invalid directory keeps the previous policies in force and is
 * reported once per distinct problem; a new revision or roster is reported so that the workflow can
 * void that vault's approvals.
 */
import { loadPolicyDir, type LoadedPolicy, PolicyReadError } from './load.ts';
import { rosterDigest } from './roster.ts';

/** What changed for one vault in a reload. */
export interface PolicyChange {
  readonly vault: string;
  readonly before: LoadedPolicy | null;
  readonly after: LoadedPolicy | null;
  readonly revisionChanged: boolean;
  readonly rosterChanged: boolean;
}

export type ReloadResult =
  | { readonly ok: true; readonly changes: readonly PolicyChange[] }
  | { readonly ok: false; readonly problems: readonly string[]; /** problems not reported before */ readonly fresh: readonly string[] };

export class PolicyRegistry {
  private current: readonly LoadedPolicy[] = [];
  private reported = new Set<string>();

  constructor(readonly dir: string) {}

  /** Loads the directory for the first time; throws with every problem when it is not valid. */
  static async load(dir: string): Promise<PolicyRegistry> {
    const registry = new PolicyRegistry(dir);
    const r = await registry.reload();
    if (!r.ok) throw new Error(`${dir}: ${r.problems.join('; ')}`);
    return registry;
  }

  /** A registry over policies already loaded (tests, the sandbox). */
  static of(policies: readonly LoadedPolicy[], dir = '(memory)'): PolicyRegistry {
    const registry = new PolicyRegistry(dir);
    registry.current = policies;
    return registry;
  }

  all(): readonly LoadedPolicy[] {
    return this.current;
  }

  forMultisig(multisig: string): LoadedPolicy | undefined {
    return this.current.find((p) => p.policy.insurancePool.multisig === multisig);
  }

  forVault(vault: string): LoadedPolicy | undefined {
    return this.current.find((p) => p.policy.vault === vault);
  }

  /** Re-reads the directory. Invalid → the old policies stay in force. */
  async reload(): Promise<ReloadResult> {
    let problems: string[];
    let loaded: readonly LoadedPolicy[] = [];
    try {
      const dir = await loadPolicyDir(this.dir);
      problems = [
        ...dir.files.flatMap((f) => (f.ok ? [] : f.problems.map((p) => `${f.file}: ${p.path}: ${p.message}`))),
        ...dir.crossFileProblems.map((p) => `${p.file}: ${p.path}: ${p.message}`),
      ];
      if (dir.files.length === 0) problems.push(`${this.dir}: no policy files (*.yaml)`);
      loaded = dir.policies;
    } catch (err) {
      problems = [err instanceof PolicyReadError ? err.message : `${this.dir}: ${(err as Error).message}`];
    }
    if (problems.length > 0) {
      const fresh = problems.filter((p) => !this.reported.has(p));
      fresh.forEach((p) => this.reported.add(p));
      return { ok: false, problems, fresh };
    }
    this.reported.clear();
    const changes = diff(this.current, loaded);
    this.current = loaded;
    return { ok: true, changes };
  }
}

function diff(before: readonly LoadedPolicy[], after: readonly LoadedPolicy[]): PolicyChange[] {
  const vaults = new Set([...before.map((p) => p.policy.vault), ...after.map((p) => p.policy.vault)]);
  const changes: PolicyChange[] = [];
  for (const vault of vaults) {
    const b = before.find((p) => p.policy.vault === vault) ?? null;
    const a = after.find((p) => p.policy.vault === vault) ?? null;
    const revisionChanged = b?.revision !== a?.revision;
    const rosterChanged = (b ? rosterDigest(b.policy) : null) !== (a ? rosterDigest(a.policy) : null);
    if (revisionChanged || rosterChanged) changes.push({ vault, before: b, after: a, revisionChanged, rosterChanged });
  }
  return changes;
}
