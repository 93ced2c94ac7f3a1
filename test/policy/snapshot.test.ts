import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/engine.ts';
import { buildSnapshot, parseSnapshot, SnapshotError } from '../../src/policy/snapshot.ts';
import { examplePolicy, PENDING_AMOUNT, SCENARIO_NOW, scenarioFacts, type ScenarioOptions } from '../../src/sandbox/fixtures/scenario.ts';
import { withdrawalInstructions } from '../../src/sandbox/fixtures/squads.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'backstop-snapshot-'));

async function roundTrip(o: ScenarioOptions) {
  const facts = scenarioFacts(o);
  const policy = examplePolicy();
  const original = decide(facts, policy, SCENARIO_NOW).decision;
  const json = JSON.parse(JSON.stringify(buildSnapshot({ facts, policy, now: SCENARIO_NOW })));
  const loaded = await parseSnapshot(json, dir);
  return { original, replayed: decide(loaded.facts, loaded.policy, loaded.now).decision, json };
}

describe('snapshot capture and replay', () => {
  it('replays an allowed decision to the same id', async () => {
    const { original, replayed } = await roundTrip({});
    expect(original.allowed).toBe(true);
    expect(replayed).toEqual(original);
  });

  it('replays a denied decision, including unavailable accounts and missing ones', async () => {
    const { original, replayed, json } = await roundTrip({ unavailable: [SANDBOX.reserve], remove: [SANDBOX.escrow] });
    expect(original.allowed).toBe(false);
    expect(json.unavailable).toEqual([{ pubkey: SANDBOX.reserve, error: 'injected: could not read' }]);
    expect(json.accounts.some((a: { pubkey: string }) => a.pubkey === SANDBOX.escrow)).toBe(false);
    expect(replayed.id).toBe(original.id);
  });

  it('replays ledger rows and a bound loss event', async () => {
    const ledger = [{ lossEventId: 'le-sandbox-1', proposal: `${SANDBOX.multisig}:9`, amount: 9_000_000_000n, state: 'reserved' as const, at: new Date('2026-11-29T10:00:00Z') }];
    const { original, replayed } = await roundTrip({ ledger, lossEventId: 'le-sandbox-1' });
    expect(original.allowed).toBe(false);
    expect(replayed.id).toBe(original.id);
  });

  it('refuses duplicate pubkeys, bad base64 and a wrong shape', async () => {
    const { json } = await roundTrip({});
    const dup = structuredClone(json);
    dup.accounts.push(dup.accounts[0]);
    await expect(parseSnapshot(dup, dir)).rejects.toThrow(/listed twice/);
    const bad = structuredClone(json);
    bad.accounts[0].account.data[0] = 'not base64!';
    await expect(parseSnapshot(bad, dir)).rejects.toThrow(SnapshotError);
    await expect(parseSnapshot({ ...json, version: 2 }, dir)).rejects.toThrow(/shape/);
  });

  it('reads the policy from a path relative to the snapshot', async () => {
    const { json, original } = await roundTrip({});
    const loaded = await parseSnapshot({ ...json, policy: '../../../policies/example.yaml' }, join(process.cwd(), 'test', 'policy', 'x'));
    expect(decide(loaded.facts, loaded.policy, loaded.now).decision.id).toBe(original.id);
  });
});

describe('backstop evaluate', () => {
  const write = async (o: ScenarioOptions, name: string) => {
    const { json } = await roundTrip(o);
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(json));
    return file;
  };
  const cli = (args: string[]) =>
    run('node', ['bin/backstop.js', ...args]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('exits 0 for an allowed snapshot, 1 for a denied one, 2 for an unreadable one', async () => {
    const allowed = await write({}, 'allowed.json');
    const denied = await write({ instructions: withdrawalInstructions({ amount: PENDING_AMOUNT, destination: SANDBOX.outsiderSharesAta }) }, 'denied.json');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"version": 1');
    const [a, d, b] = await Promise.all([cli(['evaluate', '--snapshot', allowed, '--json']), cli(['evaluate', '--snapshot', denied]), cli(['evaluate', '--snapshot', broken])]);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).allowed).toBe(true);
    expect(d.code).toBe(1);
    expect(d.stdout).toMatch(/DENIED/);
    expect(d.stdout).toMatch(/❌ destination-escrow/);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/not JSON/);
  });
});
