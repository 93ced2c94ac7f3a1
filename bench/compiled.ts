/**
 * The CLI as `npm install` leaves it, for the benches that run it as a process: a copy of src/ and
 * bin/ (so edits to the working tree during a bench cannot make its dist/ stale), built by
 * scripts/build.mjs into dist/, beside package.json, policies/ and the repository's node_modules.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));
let built: string | undefined;

/** The root of the built copy (made once per bench run, removed at exit); its CLI is `<root>/bin/backstop.js`. */
export function compiledTree(): string {
  if (built) return built;
  const root = mkdtempSync(join(tmpdir(), 'backstop-bench-build-'));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  for (const d of ['src', 'bin', 'scripts']) cpSync(join(REPO, d), join(root, d), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) copyFileSync(join(REPO, f), join(root, f));
  symlinkSync(join(REPO, 'policies'), join(root, 'policies'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return (built = root);
}
