/** `backstop --version` / `-V` prints package.json's version and exits 0. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backstop } from '../support/cli.ts';

describe('backstop --version', () => {
  it('prints the package version, exit 0 (both spellings)', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V']) {
      const r = await backstop([flag]);
      expect(r.code, flag).toBe(0);
      expect(r.stdout, flag).toBe(`${version}\n`);
      expect(r.stderr, flag).toBe('');
    }
  });
});
