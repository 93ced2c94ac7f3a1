import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBase58Decoder } from '@solana/kit';
import { parseDocument, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalize, sha256Hex } from '../../src/policy/jcs.ts';
import {
  addressesFoundIn,
  loadPolicyDir,
  loadPolicyFile,
  parsePolicyText,
  policyForMultisig,
  policyForVault,
  PolicyReadError,
} from '../../src/policy/load.ts';
import { policyRevision } from '../../src/policy/revision.ts';
import { validatePolicy } from '../../src/policy/schema.ts';
import { SANDBOX, SANDBOX_ADDRESSES, SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import { EXAMPLE_PATH, EXAMPLE_TEXT, editExample, freshPolicyText, parsedOk, problemsOf, randomAddress } from './policy-file-fixtures.ts';

describe('policies/example.yaml', () => {
  it('parses, and names the sandbox world', () => {
    const { policy } = parsedOk(EXAMPLE_TEXT);
    expect(policy.name).toBe('Sandbox USDC vault');
    expect(policy.vault).toBe(SANDBOX.vault);
    expect(policy.insurancePool).toEqual({
      farm: SANDBOX.farm,
      multisig: SANDBOX.multisig,
      vaultIndex: SANDBOX.vaultIndex,
      curatorMember: SANDBOX.curator,
      timeLock: 0,
      farmAdmins: [],
      allowFullDrain: false,
    });
    expect(policy.cosigner).toBe(SANDBOX.cosigner);
    expect(policy.curators).toEqual({ required: 1, members: [{ name: 'alice', telegramId: 1001, wallet: SANDBOX.curatorWallet }] });
    expect(policy.council.quorum).toBe(2);
    expect(policy.council.members.map((m) => m.telegramId)).toEqual([...SANDBOX_TELEGRAM.council]);
    expect(policy.curators.members.map((m) => m.telegramId)).toEqual([...SANDBOX_TELEGRAM.curators]);
    expect(policy.escrows).toEqual([
      { name: 'distributor-1', address: SANDBOX.escrow, authority: SANDBOX.escrowAuthority, mint: SANDBOX.sharesMint, walletAuthority: false },
    ]);
    expect(policy.limits).toEqual({ maxPerProposal: '250000', maxPerWindow: '500000', window: 7 * 86400 });
    expect(policy.approvals).toEqual({ ttl: 86400, remindEvery: 7200 });
    expect(policy.telegram.chatId).toBe(SANDBOX_TELEGRAM.chatId);
    expect(policy.webhookSources).toEqual([{ id: 'sandbox', publicKey: SANDBOX.webhookSource, may: ['loss-events', 'proposals'] }]);
  });

  it('loads from its file with its revision', async () => {
    const r = await loadPolicyFile(EXAMPLE_PATH);
    expect(r.ok && r.revision).toMatch(/^[0-9a-f]{64}$/);
    expect(r.file).toBe(EXAMPLE_PATH);
  });
});

describe('revision', () => {
  const base = parsedOk(EXAMPLE_TEXT);

  it('is sha256 of the JCS of the parsed policy', () => {
    expect(base.revision).toBe(sha256Hex(canonicalize(base.policy)));
    expect(policyRevision(base.policy)).toBe(base.revision);
  });

  it('does not change with comments, key order, quoting or layout', () => {
    const plain = stringify(parseDocument(EXAMPLE_TEXT).toJS()); // no comments, block style
    expect(plain).not.toContain('#');
    expect(parsedOk(plain).revision).toBe(base.revision);
    const js = parseDocument(EXAMPLE_TEXT).toJS() as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(js).reverse());
    expect(parsedOk(JSON.stringify(reversed)).revision).toBe(base.revision); // JSON is YAML, flow style
    expect(parsedOk(EXAMPLE_TEXT.replace('name: Sandbox USDC vault', "name: 'Sandbox USDC vault'")).revision).toBe(base.revision);
  });

  it('does not change when defaults are written out or left implicit, or a duration is written in other units', () => {
    const implicit = editExample((d) => {
      for (const p of [['approvals'], ['execution'], ['allowLookupTables'], ['insurancePool', 'farmAdmins'], ['insurancePool', 'allowFullDrain'], ['escrows', 0, 'walletAuthority']]) d.deleteIn(p);
    });
    expect(implicit).not.toContain('remindEvery');
    expect(parsedOk(implicit).revision).toBe(base.revision);
    expect(parsedOk(editExample((d) => d.setIn(['limits', 'window'], '168h'))).revision).toBe(base.revision);
  });

  it.each<[string, (string | number)[], unknown]>([
    ['name', ['name'], 'Another name'],
    ['vault', ['vault'], randomAddress()],
    ['vaultIndex', ['insurancePool', 'vaultIndex'], 1],
    ['timeLock', ['insurancePool', 'timeLock'], 60],
    ['allowFullDrain', ['insurancePool', 'allowFullDrain'], true],
    ['a curator wallet', ['curators', 'members', 0, 'wallet'], randomAddress()],
    ['the quorum', ['council', 'quorum'], 3],
    ['a council member name', ['council', 'members', 2, 'name'], 'erin'],
    ['an escrow authority', ['escrows', 0, 'authority'], randomAddress()],
    ['a limit written with decimals', ['limits', 'maxPerProposal'], '250000.0'],
    ['the window', ['limits', 'window'], '6d'],
    ['ttl', ['approvals', 'ttl'], '23h'],
    ['execution.rejectOnChain', ['execution', 'rejectOnChain'], false],
    ['allowLookupTables', ['allowLookupTables'], true],
    ['the chat', ['telegram', 'chatId'], -1002],
    ['a webhook action list', ['webhookSources', 0, 'may'], ['proposals']],
  ])('changes when %s changes', (_what, path, value) => {
    const changed = parsedOk(editExample((d) => d.setIn(path, value)));
    expect(changed.revision).not.toBe(base.revision);
  });

  it('changes when the optional curator wallet is removed', () => {
    expect(parsedOk(editExample((d) => d.deleteIn(['curators', 'members', 0, 'wallet']))).revision).not.toBe(base.revision);
  });
});

describe('defaults (docs/policy.md)', () => {
  const minimal = editExample((d) => {
    for (const p of [
      ['approvals'],
      ['execution'],
      ['allowLookupTables'],
      ['webhookSources'],
      ['insurancePool', 'farmAdmins'],
      ['insurancePool', 'allowFullDrain'],
      ['escrows', 0, 'walletAuthority'],
      ['curators', 'members', 0, 'wallet'],
    ])
      d.deleteIn(p);
  });

  it('fills every optional key exactly', () => {
    const { policy } = parsedOk(minimal);
    expect(policy.insurancePool.farmAdmins).toEqual([]);
    expect(policy.insurancePool.allowFullDrain).toBe(false);
    expect(policy.curators.members[0]).toEqual({ name: 'alice', telegramId: 1001 });
    expect('wallet' in policy.curators.members[0]!).toBe(false);
    expect(policy.escrows[0]!.walletAuthority).toBe(false);
    expect(policy.execution).toEqual({ execute: true, rejectOnChain: true });
    expect(policy.allowLookupTables).toBe(false);
    expect(policy.approvals).toEqual({ ttl: 24 * 3600, remindEvery: 2 * 3600 });
    expect(policy.webhookSources).toEqual([]);
  });

  it('defaults each sub-key of execution and approvals on its own', () => {
    const { policy } = parsedOk(
      editExample((d) => {
        d.setIn(['execution'], { execute: false });
        d.setIn(['approvals'], { ttl: '1h' });
      }, minimal),
    );
    expect(policy.execution).toEqual({ execute: false, rejectOnChain: true });
    expect(policy.approvals).toEqual({ ttl: 3600, remindEvery: 7200 });
  });

  it.each([
    'version',
    'name',
    'vault',
    'insurancePool',
    'insurancePool.farm',
    'insurancePool.multisig',
    'insurancePool.vaultIndex',
    'insurancePool.curatorMember',
    'insurancePool.timeLock',
    'cosigner',
    'curators',
    'curators.required',
    'curators.members',
    'curators.members[0].name',
    'curators.members[0].telegramId',
    'council',
    'council.quorum',
    'council.members',
    'council.members[1].telegramId',
    'escrows',
    'escrows[0].name',
    'escrows[0].address',
    'escrows[0].authority',
    'escrows[0].mint',
    'limits',
    'limits.maxPerProposal',
    'limits.maxPerWindow',
    'limits.window',
    'telegram',
    'telegram.chatId',
    'webhookSources[0].id',
    'webhookSources[0].publicKey',
    'webhookSources[0].may',
  ])('requires %s', (path) => {
    const segments = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const problems = problemsOf(editExample((d) => d.deleteIn(segments)));
    expect(problems).toContainEqual({ path, message: 'required' });
  });
});

describe('schema errors, each with its path', () => {
  const single = (text: string) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    return problems[0]!;
  };

  it('an unknown key', () => {
    expect(single(editExample((d) => d.setIn(['insurancePool', 'farmAdmin'], [])))).toEqual({
      path: 'insurancePool.farmAdmin',
      message: 'unknown key (not part of the policy format; check its spelling)',
    });
    expect(single(editExample((d) => d.setIn(['escrows', 0, 'owner'], SANDBOX.escrowAuthority))).path).toBe('escrows[0].owner');
    expect(single(`${EXAMPLE_TEXT}\nnotes: hello\n`).path).toBe('notes');
  });

  it('a duplicate key, with its line', () => {
    const text = EXAMPLE_TEXT.replace('  timeLock: 0 ', '  timeLock: 0\n  timeLock: 60 ');
    const lineNo = text.split('\n').findIndex((l) => l.startsWith('  timeLock: 60')) + 1;
    expect(single(text)).toEqual({ path: 'insurancePool.timeLock', message: `duplicate key (again at line ${lineNo}); each key may appear once` });
    expect(single(`${EXAMPLE_TEXT}\ncosigner: ${SANDBOX.cosigner}\n`).path).toBe('cosigner');
  });

  it('a YAML syntax error, with its line', () => {
    const text = EXAMPLE_TEXT.replace('    - { name: bob, telegramId: 2001 }', '    - { name: bob, telegramId: 2001');
    const problems = problemsOf(text);
    expect(problems[0]!.path).toMatch(/^line \d+, column \d+$/);
    expect(problems[0]!.message).toMatch(/^YAML: /);
  });

  it('an empty file', () => {
    expect(single('# nothing here\n')).toEqual({ path: '(root)', message: 'test.yaml is empty; expected a policy (see policies/example.yaml)' });
  });

  it('a key that is not base58', () => {
    const bad = `${SANDBOX.vault.slice(0, -1)}0`;
    expect(single(editExample((d) => d.setIn(['vault'], bad)))).toEqual({ path: 'vault', message: 'not base58: "0" is not a base58 character' });
  });

  it('a key of the wrong length', () => {
    const short = getBase58Decoder().decode(new Uint8Array(31).fill(7));
    expect(single(editExample((d) => d.setIn(['escrows', 0, 'mint'], short)))).toEqual({
      path: 'escrows[0].mint',
      message: 'must be a 32-byte public key; this decodes to 31 bytes',
    });
    const long = getBase58Decoder().decode(new Uint8Array(64).fill(9));
    expect(single(editExample((d) => d.setIn(['webhookSources', 0, 'publicKey'], long))).path).toBe('webhookSources[0].publicKey');
    expect(single(editExample((d) => d.setIn(['insurancePool', 'farmAdmins'], [SANDBOX.vaultPda, 'abc']))).path).toBe('insurancePool.farmAdmins[1]');
  });

  it('a quorum above the number of members', () => {
    expect(single(editExample((d) => d.setIn(['council', 'quorum'], 4)))).toEqual({ path: 'council.quorum', message: 'must be ≤ the number of members (3)' });
    expect(parsedOk(editExample((d) => d.setIn(['council', 'quorum'], 3))).policy.council.quorum).toBe(3);
  });

  it('a quorum of 0', () => {
    expect(single(editExample((d) => d.setIn(['council', 'quorum'], 0)))).toEqual({ path: 'council.quorum', message: 'must be ≥ 1' });
  });

  it('required 0, and required above the number of curators', () => {
    expect(single(editExample((d) => d.setIn(['curators', 'required'], 0)))).toEqual({ path: 'curators.required', message: 'must be ≥ 1' });
    expect(single(editExample((d) => d.setIn(['curators', 'required'], 2)))).toEqual({ path: 'curators.required', message: 'must be ≤ the number of members (1)' });
  });

  it('a limit written as a YAML number', () => {
    const text = EXAMPLE_TEXT.replace('maxPerProposal: "250000"', 'maxPerProposal: 250000');
    expect(single(text)).toEqual({ path: 'limits.maxPerProposal', message: 'write it as a quoted string, e.g. "250000" (a YAML number loses precision)' });
    expect(single(EXAMPLE_TEXT.replace('maxPerWindow: "500000"', 'maxPerWindow: 500000.5')).path).toBe('limits.maxPerWindow');
  });

  it.each(['1e6', '-1', '1,000', '01', '1.', '.5', ' 1', ''])('a limit that is not a plain decimal: %j', (v) => {
    expect(single(editExample((d) => d.setIn(['limits', 'maxPerWindow'], v))).path).toBe('limits.maxPerWindow');
  });

  it('accepts limits with more decimals than any token (the limits rule judges them)', () => {
    expect(parsedOk(editExample((d) => d.setIn(['limits', 'maxPerProposal'], '0.000000000000000000001'))).policy.limits.maxPerProposal).toBe('0.000000000000000000001');
  });

  it.each<[(string | number)[], unknown]>([
    [['limits', 'window'], '7 days'],
    [['limits', 'window'], '0d'],
    [['limits', 'window'], '1w'],
    [['limits', 'window'], 604800],
    [['approvals', 'ttl'], '24H'],
    [['approvals', 'remindEvery'], '-2h'],
  ])('a bad duration at %j: %j', (path, value) => {
    expect(single(editExample((d) => d.setIn(path, value))).path).toBe(path.join('.'));
  });

  it('a time lock above 7776000', () => {
    expect(single(editExample((d) => d.setIn(['insurancePool', 'timeLock'], 7_776_001)))).toEqual({
      path: 'insurancePool.timeLock',
      message: 'must be between 0 and 7776000',
    });
    expect(parsedOk(editExample((d) => d.setIn(['insurancePool', 'timeLock'], 7_776_000))).policy.insurancePool.timeLock).toBe(7_776_000);
  });

  it('vault index 256', () => {
    expect(single(editExample((d) => d.setIn(['insurancePool', 'vaultIndex'], 256)))).toEqual({ path: 'insurancePool.vaultIndex', message: 'must be between 0 and 255' });
    expect(single(editExample((d) => d.setIn(['insurancePool', 'vaultIndex'], 1.5))).path).toBe('insurancePool.vaultIndex');
    expect(parsedOk(editExample((d) => d.setIn(['insurancePool', 'vaultIndex'], 255))).policy.insurancePool.vaultIndex).toBe(255);
  });

  it('empty escrows', () => {
    expect(single(editExample((d) => d.setIn(['escrows'], [])))).toEqual({ path: 'escrows', message: 'must list at least one compensation escrow' });
  });

  it('a bad `may`', () => {
    expect(single(editExample((d) => d.setIn(['webhookSources', 0, 'may'], ['proposals', 'withdraw'])))).toEqual({
      path: 'webhookSources[0].may[1]',
      message: 'must be one of loss-events, proposals, found string "withdraw"',
    });
    expect(single(editExample((d) => d.setIn(['webhookSources', 0, 'may'], []))).path).toBe('webhookSources[0].may');
    expect(single(editExample((d) => d.setIn(['webhookSources', 0, 'may'], ['proposals', 'proposals'])))).toEqual({
      path: 'webhookSources[0].may[1]',
      message: 'proposals is listed twice',
    });
  });

  it('version other than 1, an empty name, a non-integer Telegram id, a source id with spaces', () => {
    expect(single(editExample((d) => d.setIn(['version'], 2))).path).toBe('version');
    expect(single(editExample((d) => d.setIn(['council', 'members', 1, 'name'], ' '))).path).toBe('council.members[1].name');
    expect(single(editExample((d) => d.setIn(['curators', 'members', 0, 'telegramId'], 1001.5))).path).toBe('curators.members[0].telegramId');
    expect(single(editExample((d) => d.setIn(['curators', 'members', 0, 'telegramId'], '1001'))).path).toBe('curators.members[0].telegramId');
    expect(single(editExample((d) => d.setIn(['webhookSources', 0, 'id'], 'kamino risk'))).path).toBe('webhookSources[0].id');
  });
});

describe('in-file checks', () => {
  it('a Telegram id in two roles', () => {
    expect(problemsOf(editExample((d) => d.setIn(['council', 'members', 0, 'telegramId'], 1001)))).toEqual([
      { path: 'council.members[0].telegramId', message: 'Telegram id 1001 is also curators.members[0].telegramId; a person may hold one seat in one role' },
    ]);
  });

  it('a Telegram id twice in one role', () => {
    expect(problemsOf(editExample((d) => d.setIn(['council', 'members', 2, 'telegramId'], 2001)))).toEqual([
      { path: 'council.members[2].telegramId', message: 'Telegram id 2001 is also council.members[0].telegramId; a person may hold one seat in one role' },
    ]);
  });

  it('the co-signer equal to curatorMember', () => {
    expect(problemsOf(editExample((d) => d.setIn(['cosigner'], SANDBOX.curator)))).toEqual([
      { path: 'cosigner', message: 'must differ from insurancePool.curatorMember: the 2-of-2 needs two different keys' },
    ]);
  });

  it('duplicate escrow addresses and names', () => {
    const second = { name: 'distributor-2', address: SANDBOX.escrow, authority: SANDBOX.escrowAuthority, mint: SANDBOX.sharesMint };
    expect(problemsOf(editExample((d) => d.addIn(['escrows'], second)))).toEqual([
      { path: 'escrows[1].address', message: `escrow address ${SANDBOX.escrow} is also escrows[0].address` },
    ]);
    expect(problemsOf(editExample((d) => d.addIn(['escrows'], { ...second, name: 'distributor-1', address: randomAddress() })))).toEqual([
      { path: 'escrows[1].name', message: 'escrow name distributor-1 is also escrows[0].name' },
    ]);
  });

  it('duplicate webhook source ids', () => {
    expect(problemsOf(editExample((d) => d.addIn(['webhookSources'], { id: 'sandbox', publicKey: randomAddress(), may: ['proposals'] })))).toEqual([
      { path: 'webhookSources[1].id', message: 'webhook source id sandbox is also webhookSources[0].id' },
    ]);
  });

  it('reports schema and in-file problems of one file together', () => {
    const problems = problemsOf(
      editExample((d) => {
        d.setIn(['cosigner'], SANDBOX.curator);
        d.setIn(['insurancePool', 'vaultIndex'], 256);
        d.setIn(['council', 'quorum'], 9);
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(['cosigner', 'council.quorum', 'insurancePool.vaultIndex']);
  });

  it('validatePolicy gives the same answer for an inline (snapshot) policy', () => {
    const raw = parseDocument(EXAMPLE_TEXT).toJS();
    const r = validatePolicy(raw);
    expect(r.ok && policyRevision(r.policy)).toBe(parsedOk(EXAMPLE_TEXT).revision);
    expect(validatePolicy(null)).toEqual({ ok: false, problems: [{ path: '(root)', message: 'must be a mapping, found null' }] });
  });
});

describe('policy directory (cross-file checks)', () => {
  let dir: string | undefined;
  const makeDir = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), 'backstop-policies-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads every *.yaml and *.yml file, sorted, and nothing else', async () => {
    const other = freshPolicyText().replace('id: sandbox', 'id: other');
    const d = makeDir({ 'b.yml': other, 'a.yaml': EXAMPLE_TEXT, 'notes.txt': 'x', '.hidden.yaml': 'x: [' });
    const r = await loadPolicyDir(d);
    expect(r.files.map((f) => f.file)).toEqual([join(d, 'a.yaml'), join(d, 'b.yml')]);
    expect(r.ok).toBe(true);
    expect(r.crossFileProblems).toEqual([]);
    expect(r.policies).toHaveLength(2);
  });

  it.each([
    ['vault', 'vault', SANDBOX.vault],
    ['farm', 'insurancePool.farm', SANDBOX.farm],
    ['multisig', 'insurancePool.multisig', SANDBOX.multisig],
  ])('two files with the same %s', async (what, path, value) => {
    // A fresh policy that shares only the one address (and renames the webhook source).
    const other = freshPolicyText().replace('id: sandbox', 'id: other');
    const shared = parseDocument(other);
    shared.setIn(path.split('.'), value);
    const d = makeDir({ 'a.yaml': EXAMPLE_TEXT, 'b.yaml': String(shared) });
    const r = await loadPolicyDir(d);
    expect(r.ok).toBe(false);
    expect(r.files.every((f) => f.ok)).toBe(true);
    expect(r.crossFileProblems).toEqual([
      { file: join(d, 'b.yaml'), path, message: `${what} ${value} is also the ${what} of ${join(d, 'a.yaml')}; each ${what} belongs to one policy` },
    ]);
  });

  it('a webhook source id with different public keys across files', async () => {
    const other = freshPolicyText(); // keeps id "sandbox" but with a fresh key
    const otherKey = (parseDocument(other).getIn(['webhookSources', 0, 'publicKey']) as string);
    const d = makeDir({ 'a.yaml': EXAMPLE_TEXT, 'b.yaml': other });
    const r = await loadPolicyDir(d);
    expect(otherKey).not.toBe(SANDBOX.webhookSource);
    expect(r.crossFileProblems).toEqual([
      {
        file: join(d, 'b.yaml'),
        path: 'webhookSources[0].publicKey',
        message: `webhook source "sandbox" has public key ${SANDBOX.webhookSource} in ${join(d, 'a.yaml')}; a source id has one key in every file`,
      },
    ]);
  });

  it('the same webhook source id with the same key in two files is fine', async () => {
    const other = editExample((doc) => doc.setIn(['webhookSources', 0, 'publicKey'], SANDBOX.webhookSource), freshPolicyText());
    const r = await loadPolicyDir(makeDir({ 'a.yaml': EXAMPLE_TEXT, 'b.yaml': other }));
    expect(r.ok).toBe(true);
  });

  it('keeps each file its own result when one is invalid', async () => {
    const d = makeDir({ 'a.yaml': EXAMPLE_TEXT, 'z.yaml': 'version: 2\n' });
    const r = await loadPolicyDir(d);
    expect(r.ok).toBe(false);
    expect(r.files[0]!.ok).toBe(true);
    expect(r.files[1]!.ok).toBe(false);
    expect(r.policies.map((p) => p.file)).toEqual([join(d, 'a.yaml')]);
  });

  it('a missing directory or file is a read error, not a problem', async () => {
    await expect(loadPolicyDir('/nonexistent/backstop-policies')).rejects.toBeInstanceOf(PolicyReadError);
    await expect(loadPolicyFile('/nonexistent/policy.yaml')).rejects.toThrow(/cannot read .*: no such file or directory/);
  });
});

describe('lookups', () => {
  it('finds the policy of a multisig and of a vault', async () => {
    const a = { file: 'a', ...parsedOk(EXAMPLE_TEXT) };
    const b = { file: 'b', ...parsedOk(freshPolicyText()) };
    expect(policyForMultisig([a, b], SANDBOX.multisig)).toBe(a);
    expect(policyForMultisig([a, b], b.policy.insurancePool.multisig)).toBe(b);
    expect(policyForMultisig([a, b], SANDBOX.vault)).toBeUndefined();
    expect(policyForVault([a.policy, b.policy], SANDBOX.vault)).toBe(a.policy);
    expect(policyForVault([a, b], randomAddress())).toBeUndefined();
  });
});

describe('sandbox keys (docs/configuration.md)', () => {
  it('lists every sandbox address of the example', () => {
    const found = addressesFoundIn(parsedOk(EXAMPLE_TEXT).policy, SANDBOX_ADDRESSES);
    expect(found).toEqual([
      `vault: ${SANDBOX.vault}`,
      `insurancePool.farm: ${SANDBOX.farm}`,
      `insurancePool.multisig: ${SANDBOX.multisig}`,
      `insurancePool.curatorMember: ${SANDBOX.curator}`,
      `cosigner: ${SANDBOX.cosigner}`,
      `curators.members[0].wallet: ${SANDBOX.curatorWallet}`,
      `escrows[0].address: ${SANDBOX.escrow}`,
      `escrows[0].authority: ${SANDBOX.escrowAuthority}`,
      `escrows[0].mint: ${SANDBOX.sharesMint}`,
      `webhookSources[0].publicKey: ${SANDBOX.webhookSource}`,
    ]);
  });

  it('finds one sandbox key hidden among fresh ones, and none in a fresh policy', () => {
    const fresh = freshPolicyText();
    expect(addressesFoundIn(parsedOk(fresh).policy, SANDBOX_ADDRESSES)).toEqual([]);
    const withAdmin = editExample((d) => d.setIn(['insurancePool', 'farmAdmins'], [SANDBOX.vaultAdmin]), fresh);
    expect(addressesFoundIn(parsedOk(withAdmin).policy, SANDBOX_ADDRESSES)).toEqual([`insurancePool.farmAdmins[0]: ${SANDBOX.vaultAdmin}`]);
  });
});

describe('parsePolicyText', () => {
  it('returns problems, never throws, on any text', () => {
    for (const text of ['', '[]', '42', 'a: *nope', '---\na: 1\n---\nb: 2\n', '\t- x', 'a: &x [*x]']) {
      expect(parsePolicyText(text, 'x.yaml').ok).toBe(false);
    }
    expect(parsePolicyText(`${EXAMPLE_TEXT}\nextra: *nope\n`, 'x.yaml')).toEqual({
      ok: false,
      problems: [{ path: '(yaml)', message: 'YAML: Unresolved alias (the anchor must be set before the alias): nope' }],
    });
  });
});
