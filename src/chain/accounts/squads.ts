/**
 * Squads v4 account decoders (docs/chain.md#squads-v4). The SDK's deserializers check neither owner nor
 * discriminator, so every decoder here checks both first and converts SDK values (BN, PublicKey)
 * into backstop's types (bigint, kit `Address`).
 */
import { type Address } from '@solana/kit';
import { AddressLookupTableAccount } from '@solana/web3.js';
import * as multisig from '@sqds/multisig';
import { MalformedAccount, WrongDiscriminator } from '../errors.ts';
import type { AccountData } from '../types.ts';
import { expectDiscriminator, expectOwner } from './check.ts';
import { toAddress } from '../keys.ts';
import { PROGRAMS } from '../programs.ts';

const { accounts, utils } = multisig;

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

/** Runs an SDK deserializer, turning its RangeErrors and friends into `MalformedAccount`. */
function sdkDecode<T>(account: AccountData, what: string, decode: (buf: Buffer) => [T, number]): T {
  try {
    const [value, end] = decode(Buffer.from(account.data.buffer, account.data.byteOffset, account.data.byteLength));
    if (end > account.data.length) throw new Error(`needs ${end} bytes, has ${account.data.length}`);
    return value;
  } catch (e) {
    throw new MalformedAccount(account.address, what, e instanceof Error ? e.message : String(e));
  }
}

function squadsAccount<T>(account: AccountData, what: string, discriminator: number[], decode: (buf: Buffer) => [T, number]): T {
  expectOwner(account, [SQUADS_PROGRAM], what);
  expectDiscriminator(account, Uint8Array.from(discriminator), what);
  return sdkDecode(account, what, decode);
}

/** Decodes a Squads `Multisig`; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeMultisig(account: AccountData): MultisigAccount {
  const m = squadsAccount(account, 'Squads Multisig', accounts.multisigDiscriminator, (b) => accounts.Multisig.deserialize(b));
  return {
    createKey: toAddress(m.createKey),
    configAuthority: toAddress(m.configAuthority),
    threshold: m.threshold,
    timeLock: m.timeLock,
    transactionIndex: utils.toBigInt(m.transactionIndex),
    staleTransactionIndex: utils.toBigInt(m.staleTransactionIndex),
    rentCollector: m.rentCollector ? toAddress(m.rentCollector) : null,
    bump: m.bump,
    members: m.members.map((x) => ({
      key: toAddress(x.key),
      mask: x.permissions.mask,
      initiate: (x.permissions.mask & 1) !== 0,
      vote: (x.permissions.mask & 2) !== 0,
      execute: (x.permissions.mask & 4) !== 0,
    })),
  };
}

/** Decodes a Squads `Proposal`; throws WrongOwner / WrongDiscriminator / MalformedAccount. */
export function decodeProposalAccount(account: AccountData): ProposalAccount {
  const p = squadsAccount(account, 'Squads Proposal', accounts.proposalDiscriminator, (b) => accounts.Proposal.deserialize(b));
  const s = p.status;
  return {
    multisig: toAddress(p.multisig),
    transactionIndex: utils.toBigInt(p.transactionIndex),
    status: { kind: s.__kind, timestamp: s.__kind === 'Executing' ? null : utils.toBigInt(s.timestamp) },
    bump: p.bump,
    approved: p.approved.map(toAddress),
    rejected: p.rejected.map(toAddress),
    cancelled: p.cancelled.map(toAddress),
  };
}

const sameBytes = (a: Uint8Array, b: readonly number[]): boolean => a.length >= b.length && b.every((x, i) => a[i] === x);

/**
 * Decodes whatever the transaction PDA holds (VaultTransaction, ConfigTransaction or Batch).
 * Any other Squads account type throws WrongDiscriminator: it can never be a proposal's transaction.
 */
export function decodeTransactionAccount(account: AccountData): TransactionAccount {
  const what = 'Squads transaction (Vault, Config or Batch)';
  expectOwner(account, [SQUADS_PROGRAM], what);
  const d = account.data;
  if (d.length < 8) throw new MalformedAccount(account.address, what, `${d.length} bytes, too short for its 8-byte discriminator`);
  if (sameBytes(d, accounts.vaultTransactionDiscriminator)) {
    const t = sdkDecode(account, 'Squads VaultTransaction', (b) => accounts.VaultTransaction.deserialize(b));
    const m = t.message;
    return {
      type: 'vault',
      value: {
        multisig: toAddress(t.multisig),
        creator: toAddress(t.creator),
        index: utils.toBigInt(t.index),
        bump: t.bump,
        vaultIndex: t.vaultIndex,
        vaultBump: t.vaultBump,
        ephemeralSignerBumps: Array.from(t.ephemeralSignerBumps),
        message: {
          numSigners: m.numSigners,
          numWritableSigners: m.numWritableSigners,
          numWritableNonSigners: m.numWritableNonSigners,
          accountKeys: m.accountKeys.map(toAddress),
          instructions: m.instructions.map((ix) => ({
            programIdIndex: ix.programIdIndex,
            accountIndexes: Array.from(ix.accountIndexes),
            data: Uint8Array.from(ix.data),
          })),
          addressTableLookups: m.addressTableLookups.map((l) => ({
            accountKey: toAddress(l.accountKey),
            writableIndexes: Array.from(l.writableIndexes),
            readonlyIndexes: Array.from(l.readonlyIndexes),
          })),
        },
      },
    };
  }
  if (sameBytes(d, accounts.configTransactionDiscriminator)) {
    const c = sdkDecode(account, 'Squads ConfigTransaction', (b) => accounts.ConfigTransaction.deserialize(b));
    return {
      type: 'config',
      multisig: toAddress(c.multisig),
      index: utils.toBigInt(c.index),
      creator: toAddress(c.creator),
      actions: c.actions.map((a) => a.__kind),
    };
  }
  if (sameBytes(d, accounts.batchDiscriminator)) {
    const b = sdkDecode(account, 'Squads Batch', (buf) => accounts.Batch.deserialize(buf));
    return {
      type: 'batch',
      multisig: toAddress(b.multisig),
      index: utils.toBigInt(b.index),
      creator: toAddress(b.creator),
      size: b.size,
      vaultIndex: b.vaultIndex,
    };
  }
  throw new WrongDiscriminator(account.address, what, hex(d.subarray(0, 8)));
}

/** Decodes an address lookup table (owner checked; type, length and layout checked by web3.js). */
export function decodeLookupTable(account: AccountData): LookupTable {
  const what = 'address lookup table';
  expectOwner(account, [LOOKUP_TABLE_PROGRAM], what);
  try {
    const s = AddressLookupTableAccount.deserialize(account.data);
    return {
      addresses: s.addresses.map(toAddress),
      authority: s.authority ? toAddress(s.authority) : null,
      deactivationSlot: s.deactivationSlot,
    };
  } catch (e) {
    throw new MalformedAccount(account.address, what, e instanceof Error ? e.message : String(e));
  }
}
