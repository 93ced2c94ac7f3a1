/**
 * Keys in a PKCS#11 token (issue 13 §2), against SoftHSM2: RFC 7512 URIs, Ed25519 generated inside
 * the token (CKM_EC_EDWARDS_KEY_PAIR_GEN, the Ed25519 OID), signatures through CKM_EDDSA that verify
 * against the multisig member's key, refusals that say what to do, and a transaction co-signed end
 * to end on the sandbox chain with the HSM key (the audit log signed through the token too).
 */
import { createRequire } from 'node:module';
import { mkdtempSync, chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { getBase58Encoder, type Address } from '@solana/kit';
import type * as Pkcs11Js from 'pkcs11js';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMultisig } from '../../src/chain/accounts/squads.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import { ConfigError, formatPkcs11Uri, keyLocation, parsePkcs11Uri, readConfig, REQUIRED_IN_PRODUCTION } from '../../src/config.ts';
import { ChainCoSigner } from '../../src/cosign/cosigner.ts';
import { ED25519_EC_PARAMS, ed25519PointBytes, generatePkcs11Key, openPkcs11Key } from '../../src/cosign/pkcs11.ts';
import { CosignerKeyMismatch, loadAuditKey, loadCosignerKey, type LoadedKey } from '../../src/cosign/signer.ts';
import { parsePolicyText, type LoadedPolicy } from '../../src/policy/load.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { examplePolicyText, sandboxLoss, SANDBOX_VAULT_LOSS, worldAccounts } from '../../src/sandbox/fixtures/scenario.ts';
import { multisigAccount } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { verifyAudit } from '../../src/store/audit.ts';
import { KeyFileError, loadKeypairFile } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';
import { pollOnce } from '../../src/workflow/watch.ts';
import { Workflow } from '../../src/workflow/workflow.ts';
import { backstop } from '../support/cli.ts';
import { freshToken, type TestToken } from '../support/softhsm.ts';
import { approvedProposal, cardNotifier, decodeSent, ed25519Verifies, FEE_PAYER, MemoryLog, NOW, seedChain, type World } from './support.ts';

const p11 = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Js;
/** Raw 32 bytes of a base58 key (a multisig member as the chain stores it). */
const keyBytes = (address: Address): Uint8Array => Uint8Array.from(getBase58Encoder().encode(address));

/** Keys opened by a test; closed after it so the next token (another SOFTHSM2_CONF) starts a fresh library. */
const opened: { close(): void }[] = [];
const track = <T extends { close(): void }>(key: T): T => (opened.push(key), key);
afterEach(() => {
  for (const k of opened.splice(0)) k.close();
});

/** A token holding an Ed25519 key labelled `label`, and that key's URI. */
function tokenWithKey(label = 'backstop-cosigner'): { token: TestToken; uri: string; address: Address } {
  const token = freshToken();
  const made = generatePkcs11Key({ token: token.label, label }, token.settings);
  return { token, ...made };
}

/** Runs `fn` with a raw session on the token (logged in), outside backstop's code; the library is finalised after. */
function rawSession<T>(token: TestToken, fn: (lib: Pkcs11Js.PKCS11, session: Buffer) => T): T {
  const lib = new p11.PKCS11();
  lib.load(token.settings.module);
  lib.C_Initialize();
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === token.label)!;
    const session = lib.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
    lib.C_Login(session, p11.CKU_USER, token.pin);
    return fn(lib, session);
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}

describe('RFC 7512 URIs in the key variables', () => {
  it('parses token, object, %-escapes and binary ids; formats what it parses', () => {
    const uri = parsePkcs11Uri('pkcs11:token=Kamino%20HSM;object=backstop-cosigner;id=%01%ff;type=private;serial=42');
    expect(uri).toMatchObject({ token: 'Kamino HSM', object: 'backstop-cosigner', serial: '42' });
    expect([...uri.id!]).toEqual([1, 255]);
    const text = formatPkcs11Uri({ token: 'Kamino HSM', object: 'a;b' });
    expect(text).toBe('pkcs11:token=Kamino%20HSM;object=a%3Bb');
    expect(parsePkcs11Uri(text)).toMatchObject({ token: 'Kamino HSM', object: 'a;b' });
    expect(keyLocation('keys/cosigner.json')).toEqual({ kind: 'file', path: 'keys/cosigner.json' });
    expect(keyLocation(text).kind).toBe('pkcs11');
  });

  it('refuses what it cannot honour, saying what to write — and never echoes a PIN in a query', () => {
    const refuse = (text: string, why: RegExp) => expect(() => parsePkcs11Uri(text)).toThrow(why);
    refuse('pkcs11:object=k', /name the token/);
    refuse('pkcs11:token=t', /name the key with object=/);
    refuse('pkcs11:token=t;object=k;type=public', /type=public cannot sign/);
    refuse('pkcs11:token=t;object=k;object=j', /given twice/);
    refuse('pkcs11:token=t;object=k;slot-id=3', /slot-id is not supported/);
    refuse('pkcs11:token=t;object=k%zz', /malformed %-escape/);
    refuse('pkcs11:token=t;object=a b', /%-encode it \(e\.g\. %20\)/);
    let message = '';
    try {
      parsePkcs11Uri('pkcs11:token=t;object=k?pin-value=987654');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/query attributes .* set PKCS11_MODULE and PKCS11_PIN_FILE/);
    expect(message).not.toContain('987654');
  });

  it('production needs PKCS11_MODULE and PKCS11_PIN_FILE when a key is a pkcs11: URI, and refuses a value left at TODO', () => {
    const env = { ...Object.fromEntries(REQUIRED_IN_PRODUCTION.map((k) => [k, `/secrets/${k}`])), SOLANA_RPC_URL: 'http://127.0.0.1:8899', COSIGNER_KEYPAIR: 'pkcs11:token=backstop;object=backstop-cosigner' };
    expect(() => readConfig(env)).toThrow(ConfigError);
    expect(() => readConfig(env)).toThrow(/COSIGNER_KEYPAIR names a key in an HSM .* set PKCS11_MODULE and PKCS11_PIN_FILE/);
    const config = readConfig({ ...env, PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so', PKCS11_PIN_FILE: '/secrets/pin' });
    expect(config).toMatchObject({ mode: 'production', cosignerKeypair: env.COSIGNER_KEYPAIR, pkcs11: { module: '/usr/lib/softhsm/libsofthsm2.so', pinFile: '/secrets/pin' } });
    expect(() => readConfig({ ...env, COSIGNER_KEYPAIR: 'pkcs11:token=backstop' })).toThrow(/name the key with object=/);
    expect(() => readConfig({ ...env, COSIGNER_KEYPAIR: '/k.json', TELEGRAM_BOT_TOKEN: 'TODO' })).toThrow(/TELEGRAM_BOT_TOKEN still holds TODO/);
    // A file-only configuration needs neither.
    expect(readConfig({ ...env, COSIGNER_KEYPAIR: '/k.json' })).not.toHaveProperty('pkcs11');
  });

  it('a keypair-file reader handed a URI says so instead of "cannot read"', () => {
    expect(() => loadKeypairFile('pkcs11:token=t;object=k')).toThrow(KeyFileError);
    expect(() => loadKeypairFile('pkcs11:token=t;object=k')).toThrow(/is a PKCS#11 URI, not a keypair file/);
  });
});

describe('Ed25519 inside SoftHSM2', () => {
  it('generates with the Ed25519 OID, non-exportable; the address is CKA_EC_POINT without 04 20', () => {
    const { token, address } = tokenWithKey();
    const attrs = rawSession(token, (lib, session) => {
      lib.C_FindObjectsInit(session, [{ type: p11.CKA_LABEL, value: 'backstop-cosigner' }]);
      const handles = lib.C_FindObjects(session, 10);
      lib.C_FindObjectsFinal(session);
      const byClass = new Map(handles.map((h) => [lib.C_GetAttributeValue(session, h, [{ type: p11.CKA_CLASS }])[0]!.value!.readUInt32LE(0), h]));
      const pub = byClass.get(p11.CKO_PUBLIC_KEY)!;
      const priv = byClass.get(p11.CKO_PRIVATE_KEY)!;
      const [params, point] = lib.C_GetAttributeValue(session, pub, [{ type: p11.CKA_EC_PARAMS }, { type: p11.CKA_EC_POINT }]);
      const [sensitive, extractable] = lib.C_GetAttributeValue(session, priv, [{ type: p11.CKA_SENSITIVE }, { type: p11.CKA_EXTRACTABLE }]);
      let valueError = '';
      try {
        lib.C_GetAttributeValue(session, priv, [{ type: p11.CKA_VALUE }]);
      } catch (err) {
        valueError = (err as Error).message;
      }
      return { count: handles.length, params: params!.value!, point: point!.value!, sensitive: sensitive!.value![0], extractable: extractable!.value![0], valueError };
    });
    expect(attrs.count).toBe(2);
    expect(Buffer.from(attrs.params).toString('hex')).toBe('06032b6570');
    expect(Buffer.from(ED25519_EC_PARAMS).toString('hex')).toBe('06032b6570');
    expect(attrs.point.subarray(0, 2).toString('hex')).toBe('0420');
    expect(attrs.point).toHaveLength(34);
    expect(Buffer.from(ed25519PointBytes(attrs.point)).equals(attrs.point.subarray(2))).toBe(true);
    const key = track(openPkcs11Key(parsePkcs11Uri(formatPkcs11Uri({ token: token.label, object: 'backstop-cosigner' })), token.settings));
    expect(key.address).toBe(address);
    expect(Buffer.from(key.publicKeyBytes).equals(attrs.point.subarray(2))).toBe(true);
    // The private key stays in the token: sensitive, not extractable, its value refused.
    expect(attrs.sensitive).toBe(1);
    expect(attrs.extractable).toBe(0);
    expect(attrs.valueError).toBe('CKR_ATTRIBUTE_SENSITIVE');
  });

  it('a signature made through the token verifies against the multisig member\'s key (ed25519), and only for its message', async () => {
    const { token, uri, address } = tokenWithKey();
    const signer = track(loadCosignerKey(uri, address, { pkcs11: token.settings }));
    // The member key as the chain holds it: a multisig whose members are the HSM key and the curator.
    const ms = decodeMultisig(multisigAccount({ members: [{ key: address, mask: 6 }, { key: SANDBOX.curator, mask: 7 }] }));
    const member = ms.members.find((m) => m.key === address)!;
    const memberBytes = keyBytes(member.key);
    const message = new TextEncoder().encode('a Solana transaction message');
    const signature = await signer.signMessage(message);
    expect(signature).toHaveLength(64);
    expect(ed25519Verifies(memberBytes, message, signature)).toBe(true);
    const tampered = Uint8Array.from(message);
    tampered[0]! ^= 1;
    expect(ed25519Verifies(memberBytes, tampered, signature)).toBe(false);
    // Ed25519 is deterministic: the same message signs to the same bytes (the token really used this key).
    expect(Buffer.from(await signer.signMessage(message)).equals(Buffer.from(signature))).toBe(true);
    expect(ed25519Verifies(keyBytes(SANDBOX.curator), message, signature)).toBe(false);
    // Nothing secret in its printed forms: the URI (no PIN) and the address.
    for (const text of [JSON.stringify(signer), inspect(signer), String(signer)]) {
      expect(text).toContain(address);
      expect(text).not.toContain(token.pin);
    }
  });

  it('reconnects once when the token drops its sessions, and signs the same', async () => {
    const { token, uri, address } = tokenWithKey();
    const key = track(loadCosignerKey(uri, address, { pkcs11: token.settings }));
    const message = new TextEncoder().encode('before and after');
    const before = await key.signMessage(message);
    // Another handle on the same library in this process: C_CloseAllSessions ends backstop's session too.
    const lib = new p11.PKCS11();
    lib.load(token.settings.module);
    expect(() => lib.C_Initialize()).toThrow(/CKR_CRYPTOKI_ALREADY_INITIALIZED/);
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === token.label)!;
    lib.C_CloseAllSessions(slot);
    lib.close();
    const after = await key.signMessage(message);
    expect(Buffer.from(after).equals(Buffer.from(before))).toBe(true);
  });

  it('refuses, saying what to do: a wrong PIN, a PIN file others can read, an unknown token or label, a key of another policy, a bad module', () => {
    const { token, uri, address } = tokenWithKey();
    const open = (u = uri, settings = token.settings) => openPkcs11Key(parsePkcs11Uri(u), settings);
    const wrongPin = join(token.dir, 'wrong-pin');
    writeFileSync(wrongPin, '0000', { mode: 0o600 });
    expect(() => open(uri, { ...token.settings, pinFile: wrongPin })).toThrow(/CKR_PIN_INCORRECT; check the PIN in PKCS11_PIN_FILE/);
    chmodSync(token.settings.pinFile, 0o640);
    expect(() => open()).toThrow(/PKCS11_PIN_FILE .* is readable or writable by group or others \(mode 640\); run: chmod 600/);
    chmodSync(token.settings.pinFile, 0o600);
    expect(() => open('pkcs11:token=other;object=backstop-cosigner')).toThrow(/no token labelled "other" .*tokens present: "backstop"/);
    expect(() => open('pkcs11:token=backstop;object=nope')).toThrow(/no private key labelled "nope" in token "backstop"/);
    expect(() => open(uri, { ...token.settings, module: '/nonexistent/libpkcs11.so' })).toThrow(/cannot load the PKCS#11 library PKCS11_MODULE=\/nonexistent\/libpkcs11.so/);
    expect(() => loadCosignerKey(uri, SANDBOX.cosigner, { pkcs11: token.settings })).toThrow(CosignerKeyMismatch);
    expect(() => loadCosignerKey(uri, SANDBOX.cosigner, { pkcs11: token.settings })).toThrow(new RegExp(`the key at ${uri.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is ${address}`));
    expect(() => loadCosignerKey(uri, address)).toThrow(/COSIGNER_KEYPAIR is a pkcs11: URI; set PKCS11_MODULE and PKCS11_PIN_FILE/);
    // Every refusal released the library: the key still opens and signs.
    expect(track(open()).address).toBe(address);
  });

  it('refuses an exportable key and a label already in use', () => {
    const token = freshToken();
    rawSession(token, (lib, session) => {
      lib.C_GenerateKeyPair(session, { mechanism: 0x1055 }, [
        { type: p11.CKA_TOKEN, value: true }, { type: p11.CKA_VERIFY, value: true }, { type: p11.CKA_EC_PARAMS, value: Buffer.from('06032b6570', 'hex') }, { type: p11.CKA_LABEL, value: 'loose' },
      ], [
        { type: p11.CKA_TOKEN, value: true }, { type: p11.CKA_SIGN, value: true }, { type: p11.CKA_PRIVATE, value: true }, { type: p11.CKA_SENSITIVE, value: false }, { type: p11.CKA_EXTRACTABLE, value: true }, { type: p11.CKA_LABEL, value: 'loose' },
      ]);
    });
    expect(() => openPkcs11Key(parsePkcs11Uri('pkcs11:token=backstop;object=loose'), token.settings)).toThrow(/can be exported from the token .* generate a non-exportable key inside the token/);
    expect(() => generatePkcs11Key({ token: 'backstop', label: 'loose' }, token.settings)).toThrow(/already holds an object labelled "loose"; backstop never reuses or replaces a key/);
  });

  it('backstop start opens COSIGNER_KEYPAIR through the token and refuses a key the policies do not name (exit 2)', async () => {
    const { token, uri, address } = tokenWithKey();
    const dir = mkdtempSync(join(tmpdir(), 'backstop-p11-start-'));
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies', 'example.yaml'), examplePolicyText());
    const r = await backstop(['start'], {
      SOLANA_RPC_URL: 'http://127.0.0.1:9', TELEGRAM_BOT_TOKEN: '1:x', API_READ_TOKEN: 'r', POLICY_DIR: join(dir, 'policies'),
      COSIGNER_KEYPAIR: uri, AUDIT_KEYPAIR: uri, PKCS11_MODULE: token.settings.module, PKCS11_PIN_FILE: token.settings.pinFile, SOFTHSM2_CONF: token.conf,
      DATABASE_URL: join(dir, 'b.db'),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the key at ${uri} is ${address}, but the policies name the co-signer ${SANDBOX.cosigner}`);
    expect(r.stderr).not.toContain(token.pin);
  });
});

describe('co-signed end to end in the sandbox with the HSM key', () => {
  let harness: Harness | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    await harness?.close();
  });

  it('the policy names the HSM key, the multisig has it as member; the sent approval is signed by the token and verifies; the audit log is signed through the token', async () => {
    const token = freshToken();
    const cosignerKey = generatePkcs11Key({ token: token.label, label: 'backstop-cosigner' }, token.settings);
    const auditKeyRef = generatePkcs11Key({ token: token.label, label: 'backstop-audit' }, token.settings);
    const policy = hsmPolicy(cosignerKey.address);
    const signer: LoadedKey = track(loadCosignerKey(cosignerKey.uri, policy.policy.cosigner, { pkcs11: token.settings }));
    const auditKey: LoadedKey = track(loadAuditKey(auditKeyRef.uri, { pkcs11: token.settings }));

    harness = await startHarness();
    seedChain(harness, { multisig: multisigAccount({ transactionIndex: 2n, members: [{ key: cosignerKey.address, mask: 6 }, { key: SANDBOX.curator, mask: 7 }] }) });
    store = await openStore({ database: join(mkdtempSync(join(tmpdir(), 'backstop-p11-e2e-')), 'b.db'), auditKey });
    const chain = new ChainReader({ rpcUrl: harness.url, retries: 0, timeoutMs: 5000 });
    const log = new MemoryLog();
    const cosigner = new ChainCoSigner({ chain, store, signer, feePayer: FEE_PAYER, log, simulation: 'skip-recorded-mode', now: () => 1_000_000 });
    const s = store;
    const wf = new Workflow({ store, chain, policies: PolicyRegistry.of([policy]), notifier: cardNotifier(() => s), cosigner, log, clock: () => NOW });
    const world: World = { store, wf, cosigner, chain, log, policies: PolicyRegistry.of([policy]) };

    const rowId = await approvedProposal(world);
    await pollOnce(wf);
    expect((await store.getProposalByRowId(rowId))!.state).toBe('signing');
    const recorded = harness.recordedTransactions();
    expect(recorded).toHaveLength(1);
    const sent = decodeSent(recorded[0]!.bytes);
    expect(sent.signers).toEqual([FEE_PAYER.address, cosignerKey.address]);
    // Verified against the member key as the chain holds it, not against what the signer claims.
    const onChain = decodeMultisig(harness.getAccount(SANDBOX.multisig)!);
    const member = onChain.members.find((m) => m.key === cosignerKey.address);
    expect(member?.vote).toBe(true);
    const at = sent.keys.indexOf(cosignerKey.address);
    expect(ed25519Verifies(keyBytes(member!.key), sent.message, sent.signatures[at]!)).toBe(true);

    const entries = await store.auditEntries();
    expect(entries.length).toBeGreaterThan(3);
    expect(verifyAudit({ entries, publicKey: auditKey.publicKeyBytes })).toMatchObject({ ok: true, entries: entries.length });
    expect(verifyAudit({ entries, publicKey: signer.publicKeyBytes }).ok).toBe(false);
  });
});

describe('the audit key in the token, from the command line', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
  });

  it('loss record signs its audit entries through the token, and audit verify reads the audit public key from it', async () => {
    const token = freshToken();
    const { uri, address } = generatePkcs11Key({ token: token.label, label: 'backstop-audit' }, token.settings);
    harness = await startHarness();
    worldAccounts().forEach((a) => harness!.setAccount(a));
    const loss = sandboxLoss();
    harness.addTransaction(loss.transaction.signature, (loss.transaction.stored as { result: unknown }).result);
    const database = join(mkdtempSync(join(tmpdir(), 'backstop-p11-loss-')), 'b.db');
    const env = { AUDIT_KEYPAIR: uri, PKCS11_MODULE: token.settings.module, PKCS11_PIN_FILE: token.settings.pinFile, SOFTHSM2_CONF: token.conf };
    const recorded = await backstop(['loss', 'record', '--vault', SANDBOX.vault, '--reserve', SANDBOX.reserve, '--signature', loss.transaction.signature, '--vault-loss', SANDBOX_VAULT_LOSS.toString(), '--rpc', harness.url, '--database', database], env);
    expect(recorded.code, recorded.stderr).toBe(0);
    const verified = await backstop(['audit', 'verify', '--database', database], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^OK \d+ entries/);
    const store = await openStore({ database, mustExist: true });
    try {
      const entries = await store.auditEntries();
      expect(entries.length).toBeGreaterThan(0);
      expect(verifyAudit({ entries, publicKey: address }).ok).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);
});

/** policies/example.yaml with the co-signer replaced by `cosigner`. */
function hsmPolicy(cosigner: Address): LoadedPolicy {
  const text = examplePolicyText().replace(`cosigner: ${SANDBOX.cosigner}`, `cosigner: ${cosigner}`);
  expect(text).toContain(`cosigner: ${cosigner}`);
  const parsed = parsePolicyText(text, 'hsm.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { file: 'hsm.yaml', policy: parsed.policy, revision: parsed.revision };
}
