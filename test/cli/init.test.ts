/**
 * `backstop init` (issue 13 §1) against the sandbox chain on the harness: the deployment it writes
 * (policy pre-filled from the chain, TODO only where a human decides, 0600 keys, a .env naming every
 * variable), the policy passing `policy check` and allowing the sandbox withdrawal once the TODOs are
 * filled, the vault index found by search, and its refusals (nothing written).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address, type Address } from '@solana/kit';
import { Keypair } from '@solana/web3.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { vaultPdaOf } from '../../src/chain/pda.ts';
import { checkPolicies } from '../../src/cli/policy.ts';
import { InitRefused, runInit } from '../../src/cli/init.ts';
import { CONFIG_VARIABLES, ConfigError, parsePkcs11Uri, readConfig } from '../../src/config.ts';
import { openPkcs11Key } from '../../src/cosign/pkcs11.ts';
import { loadCosignerKey } from '../../src/cosign/signer.ts';
import { decide } from '../../src/policy/engine.ts';
import { parsePolicyText } from '../../src/policy/load.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { farmAccount } from '../../src/sandbox/fixtures/farm.ts';
import { vaultAccount } from '../../src/sandbox/fixtures/kvault.ts';
import { SCENARIO_NOW, scenarioFacts, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { multisigAccount } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { loadKeypairFile } from '../../src/store/keys.ts';
import { backstop } from '../support/cli.ts';
import { freshToken } from '../support/softhsm.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

/** The sandbox world and its multisig on the harness (each test starts from it). */
function seedWorld(): void {
  worldAccounts().forEach((a) => harness.setAccount(a));
  harness.setAccount(multisigAccount());
}
afterEach(() => seedWorld());

const outDir = () => join(mkdtempSync(join(tmpdir(), 'backstop-init-')), 'deploy');
const init = (out: string, extra: Partial<Parameters<typeof runInit>[0]> = {}, env: NodeJS.ProcessEnv = {}) =>
  runInit({ rpc: harness.url, vault: SANDBOX.vault, multisig: SANDBOX.multisig, out, ...extra }, env, new Date('2026-12-01T00:00:00Z'));
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Where a human decides, the values the sandbox's example policy holds (the filled policy must then behave like it). */
const FILLED: readonly [RegExp, string][] = [
  [/telegramId: TODO \}(\s+# the person holding the curator member key)/, 'telegramId: 1001 }$1'],
  [/(council-1, )telegramId: TODO/, '$1telegramId: 2001'],
  [/(council-2, )telegramId: TODO/, '$1telegramId: 2002'],
  [/(council-3, )telegramId: TODO/, '$1telegramId: 2003'],
  [/address: TODO/, `address: ${SANDBOX.escrow}`],
  [/authority: TODO/, `authority: ${SANDBOX.escrowAuthority}`],
  [/maxPerProposal: TODO/, 'maxPerProposal: "250000"'],
  [/maxPerWindow: TODO/, 'maxPerWindow: "500000"'],
  [/chatId: TODO/, 'chatId: -1001'],
];
const fill = (text: string) => FILLED.reduce((t, [re, to]) => t.replace(re, to), text);

/** `policy check` on `file`: exit code and the lines it printed. */
async function policyCheck(file: string): Promise<{ code: number; lines: string[] }> {
  let printed = '';
  const code = await checkPolicies(file, (s) => (printed += s));
  return { code, lines: printed.trim().split('\n') };
}

beforeAll(() => seedWorld());

describe('backstop init on the sandbox chain', () => {
  it('writes the policy pre-filled from the chain, TODO only where a human decides; filled in, it passes policy check and allows the sandbox withdrawal', async () => {
    const out = outDir();
    const { checklist, files } = await init(out);
    expect(files.sort()).toEqual(['.env', 'CHECKLIST.txt', 'keys/audit.json', 'keys/cosigner.json', 'keys/webhook-source.json', 'policies/backstop-sandbox-vault.yaml']);
    expect(mode(out)).toBe('700');
    for (const k of ['cosigner', 'audit', 'webhook-source']) expect(mode(join(out, 'keys', `${k}.json`))).toBe('600');
    expect(mode(join(out, '.env'))).toBe('600');

    const cosigner = loadKeypairFile(join(out, 'keys/cosigner.json')).publicKey;
    const audit = loadKeypairFile(join(out, 'keys/audit.json')).publicKey;
    const source = loadKeypairFile(join(out, 'keys/webhook-source.json')).publicKey;
    expect(new Set([cosigner, audit, source, SANDBOX.cosigner]).size).toBe(4);

    const policyFile = join(out, 'policies/backstop-sandbox-vault.yaml');
    const text = readFileSync(policyFile, 'utf8');
    // Everything the chain knows is filled in.
    const raw = parseYaml(text);
    expect(raw).toMatchObject({
      name: 'backstop sandbox vault',
      vault: SANDBOX.vault,
      insurancePool: { farm: SANDBOX.farm, multisig: SANDBOX.multisig, vaultIndex: 0, curatorMember: SANDBOX.curator, timeLock: 0, farmAdmins: [] },
      cosigner,
      escrows: [{ mint: SANDBOX.sharesMint }],
      webhookSources: [{ id: 'risk-tooling', publicKey: source, may: ['loss-events', 'proposals'] }],
    });
    expect(text).toContain(`#   ${SANDBOX.reserve}  cTokens held`);
    // The TODOs are exactly the human decisions, and policy check names each one until it is made.
    const unfilled = await policyCheck(policyFile);
    expect(unfilled.code).toBe(1);
    expect(unfilled.lines.map((l) => l.split(': ')[1]).sort()).toEqual([
      'council.members[0].telegramId', 'council.members[1].telegramId', 'council.members[2].telegramId', 'curators.members[0].telegramId',
      'escrows[0].address', 'escrows[0].authority', 'limits.maxPerProposal', 'limits.maxPerWindow', 'telegram.chatId',
    ]);
    expect(text.split('\n').filter((l) => /\bTODO\b/.test(l.replace(/#.*/, '')))).toHaveLength(FILLED.length);

    const filled = fill(text);
    expect(filled.replace(/#.*/g, '')).not.toMatch(/TODO/);
    writeFileSync(policyFile, filled);
    const checked = await policyCheck(policyFile);
    expect(checked.lines).toEqual([expect.stringMatching(new RegExp(`^OK ${policyFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} revision [0-9a-f]{64}$`))]);
    expect(checked.code).toBe(0);

    // Once the co-signer key has taken its seat in the multisig (checklist step 1), the policy allows the sandbox's withdrawal.
    const parsed = parsePolicyText(filled, policyFile);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const seated = multisigAccount({ transactionIndex: 2n, members: [{ key: cosigner, mask: 6 }, { key: SANDBOX.curator, mask: 7 }] });
    const decision = decide(scenarioFacts({ accounts: [seated] }), parsed.policy, SCENARIO_NOW).decision;
    expect(decision.rules.filter((r) => r.outcome !== 'pass').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    expect(decision.allowed).toBe(true);
    // Before it has (today's multisig), it is denied by the multisig-config rule alone.
    const today = decide(scenarioFacts(), parsed.policy, SCENARIO_NOW).decision;
    expect(today.rules.filter((r) => r.outcome !== 'pass').map((r) => r.id)).toEqual(['multisig-config']);

    // The checklist says which member the co-signer replaces, how to reach the bot and the chat, and how to start.
    expect(checklist).toContain(`add member ${cosigner} with Vote + Execute (permissions mask 6`);
    expect(checklist).toContain(`remove member ${SANDBOX.cosigner}   (the seat the co-signer takes)`);
    expect(checklist).toContain('@BotFather');
    expect(checklist).toContain('getUpdates');
    expect(checklist).toContain(`backstop policy check ${out}/policies/backstop-sandbox-vault.yaml`);
    expect(checklist).toContain('docker compose --env-file');
    expect(checklist).not.toContain('!'); // nothing on the sandbox chain needs fixing
    expect(readFileSync(join(out, 'CHECKLIST.txt'), 'utf8')).toBe(checklist);
  });

  it('the .env names every variable backstop reads, holds the keys it wrote, and production refuses it until the bot token replaces TODO', async () => {
    const out = outDir();
    await init(out);
    const text = readFileSync(join(out, '.env'), 'utf8');
    for (const k of CONFIG_VARIABLES) expect(text, k).toMatch(new RegExp(`^(# )?${k}=`, 'm'));
    const env = Object.fromEntries(text.split('\n').filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^'(.*)'$/, '$1')]));
    expect(env).toMatchObject({ SOLANA_RPC_URL: harness.url, COSIGNER_KEYPAIR: 'keys/cosigner.json', AUDIT_KEYPAIR: 'keys/audit.json', POLICY_DIR: 'policies', TELEGRAM_BOT_TOKEN: 'TODO' });
    expect(env.API_READ_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(env.DATABASE_URL).toBe(`postgres://backstop:${env.POSTGRES_PASSWORD}@postgres:5432/backstop`);
    expect(() => readConfig(env)).toThrow(ConfigError);
    expect(() => readConfig(env)).toThrow(/TELEGRAM_BOT_TOKEN still holds TODO/);
    expect(readConfig({ ...env, TELEGRAM_BOT_TOKEN: '123:abc' })).toMatchObject({ mode: 'production', cosignerKeypair: 'keys/cosigner.json', policyDir: 'policies' });
    // Paths are relative to the deployment: from there the co-signer key loads and is the policy's.
    const policy = parseYaml(readFileSync(join(out, 'policies/backstop-sandbox-vault.yaml'), 'utf8'));
    expect(loadCosignerKey(join(out, env.COSIGNER_KEYPAIR!), policy.cosigner).address).toBe(policy.cosigner);
  });

  it('finds the vault index by searching the multisig\'s vault PDAs, and marks a farm admin that is not the multisig as TODO', async () => {
    const vault7 = vaultPdaOf(SANDBOX.multisig, 7);
    const admin = address(Keypair.generate().publicKey.toBase58());
    harness.setAccount(farmAccount({ withdrawAuthority: vault7, farmAdmin: admin }));
    const out = outDir();
    const { checklist } = await init(out);
    const text = readFileSync(join(out, 'policies/backstop-sandbox-vault.yaml'), 'utf8');
    expect(parseYaml(text).insurancePool.vaultIndex).toBe(7);
    expect(text).toContain(`farmAdmins: [TODO]            # the farm admin is ${admin}, not the multisig vault`);
    expect(checklist).toContain(`! the farm admin is ${admin}, not the multisig vault ${vault7}`);
    const check = await policyCheck(join(out, 'policies/backstop-sandbox-vault.yaml'));
    expect(check.lines.some((l) => l.includes(': insurancePool.farmAdmins[0]: '))).toBe(true);
  });

  it('leaves curatorMember as TODO when the multisig does not say which member is the curator, unless --curator does', async () => {
    const other = address(Keypair.generate().publicKey.toBase58());
    harness.setAccount(multisigAccount({ members: [{ key: SANDBOX.curator, mask: 7 }, { key: other, mask: 7 }] }));
    const out = outDir();
    await init(out);
    const text = readFileSync(join(out, 'policies/backstop-sandbox-vault.yaml'), 'utf8');
    expect(text).toMatch(/curatorMember: TODO\s+# which member above is the curator's key/);
    const given = outDir();
    const { checklist } = await init(given, { curator: other });
    expect(parseYaml(readFileSync(join(given, 'policies/backstop-sandbox-vault.yaml'), 'utf8')).insurancePool.curatorMember).toBe(other);
    expect(checklist).toContain(`remove member ${SANDBOX.curator}`);
    await expect(init(outDir(), { curator: SANDBOX.outsider })).rejects.toThrow(/--curator .* is not a member of multisig/);
  });
});

describe('backstop init refuses, with the reason, and writes nothing', () => {
  async function refused(out: string, o: Partial<Parameters<typeof runInit>[0]> = {}): Promise<InitRefused> {
    const err = await init(out, o).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InitRefused);
    return err as InitRefused;
  }

  it('a vault with no first-loss capital farm (exit 1)', async () => {
    harness.setAccount(vaultAccount({ firstLossCapitalFarm: address('11111111111111111111111111111111') }));
    const out = outDir();
    const err = await refused(out);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/has no first-loss capital \(Insurance Pool\) farm: its first_loss_capital_farm is unset/);
    expect(err.message).toMatch(/set it on the vault/);
    expect(existsSync(out)).toBe(false);
  });

  it('a farm whose withdraw_authority is not a Squads vault PDA of the multisig (exit 1)', async () => {
    const stranger = address(Keypair.generate().publicKey.toBase58());
    harness.setAccount(farmAccount({ withdrawAuthority: stranger }));
    const out = outDir();
    const err = await refused(out);
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(`withdraw_authority ${stranger} is not a Squads vault of multisig ${SANDBOX.multisig} (vault indexes 0..255 checked)`);
    expect(existsSync(out)).toBe(false);
  });

  it('the vault of another multisig: the same refusal names the multisig given', async () => {
    const otherMultisig = multisigAccount({ createKey: address(Keypair.generate().publicKey.toBase58()) });
    harness.setAccount(otherMultisig);
    const err = await refused(outDir(), { multisig: otherMultisig.address });
    expect(err.message).toContain(`is not a Squads vault of multisig ${otherMultisig.address}`);
  });

  it('a farm that stakes another mint, an address that is not a kvault, bad arguments, an occupied --out', async () => {
    harness.setAccount(farmAccount({ token: { mint: SANDBOX.tokenMint } }));
    expect((await refused(outDir())).message).toMatch(/stakes .* not the vault's shares mint .* not this vault's Insurance Pool/);
    seedWorld();
    expect((await refused(outDir(), { vault: SANDBOX.farm })).message).toMatch(/is not a kvault \(VaultState\)/);
    const missing = await refused(outDir(), { vault: SANDBOX.outsider });
    expect([missing.exitCode, missing.message]).toEqual([1, expect.stringMatching(/does not exist on this RPC's cluster/)]);
    expect((await refused(outDir(), { vault: 'not-an-address' })).exitCode).toBe(2);
    expect((await refused(outDir(), { rpc: 'ftp://x' })).message).toMatch(/--rpc must be an http/);
    const occupied = outDir();
    mkdirSync(occupied);
    writeFileSync(join(occupied, '.env'), 'keep me');
    const err = await refused(occupied);
    expect([err.exitCode, err.message]).toEqual([2, expect.stringMatching(/already exists and is not an empty directory; init never overwrites/)]);
    expect(readdirSync(occupied)).toEqual(['.env']);
  });

  it('an RPC that does not answer (exit 2, says which endpoint)', async () => {
    const err = await refused(outDir(), { rpc: 'http://127.0.0.1:9' });
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/cannot read kvault \(VaultState\) .* from http:\/\/127\.0\.0\.1:9: .*check --rpc/);
  });
});

describe('backstop init --pkcs11', () => {
  it('creates the co-signer and audit keys inside the token; the .env names them by URI and the co-signer opens through the token', async () => {
    const token = freshToken();
    const out = outDir();
    const env = { PKCS11_MODULE: token.settings.module, PKCS11_PIN_FILE: token.settings.pinFile };
    const { files, checklist } = await init(out, { pkcs11: true }, env);
    expect(files).not.toContain('keys/cosigner.json');
    expect(files).not.toContain('keys/audit.json');
    expect(files).toContain('keys/webhook-source.json');
    const text = readFileSync(join(out, '.env'), 'utf8');
    expect(text).toContain("COSIGNER_KEYPAIR='pkcs11:token=backstop;object=backstop-cosigner'");
    expect(text).toContain("AUDIT_KEYPAIR='pkcs11:token=backstop;object=backstop-audit'");
    expect(text).toContain(`PKCS11_MODULE=${token.settings.module}`);
    expect(text).toContain(`PKCS11_PIN_FILE=${token.settings.pinFile}`);
    expect(text).not.toContain(token.pin + '\n');
    expect(checklist).toContain('inside the HSM token');
    const policy = parseYaml(readFileSync(join(out, 'policies/backstop-sandbox-vault.yaml'), 'utf8'));
    const key = loadCosignerKey('pkcs11:token=backstop;object=backstop-cosigner', policy.cosigner, { pkcs11: token.settings });
    expect(key.address).toBe(policy.cosigner as Address);
    key.close();
    const auditKey = openPkcs11Key(parsePkcs11Uri('pkcs11:token=backstop;object=backstop-audit'), token.settings);
    expect(auditKey.address).not.toBe(policy.cosigner);
    auditKey.close();
    // A second init on the same token refuses rather than reuse or shadow the keys.
    await expect(init(outDir(), { pkcs11: true }, env)).rejects.toThrow(/already holds an object labelled "backstop-cosigner".*--pkcs11-prefix/);
    await expect(init(outDir(), { pkcs11: true }, {})).rejects.toThrow(/--pkcs11 needs PKCS11_MODULE .* and PKCS11_PIN_FILE/);
  });
});

describe('the command', () => {
  it('backstop init is registered; a refusal is one line on stderr and exit 1', async () => {
    harness.setAccount(vaultAccount({ firstLossCapitalFarm: address('11111111111111111111111111111111') }));
    const out = outDir();
    const r = await backstop(['init', '--rpc', harness.url, '--vault', SANDBOX.vault, '--multisig', SANDBOX.multisig, '--out', out]);
    expect(r.stderr).toMatch(/^backstop init: vault \S+ has no first-loss capital/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});
