/** `backstop --version` / `-V`: the version in package.json, read from the installed package (not from a build). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { packagePath } from '../util/package-root.ts';

/** The package's version, e.g. `0.1.0`. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

/** Adds `-V, --version` to the program (commander prints it and exits 0). */
export function registerVersion(program: Command): void {
  program.version(packageVersion(), '-V, --version', 'print the backstop version');
}
