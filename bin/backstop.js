#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=50
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm install` runs through `prepare`)
// when it is at least as new as src/; otherwise the TypeScript sources through tsx, with a one-line
// notice, so a `git pull` without `npm install` still runs the code it pulled (only slower to start).
// BACKSTOP_RUN_SOURCES=1 asks for the sources without the notice (the tests run what they test).
// --max-semi-space-size=2 (MB; V8's default is 16): the service makes short-lived garbage per
// request, and a 16 MB semi-space lets ~50 MB of it sit in RSS; at 2 MB the young generation is
// scavenged more often, which measured no slower (bench/http.ts) and ~45 MB smaller.
// --heap-growing-percent=50: the old generation is collected once it is 1.5× its live size, not up
// to 4× (V8's default for a fast-collecting heap): request garbage promoted during a burst no longer
// doubles the heap (service RSS right after the bench's burst ~145 MB instead of ~200), at no
// measured cost in throughput or start-up. Shebang flags apply only when this file is executed
// (npx backstop, ./bin/backstop.js); under `node bin/backstop.js` pass them yourself.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The newest modification time (ms) of a directory, its subdirectories and files; -1 when absent. */
function newestMtime(dir) {
  let newest;
  try {
    newest = statSync(dir).mtimeMs; // a directory's own time moves when a file in it is added, removed or renamed
  } catch {
    return -1;
  }
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function compiledIsCurrent() {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) return false;
  return newestMtime(join(ROOT, 'dist')) >= newestMtime(join(ROOT, 'src'));
}

if (process.env.BACKSTOP_RUN_SOURCES !== '1' && compiledIsCurrent()) {
  await import('../dist/cli.js');
} else {
  if (process.env.BACKSTOP_RUN_SOURCES !== '1') {
    process.stderr.write('backstop: dist/ is missing or older than src/, so the TypeScript sources run (slower start); `npm run build` compiles them\n');
  }
  const { register: registerHooks } = await import('node:module');
  const { register } = await import('tsx/esm/api');
  register();
  // After tsx, so it sees tsx's output: keeps dependencies' source maps out of memory (see the file).
  registerHooks('./dependency-source-maps.mjs', import.meta.url);
  await import('../src/cli.ts');
}
