/**
 * Program binaries as `solana program dump` writes them, read through any account source: the
 * upgradeable loader's Program account names its ProgramData account, whose data after the 45-byte
 * ProgramData header is the ELF (trailing bytes of an extended account included, as the CLI keeps them).
 * The loader's account state is decoded with kit codecs (bincode: u32 variant tag, `Option` as a u8 tag then the value — kit's defaults).
 */
import {
  address,
  getAddressCodec,
  getDiscriminatedUnionCodec,
  getOptionCodec,
  getStructCodec,
  getU32Codec,
  getU64Codec,
  getUnitCodec,
  isSome,
  type Address,
} from '@solana/kit';
import { ChainUnavailable, errorText } from './errors.ts';
import { findProgramAddress } from './pda.ts';
import type { AccountData, AccountSource } from './types.ts';

/** The BPF upgradeable loader (loader v3), owner of every Program and ProgramData account it deploys. */
export const UPGRADEABLE_LOADER: Address = address('BPFLoaderUpgradeab1e11111111111111111111111');
/** `UpgradeableLoaderState::size_of_programdata_metadata()`: tag u32 + slot u64 + Option<Pubkey> (1 + 32). */
export const PROGRAM_DATA_HEADER_SIZE = 45;

/** `UpgradeableLoaderState` as the loader serialises it (bincode). */
export const upgradeableLoaderStateCodec = getDiscriminatedUnionCodec(
  [
    ['Uninitialized', getUnitCodec()],
    ['Buffer', getStructCodec([['authority', getOptionCodec(getAddressCodec())]])],
    ['Program', getStructCodec([['programData', getAddressCodec()]])],
    ['ProgramData', getStructCodec([['slot', getU64Codec()], ['upgradeAuthority', getOptionCodec(getAddressCodec())]])],
  ],
  { size: getU32Codec() },
);

/** The ProgramData address the loader derives for `programId` (seeds: the program id). */
export function programDataAddressOf(programId: Address): Address {
  return findProgramAddress([programId], UPGRADEABLE_LOADER)[0];
}

/** A program's binary and where it came from. */
export interface ProgramDump {
  readonly programId: Address;
  readonly programData: Address;
  /** The slot the binary was (last) deployed at, from the ProgramData header. */
  readonly slot: bigint;
  readonly upgradeAuthority: Address | null;
  /** What `solana program dump` writes: the ProgramData account's data after its header. */
  readonly bytes: Uint8Array;
}

/** The chain says no: the account is absent, or not a program the upgradeable loader deployed. */
export class ProgramDumpRefused extends Error {
  override readonly name = 'ProgramDumpRefused';
  constructor(readonly programId: Address, detail: string) {
    super(`program ${programId}: ${detail}`);
  }
}

type LoaderState = ReturnType<typeof upgradeableLoaderStateCodec.decode>;

function loaderState(account: AccountData, programId: Address, what: string): LoaderState {
  if (account.owner !== UPGRADEABLE_LOADER) {
    throw new ProgramDumpRefused(
      programId,
      `${what} ${account.address} is owned by ${account.owner}, not the upgradeable loader ${UPGRADEABLE_LOADER}; only upgradeable-loader programs are dumped`,
    );
  }
  try {
    return upgradeableLoaderStateCodec.decode(account.data);
  } catch (err) {
    throw new ProgramDumpRefused(programId, `${what} ${account.address} does not decode as upgradeable loader state: ${errorText(err)}`);
  }
}

async function readOne(source: AccountSource, at: Address, programId: Address, what: string): Promise<AccountData> {
  const r = (await source.getAccounts([at])).get(at);
  if (!r || r.kind === 'unavailable') throw new ChainUnavailable(`could not read the ${what} ${at} of ${programId}: ${r?.error ?? 'no answer'}`);
  if (r.kind === 'missing') throw new ProgramDumpRefused(programId, `no ${what} account at ${at}`);
  return r.account;
}

/**
 * Reads `programId`'s binary: its Program account (upgradeable-loader owned, executable, state
 * `Program`), then the ProgramData account it names (the loader's PDA of the program id, state
 * `ProgramData`). Throws ProgramDumpRefused for anything else and ChainUnavailable when a read fails.
 */
export async function readProgramDump(source: AccountSource, programId: Address): Promise<ProgramDump> {
  const program = await readOne(source, programId, programId, 'program');
  const state = loaderState(program, programId, 'program account');
  if (state.__kind !== 'Program') throw new ProgramDumpRefused(programId, `the account is an upgradeable-loader ${state.__kind} account, not a Program`);
  const expected = programDataAddressOf(programId);
  if (state.programData !== expected) {
    throw new ProgramDumpRefused(programId, `its ProgramData is ${state.programData}, not the loader's address ${expected}`);
  }
  if (!program.executable) throw new ProgramDumpRefused(programId, 'the program account is not executable');
  const data = await readOne(source, state.programData, programId, 'ProgramData');
  const header = loaderState(data, programId, 'ProgramData account');
  if (header.__kind !== 'ProgramData') throw new ProgramDumpRefused(programId, `${state.programData} is an upgradeable-loader ${header.__kind} account, not ProgramData`);
  if (data.data.length <= PROGRAM_DATA_HEADER_SIZE) throw new ProgramDumpRefused(programId, `ProgramData ${state.programData} holds no program (closed?)`);
  return {
    programId,
    programData: state.programData,
    slot: header.slot,
    upgradeAuthority: isSome(header.upgradeAuthority) ? header.upgradeAuthority.value : null,
    bytes: data.data.slice(PROGRAM_DATA_HEADER_SIZE),
  };
}
