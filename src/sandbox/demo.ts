/**
 * `npm run demo`: the whole story in a sandbox of its own (temp dir, free ports), driven only the
 * way outsiders drive it — signed webhooks, emulator button presses, the read API — and printed
 * step by step. Exits 0 when every step behaved as docs/flow.md says. With BACKSTOP_PROGRAMS_DIR it runs
 * in real mode: the withdrawal executes on the Squads and Farms programs and the escrow's balance is
 * shown before and after; with the klend dump too, the loss itself is klend's socialize_loss.
 */
import { mkdtempSync, createWriteStream, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address } from '@solana/kit';
import { decodeMerkleDistributor } from '../chain/accounts/distributor.ts';
import { decodeFarmState } from '../chain/accounts/farms.ts';
import { decodeTokenAccount } from '../chain/accounts/spl.ts';
import { PROGRAMS } from '../chain/programs.ts';
import { ChainReader } from '../chain/reader.ts';
import { readAccount } from '../chain/types.ts';
import { envValue } from '../config.ts';
import { createLogger } from '../log.ts';
import { farmTransfer } from '../policy/valuation.ts';
import { formatUnits } from '../util/units.ts';
import { sendSigned } from '../server/client.ts';
import { loadKeypairFile } from '../store/keys.ts';
import { checkPoolNow, OUTCOME_MARK } from '../workflow/pool-view.ts';
import { botMessages, cardOf, press, type Card } from './emulator.ts';
import { DEPOSITORS } from './fixtures/depositors.ts';
import { farmUserStateAccount } from './fixtures/farm.ts';
import { writeUnstake } from './fixtures/unstake.ts';
import { PENDING_AMOUNT } from './fixtures/scenario.ts';
import { SANDBOX } from './seeds.ts';
import { startSandbox, type SandboxInfo } from './start.ts';
import { summarizeTransaction } from './transaction-summary.ts';

const out = (s = '') => process.stdout.write(`${s}\n`);
const step = (n: number, title: string) => out(`\n── ${n}. ${title} ${'─'.repeat(Math.max(0, 60 - title.length))}`);
const plain = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
const indent = (text: string, by = '   ') => text.split('\n').map((l) => `${by}${l}`).join('\n');

class DemoFailed extends Error {}
const expect = (ok: boolean, what: string) => {
  if (!ok) throw new DemoFailed(what);
};

async function read<T>(info: SandboxInfo, path: string): Promise<T> {
  const res = await fetch(new URL(path, info.httpUrl), { headers: { authorization: `Bearer ${info.apiReadToken}` } });
  if (!res.ok) throw new DemoFailed(`GET ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

interface ProposalJson {
  id: string;
  state: string;
  digest: string | null;
  decision: { id: string; allowed: boolean; rules: { id: string; outcome: string; reason: string }[] } | null;
  approvals: { name: string; role: string; vote: string }[];
  intent: { signature: string; transaction: string; status: string } | null;
}

// Generous: a loaded CI machine runs the demo beside other test processes.
async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new DemoFailed(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The demo cannot run as asked (BACKSTOP_PROGRAMS_DIR without the dumps real mode needs): exit 2, nothing started. */
export class DemoRefused extends Error {}

/** How the demo runs: recorded (no dumps), or real with the dumps in `programsDir` (klend: the loss is produced by it too). */
export type DemoMode = { readonly mode: 'recorded' } | { readonly mode: 'real'; readonly programsDir: string; readonly klend: boolean };

const FETCH_HINT = (dir: string) => `write them with: npx backstop programs fetch --rpc <mainnet RPC URL> --out ${dir}`;

/** The mode BACKSTOP_PROGRAMS_DIR asks for: unset → recorded; set → real, refused unless it holds the Squads and Farms dumps. */
export function demoMode(env: NodeJS.ProcessEnv, list: (dir: string) => string[] = (d) => readdirSync(d)): DemoMode {
  const dir = envValue(env, 'BACKSTOP_PROGRAMS_DIR');
  if (dir === undefined) return { mode: 'recorded' };
  let files: string[];
  try {
    files = list(dir);
  } catch (err) {
    throw new DemoRefused(`BACKSTOP_PROGRAMS_DIR=${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${FETCH_HINT(dir)}, or unset it for recorded mode`);
  }
  const has = (id: Address) => files.includes(`${id}.so`);
  const missing = ([['Squads v4', PROGRAMS.squads], ['Farms', PROGRAMS.farms]] as const).filter(([, id]) => !has(id));
  if (missing.length > 0) {
    throw new DemoRefused(
      `BACKSTOP_PROGRAMS_DIR=${dir} has no ${missing.map(([name, id]) => `${name} dump (${id}.so)`).join(' and ')}: real mode runs the withdrawal on both; ${FETCH_HINT(dir)}, or unset it for recorded mode`,
    );
  }
  return { mode: 'real', programsDir: dir, klend: has(PROGRAMS.klend) };
}

/** The line saying which mode runs and what that means. */
export function modeLine(mode: DemoMode): string {
  if (mode.mode === 'recorded') return 'mode: recorded (BACKSTOP_PROGRAMS_DIR unset: co-signer transactions are recorded, not executed; the loss is a served recording)';
  return `mode: real (Squads, Farms${mode.klend ? ' and klend' : ''} programs from ${mode.programsDir}: the withdrawal executes${mode.klend ? ", and the loss is klend's own socialize_loss" : '; the loss is a served recording (no klend dump)'})`;
}

/** The escrow's balance lines, before and after the withdrawal; throws DemoFailed unless it moved by exactly `expected`. */
export function escrowBalanceLines(o: { escrow: Address; before: bigint; after: bigint; expected: bigint; decimals: number; executed: boolean }): string[] {
  const k = (x: bigint) => `${formatUnits(x, o.decimals)} kTokens`;
  const delta = o.after - o.before;
  if (!o.executed) {
    expect(delta === 0n, `the escrow changed by ${k(delta)} although nothing executed`);
    return [`   escrow ${o.escrow}: ${k(o.before)} before and after (recorded, not executed)`];
  }
  expect(delta === o.expected, `the escrow received ${k(delta)}, the farm's transfer is ${k(o.expected)}`);
  return [`   escrow ${o.escrow}: ${k(o.before)} before → ${k(o.after)} after (+${k(delta)}, exactly the farm's transfer)`];
}

async function tokenBalance(chain: ChainReader, at: Address): Promise<bigint> {
  const r = readAccount(await chain.getAccounts([at]), at, decodeTokenAccount);
  if (r.status !== 'ok') throw new DemoFailed(`token account ${at} could not be read: ${r.status}${'error' in r ? ` ${r.error}` : ''}`);
  return r.value.amount;
}

export async function runDemo(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let mode: DemoMode;
  try {
    mode = demoMode(env);
  } catch (err) {
    if (!(err instanceof DemoRefused)) throw err;
    out(`demo refused: ${err.message}`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'backstop-demo-'));
  const logFile = join(dir, 'backstop.log');
  const log = createLogger('info', createWriteStream(logFile));
  out('backstop demo: a sandbox of its own (LiteSVM chain, Telegram emulator, SQLite), driven from outside.');
  out(`   data and logs: ${dir}`);
  const sandbox = await startSandbox({ dataDir: dir, port: 0, log, intervals: { pollMs: 300, timersMs: 200, cardsMs: 500 }, ...(mode.mode === 'real' ? { programsDir: mode.programsDir } : {}) });
  const info = sandbox.info;
  try {
    out(`   ${modeLine(mode)}`);
    expect(info.mode === mode.mode, `the sandbox runs in ${info.mode} mode, not ${mode.mode}`);
    const chain = new ChainReader({ rpcUrl: info.rpcUrl, timeoutMs: 5000 });

    step(1, 'The loss is recorded with its evidence');
    const event = await read<{ id: string; signature: string; vaultLoss: string; recordedLoss: string; evidence: Record<string, string> }>(info, `/v1/loss-events/${info.lossEventId}`);
    expect((info.lossSource === 'executed') === (mode.mode === 'real' && mode.klend), `the loss is ${info.lossSource}, expected it ${mode.mode === 'real' && mode.klend ? 'executed by klend' : 'served'}`);
    out(`   ${event.id}: klend socialize_loss ${event.signature.slice(0, 16)}… ${info.lossSource === 'executed' ? 'executed here by the klend program' : 'a served recording'}, verified at finalized`);
    out(`   declared vault loss ${event.vaultLoss}, recorded (verified bound) ${event.recordedLoss} base units`);
    out(`   evidence: vault cTokens ${event.evidence.vaultCTokens} of ${event.evidence.reserveCTokenSupply}, read at slot ${event.evidence.readAtSlot}`);

    step(2, 'The pending proposal is decided from the chain');
    const pending = await waitFor('the pending proposal', async () => {
      const p = await read<ProposalJson>(info, `/v1/proposals/${info.pendingProposal}`);
      return p.state === 'awaiting-approval' ? p : null;
    });
    out(`   ${pending.id}: ${pending.state}, digest ${pending.digest?.slice(0, 16)}, decision ${pending.decision?.id}`);
    for (const r of pending.decision!.rules) out(`   ${r.outcome === 'pass' ? '✅' : r.outcome === 'fail' ? '❌' : '❔'} ${r.id.padEnd(22)} ${r.reason}`);

    step(3, 'The Telegram card');
    const card = await cardOf(info, info.pendingProposal, (c) => c.buttons.some((b) => b.data.startsWith('a:')));
    out(indent(plain(card.text)));
    out(`   buttons: ${card.buttons.map((b) => b.text).join(' · ')}`);

    step(4, 'Approvals pressed in the emulator');
    const approvals = async () => (await read<ProposalJson>(info, `/v1/proposals/${info.pendingProposal}`)).approvals.length;
    await press(info, card, 'a', info.telegram.users.outsider, 'Mallory');
    await new Promise((r) => setTimeout(r, 500));
    expect((await approvals()) === 0, "an outsider's press must not count");
    out('   Mallory (3001, not on the roster) presses Approve → refused, nothing counted');
    const people: [number, string][] = [[info.telegram.users.curators[0]!, 'Alice'], [info.telegram.users.council[0]!, 'Bob'], [info.telegram.users.council[1]!, 'Carol']];
    for (const [i, [id, name]] of people.entries()) {
      await press(info, card, 'a', id, name);
      await waitFor(`${name}'s approval`, async () => ((await approvals()) >= i + 1 ? true : null));
      out(`   ${name} (${id}) presses Approve → counted`);
    }

    step(5, "The co-signer votes last (the curator's on-chain vote is already in place)");
    const farm = readAccount(await chain.getAccounts([SANDBOX.farm]), SANDBOX.farm, decodeFarmState);
    if (farm.status !== 'ok') throw new DemoFailed(`the farm could not be read: ${farm.status}`);
    const expected = farmTransfer(PENDING_AMOUNT, farm.value.totalStakedAmount, farm.value.totalPendingAmount).transfer;
    const escrowBefore = await tokenBalance(chain, info.escrow as Address);
    const signed = await waitFor('the co-signer’s transaction', async () => {
      const p = await read<ProposalJson>(info, `/v1/proposals/${info.pendingProposal}`);
      return p.intent ? p : null;
    });
    const tx = summarizeTransaction(signed.intent!.transaction);
    out(`   state ${signed.state}; intent ${signed.intent!.signature.slice(0, 20)}… status ${signed.intent!.status}`);
    tx.instructions.forEach((ix, i) => out(`   ${i}. ${ix.kind}${'name' in ix ? ` ${ix.name}` : ''} (${ix.programId.slice(0, 8)}…)`));
    out(`   signatures: ${Object.entries(tx.signatureValid).map(([k, ok]) => `${k.slice(0, 8)}… ${ok ? 'valid' : 'INVALID'}`).join(', ')}`);
    const names = tx.instructions.map((ix) => ('name' in ix ? ix.name : ix.kind));
    expect(names.includes('proposal_approve') && names.includes('vault_transaction_execute'), 'the co-signer must approve and execute in one transaction');
    expect(Object.values(tx.signatureValid).every(Boolean), 'every signature must verify');
    if (info.mode === 'recorded') out('   → recorded, not executed (recorded mode); backstop resends the same bytes until it lands or expires');
    else {
      const done = await waitFor('execution', async () => {
        const p = await read<ProposalJson>(info, `/v1/proposals/${info.pendingProposal}`);
        return p.state === 'executed' ? p : null;
      });
      out(`   → executed on the real programs: ${done.state}`);
    }
    const decimals = Number(farm.value.token.decimals);
    for (const line of escrowBalanceLines({ escrow: info.escrow as Address, before: escrowBefore, after: await tokenBalance(chain, info.escrow as Address), expected, decimals, executed: info.mode === 'real' })) out(line);

    step(6, 'A proposal paying a non-escrow account, registered by signed webhook');
    const key = loadKeypairFile(info.webhookSource.keypair);
    const [multisig, index] = info.deniedProposal.split(':');
    const res = await sendSigned({ baseUrl: info.httpUrl, path: '/v1/proposals', source: info.webhookSource.id, key, body: { multisig, transactionIndex: index, claim: 'demo: pays an outsider' } });
    out(`   POST /v1/proposals → ${res.status}`);
    expect(res.status === 202, `registration must answer 202, got ${res.status}: ${res.text}`);
    const denied = await read<ProposalJson>(info, `/v1/proposals/${info.deniedProposal}`);
    out(`   ${denied.id}: ${denied.state}`);
    for (const r of denied.decision?.rules.filter((x) => x.outcome !== 'pass') ?? []) out(`   ❌ ${r.id}: ${r.reason}`);
    expect(denied.state === 'denied', 'the proposal paying a non-escrow account must be denied');
    const deniedCard: Card = await cardOf(info, info.deniedProposal);
    expect(!deniedCard.buttons.some((b) => b.data.startsWith('a:')), 'a denied card has no Approve');
    out(`   its card offers: ${deniedCard.buttons.map((b) => b.text).join(' · ') || 'no buttons'} (no Approve)`);

    step(7, 'The Insurance Pool check, then a curator starts a normal withdrawal');
    const pool = await read<{ slot: number | null; checks: { id: string; outcome: string; evidence: string }[] }>(info, `/v1/vaults/${info.vault}/pool-check`);
    out(`   GET /v1/vaults/${info.vault}/pool-check (slot ${pool.slot}):`);
    for (const c of pool.checks) out(`   ${OUTCOME_MARK[c.outcome as keyof typeof OUTCOME_MARK] ?? '❔'} ${c.id.padEnd(22)} ${c.evidence}`);
    expect(!pool.checks.some((c) => c.outcome === 'fail'), 'the healthy sandbox pool must fail no check');
    if (info.misconfiguredVault) {
      const bad = await checkPoolNow(new ChainReader({ rpcUrl: info.rpcUrl }), { vault: info.misconfiguredVault as Address });
      out(`   npx backstop pool check --rpc ${info.rpcUrl} --vault ${info.misconfiguredVault}  → exit ${bad.exitCode}:`);
      for (const c of bad.checks.filter((x) => x.outcome === 'fail')) out(`   ❌ ${c.id.padEnd(22)} ${c.evidence}\n${' '.repeat(28)}fix: ${c.fix}`);
      expect(bad.exitCode === 1, 'the misconfigured vault must fail its pool check');
    }
    const unstaked = 50_000n * 10n ** 6n;
    const unlock = writeUnstake(sandbox.harness, { farm: SANDBOX.farm, userState: farmUserStateAccount().address, amount: unstaked, now: BigInt(Math.floor(Date.now() / 1000)) });
    out(`   the curator's wallet unstakes ${formatUnits(unstaked, 6)} kTokens, withdrawable ${new Date(Number(unlock) * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
    out("   (its accounts are written as kfarms unstake leaves them, not sent as a transaction)");
    const alert = await waitFor('the guardian’s alert', async () => (await botMessages(info, (t) => t.includes('Normal withdrawal started')))[0]);
    out('   the guardian posts to the chat (once, not every poll):');
    out(indent(plain(alert), '     '));

    step(8, 'Compensation: the depositors at the loss, the plan, the distributor');
    const plan = await read<{ lossSlot: string; totalShares: string; excludedShares: string; affectedShares: string; amount: string; total: string; remainder: string; root: string; entries: { claimant: string; shares: string; amountUnlocked: string }[]; manualReview: { owner: string; shares: string }[] }>(info, `/v1/loss-events/${info.lossEventId}/plan`);
    const k = (x: string) => `${formatUnits(BigInt(x), 6)} kTokens`;
    out(`   holders of the shares mint at the loss slot ${plan.lossSlot}, rebuilt from today's accounts and the transactions since:`);
    out(`   ${k(plan.totalShares)} issued, ${k(plan.excludedShares)} excluded (the Insurance Pool), ${k(plan.affectedShares)} affected`);
    const name = (a: string) => (Object.entries(DEPOSITORS).find(([, v]) => v === a)?.[0] ?? '').padEnd(8);
    for (const e of plan.entries) out(`   ${name(e.claimant)} ${e.claimant}  ${k(e.shares).padStart(20)} → ${k(e.amountUnlocked)}`);
    for (const m of plan.manualReview) out(`   ${name(m.owner)} ${m.owner}  ${k(m.shares).padStart(20)} → manual review (a program's address cannot sign a claim)`);
    out(`   transfers after the loss (alice → bob, carol → erin, dave's stake) are undone: erin is not a claimant`);
    expect(!plan.entries.some((e) => e.claimant === DEPOSITORS.erin), 'a holder who bought after the loss must not be a claimant');
    out(`   amount ${k(plan.amount)} (the affected holders' loss at today's price), total ${k(plan.total)}, remainder ${k(plan.remainder)}`);
    out(`   merkle root ${plan.root}`);
    if (info.distributor) {
      const d = readAccount(await chain.getAccounts([info.distributor as Address]), info.distributor as Address, decodeMerkleDistributor);
      expect(d.status === 'ok', `the distributor ${info.distributor} must decode`);
      if (d.status === 'ok') {
        const root = Buffer.from(d.value.root).toString('hex');
        const ok = root === plan.root && d.value.maxTotalClaim.toString() === plan.total && d.value.tokenVault === info.escrow;
        out(`   distributor ${info.distributor}: vault ${d.value.tokenVault === info.escrow ? 'is the escrow' : d.value.tokenVault}, root ${root === plan.root ? 'matches' : `DIFFERS (${root})`}, max_total_claim ${d.value.maxTotalClaim} ${d.value.maxTotalClaim.toString() === plan.total ? 'matches' : 'DIFFERS'}`);
        out('   with compensation.requirePlan the co-signer holds the escrow to exactly this (README "Compensation, end to end")');
        expect(ok, 'the sandbox distributor must hold the stored plan');
      }
    }

    out(`\ndemo complete (${info.mode} mode).`);
    return 0;
  } catch (err) {
    out(`\ndemo FAILED: ${(err as Error).message}\n   logs: ${logFile}`);
    return 1;
  } finally {
    await sandbox.stop();
  }
}
