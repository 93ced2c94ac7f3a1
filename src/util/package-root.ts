/**
 * The directory of backstop's package.json: where policies/ and the package's version live. Found by
 * walking up from this module, so it is the same whether src/ runs or the bundled dist/ (whose
 * modules sit at other depths than their sources).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'backstop') return dir;
    if (dirname(dir) === dir) throw new Error(`no backstop package.json above ${from}: the installation is incomplete; reinstall it`);
  }
}

/** The package's root directory (absolute). */
export const PACKAGE_ROOT: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** An absolute path inside the package, e.g. `packagePath('policies', 'example.yaml')`. */
export const packagePath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);
