/**
 * SPL Token and Token-2022 decoders (mints and token accounts) via @solana/spl-token's `unpackMint` /
 * `unpackAccount` / `getExtensionTypes`. These accounts have no Anchor discriminator: the account type is
 * implied by the size (legacy: mint 82, account 165, multisig 355) and, for Token-2022 accounts with
 * extensions, by the account-type byte at offset 165. A wrong type is a `WrongDiscriminator`.
 */
import { PublicKey } from '@solana/web3.js';
import {
  ACCOUNT_SIZE,
  AccountType,
  ExtensionType,
  LENGTH_SIZE,
  MINT_SIZE,
  MULTISIG_SIZE,
  TYPE_SIZE,
  getExtensionTypes,
  unpackAccount,
  unpackMint,
} from '@solana/spl-token';
import { address, type Address } from '@solana/kit';
import { MalformedAccount, WrongDiscriminator } from '../errors.ts';
import type { AccountData } from '../types.ts';
import { expectOwner } from './check.ts';
import { PROGRAMS } from '../programs.ts';

/** The SPL Token program. */
export const TOKEN_PROGRAM_ADDRESS: Address = PROGRAMS.token;
/** The Token-2022 (token extensions) program. */
export const TOKEN_2022_PROGRAM_ADDRESS: Address = PROGRAMS.token2022;

/** Which token program owns the account. */
export type TokenProgramKind = 'token' | 'token-2022';

/** One Token-2022 TLV extension: its numeric type and spl-token's `ExtensionType` name. */
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

const STATE_OFFSET = 108; // AccountLayout: mint 32, owner 32, amount 8, delegate COption 36 → state
const STATES = ['uninitialized', 'initialized', 'frozen'] as const;

const kindOf = (owner: Address): TokenProgramKind => (owner === TOKEN_PROGRAM_ADDRESS ? 'token' : 'token-2022');
const toAddress = (k: PublicKey): Address => address(k.toBase58());
const orNull = (k: PublicKey | null): Address | null => (k === null ? null : toAddress(k));

/** Names what a token program account holds, by size and (Token-2022 only) the type byte, for errors. */
function describe(data: Uint8Array, program: TokenProgramKind): string {
  if (data.length === MINT_SIZE) return 'a mint';
  if (data.length === ACCOUNT_SIZE) return 'a token account';
  if (data.length === MULTISIG_SIZE) return 'a multisig';
  if (program === 'token-2022' && data.length > ACCOUNT_SIZE) {
    const t = data[ACCOUNT_SIZE];
    if (t === AccountType.Mint) return 'a mint';
    if (t === AccountType.Account) return 'a token account';
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
  const typeByte = want === 'mint' ? AccountType.Mint : AccountType.Account;
  const extended = program === 'token-2022' && data.length > ACCOUNT_SIZE && data.length !== MULTISIG_SIZE;
  if (data.length === base || (extended && data[ACCOUNT_SIZE] === typeByte)) return;
  const found = describe(data, program);
  if (found.startsWith('a ')) throw new WrongDiscriminator(account.address, what, `holds ${found} (${program})`);
  throw new MalformedAccount(account.address, what, found);
}

/**
 * Walks the TLV area like Token-2022 does: an entry of type 0 (Uninitialized) ends it (the rest is
 * padding, e.g. the 2 bytes that keep an account from being multisig-sized); a truncated or overrunning
 * entry is refused. Returns the length of the used part.
 */
function tlvEnd(account: AccountData, tlv: Uint8Array, what: string): number {
  const view = new DataView(tlv.buffer, tlv.byteOffset, tlv.byteLength);
  let i = 0;
  while (i < tlv.length) {
    if (i + TYPE_SIZE > tlv.length) throw new MalformedAccount(account.address, what, `truncated extension type at TLV offset ${i}`);
    if (view.getUint16(i, true) === ExtensionType.Uninitialized) return i;
    if (i + TYPE_SIZE + LENGTH_SIZE > tlv.length) {
      throw new MalformedAccount(account.address, what, `truncated extension header at TLV offset ${i}`);
    }
    const len = view.getUint16(i + TYPE_SIZE, true);
    if (i + TYPE_SIZE + LENGTH_SIZE + len > tlv.length) {
      throw new MalformedAccount(account.address, what, `extension at TLV offset ${i} overruns the data`);
    }
    i += TYPE_SIZE + LENGTH_SIZE + len;
  }
  return i;
}

function extensionsOf(account: AccountData, tlvData: Buffer, what: string): TokenExtension[] {
  const used = tlvData.subarray(0, tlvEnd(account, tlvData, what));
  return getExtensionTypes(used).map((t) => ({ type: t, name: ExtensionType[t] ?? `Unknown(${t})` }));
}

function accountInfo(account: AccountData) {
  return {
    data: Buffer.from(account.data.buffer, account.data.byteOffset, account.data.byteLength),
    owner: new PublicKey(account.owner),
    lamports: Number(account.lamports),
    executable: account.executable,
  };
}

/** Decodes an SPL Token or Token-2022 token account; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeTokenAccount(account: AccountData): TokenAccount {
  const what = 'token account';
  const programId = expectOwner(account, [TOKEN_PROGRAM_ADDRESS, TOKEN_2022_PROGRAM_ADDRESS], what);
  const program = kindOf(programId);
  expectTokenType(account, program, 'account', what);
  const stateByte = account.data[STATE_OFFSET] ?? 0;
  const state = STATES[stateByte];
  if (state === undefined) throw new MalformedAccount(account.address, what, `account state ${stateByte}`);
  let raw;
  try {
    raw = unpackAccount(new PublicKey(account.address), accountInfo(account), new PublicKey(programId));
  } catch (e) {
    throw new MalformedAccount(account.address, what, (e as Error).name || String(e));
  }
  return {
    address: account.address,
    program,
    programId,
    mint: toAddress(raw.mint),
    owner: toAddress(raw.owner),
    amount: raw.amount,
    delegate: orNull(raw.delegate),
    delegatedAmount: raw.delegatedAmount,
    state,
    isNative: raw.isNative,
    rentExemptReserve: raw.rentExemptReserve,
    closeAuthority: orNull(raw.closeAuthority),
    extensions: extensionsOf(account, raw.tlvData, what),
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
    raw = unpackMint(new PublicKey(account.address), accountInfo(account), new PublicKey(programId));
  } catch (e) {
    throw new MalformedAccount(account.address, what, (e as Error).name || String(e));
  }
  const extensions = extensionsOf(account, raw.tlvData, what);
  const has = (t: ExtensionType) => extensions.some((e) => e.type === t);
  return {
    address: account.address,
    program,
    programId,
    mintAuthority: orNull(raw.mintAuthority),
    supply: raw.supply,
    decimals: raw.decimals,
    isInitialized: raw.isInitialized,
    freezeAuthority: orNull(raw.freezeAuthority),
    extensions,
    hasPermanentDelegate: has(ExtensionType.PermanentDelegate),
    hasTransferHook: has(ExtensionType.TransferHook),
  };
}

/** spl-token's extension enum, re-exported so rules can name extensions without another import. */
export { ExtensionType };
