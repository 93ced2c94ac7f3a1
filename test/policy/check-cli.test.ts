import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_PATH, EXAMPLE_TEXT, editExample, parsedOk } from './policy-file-fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `node bin/backstop.js policy check ...args` in the repo root. */
function backstop(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/backstop.js', 'policy', 'check', ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 25_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe('backstop policy check', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'backstop-check-'));
    writeFileSync(join(dir, 'a.yaml'), EXAMPLE_TEXT);
    writeFileSync(join(dir, 'b.yaml'), editExample((d) => d.setIn(['council', 'quorum'], 4)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints OK with the revision and exits 0 for a good file', async () => {
    const r = await backstop([EXAMPLE_PATH]);
    expect(r).toEqual({ code: 0, stdout: `OK ${EXAMPLE_PATH} revision ${parsedOk(EXAMPLE_TEXT).revision}\n`, stderr: '' });
  });

  it('prints every problem as <file>: <path>: <message> and exits 1 (directory from POLICY_DIR)', async () => {
    const r = await backstop([], { POLICY_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `OK ${join(dir, 'a.yaml')} revision ${parsedOk(EXAMPLE_TEXT).revision}`,
      `${join(dir, 'b.yaml')}: council.quorum: must be ≤ the number of members (3)`,
      '',
    ]);
  });

  it('reports cross-file problems and exits 1', async () => {
    const twin = mkdtempSync(join(tmpdir(), 'backstop-check-'));
    try {
      writeFileSync(join(twin, 'a.yaml'), EXAMPLE_TEXT);
      writeFileSync(join(twin, 'b.yaml'), EXAMPLE_TEXT.replace('name: Sandbox USDC vault', 'name: Copy'));
      const r = await backstop([twin]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`OK ${join(twin, 'a.yaml')} revision`);
      expect(r.stdout).not.toContain(`OK ${join(twin, 'b.yaml')}`);
      expect(r.stdout).toContain(`${join(twin, 'b.yaml')}: vault: vault `);
      expect(r.stdout).toContain(`${join(twin, 'b.yaml')}: insurancePool.multisig: multisig `);
    } finally {
      rmSync(twin, { recursive: true, force: true });
    }
  });

  it('exits 2 when the path does not exist', async () => {
    const missing = join(dir, 'nope');
    const r = await backstop([missing]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `backstop policy check: cannot read ${missing}: no such file or directory\n` });
  });
});
