/**
 * `backstop policy check [file|dir]` (docs/policy.md, docs/storage.md): validates policy files and prints
 * `OK <file> revision <hex>` per good file and `<file>: <path>: <message>` per problem.
 * Exit 0 all good, 1 any problem, 2 when the path cannot be read.
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { FileProblem, PolicyFileResult } from '../policy/load.ts';

const EXIT_OK = 0;
const EXIT_FINDING = 1;
const EXIT_UNREADABLE = 2;

/** Registers `policy check` on the program. */
export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('policy files (docs/policy.md)');
  policy
    .command('check')
    .description('validate a policy file or every *.yaml in a directory (default POLICY_DIR, else policies/)')
    .argument('[path]', 'a policy file or directory')
    .action(async (path: string | undefined) => {
      process.exitCode = await checkPolicies(path ?? process.env.POLICY_DIR ?? 'policies', (s) => process.stdout.write(s));
    });
}

/** Runs the check on `path`, writing lines through `out`; returns the exit code. */
export async function checkPolicies(path: string, out: (s: string) => void): Promise<number> {
  const { loadPolicyDir, loadPolicyFile, PolicyReadError } = await import('../policy/load.ts'); // not at --help
  let files: PolicyFileResult[];
  let cross: FileProblem[] = [];
  try {
    const info = await stat(path).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      throw new PolicyReadError(path, code === 'ENOENT' ? 'no such file or directory' : (err as Error).message);
    });
    if (info.isDirectory()) {
      const dir = await loadPolicyDir(path);
      files = dir.files;
      cross = dir.crossFileProblems;
      if (files.length === 0) throw new PolicyReadError(path, 'no *.yaml or *.yml policy files in this directory');
    } else {
      files = [await loadPolicyFile(path)];
    }
  } catch (err) {
    if (!(err instanceof PolicyReadError)) throw err;
    process.stderr.write(`backstop policy check: ${err.message}\n`);
    return EXIT_UNREADABLE;
  }
  const crossFiles = new Set(cross.map((p) => p.file));
  const lines: string[] = [];
  for (const f of files) {
    if (f.ok && !crossFiles.has(f.file)) lines.push(`OK ${f.file} revision ${f.revision}`);
    if (!f.ok) for (const p of f.problems) lines.push(`${f.file}: ${p.path}: ${p.message}`);
  }
  for (const p of cross) lines.push(`${p.file}: ${p.path}: ${p.message}`);
  out(lines.map((l) => `${l}\n`).join(''));
  return files.every((f) => f.ok) && cross.length === 0 ? EXIT_OK : EXIT_FINDING;
}
