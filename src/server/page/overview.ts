/**
 * The read-only page's two views: the overview (per vault: proposals with state and tally, loss
 * events with evidence, the guardian's pool checks and alerts; the audit head) and one proposal with
 * its decision, every rule and the round's votes.
 */
import type { LoadedPolicy } from '../../policy/load.ts';
import { proposalView } from '../../workflow/views.ts';
import type { Workflow } from '../../workflow/workflow.ts';
import { readOverview } from './data.ts';
import { auditHeadHtml, documentHtml, esc, lossEventHtml, mono, poolCheckHtml, proposalHtml, timeText } from './html.ts';

/** The overview page; `base` links each proposal to its page (null: no links, as in the Mini App). */
export async function overviewPage(wf: Workflow, o: { policies?: readonly LoadedPolicy[]; base: string | null; logout?: boolean }): Promise<string> {
  const data = await readOverview(wf, o.policies);
  const parts: string[] = ['<h1>backstop</h1>'];
  if (o.logout) parts.push('<nav><form method="post" action="/page/logout"><button type="submit" class="secondary">Sign out</button></form></nav>');
  parts.push(`<p class="muted">Read-only, as of ${esc(timeText(data.at))}. Refresh to update.</p>`);
  if (data.vaults.length === 0) parts.push('<p>No policy is loaded.</p>');
  for (const v of data.vaults) {
    parts.push(`<section class="vault" data-vault="${esc(v.vault)}"><h2>${esc(v.name)}</h2>`);
    parts.push(`<p class="muted">Vault ${mono(v.vault)} · multisig ${mono(v.multisig)}</p>`);
    parts.push('<h3>Proposals</h3>');
    if (v.proposals.length === 0) parts.push('<p>None.</p>');
    for (const p of v.proposals) parts.push(proposalHtml(p, { rules: false, ...(o.base !== null ? { link: `${o.base}${p.rowId}` } : {}) }));
    parts.push('<h3>Loss events</h3>');
    if (v.lossEvents.length === 0) parts.push('<p>None recorded.</p>');
    for (const e of v.lossEvents) parts.push(lossEventHtml(e, v.units));
    parts.push(v.poolCheck ? poolCheckHtml(v.poolCheck) : '<section class="pool"><h3>Pool checks</h3><p>The guardian has not read this pool since the service started.</p></section>');
    parts.push('<h3>Guardian alerts</h3>');
    parts.push(
      v.alerts.length === 0
        ? '<p>None in the last 7 days.</p>'
        : `<ul class="list alerts">${v.alerts.map((a) => `<li>${esc(a.at.slice(0, 16).replace('T', ' '))} ${a.event === 'cleared' ? '✅' : '⚠️'} ${esc(a.text)}</li>`).join('')}</ul>`,
    );
    parts.push('</section>');
  }
  parts.push(auditHeadHtml(data.auditHead));
  return documentHtml({ title: 'backstop', body: parts.join('') });
}

/** One proposal's page, or null when the row is unknown. */
export async function proposalPage(wf: Workflow, rowId: number): Promise<string | null> {
  const row = await wf.store.getProposalByRowId(rowId);
  if (!row) return null;
  const view = await proposalView({ store: wf.store, policyFor: (r) => wf.policyFor(r) }, row, wf.now());
  const body = `<nav><a href="/page">← All proposals</a></nav>${proposalHtml(view, { rules: true })}`;
  return documentHtml({ title: `#${view.rowId} — backstop`, body });
}
