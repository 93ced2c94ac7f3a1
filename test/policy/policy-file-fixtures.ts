/** Shared helpers for the policy tests: the example file, edits that keep its comments, fresh addresses. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getBase58Decoder } from '@solana/kit';
import { parseDocument, type Document } from 'yaml';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { parsePolicyText, type Policy, type PolicyProblem } from '../../src/policy/load.ts';

export const EXAMPLE_PATH = fileURLToPath(new URL('../../policies/example.yaml', import.meta.url));
export const EXAMPLE_TEXT = readFileSync(EXAMPLE_PATH, 'utf8');

/** A random 32-byte public key in base58 (never a sandbox key). */
export const randomAddress = (): string => getBase58Decoder().decode(randomBytes(32));

/** The example text after `fn` edits its YAML document (comments and layout kept). */
export function editExample(fn: (doc: Document) => void, text = EXAMPLE_TEXT): string {
  const doc = parseDocument(text);
  fn(doc);
  return String(doc);
}

/** The example with every sandbox address replaced by a fresh random one (consistently). */
export function freshPolicyText(): string {
  let text = EXAMPLE_TEXT;
  for (const v of new Set(Object.values(SANDBOX).filter((x): x is Extract<typeof x, string> => typeof x === 'string'))) {
    text = text.split(v).join(randomAddress());
  }
  return text;
}

export function parsedOk(text: string): { policy: Policy; revision: string } {
  const r = parsePolicyText(text, 'test.yaml');
  if (!r.ok) throw new Error(`expected a valid policy, got:\n${r.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  return r;
}

export function problemsOf(text: string): PolicyProblem[] {
  const r = parsePolicyText(text, 'test.yaml');
  if (r.ok) throw new Error('expected problems, the policy parsed');
  return r.problems;
}
