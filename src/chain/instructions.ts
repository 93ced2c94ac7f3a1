/**
 * Decodes one resolved inner instruction of a vault transaction into a tagged variant the policy can
 * match on. Never throws: an unknown program is `unknown`, a known program whose bytes do not parse is
 * `malformed` — both are denied by `instruction-allowlist`, and both keep the raw fields for display.
 * Names: Anchor programs (Farms, Squads) use the program's snake_case names; native programs
 * (Token, System, ComputeBudget, ATA) the camelCase names of their SDKs. Parsing is the maintained
 * codecs': the @solana-program clients for Token, ATA, ComputeBudget and System, the farms-sdk's
 * codama client for Farms, the Squads IDL for Squads. spl-token lends only its instruction-name enum
 * (tag → name for Token and Token-2022), which a bundle takes without the rest of spl-token.
 */
import { AccountRole, type Address, type Decoder } from '@solana/kit';
import {
  ComputeBudgetInstruction,
  getRequestHeapFrameInstructionDataDecoder,
  getRequestUnitsInstructionDataDecoder,
  getSetComputeUnitLimitInstructionDataDecoder,
  getSetComputeUnitPriceInstructionDataDecoder,
  getSetLoadedAccountsDataSizeLimitInstructionDataDecoder,
  parseComputeBudgetInstruction,
} from '@solana-program/compute-budget';
import { parseSystemInstruction, SystemInstruction } from '@solana-program/system';
import {
  AssociatedTokenInstruction,
  getApproveCheckedInstructionDataDecoder,
  getApproveInstructionDataDecoder,
  getCloseAccountInstructionDataDecoder,
  getSetAuthorityInstructionDataDecoder,
  getTransferCheckedInstructionDataDecoder,
  getTransferInstructionDataDecoder,
  parseApproveCheckedInstruction,
  parseApproveInstruction,
  parseAssociatedTokenInstruction,
  parseCloseAccountInstruction,
  parseSetAuthorityInstruction,
  parseTransferCheckedInstruction,
  parseTransferInstruction,
} from '@solana-program/token';
import { TokenInstruction } from '@solana/spl-token';
import { SQUADS_INSTRUCTION_NAMES } from './accounts/squads.ts';
import { snakeCase } from './anchor-idl.ts';
import { errorText } from './errors.ts';
import { PROGRAMS } from './programs.ts';
import {
  FarmsInstruction,
  parseFarmsInstruction,
} from '@kamino-finance/farms-sdk/dist/@codegen/farms/programs/farms.js';

/** Program ids this decoder knows. */
export const KNOWN_PROGRAMS = PROGRAMS;

/** One account of a resolved instruction, flags as the message header / lookup tables give them. */
export interface InstructionAccount {
  readonly address: Address;
  readonly isSigner: boolean;
  readonly isWritable: boolean;
}

/** A resolved instruction: what would be passed to the program at execution. */
export interface RawInstruction {
  readonly programId: Address;
  readonly accounts: readonly InstructionAccount[];
  readonly data: Uint8Array;
}

/** Multisig co-signer accounts that follow a token authority (empty for a single-key authority). */
type MultiSigners = { readonly multiSigners: readonly Address[] };

/** The variants of a decoded instruction; every one also carries the raw `programId`, `accounts`, `data`. */
export type DecodedInstructionVariant =
  | {
      readonly kind: 'farms-withdraw-from-farm-vault';
      readonly amount: bigint;
      readonly withdrawAuthority: Address;
      readonly farmState: Address;
      readonly withdrawerTokenAccount: Address;
      readonly farmVault: Address;
      readonly farmVaultsAuthority: Address;
      readonly tokenProgram: Address;
    }
  | { readonly kind: 'farms-other'; readonly name: string }
  | ({ readonly kind: 'token-transfer'; readonly source: Address; readonly destination: Address; readonly authority: Address; readonly amount: bigint } & MultiSigners)
  | ({
      readonly kind: 'token-transfer-checked';
      readonly source: Address;
      readonly mint: Address;
      readonly destination: Address;
      readonly authority: Address;
      readonly amount: bigint;
      readonly decimals: number;
    } & MultiSigners)
  | ({
      readonly kind: 'token-set-authority';
      readonly account: Address;
      readonly currentAuthority: Address;
      /** spl-token `AuthorityType` number (0 MintTokens, 1 FreezeAccount, 2 AccountOwner, 3 CloseAccount, …). */
      readonly authorityType: number;
      readonly newAuthority: Address | null;
    } & MultiSigners)
  | ({ readonly kind: 'token-close-account'; readonly account: Address; readonly destination: Address; readonly authority: Address } & MultiSigners)
  | ({ readonly kind: 'token-approve'; readonly account: Address; readonly delegate: Address; readonly owner: Address; readonly amount: bigint } & MultiSigners)
  | ({
      readonly kind: 'token-approve-checked';
      readonly account: Address;
      readonly mint: Address;
      readonly delegate: Address;
      readonly owner: Address;
      readonly amount: bigint;
      readonly decimals: number;
    } & MultiSigners)
  | { readonly kind: 'token-other'; readonly name: string }
  | {
      readonly kind: 'ata-create';
      readonly idempotent: boolean;
      readonly payer: Address;
      readonly associatedToken: Address;
      readonly owner: Address;
      readonly mint: Address;
      readonly systemProgram: Address;
      readonly tokenProgram: Address;
    }
  | { readonly kind: 'ata-other'; readonly name: string }
  | { readonly kind: 'compute-budget'; readonly name: string }
  | { readonly kind: 'system'; readonly name: string }
  | { readonly kind: 'memo'; readonly text: string }
  | { readonly kind: 'squads'; readonly name: string }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'malformed'; readonly error: string };

/** A decoded instruction: the raw fields plus one variant, discriminated by `kind`. */
export type DecodedInstruction = RawInstruction & DecodedInstructionVariant;

/** The `kind`s of `DecodedInstruction`. */
export type DecodedInstructionKind = DecodedInstructionVariant['kind'];

const TOKEN_PROGRAMS: readonly Address[] = [KNOWN_PROGRAMS.token, KNOWN_PROGRAMS.token2022];
const MEMO_PROGRAMS: readonly Address[] = [KNOWN_PROGRAMS.memo, KNOWN_PROGRAMS.memoLegacy];

/** Decodes `ix`; never throws (see the module comment). */
export function decodeInstruction(ix: RawInstruction): DecodedInstruction {
  const raw: RawInstruction = { programId: ix.programId, accounts: ix.accounts, data: ix.data };
  try {
    return { ...raw, ...decodeVariant(raw) };
  } catch (e) {
    return { ...raw, kind: 'malformed', error: describe(ix.programId, e) };
  }
}

function describe(programId: Address, e: unknown): string {
  return `${programName(programId)} instruction does not decode: ${errorText(e)}`;
}

function programName(p: Address): string {
  const entry = Object.entries(KNOWN_PROGRAMS).find(([, id]) => id === p);
  return entry ? entry[0] : p;
}

function decodeVariant(ix: RawInstruction): DecodedInstructionVariant {
  const p = ix.programId;
  if (p === KNOWN_PROGRAMS.farms) return decodeFarms(ix);
  if (TOKEN_PROGRAMS.includes(p)) return decodeToken(ix);
  if (p === KNOWN_PROGRAMS.ata) return decodeAta(ix);
  if (p === KNOWN_PROGRAMS.computeBudget) return decodeComputeBudget(ix);
  if (p === KNOWN_PROGRAMS.system) return decodeSystem(ix);
  if (MEMO_PROGRAMS.includes(p)) return decodeMemo(ix);
  if (p === KNOWN_PROGRAMS.squads) return decodeSquads(ix);
  return { kind: 'unknown' };
}

// ---- Shared ------------------------------------------------------------------------------------

const camel = (pascal: string): string => pascal.charAt(0).toLowerCase() + pascal.slice(1);

function roleOf(a: InstructionAccount): AccountRole {
  return ((a.isSigner ? 2 : 0) + (a.isWritable ? 1 : 0)) as AccountRole;
}

/** The instruction in kit's shape, for codama parsers (farms-sdk, @solana-program/*). */
const kitInstruction = (ix: RawInstruction, data: Uint8Array = ix.data) => ({
  programAddress: ix.programId,
  accounts: ix.accounts.map((a) => ({ address: a.address, role: roleOf(a) })),
  data,
});

// ---- Farms -------------------------------------------------------------------------------------

function decodeFarms(ix: RawInstruction): DecodedInstructionVariant {
  // parseFarmsInstruction identifies by discriminator and throws on unknown ones or too few accounts.
  const parsed = parseFarmsInstruction(kitInstruction(ix));
  if (parsed.instructionType === FarmsInstruction.WithdrawFromFarmVault) {
    const a = parsed.accounts;
    return {
      kind: 'farms-withdraw-from-farm-vault',
      amount: parsed.data.amount,
      withdrawAuthority: a.withdrawAuthority.address,
      farmState: a.farmState.address,
      withdrawerTokenAccount: a.withdrawerTokenAccount.address,
      farmVault: a.farmVault.address,
      farmVaultsAuthority: a.farmVaultsAuthority.address,
      tokenProgram: a.tokenProgram.address,
    };
  }
  return { kind: 'farms-other', name: snakeCase(FarmsInstruction[parsed.instructionType]) };
}

// ---- SPL Token / Token-2022 --------------------------------------------------------------------

/** Highest instruction tag the legacy Token program has (`UiAmountToAmount`); the rest are Token-2022 only. */
const LAST_LEGACY_TOKEN_TAG = TokenInstruction.UiAmountToAmount;

/**
 * The data decoder of each instruction decoded into fields, to hold the data to exactly what it reads:
 * the program ignores trailing bytes, but a message that carries them was not built by an honest client.
 */
const TOKEN_DATA: Readonly<Partial<Record<number, Decoder<unknown>>>> = {
  [TokenInstruction.Transfer]: getTransferInstructionDataDecoder(),
  [TokenInstruction.TransferChecked]: getTransferCheckedInstructionDataDecoder(),
  [TokenInstruction.Approve]: getApproveInstructionDataDecoder(),
  [TokenInstruction.ApproveChecked]: getApproveCheckedInstructionDataDecoder(),
  [TokenInstruction.CloseAccount]: getCloseAccountInstructionDataDecoder(),
  [TokenInstruction.SetAuthority]: getSetAuthorityInstructionDataDecoder(),
};

/** The accounts after the `named` ones: a multisig token authority's co-signers. */
const multiSigners = (ix: RawInstruction, named: object): readonly Address[] => ix.accounts.slice(Object.keys(named).length).map((a) => a.address);

function decodeToken(ix: RawInstruction): DecodedInstructionVariant {
  const tag = ix.data[0];
  if (tag === undefined) throw new Error('empty data');
  const name = TokenInstruction[tag] as string | undefined;
  if (name === undefined || (ix.programId === KNOWN_PROGRAMS.token && tag > LAST_LEGACY_TOKEN_TAG)) {
    throw new Error(`unknown instruction tag ${tag}`);
  }
  const decoder = TOKEN_DATA[tag];
  const read = decoder?.read(ix.data, 0)[1];
  if (read !== undefined && read !== ix.data.length) throw new Error(`${camel(name)}: ${ix.data.length} data bytes, ${read} expected`);
  // Token-2022 shares these instructions' layouts with Token, so one set of parsers reads both.
  const k = kitInstruction(ix);
  switch (tag) {
    case TokenInstruction.Transfer: {
      const { accounts: a, data } = parseTransferInstruction(k);
      return { kind: 'token-transfer', source: a.source.address, destination: a.destination.address, authority: a.authority.address, amount: data.amount, multiSigners: multiSigners(ix, a) };
    }
    case TokenInstruction.TransferChecked: {
      const { accounts: a, data } = parseTransferCheckedInstruction(k);
      return {
        kind: 'token-transfer-checked',
        source: a.source.address,
        mint: a.mint.address,
        destination: a.destination.address,
        authority: a.authority.address,
        amount: data.amount,
        decimals: data.decimals,
        multiSigners: multiSigners(ix, a),
      };
    }
    case TokenInstruction.SetAuthority: {
      // The program reads the new authority's tag as 0 None, 1 Some, else InvalidInstruction; the codec reads any other tag as None.
      if ((ix.data[2] ?? 0) > 1) throw new Error(`setAuthority: new-authority tag ${ix.data[2]}, expected 0 or 1`);
      const { accounts: a, data } = parseSetAuthorityInstruction(k);
      return {
        kind: 'token-set-authority',
        account: a.owned.address,
        currentAuthority: a.owner.address,
        authorityType: data.authorityType,
        newAuthority: data.newAuthority.__option === 'Some' ? data.newAuthority.value : null,
        multiSigners: multiSigners(ix, a),
      };
    }
    case TokenInstruction.CloseAccount: {
      const { accounts: a } = parseCloseAccountInstruction(k);
      return { kind: 'token-close-account', account: a.account.address, destination: a.destination.address, authority: a.owner.address, multiSigners: multiSigners(ix, a) };
    }
    case TokenInstruction.Approve: {
      const { accounts: a, data } = parseApproveInstruction(k);
      return { kind: 'token-approve', account: a.source.address, delegate: a.delegate.address, owner: a.owner.address, amount: data.amount, multiSigners: multiSigners(ix, a) };
    }
    case TokenInstruction.ApproveChecked: {
      const { accounts: a, data } = parseApproveCheckedInstruction(k);
      return {
        kind: 'token-approve-checked',
        account: a.source.address,
        mint: a.mint.address,
        delegate: a.delegate.address,
        owner: a.owner.address,
        amount: data.amount,
        decimals: data.decimals,
        multiSigners: multiSigners(ix, a),
      };
    }
    default:
      return { kind: 'token-other', name: camel(name) };
  }
}

// ---- Associated Token Account, Compute Budget, System (codama clients) -------------------------

/**
 * codama renamed a few instructions; the names this decoder emits (and denial reasons and audits
 * already carry) stay the programs' own.
 */
const PROGRAM_NAMES: Readonly<Record<string, string>> = {
  TransferSol: 'transfer',
  TransferSolWithSeed: 'transferWithSeed',
  RecoverNestedAssociatedToken: 'recoverNested',
};
const nameOf = (codamaName: string): string => PROGRAM_NAMES[codamaName] ?? camel(codamaName);

const ATA_CREATE_DATA = Uint8Array.of(AssociatedTokenInstruction.CreateAssociatedToken);

function decodeAta(ix: RawInstruction): DecodedInstructionVariant {
  // The program reads empty data as Create, else the whole data is a one-byte borsh enum.
  if (ix.data.length > 1) throw new Error(`${ix.data.length} data bytes, expected at most 1`);
  const parsed = parseAssociatedTokenInstruction(kitInstruction(ix, ix.data.length === 0 ? ATA_CREATE_DATA : ix.data));
  if (parsed.instructionType === AssociatedTokenInstruction.RecoverNestedAssociatedToken) {
    return { kind: 'ata-other', name: nameOf(AssociatedTokenInstruction[parsed.instructionType]) };
  }
  const a = parsed.accounts;
  return {
    kind: 'ata-create',
    idempotent: parsed.instructionType === AssociatedTokenInstruction.CreateAssociatedTokenIdempotent,
    payer: a.payer.address,
    associatedToken: a.ata.address,
    owner: a.owner.address,
    mint: a.mint.address,
    systemProgram: a.systemProgram.address,
    tokenProgram: a.tokenProgram.address,
  };
}

/** Each ComputeBudget instruction's exact data size: the runtime's borsh decode refuses trailing bytes. */
const COMPUTE_BUDGET_DATA_SIZE: Readonly<Record<ComputeBudgetInstruction, number>> = {
  [ComputeBudgetInstruction.RequestUnits]: getRequestUnitsInstructionDataDecoder().fixedSize,
  [ComputeBudgetInstruction.RequestHeapFrame]: getRequestHeapFrameInstructionDataDecoder().fixedSize,
  [ComputeBudgetInstruction.SetComputeUnitLimit]: getSetComputeUnitLimitInstructionDataDecoder().fixedSize,
  [ComputeBudgetInstruction.SetComputeUnitPrice]: getSetComputeUnitPriceInstructionDataDecoder().fixedSize,
  [ComputeBudgetInstruction.SetLoadedAccountsDataSizeLimit]: getSetLoadedAccountsDataSizeLimitInstructionDataDecoder().fixedSize,
};

function decodeComputeBudget(ix: RawInstruction): DecodedInstructionVariant {
  const parsed = parseComputeBudgetInstruction(kitInstruction(ix));
  const name = nameOf(ComputeBudgetInstruction[parsed.instructionType]);
  const size = COMPUTE_BUDGET_DATA_SIZE[parsed.instructionType];
  if (ix.data.length !== size) throw new Error(`${name}: ${ix.data.length} data bytes, expected ${size}`);
  return { kind: 'compute-budget', name };
}

function decodeSystem(ix: RawInstruction): DecodedInstructionVariant {
  const parsed = parseSystemInstruction(kitInstruction(ix));
  return { kind: 'system', name: nameOf(SystemInstruction[parsed.instructionType]) };
}

// ---- Memo --------------------------------------------------------------------------------------

function decodeMemo(ix: RawInstruction): DecodedInstructionVariant {
  // The memo program rejects invalid UTF-8; so do we.
  return { kind: 'memo', text: new TextDecoder('utf-8', { fatal: true }).decode(ix.data) };
}

// ---- Squads (self-call) ------------------------------------------------------------------------

function decodeSquads(ix: RawInstruction): DecodedInstructionVariant {
  if (ix.data.length < 8) throw new Error(`${ix.data.length} data bytes, too short for the 8-byte discriminator`);
  const disc = Buffer.from(ix.data.subarray(0, 8)).toString('hex');
  const name = SQUADS_INSTRUCTION_NAMES.get(disc);
  if (!name) throw new Error(`unknown discriminator ${disc}`);
  return { kind: 'squads', name };
}
