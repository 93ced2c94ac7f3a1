/**
 * `backstop programs fetch` against a harness serving upgradeable-loader Program and ProgramData
 * accounts built here (made-up bytes): each `<program id>.so` is exactly the ProgramData after its
 * 45-byte header, as `solana program dump` writes it; sha256 and deploy slot are printed; a program
 * the upgradeable loader does not own is refused and nothing is written; only reads reach the RPC.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address, type Address } from '@solana/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProgramDump, programDataAddressOf, PROGRAM_DATA_HEADER_SIZE, ProgramDumpRefused, UPGRADEABLE_LOADER } from '../../src/chain/program-dump.ts';
import { PROGRAMS } from '../../src/chain/programs.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import { upgradeableProgramAccounts } from '../../src/sandbox/fixtures/program.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { backstop } from '../support/cli.ts';

let harness: Harness;
const elves = new Map<Address, Uint8Array>();
const slots = new Map<Address, bigint>([
  [PROGRAMS.squads, 301_000_001n],
  [PROGRAMS.farms, 302_000_002n],
  [PROGRAMS.klend, 303_000_003n],
  [PROGRAMS.kvault, 304_000_004n],
]);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const LOADER_V2 = address('BPFLoader2111111111111111111111111111111111');
const READS = new Set(['getAccountInfo', 'getMultipleAccounts']);

function serve(h: Harness, id: Address, o: { trailing?: number; authority?: Address | null } = {}) {
  const elf = new Uint8Array(randomBytes(3000 + elves.size * 17));
  elves.set(id, elf);
  for (const a of upgradeableProgramAccounts({ programId: id, elf, slot: slots.get(id)!, upgradeAuthority: o.authority === undefined ? SANDBOX.curator : o.authority, ...(o.trailing ? { trailing: o.trailing } : {}) })) {
    h.setAccount(a);
  }
}

beforeAll(async () => {
  harness = await startHarness();
  serve(harness, PROGRAMS.squads);
  serve(harness, PROGRAMS.farms, { trailing: 512, authority: null }); // an extended account, no upgrade authority
  serve(harness, PROGRAMS.klend);
  serve(harness, PROGRAMS.kvault);
});
afterAll(async () => harness?.close());

describe('backstop programs fetch', () => {
  it('writes <program id>.so exactly as solana program dump does, and prints sha256 and deploy slot', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'backstop-dumps-')), 'programs');
    const before = new Map(harness.requestCount);
    const r = await backstop(['programs', 'fetch', '--rpc', harness.url, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([PROGRAMS.squads, PROGRAMS.farms, PROGRAMS.klend].map((id) => `${id}.so`).sort());
    for (const id of [PROGRAMS.squads, PROGRAMS.farms, PROGRAMS.klend]) {
      const written = new Uint8Array(readFileSync(join(out, `${id}.so`)));
      const programData = harness.getAccount(programDataAddressOf(id))!.data;
      expect(written).toEqual(programData.subarray(PROGRAM_DATA_HEADER_SIZE)); // the CLI's dump: header stripped, the rest kept
      expect(r.stdout).toContain(`${join(out, `${id}.so`)}`);
      expect(r.stdout).toMatch(new RegExp(`${id}\\.so\\s+\\S+\\s+sha256 ${sha(written)}\\s+deployed at slot ${slots.get(id)}`));
    }
    // The farms account was extended: its trailing zeros are part of the dump, like the CLI's.
    const farms = new Uint8Array(readFileSync(join(out, `${PROGRAMS.farms}.so`)));
    expect(farms.length).toBe(elves.get(PROGRAMS.farms)!.length + 512);
    expect(farms.subarray(0, elves.get(PROGRAMS.farms)!.length)).toEqual(elves.get(PROGRAMS.farms));
    expect(r.stdout).not.toContain(PROGRAMS.kvault);
    for (const [method, n] of harness.requestCount) if (n !== (before.get(method) ?? 0)) expect(READS.has(method), `${method} is not a read`).toBe(true);
  });

  it('fetches kvault too with --kvault', async () => {
    const out = mkdtempSync(join(tmpdir(), 'backstop-dumps-'));
    const r = await backstop(['programs', 'fetch', '--rpc', harness.url, '--out', out, '--kvault']);
    expect(r.code).toBe(0);
    expect(new Uint8Array(readFileSync(join(out, `${PROGRAMS.kvault}.so`)))).toEqual(elves.get(PROGRAMS.kvault));
    expect(r.stdout).toMatch(new RegExp(`kvault\\s+sha256 ${sha(elves.get(PROGRAMS.kvault)!)}\\s+deployed at slot 304000004`));
  });

  it('refuses a program the upgradeable loader does not own, and writes nothing', async () => {
    const other = await startHarness();
    try {
      serve(other, PROGRAMS.squads);
      serve(other, PROGRAMS.farms);
      // klend as a loader-v2 program (the Memo binary LiteSVM ships, so LiteSVM accepts it): backstop refuses it.
      const memo = other.getAccount(PROGRAMS.memo)!;
      expect(memo.owner).toBe(LOADER_V2);
      other.setAccount({ ...memo, address: PROGRAMS.klend });
      const out = join(mkdtempSync(join(tmpdir(), 'backstop-dumps-')), 'programs');
      const r = await backstop(['programs', 'fetch', '--rpc', other.url, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`program ${PROGRAMS.klend}: program account ${PROGRAMS.klend} is owned by ${LOADER_V2}`);
      expect(r.stderr).toContain(`not the upgradeable loader ${UPGRADEABLE_LOADER}`);
      expect(r.stderr).toContain('nothing was written');
      expect(existsSync(out)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('refuses an absent program, a non-Program loader account, a ProgramData elsewhere, and an unreachable RPC', async () => {
    const other = await startHarness();
    const reader = new ChainReader({ rpcUrl: other.url, retries: 0 });
    try {
      await expect(readProgramDump(reader, PROGRAMS.squads)).rejects.toThrow(new ProgramDumpRefused(PROGRAMS.squads, `no program account at ${PROGRAMS.squads}`).message);
      // A ProgramData account where the Program account should be.
      const [, programData] = upgradeableProgramAccounts({ programId: PROGRAMS.farms, elf: new Uint8Array([1, 2, 3]) });
      other.setAccount({ ...programData, address: PROGRAMS.farms });
      await expect(readProgramDump(reader, PROGRAMS.farms)).rejects.toThrow(/upgradeable-loader ProgramData account, not a Program/);
      // A Program account naming some other ProgramData than the loader's PDA.
      const [program] = upgradeableProgramAccounts({ programId: SANDBOX.curator, elf: new Uint8Array([1]) });
      other.setAccount({ ...program, address: PROGRAMS.klend, executable: false });
      await expect(readProgramDump(reader, PROGRAMS.klend)).rejects.toThrow(/not the loader's address/);
      // Not executable.
      const [squads, squadsData] = upgradeableProgramAccounts({ programId: PROGRAMS.squads, elf: new Uint8Array([9, 9]) });
      other.setAccount(squadsData);
      other.setAccount({ ...squads, executable: false });
      await expect(readProgramDump(reader, PROGRAMS.squads)).rejects.toThrow(/not executable/);
    } finally {
      await other.close();
    }
    const r = await backstop(['programs', 'fetch', '--rpc', 'http://127.0.0.1:9', '--out', mkdtempSync(join(tmpdir(), 'backstop-dumps-'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not read the program .* nothing was written/);
  });
});
