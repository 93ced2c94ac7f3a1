/**
 * The CLI as `npm install` leaves it, for the benches that run it as a process: a copy of src/ and
 * bin/ (so edits to the working tree during a bench cannot make its dist/ stale), built by
 * tsconfig.build.json into dist/, beside package.json, policies/ and the repository's node_modules.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  for (const d of ['src', 'bin']) cpSync(join(REPO, d), join(root, d), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(REPO, f), join(root, f));
  symlinkSync(join(REPO, 'policies'), join(root, 'policies'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return (built = root);
}
