/**
 * The sandbox as a newcomer runs it (docs/configuration.md): `backstop start --sandbox` as a child process,
 * driven only through sandbox.json — a signed webhook, emulator presses, the read API — then stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRED_IN_PRODUCTION } from '../../src/config.ts';
import { sendSigned } from '../../src/server/client.ts';
import { cardOf, press } from '../../src/sandbox/emulator.ts';
import type { SandboxInfo } from '../../src/sandbox/start.ts';
import { summarizeTransaction } from '../../src/sandbox/transaction-summary.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { loadKeypairFile } from '../../src/store/keys.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'backstop-sandbox-test-'));
let child: ChildProcess;
let info: SandboxInfo;
let stderr = '';

const until = async <T>(what: string, fn: () => Promise<T | null | undefined> | T | null | undefined, ms = 30_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; sandbox stderr:\n${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
const read = async (path: string) => {
  const res = await fetch(new URL(path, info.httpUrl), { headers: { authorization: `Bearer ${info.apiReadToken}` } });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'warn' };
  for (const k of REQUIRED_IN_PRODUCTION) delete env[k];
  child = spawn('node', ['bin/backstop.js', 'start', '--sandbox', '--data-dir', dataDir], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => (stderr += d.toString()));
  const file = join(dataDir, 'sandbox.json');
  await until('sandbox.json', () => existsSync(file), 60_000);
  info = JSON.parse(readFileSync(file, 'utf8')) as SandboxInfo;
}, 90_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('the sandbox, driven only through sandbox.json', () => {
  it('writes sandbox.json as docs/configuration.md shows, with real ports', () => {
    expect(info).toMatchObject({
      vault: SANDBOX.vault,
      multisig: SANDBOX.multisig,
      escrow: SANDBOX.escrow,
      pendingProposal: `${SANDBOX.multisig}:1`,
      deniedProposal: `${SANDBOX.multisig}:2`,
      mode: 'recorded',
      webhookSource: { id: 'sandbox' },
      telegram: { chatId: -1001, users: { curators: [1001], council: [2001, 2002, 2003], outsider: 3001 } },
    });
    for (const url of [info.httpUrl, info.rpcUrl, info.telegram.apiRoot]) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
    expect(info.apiReadToken.length).toBeGreaterThan(10);
    expect(info.lossEventId).toMatch(/^le-/);
  });

  it('answers the read API only with the token', async () => {
    expect((await fetch(new URL(`/v1/proposals/${info.pendingProposal}`, info.httpUrl))).status).toBe(401);
    const { status, body } = await read(`/v1/proposals/${info.deniedProposal}`);
    expect(status).toBe(200);
    expect(body.state).toBe('denied');
  });

  it('takes a signed webhook, counts roster presses only, and co-signs last: approve + execute, validly signed', async () => {
    const key = loadKeypairFile(info.webhookSource.keypair);
    const registered = await sendSigned({ baseUrl: info.httpUrl, path: '/v1/proposals', source: info.webhookSource.id, key, body: { multisig: info.multisig, transactionIndex: '1' } });
    expect(registered.status).toBe(202);
    expect((registered.json as any).state).toBe('awaiting-approval');

    const card = await cardOf(info, info.pendingProposal, (c) => c.buttons.some((b) => b.data.startsWith('a:')));
    await press(info, card, 'a', info.telegram.users.outsider, 'Mallory');
    await press(info, card, 'a', info.telegram.users.curators[0]!, 'Alice');
    await until('the curator’s approval', async () => ((await read(`/v1/proposals/${info.pendingProposal}`)).body.approvals.length === 1 ? true : null));
    await press(info, card, 'a', info.telegram.users.council[0]!, 'Bob');
    await press(info, card, 'a', info.telegram.users.council[1]!, 'Carol');

    // The intent is stored before the state changes (write-ahead), so wait for both.
    const signed = await until('the co-signer’s intent and the signing state', async () => {
      const { body } = await read(`/v1/proposals/${info.pendingProposal}`);
      return body.intent && body.state !== 'approved' ? body : null;
    });
    expect(signed.approvals.map((a: { telegramId: number }) => a.telegramId).sort()).toEqual([1001, 2001, 2002]);
    expect(signed.state).toBe('signing');
    const tx = summarizeTransaction(signed.intent.transaction);
    const names = tx.instructions.map((ix) => ('name' in ix ? ix.name : ix.kind));
    expect(names).toEqual(['proposal_approve', 'vault_transaction_execute']);
    expect(tx.signatureValid[SANDBOX.cosigner]).toBe(true);
    for (const ix of tx.instructions) expect(ix.accounts.some((a) => a.address === SANDBOX.multisig)).toBe(true);
  }, 60_000);

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
