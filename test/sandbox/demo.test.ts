/**
 * `npm run demo` (issue 17 §2): BACKSTOP_PROGRAMS_DIR decides the mode and the demo says which; a
 * directory without the Squads and Farms dumps is refused with how to get them; the escrow's balance
 * is shown before and after the withdrawal and must move by exactly the farm's transfer (real mode)
 * or not at all (recorded). The real-mode run needs the dumps ("real mode: not run" otherwise).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROGRAMS } from '../../src/chain/programs.ts';
import { REQUIRED_IN_PRODUCTION } from '../../src/config.ts';
import { DemoRefused, demoMode, escrowBalanceLines, modeLine } from '../../src/sandbox/demo.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { backstop } from '../support/cli.ts';

const DIR = process.env['BACKSTOP_PROGRAMS_DIR'];
const HAVE_DUMPS = DIR !== undefined && [PROGRAMS.squads, PROGRAMS.farms].every((id) => existsSync(join(DIR, `${id}.so`)));
const HAVE_KLEND = HAVE_DUMPS && existsSync(join(DIR!, `${PROGRAMS.klend}.so`));
if (!HAVE_DUMPS) console.log('real mode: not run');

const env = (over: Record<string, string | undefined>): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [...REQUIRED_IN_PRODUCTION, 'BACKSTOP_PROGRAMS_DIR']) delete e[k];
  for (const [k, v] of Object.entries(over)) if (v !== undefined) e[k] = v;
  return e;
};
const dumpsDir = (ids: readonly string[]) => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-demo-dumps-'));
  for (const id of ids) writeFileSync(join(dir, `${id}.so`), 'not a program');
  return dir;
};

describe('the demo’s mode', () => {
  it('is recorded without BACKSTOP_PROGRAMS_DIR (or with it blank), and says so', () => {
    expect(demoMode({})).toEqual({ mode: 'recorded' });
    expect(demoMode({ BACKSTOP_PROGRAMS_DIR: '  ' })).toEqual({ mode: 'recorded' });
    expect(modeLine({ mode: 'recorded' })).toMatch(/^mode: recorded .*recorded, not executed/);
  });

  it('is real with the Squads and Farms dumps, klend noted when present', () => {
    const two = dumpsDir([PROGRAMS.squads, PROGRAMS.farms]);
    expect(demoMode({ BACKSTOP_PROGRAMS_DIR: two })).toEqual({ mode: 'real', programsDir: two, klend: false });
    expect(modeLine({ mode: 'real', programsDir: two, klend: false })).toBe(`mode: real (Squads, Farms programs from ${two}: the withdrawal executes; the loss is a served recording (no klend dump))`);
    const three = dumpsDir([PROGRAMS.squads, PROGRAMS.farms, PROGRAMS.klend]);
    expect(demoMode({ BACKSTOP_PROGRAMS_DIR: three })).toEqual({ mode: 'real', programsDir: three, klend: true });
    expect(modeLine({ mode: 'real', programsDir: three, klend: true })).toContain("and klend programs from");
  });

  it('refuses a directory that cannot be read or lacks a dump, naming it and how to fetch it', () => {
    expect(() => demoMode({ BACKSTOP_PROGRAMS_DIR: '/nonexistent/dumps' })).toThrow(DemoRefused);
    expect(() => demoMode({ BACKSTOP_PROGRAMS_DIR: '/nonexistent/dumps' })).toThrow(/cannot be read \(ENOENT\); write them with: npx backstop programs fetch --rpc <mainnet RPC URL> --out \/nonexistent\/dumps/);
    const squadsOnly = dumpsDir([PROGRAMS.squads]);
    expect(() => demoMode({ BACKSTOP_PROGRAMS_DIR: squadsOnly })).toThrow(new RegExp(`has no Farms dump \\(${PROGRAMS.farms}\\.so\\)`));
    const none = dumpsDir([]);
    expect(() => demoMode({ BACKSTOP_PROGRAMS_DIR: none })).toThrow(/has no Squads v4 dump .* and Farms dump/);
  });
});

describe('the escrow’s balance lines', () => {
  const base = { escrow: SANDBOX.escrow, decimals: 6 };
  it('executed: before, after and the difference, which must be exactly the farm’s transfer', () => {
    expect(escrowBalanceLines({ ...base, before: 0n, after: 9_820_123_456n, expected: 9_820_123_456n, executed: true })).toEqual([
      `   escrow ${SANDBOX.escrow}: 0 kTokens before → 9820.123456 kTokens after (+9820.123456 kTokens, exactly the farm's transfer)`,
    ]);
    expect(() => escrowBalanceLines({ ...base, before: 0n, after: 9_820_123_455n, expected: 9_820_123_456n, executed: true })).toThrow(
      "the escrow received 9820.123455 kTokens, the farm's transfer is 9820.123456 kTokens",
    );
  });

  it('recorded: unchanged, and a change is a failure', () => {
    expect(escrowBalanceLines({ ...base, before: 5_000_000n, after: 5_000_000n, expected: 1n, executed: false })).toEqual([
      `   escrow ${SANDBOX.escrow}: 5 kTokens before and after (recorded, not executed)`,
    ]);
    expect(() => escrowBalanceLines({ ...base, before: 5_000_000n, after: 6_000_000n, expected: 1n, executed: false })).toThrow(/changed by 1 kTokens although nothing executed/);
  });
});

describe('npm run demo', () => {
  it('refuses BACKSTOP_PROGRAMS_DIR without the dumps: exit 2, nothing started', async () => {
    const r = await backstop(['demo'], env({ BACKSTOP_PROGRAMS_DIR: dumpsDir([PROGRAMS.squads]) }));
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^demo refused: BACKSTOP_PROGRAMS_DIR=.* has no Farms dump/);
    expect(r.stdout).not.toContain('data and logs');
  });

  it('runs recorded without BACKSTOP_PROGRAMS_DIR and says so at each step that differs', async () => {
    const r = await backstop(['demo'], env({}));
    expect(r.stdout, r.stderr.slice(-3000)).toContain('demo complete (recorded mode).');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mode: recorded (BACKSTOP_PROGRAMS_DIR unset');
    expect(r.stdout).toContain('a served recording, verified at finalized');
    expect(r.stdout).toContain('→ recorded, not executed');
    expect(r.stdout).toMatch(new RegExp(`escrow ${SANDBOX.escrow}: 0 kTokens before and after \\(recorded, not executed\\)`));
  }, 240_000);

  it.skipIf(!HAVE_DUMPS)('runs real with BACKSTOP_PROGRAMS_DIR: the withdrawal executes and the escrow receives exactly the farm’s transfer', async () => {
    const r = await backstop(['demo'], env({ BACKSTOP_PROGRAMS_DIR: DIR }));
    expect(r.stdout).toContain('demo complete (real mode).');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`mode: real (Squads, Farms${HAVE_KLEND ? ' and klend' : ''} programs from ${DIR}`);
    expect(r.stdout).toContain('→ executed on the real programs: executed');
    expect(r.stdout).toMatch(new RegExp(`escrow ${SANDBOX.escrow}: 0 kTokens before → [0-9.]+ kTokens after \\(\\+[0-9.]+ kTokens, exactly the farm's transfer\\)`));
    if (HAVE_KLEND) expect(r.stdout).toContain('executed here by the klend program');
  }, 180_000);
});
