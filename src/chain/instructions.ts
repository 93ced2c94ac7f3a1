/**
 * Decodes one resolved inner instruction of a vault transaction into a tagged variant the policy can
 * match on. Never throws: an unknown program is `unknown`, a known program whose bytes do not parse is
 * `malformed` — both are denied by `instruction-allowlist`, and both keep the raw fields for display.
 * Names: Anchor programs (Farms, Squads) use the program's snake_case names; native programs
 * (Token, System, ComputeBudget, ATA) the camelCase names of their SDKs. Parsing is the SDKs' too:
 * spl-token for Token, the @solana-program clients for ATA, ComputeBudget and System.
 */
import { AccountRole, type Address } from '@solana/kit';
import { type PublicKey, TransactionInstruction } from '@solana/web3.js';
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
import { AssociatedTokenInstruction, parseAssociatedTokenInstruction } from '@solana-program/token';
import {
  decodeApproveCheckedInstruction,
  decodeApproveInstruction,
  decodeCloseAccountInstruction,
  decodeSetAuthorityInstruction,
  decodeTransferCheckedInstruction,
  decodeTransferInstruction,
  TokenInstruction,
} from '@solana/spl-token';
import * as multisig from '@sqds/multisig';
import { errorText } from './errors.ts';
import { toAddress, toPublicKey } from './keys.ts';
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

const snake = (pascalOrCamel: string): string => pascalOrCamel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
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
  return { kind: 'farms-other', name: snake(FarmsInstruction[parsed.instructionType]) };
}

// ---- SPL Token / Token-2022 --------------------------------------------------------------------

/** Highest instruction tag the legacy Token program has (`UiAmountToAmount`); the rest are Token-2022 only. */
const LAST_LEGACY_TOKEN_TAG = TokenInstruction.UiAmountToAmount;

const toWeb3 = (ix: RawInstruction): TransactionInstruction =>
  new TransactionInstruction({
    programId: toPublicKey(ix.programId),
    keys: ix.accounts.map((a) => ({ pubkey: toPublicKey(a.address), isSigner: a.isSigner, isWritable: a.isWritable })),
    data: Buffer.from(ix.data),
  });

const addr = (m: { pubkey: PublicKey }): Address => toAddress(m.pubkey);
const signers = (ms: readonly { pubkey: PublicKey }[]): readonly Address[] => ms.map(addr);

function decodeToken(ix: RawInstruction): DecodedInstructionVariant {
  const tag = ix.data[0];
  if (tag === undefined) throw new Error('empty data');
  const name = TokenInstruction[tag] as string | undefined;
  if (name === undefined || (ix.programId === KNOWN_PROGRAMS.token && tag > LAST_LEGACY_TOKEN_TAG)) {
    throw new Error(`unknown instruction tag ${tag}`);
  }
  const w3 = toWeb3(ix);
  const programId = w3.programId;
  switch (tag) {
    case TokenInstruction.Transfer: {
      const d = decodeTransferInstruction(w3, programId);
      const k = d.keys;
      return { kind: 'token-transfer', source: addr(k.source), destination: addr(k.destination), authority: addr(k.owner), amount: d.data.amount, multiSigners: signers(k.multiSigners) };
    }
    case TokenInstruction.TransferChecked: {
      const d = decodeTransferCheckedInstruction(w3, programId);
      const k = d.keys;
      return {
        kind: 'token-transfer-checked',
        source: addr(k.source),
        mint: addr(k.mint),
        destination: addr(k.destination),
        authority: addr(k.owner),
        amount: d.data.amount,
        decimals: d.data.decimals,
        multiSigners: signers(k.multiSigners),
      };
    }
    case TokenInstruction.SetAuthority: {
      const d = decodeSetAuthorityInstruction(w3, programId);
      const k = d.keys;
      return {
        kind: 'token-set-authority',
        account: addr(k.account),
        currentAuthority: addr(k.currentAuthority),
        authorityType: d.data.authorityType,
        newAuthority: d.data.newAuthority ? toAddress(d.data.newAuthority) : null,
        multiSigners: signers(k.multiSigners),
      };
    }
    case TokenInstruction.CloseAccount: {
      const d = decodeCloseAccountInstruction(w3, programId);
      const k = d.keys;
      return { kind: 'token-close-account', account: addr(k.account), destination: addr(k.destination), authority: addr(k.authority), multiSigners: signers(k.multiSigners) };
    }
    case TokenInstruction.Approve: {
      const d = decodeApproveInstruction(w3, programId);
      const k = d.keys;
      return { kind: 'token-approve', account: addr(k.account), delegate: addr(k.delegate), owner: addr(k.owner), amount: d.data.amount, multiSigners: signers(k.multiSigners) };
    }
    case TokenInstruction.ApproveChecked: {
      const d = decodeApproveCheckedInstruction(w3, programId);
      const k = d.keys;
      return {
        kind: 'token-approve-checked',
        account: addr(k.account),
        mint: addr(k.mint),
        delegate: addr(k.delegate),
        owner: addr(k.owner),
        amount: d.data.amount,
        decimals: d.data.decimals,
        multiSigners: signers(k.multiSigners),
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

const SQUADS_INSTRUCTIONS: ReadonlyMap<string, string> = new Map(
  Object.entries(multisig.generated)
    .filter(([k]) => k.endsWith('InstructionDiscriminator'))
    .map(([k, v]) => [Buffer.from(v as number[]).toString('hex'), snake(k.slice(0, -'InstructionDiscriminator'.length))]),
);

function decodeSquads(ix: RawInstruction): DecodedInstructionVariant {
  if (ix.data.length < 8) throw new Error(`${ix.data.length} data bytes, too short for the 8-byte discriminator`);
  const disc = Buffer.from(ix.data.subarray(0, 8)).toString('hex');
  const name = SQUADS_INSTRUCTIONS.get(disc);
  if (!name) throw new Error(`unknown discriminator ${disc}`);
  return { kind: 'squads', name };
}
