/**
 * `backstop programs fetch --rpc URL [--out programs/] [--kvault]`: the program dumps real mode loads
 * (BACKSTOP_PROGRAMS_DIR), written as `solana program dump` writes them, without the Solana CLI.
 * Every program is read before any file is written: a refusal leaves the directory as it was.
 * Exit 0 all written, 1 a program refused (not upgradeable-loader owned, absent), 2 bad arguments or RPC.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Address } from '@solana/kit';
import type { Command } from 'commander';
import type { ProgramDump } from '../chain/program-dump.ts';
import type { AccountSource } from '../chain/types.ts';

/** The programs real mode runs, by name; kvault only when asked (no public kvault dump exists for every deployment). */
export async function programsToDump(kvault: boolean): Promise<readonly { name: string; id: Address }[]> {
  const { PROGRAMS } = await import('../chain/programs.ts'); // on use: @solana/kit is not loaded at `backstop --help`
  const base = [
    { name: 'squads-v4', id: PROGRAMS.squads },
    { name: 'farms', id: PROGRAMS.farms },
    { name: 'klend', id: PROGRAMS.klend },
  ];
  return kvault ? [...base, { name: 'kvault', id: PROGRAMS.kvault }] : base;
}

/** One program written: its file, sha256 and deploy slot. */
export interface WrittenDump {
  readonly name: string;
  readonly file: string;
  readonly sha256: string;
  readonly dump: ProgramDump;
}

/** Writes `bytes` to `path` through a temporary file in the same directory, so a reader never sees half a dump. */
function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, bytes, { mode: 0o644, flag: 'wx' });
  renameSync(tmp, path);
}

/**
 * Reads every program in `programs` from `source`, then writes `<out>/<program id>.so` for each.
 * Throws ProgramDumpRefused / ChainUnavailable before writing anything.
 */
export async function fetchProgramDumps(source: AccountSource, programs: readonly { name: string; id: Address }[], out: string): Promise<WrittenDump[]> {
  const { readProgramDump } = await import('../chain/program-dump.ts');
  const dumps: { name: string; dump: ProgramDump }[] = [];
  for (const p of programs) dumps.push({ name: p.name, dump: await readProgramDump(source, p.id) });
  mkdirSync(out, { recursive: true });
  return dumps.map(({ name, dump }) => {
    const file = join(out, `${dump.programId}.so`);
    writeAtomic(file, dump.bytes);
    return { name, file, sha256: createHash('sha256').update(dump.bytes).digest('hex'), dump };
  });
}

/** The line printed per program. */
export function dumpLine(w: WrittenDump): string {
  return `${w.file}  ${w.name}  sha256 ${w.sha256}  deployed at slot ${w.dump.slot}  ${w.dump.bytes.length} bytes`;
}

export function registerPrograms(program: Command): void {
  const programs = program.command('programs').description('program dumps for real mode (BACKSTOP_PROGRAMS_DIR)');
  programs
    .command('fetch')
    .description('write <program id>.so for Squads v4, farms and klend as `solana program dump` does (upgradeable loader only)')
    .requiredOption('--rpc <url>', 'Solana JSON-RPC to read the programs from (reads only)')
    .option('--out <dir>', 'directory to write the dumps into', 'programs')
    .option('--kvault', 'also fetch the kvault program')
    .action(async (opts: { rpc: string; out: string; kvault?: boolean }) => {
      const [{ ChainReader }, { ChainUnavailable }, { ProgramDumpRefused }] = await Promise.all([import('../chain/reader.ts'), import('../chain/errors.ts'), import('../chain/program-dump.ts')]);
      let reader: InstanceType<typeof ChainReader>;
      try {
        reader = new ChainReader({ rpcUrl: opts.rpc, timeoutMs: 60_000 });
      } catch (err) {
        process.stderr.write('backstop programs fetch: --rpc is not a URL (e.g. https://api.mainnet-beta.solana.com)\n');
        process.exitCode = 2;
        return;
      }
      const wanted = await programsToDump(opts.kvault === true);
      try {
        const written = await fetchProgramDumps(reader, wanted, opts.out);
        for (const w of written) process.stdout.write(`${dumpLine(w)}\n`);
        process.stdout.write(`real mode: BACKSTOP_PROGRAMS_DIR=${opts.out}\n`);
      } catch (err) {
        if (err instanceof ProgramDumpRefused) {
          process.stderr.write(`backstop programs fetch: ${err.message}; nothing was written\n`);
          process.exitCode = 1;
        } else if (err instanceof ChainUnavailable) {
          process.stderr.write(`backstop programs fetch: ${err.message}; nothing was written (check --rpc and retry)\n`);
          process.exitCode = 2;
        } else throw err;
      }
    });
}
