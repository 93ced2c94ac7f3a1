/**
 * SPL Token and Token-2022 decoders (mints and token accounts) with the codama clients: the base
 * fields with @solana-program/token's `getMintDecoder` / `getTokenDecoder` (the base layout is the
 * same under both programs), Token-2022 extensions with @solana-program/token-2022's
 * `getExtensionDecoder`, named by its `ExtensionType`. These accounts have no Anchor discriminator: the
 * account type is implied by the size (legacy: mint 82, account 165, multisig 355) and, for Token-2022
 * accounts with extensions, by the account-type byte at offset 165. A wrong type is a `WrongDiscriminator`.
 */
import { getU16Decoder, unwrapOption, type Address } from '@solana/kit';
import { AccountState, getMintDecoder, getMintSize, getMultisigSize, getTokenDecoder, getTokenSize } from '@solana-program/token';
import { ExtensionType, getExtensionDecoder } from '@solana-program/token-2022';
import { errorText, MalformedAccount, WrongDiscriminator } from '../errors.ts';
import type { AccountData } from '../types.ts';
import { expectOwner } from './check.ts';
import { PROGRAMS } from '../programs.ts';

/** The SPL Token program. */
export const TOKEN_PROGRAM_ADDRESS: Address = PROGRAMS.token;
/** The Token-2022 (token extensions) program. */
export const TOKEN_2022_PROGRAM_ADDRESS: Address = PROGRAMS.token2022;

/** Which token program owns the account. */
export type TokenProgramKind = 'token' | 'token-2022';

/** One Token-2022 TLV extension: its numeric type and @solana-program/token-2022's `ExtensionType` name. */
export interface TokenExtension {
  readonly type: number;
  readonly name: string;
}

/** A decoded token account (all base fields, plus extensions; legacy accounts have none). */
export interface TokenAccount {
  readonly address: Address;
  readonly program: TokenProgramKind;
  readonly programId: Address;
  readonly mint: Address;
  /** The token owner (authority) field, not the account's program owner. */
  readonly owner: Address;
  readonly amount: bigint;
  readonly delegate: Address | null;
  readonly delegatedAmount: bigint;
  readonly state: 'uninitialized' | 'initialized' | 'frozen';
  readonly isNative: boolean;
  /** Rent-exempt reserve of a native (wrapped SOL) account, else null. */
  readonly rentExemptReserve: bigint | null;
  readonly closeAuthority: Address | null;
  readonly extensions: readonly TokenExtension[];
}

/** A decoded mint. The two flags are always false for legacy SPL Token mints. */
export interface TokenMint {
  readonly address: Address;
  readonly program: TokenProgramKind;
  readonly programId: Address;
  readonly mintAuthority: Address | null;
  readonly supply: bigint;
  readonly decimals: number;
  readonly isInitialized: boolean;
  readonly freezeAuthority: Address | null;
  readonly extensions: readonly TokenExtension[];
  /** Token-2022 PermanentDelegate: someone can move or burn any holder's tokens. */
  readonly hasPermanentDelegate: boolean;
  /** Token-2022 TransferHook: transfers run an arbitrary program. */
  readonly hasTransferHook: boolean;
}

const MINT_SIZE = getMintSize();
const ACCOUNT_SIZE = getTokenSize();
const MULTISIG_SIZE = getMultisigSize();
/** Token-2022 `AccountType`: the byte after the 165-byte base of an extended account (its codecs expect these). */
const ACCOUNT_TYPE = { mint: 1, account: 2 } as const;
const STATES = {
  [AccountState.Uninitialized]: 'uninitialized',
  [AccountState.Initialized]: 'initialized',
  [AccountState.Frozen]: 'frozen',
} as const satisfies Record<AccountState, TokenAccount['state']>;

// Built once: codama builds the whole codec tree on every get*Decoder() call.
const mintDecoder = getMintDecoder();
const tokenDecoder = getTokenDecoder();
const extensionDecoder = getExtensionDecoder();
const u16 = getU16Decoder();

const kindOf = (owner: Address): TokenProgramKind => (owner === TOKEN_PROGRAM_ADDRESS ? 'token' : 'token-2022');

/** Names what a token program account holds, by size and (Token-2022 only) the type byte, for errors. */
function describe(data: Uint8Array, program: TokenProgramKind): string {
  if (data.length === MINT_SIZE) return 'a mint';
  if (data.length === ACCOUNT_SIZE) return 'a token account';
  if (data.length === MULTISIG_SIZE) return 'a multisig';
  if (program === 'token-2022' && data.length > ACCOUNT_SIZE) {
    const t = data[ACCOUNT_SIZE];
    if (t === ACCOUNT_TYPE.mint) return 'a mint';
    if (t === ACCOUNT_TYPE.account) return 'a token account';
    return `${data.length} bytes with account type ${t}`;
  }
  return `${data.length} bytes, no ${program} account has that size`;
}

/**
 * Checks the size/type byte: legacy SPL Token accounts are fixed-size; Token-2022 ones may carry
 * `[account type][TLV…]` after byte 165. Throws WrongDiscriminator for another known type.
 */
function expectTokenType(account: AccountData, program: TokenProgramKind, want: 'mint' | 'account', what: string): void {
  const { data } = account;
  const base = want === 'mint' ? MINT_SIZE : ACCOUNT_SIZE;
  const extended = program === 'token-2022' && data.length > ACCOUNT_SIZE && data.length !== MULTISIG_SIZE;
  if (data.length === base || (extended && data[ACCOUNT_SIZE] === ACCOUNT_TYPE[want])) return;
  const found = describe(data, program);
  if (found.startsWith('a ')) throw new WrongDiscriminator(account.address, what, `holds ${found} (${program})`);
  throw new MalformedAccount(account.address, what, found);
}

/**
 * Reads the TLV area after the account-type byte like Token-2022 does: an entry of type 0
 * (Uninitialized) ends it (the rest is padding, e.g. the 2 bytes that keep an account from being
 * multisig-sized); a truncated or overrunning entry is refused; a type token-2022 knows must decode
 * with its codec, any other is listed as `Unknown(n)`.
 */
function extensionsOf(account: AccountData, what: string): TokenExtension[] {
  const tlv = account.data.length > ACCOUNT_SIZE + 1 ? account.data.subarray(ACCOUNT_SIZE + 1) : new Uint8Array(0);
  const out: TokenExtension[] = [];
  let i = 0;
  while (i < tlv.length) {
    if (i + 2 > tlv.length) throw new MalformedAccount(account.address, what, `truncated extension type at TLV offset ${i}`);
    const type = u16.decode(tlv, i);
    if (type === ExtensionType.Uninitialized) break;
    if (i + 4 > tlv.length) throw new MalformedAccount(account.address, what, `truncated extension header at TLV offset ${i}`);
    const end = i + 4 + u16.decode(tlv, i + 2);
    if (end > tlv.length) throw new MalformedAccount(account.address, what, `extension at TLV offset ${i} overruns the data`);
    const name = ExtensionType[type] as string | undefined;
    if (name !== undefined) {
      try {
        extensionDecoder.decode(tlv.subarray(i, end));
      } catch (e) {
        throw new MalformedAccount(account.address, what, `${name} extension at TLV offset ${i} does not decode: ${errorText(e)}`);
      }
    }
    out.push({ type, name: name ?? `Unknown(${type})` });
    i = end;
  }
  return out;
}

/** Decodes an SPL Token or Token-2022 token account; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeTokenAccount(account: AccountData): TokenAccount {
  const what = 'token account';
  const programId = expectOwner(account, [TOKEN_PROGRAM_ADDRESS, TOKEN_2022_PROGRAM_ADDRESS], what);
  const program = kindOf(programId);
  expectTokenType(account, program, 'account', what);
  let raw;
  try {
    raw = tokenDecoder.decode(account.data);
  } catch (e) {
    throw new MalformedAccount(account.address, what, errorText(e));
  }
  const rentExemptReserve = unwrapOption(raw.isNative);
  return {
    address: account.address,
    program,
    programId,
    mint: raw.mint,
    owner: raw.owner,
    amount: raw.amount,
    delegate: unwrapOption(raw.delegate),
    delegatedAmount: raw.delegatedAmount,
    state: STATES[raw.state],
    isNative: rentExemptReserve !== null,
    rentExemptReserve,
    closeAuthority: unwrapOption(raw.closeAuthority),
    extensions: extensionsOf(account, what),
  };
}

/** Decodes an SPL Token or Token-2022 mint; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeMint(account: AccountData): TokenMint {
  const what = 'token mint';
  const programId = expectOwner(account, [TOKEN_PROGRAM_ADDRESS, TOKEN_2022_PROGRAM_ADDRESS], what);
  const program = kindOf(programId);
  expectTokenType(account, program, 'mint', what);
  let raw;
  try {
    raw = mintDecoder.decode(account.data);
  } catch (e) {
    throw new MalformedAccount(account.address, what, errorText(e));
  }
  const extensions = extensionsOf(account, what);
  const has = (t: ExtensionType) => extensions.some((e) => e.type === t);
  return {
    address: account.address,
    program,
    programId,
    mintAuthority: unwrapOption(raw.mintAuthority),
    supply: raw.supply,
    decimals: raw.decimals,
    isInitialized: raw.isInitialized,
    freezeAuthority: unwrapOption(raw.freezeAuthority),
    extensions,
    hasPermanentDelegate: has(ExtensionType.PermanentDelegate),
    hasTransferHook: has(ExtensionType.TransferHook),
  };
}

/** Token-2022's extension enum, re-exported so rules can name extensions without another import. */
export { ExtensionType };
