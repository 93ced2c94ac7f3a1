/**
 * Squads v4 account decoders (docs/chain.md#squads-v4), built from the program's IDL
 * (squads-idl.ts, through src/chain/anchor-idl.ts): kit codecs, so deciding loads none of the SDK.
 * Every decoder checks owner and discriminator first, then decodes; a short or inconsistent account
 * is `MalformedAccount`.
 */
import { type Address } from '@solana/kit';
import { createRequire } from 'node:module';
import type * as Web3 from '@solana/web3.js';
import { anchorCodecs, type AnchorAccountCodec } from '../anchor-idl.ts';
import { errorText, MalformedAccount, WrongDiscriminator } from '../errors.ts';
import type { AccountData } from '../types.ts';
import { expectDiscriminator, expectOwner } from './check.ts';
import { toAddress } from '../keys.ts';
import { PROGRAMS } from '../programs.ts';
import { SQUADS_IDL } from './squads-idl.ts';

/** The Squads v4 program id. */
export const SQUADS_PROGRAM: Address = PROGRAMS.squads;
/** The address lookup table program id. */
export const LOOKUP_TABLE_PROGRAM: Address = PROGRAMS.lookupTable;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A multisig member with its permission mask split into the three permissions (Initiate=1, Vote=2, Execute=4). */
export interface MultisigMember {
  readonly key: Address;
  readonly mask: number;
  readonly initiate: boolean;
  readonly vote: boolean;
  readonly execute: boolean;
}

/** A decoded Squads `Multisig` account. */
export interface MultisigAccount {
  readonly createKey: Address;
  /** `11111111111111111111111111111111` (the default key) = autonomous. */
  readonly configAuthority: Address;
  readonly threshold: number;
  /** Seconds. */
  readonly timeLock: number;
  readonly transactionIndex: bigint;
  readonly staleTransactionIndex: bigint;
  readonly rentCollector: Address | null;
  readonly bump: number;
  readonly members: readonly MultisigMember[];
}

/** Proposal status names, as the program's enum (`Executing` is deprecated and never set now). */
export type ProposalStatusKind = 'Draft' | 'Active' | 'Rejected' | 'Approved' | 'Executing' | 'Executed' | 'Cancelled';

/** A decoded Squads `Proposal` account. */
export interface ProposalAccount {
  readonly multisig: Address;
  readonly transactionIndex: bigint;
  /** `timestamp` is the unix seconds of the transition; null only for `Executing`. */
  readonly status: { readonly kind: ProposalStatusKind; readonly timestamp: bigint | null };
  readonly bump: number;
  readonly approved: readonly Address[];
  readonly rejected: readonly Address[];
  readonly cancelled: readonly Address[];
}

/** One compiled instruction of a vault transaction message (indexes into the message's index space). */
export interface VaultCompiledInstruction {
  readonly programIdIndex: number;
  readonly accountIndexes: readonly number[];
  readonly data: Uint8Array;
}

/** One address-lookup-table reference of a vault transaction message. */
export interface VaultAddressTableLookup {
  readonly accountKey: Address;
  readonly writableIndexes: readonly number[];
  readonly readonlyIndexes: readonly number[];
}

/** The stored (unresolved) message of a vault transaction. */
export interface VaultTransactionMessage {
  readonly numSigners: number;
  readonly numWritableSigners: number;
  readonly numWritableNonSigners: number;
  readonly accountKeys: readonly Address[];
  readonly instructions: readonly VaultCompiledInstruction[];
  readonly addressTableLookups: readonly VaultAddressTableLookup[];
}

/** A decoded Squads `VaultTransaction` account. */
export interface VaultTransactionAccount {
  readonly multisig: Address;
  readonly creator: Address;
  readonly index: bigint;
  readonly bump: number;
  readonly vaultIndex: number;
  readonly vaultBump: number;
  readonly ephemeralSignerBumps: readonly number[];
  readonly message: VaultTransactionMessage;
}

/**
 * What the transaction PDA holds: Vault, Config and Batch accounts share its seeds (docs/chain.md#squads-v4), so
 * the discriminator decides. `multisig` and `index` are reported for every kind so callers can check
 * the account belongs where it was found.
 */
export type TransactionAccount =
  | { readonly type: 'vault'; readonly value: VaultTransactionAccount }
  | { readonly type: 'config'; readonly multisig: Address; readonly index: bigint; readonly creator: Address; readonly actions: readonly string[] }
  | {
      readonly type: 'batch';
      readonly multisig: Address;
      readonly index: bigint;
      readonly creator: Address;
      readonly size: number;
      readonly vaultIndex: number;
    };

/** A decoded address lookup table. */
export interface LookupTable {
  readonly addresses: readonly Address[];
  /** null = frozen: no one can extend the table any more. */
  readonly authority: Address | null;
  /** u64::MAX while the table is active. */
  readonly deactivationSlot: bigint;
}

const squads = anchorCodecs(SQUADS_IDL);
const MULTISIG = squads.account('Multisig');
const PROPOSAL = squads.account('Proposal');
const VAULT_TRANSACTION = squads.account('VaultTransaction');
const CONFIG_TRANSACTION = squads.account('ConfigTransaction');
const BATCH = squads.account('Batch');

/** The instruction names of the Squads program by hex discriminator (snake_case, as the program names them). */
export const SQUADS_INSTRUCTION_NAMES: ReadonlyMap<string, string> = squads.instructionNames();

type Raw = Record<string, any>;

/** Decodes `account` with `c` (owner and discriminator already checked); any decoding failure is `MalformedAccount`. */
function decodeWith(c: AnchorAccountCodec, account: AccountData, what: string): Raw {
  try {
    return c.codec.decode(account.data) as Raw;
  } catch (e) {
    throw new MalformedAccount(account.address, what, errorText(e));
  }
}

function squadsAccount(account: AccountData, what: string, c: AnchorAccountCodec): Raw {
  expectOwner(account, [SQUADS_PROGRAM], what);
  expectDiscriminator(account, c.discriminator, what);
  return decodeWith(c, account, what);
}

/** Decodes a Squads `Multisig`; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeMultisig(account: AccountData): MultisigAccount {
  const m = squadsAccount(account, 'Squads Multisig', MULTISIG);
  return {
    createKey: m.createKey,
    configAuthority: m.configAuthority,
    threshold: m.threshold,
    timeLock: m.timeLock,
    transactionIndex: m.transactionIndex,
    staleTransactionIndex: m.staleTransactionIndex,
    rentCollector: m.rentCollector,
    bump: m.bump,
    members: (m.members as Raw[]).map((x) => ({
      key: x.key,
      mask: x.permissions.mask,
      initiate: (x.permissions.mask & 1) !== 0,
      vote: (x.permissions.mask & 2) !== 0,
      execute: (x.permissions.mask & 4) !== 0,
    })),
  };
}

/** Decodes a Squads `Proposal`; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeProposalAccount(account: AccountData): ProposalAccount {
  const p = squadsAccount(account, 'Squads Proposal', PROPOSAL);
  const s = p.status as { __kind: ProposalStatusKind; timestamp?: bigint };
  return {
    multisig: p.multisig,
    transactionIndex: p.transactionIndex,
    status: { kind: s.__kind, timestamp: s.timestamp ?? null },
    bump: p.bump,
    approved: p.approved,
    rejected: p.rejected,
    cancelled: p.cancelled,
  };
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length >= b.length && b.every((x, i) => a[i] === x);
const bytes = (b: Uint8Array): number[] => Array.from(b);

/**
 * Decodes whatever the transaction PDA holds (VaultTransaction, ConfigTransaction or Batch).
 * Any other Squads account type throws WrongDiscriminator: it can never be a proposal's transaction.
 */
export function decodeTransactionAccount(account: AccountData): TransactionAccount {
  const what = 'Squads transaction (Vault, Config or Batch)';
  expectOwner(account, [SQUADS_PROGRAM], what);
  const d = account.data;
  if (d.length < 8) throw new MalformedAccount(account.address, what, `${d.length} bytes, too short for its 8-byte discriminator`);
  if (sameBytes(d, VAULT_TRANSACTION.discriminator)) {
    const t = decodeWith(VAULT_TRANSACTION, account, 'Squads VaultTransaction');
    const m = t.message as Raw;
    return {
      type: 'vault',
      value: {
        multisig: t.multisig,
        creator: t.creator,
        index: t.index,
        bump: t.bump,
        vaultIndex: t.vaultIndex,
        vaultBump: t.vaultBump,
        ephemeralSignerBumps: bytes(t.ephemeralSignerBumps),
        message: {
          numSigners: m.numSigners,
          numWritableSigners: m.numWritableSigners,
          numWritableNonSigners: m.numWritableNonSigners,
          accountKeys: m.accountKeys,
          instructions: (m.instructions as Raw[]).map((ix) => ({
            programIdIndex: ix.programIdIndex,
            accountIndexes: bytes(ix.accountIndexes),
            data: Uint8Array.from(ix.data as Uint8Array),
          })),
          addressTableLookups: (m.addressTableLookups as Raw[]).map((l) => ({
            accountKey: l.accountKey,
            writableIndexes: bytes(l.writableIndexes),
            readonlyIndexes: bytes(l.readonlyIndexes),
          })),
        },
      },
    };
  }
  if (sameBytes(d, CONFIG_TRANSACTION.discriminator)) {
    const c = decodeWith(CONFIG_TRANSACTION, account, 'Squads ConfigTransaction');
    return { type: 'config', multisig: c.multisig, index: c.index, creator: c.creator, actions: (c.actions as { __kind: string }[]).map((a) => a.__kind) };
  }
  if (sameBytes(d, BATCH.discriminator)) {
    const b = decodeWith(BATCH, account, 'Squads Batch');
    return { type: 'batch', multisig: b.multisig, index: b.index, creator: b.creator, size: b.size, vaultIndex: b.vaultIndex };
  }
  throw new WrongDiscriminator(account.address, what, hex(d.subarray(0, 8)));
}

/** web3.js, loaded on the first lookup table: most messages have none, and deciding one without them need not pay for it. */
let web3: typeof Web3 | undefined;
const loadWeb3 = (): typeof Web3 => (web3 ??= createRequire(import.meta.url)('@solana/web3.js') as typeof Web3);

/** Decodes an address lookup table (owner checked; type, length and layout checked by web3.js). */
export function decodeLookupTable(account: AccountData): LookupTable {
  const what = 'address lookup table';
  expectOwner(account, [LOOKUP_TABLE_PROGRAM], what);
  try {
    const s = loadWeb3().AddressLookupTableAccount.deserialize(account.data);
    return {
      addresses: s.addresses.map(toAddress),
      authority: s.authority ? toAddress(s.authority) : null,
      deactivationSlot: s.deactivationSlot,
    };
  } catch (e) {
    throw new MalformedAccount(account.address, what, e instanceof Error ? e.message : String(e));
  }
}
