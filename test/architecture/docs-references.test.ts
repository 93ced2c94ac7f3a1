/**
 * The documentation lives in the repository: code, help, errors and docs cite files of it (docs/…),
 * never the specification documents the project was built from, and every docs/ file and #anchor
 * they cite exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve('.');
const SCANNED = ['src', 'bin', 'bench', 'docs', 'policies', 'README.md', '.ci'];

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => files(join(path, e.name)));
}

const texts = SCANNED.flatMap((p) => files(join(REPO, p))).map((f) => ({ file: relative(REPO, f), text: readFileSync(f, 'utf8') }));

/** GitHub's anchor of a markdown heading. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('documentation references', () => {
  it('scans the tree (the check below could find something)', () => {
    expect(texts.filter((t) => t.file.startsWith('src/')).length).toBeGreaterThan(100);
  });

  it('nothing cites SPEC §, SPEC.md, STACK.md, KAMINO.md or SQUADS.md', () => {
    const found = texts.flatMap(({ file, text }) =>
      text.split('\n').flatMap((line, i) => (/\bSPEC §|\bSPEC\.md|\bSTACK\.md|\bKAMINO\.md|\bSQUADS\.md/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it('every docs/… file and #anchor cited exists', () => {
    const missing: string[] = [];
    for (const { file, text } of texts) {
      for (const m of text.matchAll(/\bdocs\/([a-z0-9-]+\.md)(#[a-z0-9-]+)?/g)) {
        const doc = join(REPO, 'docs', m[1]!);
        if (!existsSync(doc)) {
          missing.push(`${file}: ${m[0]} (no such file)`);
          continue;
        }
        if (m[2] === undefined) continue;
        const anchors = new Set([...readFileSync(doc, 'utf8').matchAll(/^#+ (.+)$/gm)].map((h) => `#${slug(h[1]!)}`));
        if (!anchors.has(m[2])) missing.push(`${file}: ${m[0]} (no such heading)`);
      }
    }
    expect(missing).toEqual([]);
  });
});
