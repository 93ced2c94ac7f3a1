/**
 * `backstop rehearse` against a second harness standing in for mainnet, seeded with the sandbox
 * world but with a multisig of "real" curator and council keys: the vault's world is cloned (the
 * multisig found in its vault's history), the members become local keys, a loss is made on the
 * largest reserve, and the normal sandbox runs on the copy: its policy passes `policy check`, the
 * pending proposal is decided and allowed, and (recorded mode: no dumps here) the human flow runs to
 * the co-signer's approve + execute. The source is only ever read, and left as it was.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { address } from '@solana/kit';
import { Connection, PublicKey } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { decodeMultisig } from '../../src/chain/accounts/squads.ts';
import { PROGRAMS } from '../../src/chain/programs.ts';
import { REQUIRED_IN_PRODUCTION } from '../../src/config.ts';
import { vaultAccount } from '../../src/sandbox/fixtures/kvault.ts';
import { fixtureSignature } from '../../src/sandbox/fixtures/loss-transaction.ts';
import { multisigAccount } from '../../src/sandbox/fixtures/squads.ts';
import { ONE, RESERVE_CTOKEN_SUPPLY, RESERVE_TOTAL_SUPPLY, VAULT_CTOKEN_ALLOCATION } from '../../src/sandbox/fixtures/world.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { cardOf, press } from '../../src/sandbox/emulator.ts';
import { lendingMarketAccount } from '../../src/sandbox/klend/loss.ts';
import { cloneVault, RehearsalRefused } from '../../src/sandbox/rehearse/clone.ts';
import { sourceChain } from '../../src/sandbox/rehearse/source.ts';
import { SANDBOX, sandboxKeypair } from '../../src/sandbox/seeds.ts';
import type { SandboxInfo } from '../../src/sandbox/start.ts';
import { summarizeTransaction } from '../../src/sandbox/transaction-summary.ts';
import { seedSandboxChain } from '../../src/sandbox/world.ts';
import { backstop } from '../support/cli.ts';

const BIN = resolve('bin/backstop.js');
/** What a rehearsal may ask its source. */
const READS = new Set(['getAccountInfo', 'getMultipleAccounts', 'getSlot', 'getSignaturesForAddress', 'getTransaction']);
const REAL_CURATOR = address(sandboxKeypair('test-real-curator').publicKey.toBase58());
const REAL_COUNCIL = address(sandboxKeypair('test-real-council').publicKey.toBase58());

let source: Harness;
let child: ChildProcess;
let stderr = '';
let info: SandboxInfo;
let sourceMultisigBefore: Uint8Array;
const dataDir = join(mkdtempSync(join(tmpdir(), 'backstop-rehearse-')), 'data');

const until = async <T>(what: string, fn: () => Promise<T | null | undefined> | T | null | undefined, ms = 30_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; rehearse stderr:\n${stderr.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
const read = async (path: string) => {
  const res = await fetch(new URL(path, info.httpUrl), { headers: { authorization: `Bearer ${info.apiReadToken}` } });
  return { status: res.status, body: (await res.json()) as any };
};
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'warn' };
  for (const k of [...REQUIRED_IN_PRODUCTION, 'BACKSTOP_PROGRAMS_DIR']) delete env[k];
  return env;
};

/** A landed Squads transaction naming the multisig and its vault, as the vault's history on mainnet shows one. */
function squadsHistory(h: Harness): void {
  const signature = fixtureSignature('test-vault-history');
  h.addTransaction(signature, {
    slot: 311_000_000,
    blockTime: 1_764_000_000,
    version: 0,
    transaction: {
      signatures: [signature],
      message: {
        accountKeys: [REAL_CURATOR, SANDBOX.multisig, SANDBOX.vaultPda, PROGRAMS.squads],
        header: { numRequiredSignatures: 1, numReadonlySignedAccounts: 0, numReadonlyUnsignedAccounts: 1 },
        recentBlockhash: SANDBOX.curator,
        instructions: [{ programIdIndex: 3, accounts: [1, 0, 2], data: '', stackHeight: null }],
        addressTableLookups: [],
      },
    },
    meta: { err: null, fee: 5000, preBalances: [], postBalances: [], innerInstructions: [], logMessages: [], loadedAddresses: { writable: [], readonly: [] } },
  });
}

beforeAll(async () => {
  source = await startHarness();
  seedSandboxChain(source);
  // The real 2-of-2: a council key (Vote + Execute) and the curator (all permissions), neither local.
  source.setAccount(multisigAccount({ transactionIndex: 2n, members: [{ key: REAL_COUNCIL, mask: 6 }, { key: REAL_CURATOR, mask: 7 }] }));
  squadsHistory(source);
  // Mainnet has the reserve's lending market (the sandbox world does not need it).
  source.setAccount(lendingMarketAccount({ market: SANDBOX.lendingMarket, owner: SANDBOX.lendingMarketOwner }));
  sourceMultisigBefore = source.getAccount(SANDBOX.multisig)!.data;
  (source.requestCount as Map<string, number>).clear();

  child = spawn(process.execPath, [BIN, 'rehearse', '--rpc', source.url, '--vault', SANDBOX.vault, '--escrow', SANDBOX.escrow, '--data-dir', dataDir], {
    env: cleanEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d) => (stderr += d.toString()));
  const file = join(dataDir, 'sandbox.json');
  await until('sandbox.json', () => {
    if (child.exitCode !== null) throw new Error(`rehearse exited ${child.exitCode}:\n${stderr}`);
    return existsSync(file) && stderr.includes('rehearsal of kvault');
  }, 90_000);
  info = JSON.parse(readFileSync(file, 'utf8')) as SandboxInfo;
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await source?.close();
});

describe('backstop rehearse on a copy of a vault read from another RPC', () => {
  it('starts the sandbox on the copy and says what it copied and from where', () => {
    expect(info).toMatchObject({
      vault: SANDBOX.vault,
      multisig: SANDBOX.multisig,
      escrow: SANDBOX.escrow,
      pendingProposal: `${SANDBOX.multisig}:3`,
      deniedProposal: `${SANDBOX.multisig}:4`,
      mode: 'recorded',
      lossSource: 'served',
      rehearsal: { source: new URL(source.url).origin },
      telegram: { chatId: -1001, users: { curators: [1001], council: [2001, 2002, 2003], outsider: 3001 } },
    });
    expect(info.rpcUrl).not.toBe(source.url);
    expect(info.rehearsal!.clonedAccounts).toBeGreaterThan(10);
    expect(stderr).toMatch(new RegExp(`multisig\\s+${SANDBOX.multisig} \\(vault 0\\)`));
    expect(stderr).toMatch(/programs\s+none: recorded mode/);
  });

  it('writes a policy that passes policy check, with only the local keys, ids and chat replaced', async () => {
    const check = await backstop(['policy', 'check', info.policy]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^OK .*rehearsal\.yaml revision [0-9a-f]+/);
    const policy = parse(readFileSync(info.policy, 'utf8'));
    expect(policy).toMatchObject({
      vault: SANDBOX.vault,
      cosigner: SANDBOX.cosigner,
      insurancePool: { farm: SANDBOX.farm, multisig: SANDBOX.multisig, vaultIndex: 0, curatorMember: SANDBOX.curator, timeLock: 0 },
      escrows: [{ address: SANDBOX.escrow, mint: SANDBOX.sharesMint, walletAuthority: false }],
      telegram: { chatId: -1001 },
      webhookSources: [{ id: 'sandbox', publicKey: SANDBOX.webhookSource }],
    });
    expect(policy.escrows[0].authority).toBe(SANDBOX.escrowAuthority);
  });

  it('replaces the multisig members with the local keys, sorted by key bytes, permissions kept; the source is unchanged', async () => {
    const conn = new Connection(info.rpcUrl, 'confirmed');
    const raw = (await conn.getAccountInfo(new PublicKey(SANDBOX.multisig)))!;
    const ms = decodeMultisig({ address: SANDBOX.multisig, owner: address(raw.owner.toBase58()), lamports: BigInt(raw.lamports), data: new Uint8Array(raw.data), executable: false });
    const expected = [
      { key: SANDBOX.cosigner, mask: 6 },
      { key: SANDBOX.curator, mask: 7 },
    ].sort((a, b) => Buffer.compare(new PublicKey(a.key).toBuffer(), new PublicKey(b.key).toBuffer()));
    expect(ms.members.map((m) => ({ key: m.key, mask: m.mask }))).toEqual(expected);
    expect(ms.threshold).toBe(2);
    expect(ms.transactionIndex).toBe(4n);
    expect(ms.staleTransactionIndex).toBe(2n);
    expect(source.getAccount(SANDBOX.multisig)!.data).toEqual(sourceMultisigBefore);
  });

  it('records a loss on the largest reserve and decides the pending proposal allowed, the other denied', async () => {
    const forgiven = (RESERVE_TOTAL_SUPPLY / 100n / ONE) * ONE; // 1 % of the reserve's supply
    const event = (await read(`/v1/loss-events/${info.lossEventId}`)).body;
    expect(event).toMatchObject({ reserve: SANDBOX.reserve, vaultLoss: ((forgiven * VAULT_CTOKEN_ALLOCATION) / RESERVE_CTOKEN_SUPPLY).toString() });
    const pending = await until('the pending proposal decided', async () => {
      const { body } = await read(`/v1/proposals/${info.pendingProposal}`);
      return body.state === 'awaiting-approval' ? body : null;
    });
    expect(pending.decision.allowed).toBe(true);
    expect(pending.decision.rules.filter((r: { outcome: string }) => r.outcome !== 'pass')).toEqual([]);
    const denied = (await read(`/v1/proposals/${info.deniedProposal}`)).body;
    expect(denied.state).toBe('denied');
    expect(denied.decision.rules.find((r: { id: string }) => r.id === 'destination-escrow').outcome).toBe('fail');
  });

  it('runs the human flow to the co-signer’s approve + execute (recorded, not executed)', async () => {
    const card = await cardOf(info, info.pendingProposal, (c) => c.buttons.some((b) => b.data.startsWith('a:')), 20_000);
    await press(info, card, 'a', info.telegram.users.curators[0]!, 'Alice');
    await until('the curator’s approval', async () => ((await read(`/v1/proposals/${info.pendingProposal}`)).body.approvals.length === 1 ? true : null));
    await press(info, card, 'a', info.telegram.users.council[0]!, 'Bob');
    await press(info, card, 'a', info.telegram.users.council[1]!, 'Carol');
    const signed = await until('the co-signer’s intent', async () => {
      const { body } = await read(`/v1/proposals/${info.pendingProposal}`);
      return body.intent ? body : null;
    });
    const tx = summarizeTransaction(signed.intent.transaction);
    expect(tx.instructions.map((ix) => ('name' in ix ? ix.name : ix.kind))).toEqual(['proposal_approve', 'vault_transaction_execute']);
    expect(tx.signatureValid[SANDBOX.cosigner]).toBe(true);
  }, 60_000);

  it('only ever read the source', () => {
    const used = [...source.requestCount.entries()].filter(([, n]) => n > 0).map(([m]) => m);
    expect(used).toContain('getMultipleAccounts');
    expect(used).toContain('getSignaturesForAddress'); // the multisig was found in its vault's history
    for (const m of used) expect(READS.has(m), `${m} is not a read`).toBe(true);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});

describe('rehearse refuses what it cannot rehearse', () => {
  it('a vault without an Insurance Pool: exit 1 naming it', async () => {
    const h = await startHarness();
    try {
      h.setAccount(vaultAccount({ firstLossCapitalFarm: address('11111111111111111111111111111111') }));
      const r = await backstop(['rehearse', '--rpc', h.url, '--vault', SANDBOX.vault, '--data-dir', join(dataDir, '..', 'refused')], cleanEnv());
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`kvault ${SANDBOX.vault} has no Insurance Pool`);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('a multisig it cannot find in the vault’s history: names --multisig', async () => {
    const h = await startHarness();
    try {
      seedSandboxChain(h);
      h.setAccount(lendingMarketAccount({ market: SANDBOX.lendingMarket, owner: SANDBOX.lendingMarketOwner }));
      await expect(cloneVault(sourceChain(h.url), { vault: SANDBOX.vault })).rejects.toThrow(RehearsalRefused);
      await expect(cloneVault(sourceChain(h.url), { vault: SANDBOX.vault })).rejects.toThrow(/pass --multisig/);
      const clone = await cloneVault(sourceChain(h.url), { vault: SANDBOX.vault, multisig: SANDBOX.multisig });
      expect(clone.vaultIndex).toBe(0);
      expect(clone.largestReserve).toBe(SANDBOX.reserve);
      expect([...h.requestCount.keys()].every((m) => READS.has(m))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('bad arguments: exit 2', async () => {
    const r = await backstop(['rehearse', '--rpc', 'not a url', '--vault', SANDBOX.vault], cleanEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rpc is not a URL');
    const v = await backstop(['rehearse', '--rpc', 'http://127.0.0.1:9', '--vault', 'nope'], cleanEnv());
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('--vault nope is not a base58 address');
  });
});


