/**
 * Reading policy files (docs/policy.md): YAML text → validated {@link Policy} and its revision, a whole
 * `POLICY_DIR` with the cross-file checks, the lookups by multisig and vault, and the sandbox-key
 * check production start-up uses (docs/configuration.md).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { policyRevision } from './revision.ts';
import { formatPath, validatePolicy, type Policy, type PolicyProblem } from './schema.ts';

export type { Policy, PolicyProblem } from './schema.ts';

/** The result of reading one policy text. */
export type PolicyParseResult = { ok: true; policy: Policy; revision: string } | { ok: false; problems: PolicyProblem[] };
/** One file's result, named by the path it was read from. */
export type PolicyFileResult = { file: string } & PolicyParseResult;
/** A valid policy with where it came from. */
export interface LoadedPolicy {
  file: string;
  policy: Policy;
  revision: string;
}
/** A problem in a named file (cross-file problems name the file they are reported against). */
export interface FileProblem extends PolicyProblem {
  file: string;
}
/** A whole policy directory. */
export interface PolicyDirResult {
  /** Every `*.yaml` / `*.yml` file, sorted by name, each with its own result. */
  files: PolicyFileResult[];
  /** Problems between files (same vault, farm or multisig; one webhook source id with two keys). */
  crossFileProblems: FileProblem[];
  /** The files that parsed, in order (also those named by a cross-file problem). */
  policies: LoadedPolicy[];
  /** True only when every file parsed and there is no cross-file problem. */
  ok: boolean;
}

/** The path could not be read at all (missing, not permitted, not a file/directory): exit 2, not a finding. */
export class PolicyReadError extends Error {
  override readonly name = 'PolicyReadError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot read ${path}: ${reason}`);
  }
}

const readReason = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'not a directory';
  return err instanceof Error ? err.message : String(err);
};

/**
 * Parses one policy text. YAML syntax errors come back as problems with their line and column;
 * duplicate keys (`uniqueKeys`) with the duplicated key's path; then every schema and in-file problem.
 * `sourceName` names the text in messages about the file as a whole.
 */
export function parsePolicyText(text: string, sourceName: string): PolicyParseResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const problems: PolicyProblem[] = [];
  let syntaxBroken = false;
  for (const err of doc.errors) {
    const message = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
    const line = err.linePos?.[0];
    if (err.code === 'DUPLICATE_KEY') {
      const path = pathOfKeyAt(doc.contents, err.pos[0], []);
      const where = line ? `line ${line.line}` : 'this file';
      problems.push({ path: path ?? (line ? `line ${line.line}, column ${line.col}` : '(root)'), message: `duplicate key (again at ${where}); each key may appear once` });
    } else {
      syntaxBroken = true;
      problems.push({ path: line ? `line ${line.line}, column ${line.col}` : '(yaml)', message: `YAML: ${message}` });
    }
  }
  // A broken document's value is a guess; report the syntax alone. Duplicate keys still let us check the rest.
  if (syntaxBroken) return { ok: false, problems };
  if (doc.contents === null) {
    return { ok: false, problems: [{ path: '(root)', message: `${sourceName} is empty; expected a policy (see policies/example.yaml)` }] };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolved or excessive aliases surface only when the value is built.
    return { ok: false, problems: [...problems, { path: '(yaml)', message: `YAML: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const validation = validatePolicy(raw);
  if (!validation.ok) problems.push(...validation.problems);
  if (problems.length > 0 || !validation.ok) return { ok: false, problems };
  return { ok: true, policy: validation.policy, revision: policyRevision(validation.policy) };
}

/** The dotted path of the mapping key starting at `offset` (where yaml reported a duplicate). */
function pathOfKeyAt(node: unknown, offset: number, path: (string | number)[]): string | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const here = [...path, key];
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) return formatPath(here);
      const inner = pathOfKeyAt(pair.value, offset, here);
      if (inner !== undefined) return inner;
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inner = pathOfKeyAt(item, offset, [...path, i]);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** Reads and parses one policy file; throws {@link PolicyReadError} when it cannot be read. */
export async function loadPolicyFile(path: string): Promise<PolicyFileResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyReadError(path, readReason(err));
  }
  return { file: path, ...parsePolicyText(text, path) };
}

const isPolicyName = (name: string) => !name.startsWith('.') && /\.ya?ml$/i.test(name);

/**
 * Reads every `*.yaml` / `*.yml` file of `dir` (sorted by name; hidden files skipped, no recursion)
 * and adds the cross-file checks of docs/policy.md. Throws {@link PolicyReadError} when the directory or
 * one of its policy files cannot be read.
 */
export async function loadPolicyDir(dir: string): Promise<PolicyDirResult> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new PolicyReadError(dir, readReason(err));
  }
  const files: PolicyFileResult[] = [];
  for (const name of names.filter(isPolicyName).sort()) {
    const path = join(dir, name);
    let isFile: boolean;
    try {
      isFile = (await stat(path)).isFile(); // follows symlinks (e.g. a mounted ConfigMap)
    } catch (err) {
      throw new PolicyReadError(path, readReason(err));
    }
    if (isFile) files.push(await loadPolicyFile(path));
  }
  const policies: LoadedPolicy[] = files.flatMap((f) => (f.ok ? [{ file: f.file, policy: f.policy, revision: f.revision }] : []));
  const crossFileProblems = crossFileCheck(policies);
  return { files, crossFileProblems, policies, ok: files.every((f) => f.ok) && crossFileProblems.length === 0 };
}

/** docs/policy.md: one vault, farm and multisig per policy; one public key per webhook source id. */
export function crossFileCheck(policies: readonly LoadedPolicy[]): FileProblem[] {
  const problems: FileProblem[] = [];
  const unique: [string, (p: Policy) => string, string][] = [
    ['vault', (p) => p.vault, 'vault'],
    ['insurancePool.farm', (p) => p.insurancePool.farm, 'farm'],
    ['insurancePool.multisig', (p) => p.insurancePool.multisig, 'multisig'],
  ];
  for (const [path, get, what] of unique) {
    const first = new Map<string, string>();
    for (const { file, policy } of policies) {
      const v = get(policy);
      const other = first.get(v);
      if (other === undefined) first.set(v, file);
      else problems.push({ file, path, message: `${what} ${v} is also the ${what} of ${other}; each ${what} belongs to one policy` });
    }
  }
  const sourceKeys = new Map<string, { key: string; file: string }>();
  for (const { file, policy } of policies) {
    policy.webhookSources.forEach((s, i) => {
      const first = sourceKeys.get(s.id);
      if (first === undefined) sourceKeys.set(s.id, { key: s.publicKey, file });
      else if (first.key !== s.publicKey) {
        problems.push({
          file,
          path: `webhookSources[${i}].publicKey`,
          message: `webhook source "${s.id}" has public key ${first.key} in ${first.file}; a source id has one key in every file`,
        });
      }
    });
  }
  return problems;
}

type HasPolicy = Policy | { policy: Policy };
const policyOf = (p: HasPolicy): Policy => ('policy' in p ? p.policy : p);

/** The policy whose `insurancePool.multisig` is `multisig` (one multisig belongs to one policy, docs/flow.md). */
export function policyForMultisig<T extends HasPolicy>(policies: Iterable<T>, multisig: string): T | undefined {
  for (const p of policies) if (policyOf(p).insurancePool.multisig === multisig) return p;
  return undefined;
}

/** The policy whose `vault` is `vault`. */
export function policyForVault<T extends HasPolicy>(policies: Iterable<T>, vault: string): T | undefined {
  for (const p of policies) if (policyOf(p).vault === vault) return p;
  return undefined;
}

/**
 * Every address in `policy` that is in `addresses` (production passes the public sandbox world's keys
 * and addresses, and refuses a policy with any: docs/configuration.md), as `"<path>: <address>"`, in file order.
 */
export function addressesFoundIn(policy: Policy, addresses: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (typeof v === 'string') {
      if (addresses.has(v)) found.push(`${formatPath(path)}: ${v}`);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(policy, []);
  return found;
}
