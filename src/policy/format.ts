/** Human-readable text of a decision, for the CLI (cards have their own layout). */
import type { Decision } from './decision.ts';

const MARK = { pass: '✅', fail: '❌', unknown: '❔' } as const;

export function formatDecision(d: Decision): string {
  const lines = [
    `${d.allowed ? 'ALLOWED' : 'DENIED'}  decision ${d.id}`,
    `  digest ${d.digest ? d.digest.slice(0, 16) : '(none: the message is not fully resolved)'}  policy ${d.policyRevision.slice(0, 16)}  at ${d.decidedAt}`,
  ];
  for (const r of d.rules) lines.push(`  ${MARK[r.outcome]} ${r.id.padEnd(22)} ${r.reason}`);
  return `${lines.join('\n')}\n`;
}
