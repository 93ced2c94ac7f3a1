/**
 * The shape of the code: imports only point down the layers, and no two files import each other
 * through any path. Type-only imports count; a dynamic import of the sandbox is the one exception
 * (production loads it only when asked, and never in production mode).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Lower rank = lower layer. Files are placed by their first path segment under src/. */
const LAYERS: readonly (readonly string[])[] = [
  ['util', 'log.ts', 'config.ts', 'chain'],
  ['policy'],
  ['store'],
  ['workflow'],
  ['telegram', 'server', 'cosign'],
  ['service.ts', 'anchor-publisher.ts'],
  ['sandbox'],
  ['cli', 'cli.ts'],
];

export function layerOf(file: string): { rank: number; name: string } {
  const top = relative(SRC, file).split('/')[0]!;
  const rank = LAYERS.findIndex((names) => names.includes(top));
  if (rank < 0) throw new Error(`${relative(SRC, file)} is in no layer: add ${top} to LAYERS`);
  return { rank, name: top };
}

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly dynamic: boolean;
}

const STATIC = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g;
const SIDE_EFFECT = /(?:^|\n)\s*import\s*['"](\.[^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Every relative import of every .ts file under `root`. */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const re of [STATIC, SIDE_EFFECT]) for (const m of text.matchAll(re)) edges.push({ from: path, to: resolve(dirname(path), m[1]!), dynamic: false });
        for (const m of text.matchAll(DYNAMIC)) edges.push({ from: path, to: resolve(dirname(path), m[1]!), dynamic: true });
      }
    }
  };
  walk(root);
  return edges;
}

/** The layer whose parts must not import each other: each is a shell over the workflow. */
const SEPARATE_SIBLINGS = LAYERS.findIndex((names) => names.includes('telegram'));

/** Imports from a lower layer to a higher one, or between telegram, server and cosign. */
export function backEdges(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    if (e.dynamic && to.name === 'sandbox') continue;
    if (to.rank > from.rank || (to.rank === SEPARATE_SIBLINGS && from.rank === to.rank && to.name !== from.name)) out.push(`${relative(SRC, e.from)} → ${relative(SRC, e.to)}`);
  }
  return out;
}

/** Each import cycle between files, as the files around it (static imports only). */
export function cycles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of edges) if (!e.dynamic) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)).map((f) => relative(SRC, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('layers', () => {
  const edges = importEdges(SRC);

  it('reads the imports (a sanity check on the scanner)', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges.some((e) => relative(SRC, e.from) === 'service.ts' && relative(SRC, e.to) === 'workflow/workflow.ts')).toBe(true);
  });

  it('no import points from a lower layer to a higher one (type-only imports included)', () => {
    expect(backEdges(edges)).toEqual([]);
  });

  it('no import cycle between files', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('catches a back-edge and a cycle when there is one', () => {
    const f = (p: string) => join(SRC, p);
    const bad: ImportEdge[] = [
      { from: f('policy/load.ts'), to: f('sandbox/seeds.ts'), dynamic: false },
      { from: f('store/a.ts'), to: f('store/b.ts'), dynamic: false },
      { from: f('store/b.ts'), to: f('store/a.ts'), dynamic: false },
      { from: f('service.ts'), to: f('sandbox/start.ts'), dynamic: true },
    ];
    expect(backEdges(bad)).toEqual(['policy/load.ts → sandbox/seeds.ts']);
    expect(cycles(bad)).toEqual([['store/a.ts', 'store/b.ts']]);
  });
});
