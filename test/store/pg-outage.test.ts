/**
 * "Durable state" done-when: PostgreSQL stopped mid-run gives 503 and signs nothing, and after it
 * is back everything resumes with nothing lost. A real Workflow, the real co-signer and the HTTP API
 * on a PostgreSQL store, over the LiteSVM harness seeded with the sandbox world. The server stopped
 * here is a second throwaway cluster of this file, never the shared one of the other tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as multisigSdk from '@sqds/multisig';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChainReader } from '../../src/chain/reader.ts';
import { ChainCoSigner } from '../../src/cosign/cosigner.ts';
import { keypairSigner } from '../../src/cosign/signer.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { sandboxLoss, SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX, SANDBOX_KEYPAIRS, SANDBOX_TELEGRAM, PROGRAMS } from '../../src/sandbox/seeds.ts';
import { seedSandboxChain } from '../../src/sandbox/world.ts';
import { createApp } from '../../src/server/app.ts';
import { startHttpServer, type RunningHttpServer } from '../../src/server/listen.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { feeBalanceReady, rpcReady, storeReady } from '../../src/server/readiness.ts';
import { verifyAudit } from '../../src/store/audit.ts';
import { StoreUnavailable } from '../../src/store/errors.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { SILENT_LOG } from '../../src/workflow/ports.ts';
import { digestField, handlePress, NOT_RECORDED, type Press } from '../../src/workflow/votes.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import { Workflow } from '../../src/workflow/workflow.ts';
import { decodeSent } from '../cosign/support.ts';
import { lossBody, raw, send } from '../server/helpers.ts';
import { createTestDatabase, findPostgresBin, pgRequired, startCluster, type Cluster } from '../support/postgres.ts';
import { cardNotifier, exampleRegistry } from '../support/workflow-doubles.ts';

const { generated } = multisigSdk;
const disc = (d: number[] | Uint8Array) => Buffer.from(d).toString('hex');
const APPROVE = disc(generated.proposalApproveInstructionDiscriminator);
const EXECUTE = disc(generated.vaultTransactionExecuteInstructionDiscriminator);
const AUDIT_KEY = Ed25519Keypair.fromSeed(new Uint8Array(32).fill(11));
const COSIGNER = keypairSigner(Ed25519Keypair.fromSeed(SANDBOX_KEYPAIRS.cosigner.secretKey.slice(0, 32)));
const NOW = new Date('2026-12-01T10:00:00Z');

/** Presence of PostgreSQL, as the shared globalSetup found it (this file starts its own cluster). */
const pgAvailable = inject('pgUrl') !== null;
const bin = findPostgresBin();

/** Counts rows of a table straight from the database. */
async function count(store: SqlStore, table: string, where = ''): Promise<number> {
  const [row] = await store.sql.read.all(`SELECT COUNT(*) AS n FROM ${table} ${where}`);
  return Number(row!.n);
}

describe('PostgreSQL stopped mid-run', () => {
  if (!pgAvailable || bin === null) {
    const reason = inject('pgUnavailableReason') ?? 'PostgreSQL tests not run: server binaries not found';
    if (pgRequired()) it('PostgreSQL is available (BACKSTOP_REQUIRE_PG=1)', () => { throw new Error(reason); });
    else it.skip(reason, () => undefined);
    return;
  }
  let cluster: Cluster;
  let harness: Harness;
  let store: SqlStore;
  let wf: Workflow;
  let server: RunningHttpServer;
  let headDir: string | undefined;
  const api = { url: '' };

  beforeAll(async () => {
    cluster = await startCluster(bin);
    harness = await startHarness();
    seedSandboxChain(harness);
    const database = await createTestDatabase(cluster.url);
    store = await openStore({ database, auditKey: AUDIT_KEY, headFile: join((headDir = mkdtempSync(join(tmpdir(), 'backstop-pg-outage-'))), 'audit.head'), now: () => NOW });
    // As the service does: the instance lock's own connection also drops in the outage, and must not crash the process.
    await store.acquireInstanceLock();
    const chain = new ChainReader({ rpcUrl: harness.url, retries: 0, timeoutMs: 5000 });
    const policies = exampleRegistry();
    const notifier = cardNotifier(() => store);
    const cosigner = new ChainCoSigner({ chain, store, signer: COSIGNER, log: SILENT_LOG, simulation: 'skip-recorded-mode' }); // recorded-mode harness
    wf = new Workflow({ store, chain, policies, notifier, cosigner, log: SILENT_LOG, clock: () => NOW });
    const metrics = createMetrics({ chain, processMetrics: false });
    const readiness = { store: storeReady(store), rpc: rpcReady(chain), feeBalance: feeBalanceReady(chain, SANDBOX.cosigner) };
    server = await startHttpServer({ app: createApp({ workflow: wf, apiReadToken: 'read-token-0123456789', readiness, metrics, log: SILENT_LOG }), port: 0 });
    api.url = server.url;
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await harness?.close();
    cluster?.stop();
    if (headDir) rmSync(headDir, { recursive: true, force: true });
  });

  /** A press on the card as Telegram would send it (card, digest and epoch read while the store was up). */
  const pressOf = async (rowId: number, telegramId: number): Promise<Press> => {
    const row = (await store.getProposalByRowId(rowId))!;
    const card = (await store.getCard(rowId))!;
    return { rowId, action: 'approve', telegramId, name: String(telegramId), chatId: SANDBOX_TELEGRAM.chatId, messageId: card.messageId, digestPrefix: digestField(row.digest), epoch: row.epoch };
  };

  it('answers 503 and signs nothing while it is down, and resumes with nothing lost once it is back', async () => {
    await wf.recordLoss({ vault: SANDBOX.vault, reserve: SANDBOX.reserve, signature: sandboxLoss().event.signature, vaultLoss: SANDBOX_VAULT_LOSS, recordedBy: 'test' });
    const registered = await wf.registerProposal({ multisig: SANDBOX.multisig, transactionIndex: 1n });
    expect(registered.state).toBe('awaiting-approval');
    const rowId = registered.rowId;
    for (const id of [1001, 2001, 2002]) expect((await handlePress(wf, await pressOf(rowId, id))).kind).toBe('counted');
    expect((await store.getProposalByRowId(rowId))!.state).toBe('approved');
    const lateCouncil = await pressOf(rowId, 2003);
    const auditBefore = (await store.auditEntries()).length;

    cluster.halt();

    // The API: writes are 503 with Retry-After (the body is valid and signed), and not ready.
    for (const [path, body] of [
      ['/v1/loss-events', lossBody()],
      ['/v1/proposals', { multisig: SANDBOX.multisig, transactionIndex: '2' }],
    ] as const) {
      const r = await send(api, { path, body });
      expect(r.status, path).toBe(503);
      expect(r.body.error.code, path).toBe('store-unavailable');
      expect(Number(r.headers.get('retry-after')), path).toBeGreaterThan(0);
    }
    const ready = await raw(api, { method: 'GET', path: '/readyz', headers: {} });
    expect(ready.status).toBe(503);
    expect(ready.body.checks.store.ok).toBe(false);
    expect(ready.body.checks.rpc.ok).toBe(true);

    // The poller neither throws nor sends anything to the chain.
    const report = await pollOnce(wf);
    expect(report.errors.length).toBeGreaterThan(0);
    expect(harness.recordedTransactions()).toHaveLength(0);
    // A press is not recorded, and says so.
    expect(await handlePress(wf, lateCouncil)).toEqual({ kind: 'not-recorded', text: NOT_RECORDED });
    await expect(store.getProposalByRowId(rowId)).rejects.toBeInstanceOf(StoreUnavailable);

    cluster.resume();

    // The pool reconnects by itself: the same store, no reopen.
    expect((await raw(api, { method: 'GET', path: '/readyz', headers: {} })).status).toBe(200);
    const row = (await store.getProposalByRowId(rowId))!;
    expect(row.state).toBe('approved');
    expect(await store.latestIntent(row.id)).toBeNull(); // nothing was signed while it was down
    const votes = await store.votes(rowId, row.epoch);
    expect(votes.map((v) => [v.telegramId, v.vote]).sort()).toEqual([[1001, 'approve'], [2001, 'approve'], [2002, 'approve']]);
    expect((await store.auditEntries()).length).toBe(auditBefore); // nothing half-written

    await pollOnce(wf);
    expect((await store.getProposalByRowId(rowId))!.state).toBe('signing');
    const recorded = harness.recordedTransactions();
    expect(recorded).toHaveLength(1);
    const sent = decodeSent(recorded[0]!.bytes);
    expect(sent.instructions.map((i) => [i.program, disc(i.data.subarray(0, 8))])).toEqual([[PROGRAMS.squads, APPROVE], [PROGRAMS.squads, EXECUTE]]);

    // Exactly one of each: votes, reservation, intent.
    expect(await count(store, 'votes', `WHERE proposal_row_id = ${rowId}`)).toBe(3);
    expect((await store.ledgerForProposal(row.id)).map((e) => e.state)).toEqual(['reserved']);
    expect(await count(store, 'intents')).toBe(1);
    expect((await store.latestIntent(row.id))!.kind).toBe('approve-execute');
    const entries = await store.auditEntries();
    expect(verifyAudit({ entries, publicKey: AUDIT_KEY.publicKeyBytes, head: await store.auditHead() }).ok).toBe(true);

    // And the API writes again: the proposal refused during the outage is accepted now.
    const again = await send(api, { path: '/v1/proposals', body: { multisig: SANDBOX.multisig, transactionIndex: '2' } });
    expect(again.status).toBe(202);
    expect(again.body.state).toBe('denied'); // index 2 pays a non-escrow account
  });
});
