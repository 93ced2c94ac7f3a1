/**
 * Real mode: program dumps an operator supplies (`solana program dump <id> <id>.so`) loaded into
 * LiteSVM, plus the accounts the Squads program needs before it can run (its ProgramConfig PDA and
 * a funded treasury; `program_config_init` is gated to Squads' own key, so we synthesize them).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { address, isAddress, type Address } from '@solana/kit';
import * as multisig from '@sqds/multisig';
import { PROGRAMS, sandboxKeypair } from '../seeds.ts';
import type { HarnessChain } from './chain.ts';

/** The ProgramConfig authority and treasury the harness writes (sandbox seeds, never production keys). */
export const SQUADS_PROGRAM_CONFIG = {
  address: address(multisig.getProgramConfigPda({})[0].toBase58()),
  authority: sandboxKeypair('squads-program-config-authority').publicKey,
  treasury: sandboxKeypair('squads-treasury').publicKey,
} as const;

/** Loads every `<program id>.so` in `dir`; returns the program ids loaded. Other files are ignored. */
export async function loadProgramDumps(chain: HarnessChain, dir: string): Promise<Address[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.so')).sort();
  const loaded: Address[] = [];
  for (const file of files) {
    const id = basename(file, '.so');
    if (!isAddress(id)) {
      throw new Error(`${join(dir, file)}: a program dump must be named <program id>.so (as solana program dump writes it)`);
    }
    chain.svm.addProgramFromFile(id as Parameters<HarnessChain['svm']['addProgramFromFile']>[0], join(dir, file));
    loaded.push(address(id));
    if (id === PROGRAMS.squads) writeSquadsProgramConfig(chain);
  }
  return loaded;
}

/** Writes the Squads ProgramConfig PDA (creation fee 0) and funds its treasury. */
export function writeSquadsProgramConfig(chain: HarnessChain): void {
  const [data] = multisig.accounts.ProgramConfig.fromArgs({
    authority: SQUADS_PROGRAM_CONFIG.authority,
    multisigCreationFee: 0,
    treasury: SQUADS_PROGRAM_CONFIG.treasury,
    reserved: new Array<number>(64).fill(0),
  }).serialize();
  chain.setAccount({
    address: SQUADS_PROGRAM_CONFIG.address,
    owner: PROGRAMS.squads,
    lamports: chain.svm.minimumBalanceForRentExemption(BigInt(data.length)),
    data: new Uint8Array(data),
    executable: false,
  });
  chain.setAccount({
    address: address(SQUADS_PROGRAM_CONFIG.treasury.toBase58()),
    owner: PROGRAMS.system,
    lamports: 1_000_000_000n,
    data: new Uint8Array(0),
    executable: false,
  });
}
