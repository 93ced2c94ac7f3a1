/**
 * Resolves what a Squads proposal would execute: a pure core over already-read accounts (so the
 * policy engine can run it on snapshot data) plus a thin async loop that reads what is missing.
 * Resolution follows docs/chain.md#squads-v4: static keys with header flags, then all lookup-writable, then all
 * lookup-readonly keys; a missing table or index leaves the message unresolved and the digest null.
 */
import type { Address } from '@solana/kit';
import {
  decodeLookupTable,
  decodeMultisig,
  decodeProposalAccount,
  decodeTransactionAccount,
  type LookupTable,
  type MultisigAccount,
  type ProposalAccount,
  type TransactionAccount,
  type VaultTransactionMessage,
} from './accounts/squads.ts';
import { computeDigest } from './digest.ts';
import { proposalPdaOf, transactionPdaOf, vaultPdaOf } from './pda.ts';
import { decodeInstruction, type DecodedInstruction, type InstructionAccount } from './instructions.ts';
import { readUntilComplete } from './read-until.ts';
import { readAccount, type AccountMap, type AccountSource, type Read } from './types.ts';

export type { Read } from './types.ts';

/** One lookup table referenced by the message, with the indexes it does not hold. */
export interface ResolvedLookup {
  readonly table: Address;
  readonly read: Read<LookupTable>;
  readonly writableIndexes: readonly number[];
  readonly readonlyIndexes: readonly number[];
  /** Indexes (writable or readonly) beyond the table's length; empty unless `read` is ok. */
  readonly missingIndexes: readonly number[];
}

/** The message of a vault transaction with every key resolved (or why it could not be). */
export interface ResolvedMessage {
  /**
   * The message's index space: static keys with header-derived flags, then ALL lookup-writable,
   * then ALL lookup-readonly keys. When a lookup does not resolve, only the static keys (the
   * index space is then incomplete and must not be indexed into).
   */
  readonly accountKeys: readonly InstructionAccount[];
  readonly lookups: readonly ResolvedLookup[];
  /** The decoded instructions, in order; empty unless fully resolved. */
  readonly instructions: readonly DecodedInstruction[];
  /** Why the message is not fully resolved; null when it is. */
  readonly unresolved: string | null;
}

/** Everything known about one proposal, from on-chain accounts only. */
export interface DecodedProposal {
  readonly multisigAddress: Address;
  readonly transactionIndex: bigint;
  readonly transactionPda: Address;
  readonly proposalPda: Address;
  readonly multisig: Read<MultisigAccount>;
  readonly proposal: Read<ProposalAccount>;
  readonly transaction: Read<TransactionAccount>;
  /** The vault the transaction acts for (vault and batch transactions); null otherwise. */
  readonly vaultPda: Address | null;
  /** Set for a vault transaction; null otherwise. */
  readonly message: ResolvedMessage | null;
  /** docs/digest.md digest; null unless the message is fully resolved. */
  readonly digest: string | null;
}

/** The transaction and proposal PDAs of proposal `index` of `multisig`. */
export function proposalAddresses(multisig: Address, index: bigint): { transactionPda: Address; proposalPda: Address } {
  return { transactionPda: transactionPdaOf(multisig, index), proposalPda: proposalPdaOf(multisig, index) };
}

/** The vault PDA `vaultIndex` of `multisig`. */
export function vaultAddress(multisig: Address, vaultIndex: number): Address {
  return vaultPdaOf(multisig, vaultIndex);
}

/** Marks a decoded account invalid when it says it belongs to another multisig or index than where it was found. */
function belongs<T>(read: Read<T>, at: Address, what: string, owner: (v: T) => { multisig: Address; index: bigint }, multisig: Address, index: bigint): Read<T> {
  if (read.status !== 'ok') return read;
  const o = owner(read.value);
  if (o.multisig === multisig && o.index === index) return read;
  return { status: 'invalid', error: `${at} is a ${what} of multisig ${o.multisig} index ${o.index}, not of ${multisig} index ${index}` };
}

function readTransaction(accounts: AccountMap, multisig: Address, index: bigint, at: Address): Read<TransactionAccount> {
  const read = readAccount(accounts, at, decodeTransactionAccount);
  return belongs(read, at, 'Squads transaction', (t) => (t.type === 'vault' ? { multisig: t.value.multisig, index: t.value.index } : t), multisig, index);
}

/** Static key flags from the message header (docs/chain.md#squads-v4: writable signers, readonly signers, writable non-signers, readonly non-signers). */
function staticKeys(m: VaultTransactionMessage): InstructionAccount[] {
  return m.accountKeys.map((key, i) => ({
    address: key,
    isSigner: i < m.numSigners,
    isWritable: i < m.numWritableSigners || (i >= m.numSigners && i - m.numSigners < m.numWritableNonSigners),
  }));
}

function headerProblem(m: VaultTransactionMessage): string | null {
  const n = m.accountKeys.length;
  if (m.numWritableSigners > m.numSigners || m.numSigners > n || m.numWritableNonSigners > n - m.numSigners) {
    return `message header (signers ${m.numSigners}, writable signers ${m.numWritableSigners}, writable non-signers ${m.numWritableNonSigners}) does not fit its ${n} static keys`;
  }
  return null;
}

function lookupProblem(l: ResolvedLookup): string | null {
  switch (l.read.status) {
    case 'missing':
      return `lookup table ${l.table} does not exist`;
    case 'unavailable':
      return `lookup table ${l.table} could not be read: ${l.read.error}`;
    case 'invalid':
      return `lookup table ${l.table} is invalid: ${l.read.error}`;
    case 'ok':
      return l.missingIndexes.length === 0
        ? null
        : `lookup table ${l.table} has no index ${l.missingIndexes.join(', ')} (it holds ${l.read.value.addresses.length} addresses)`;
  }
}

/** Resolves a vault transaction message against the lookup tables in `accounts` (pure). */
export function resolveMessage(accounts: AccountMap, m: VaultTransactionMessage): ResolvedMessage {
  const problems: string[] = [];
  const header = headerProblem(m);
  if (header) problems.push(header);

  const lookups: ResolvedLookup[] = m.addressTableLookups.map((l) => {
    const read = readAccount(accounts, l.accountKey, decodeLookupTable);
    const size = read.status === 'ok' ? read.value.addresses.length : 0;
    const missingIndexes = read.status === 'ok' ? [...new Set([...l.writableIndexes, ...l.readonlyIndexes])].filter((i) => i >= size) : [];
    return { table: l.accountKey, read, writableIndexes: l.writableIndexes, readonlyIndexes: l.readonlyIndexes, missingIndexes };
  });
  for (const l of lookups) {
    const p = lookupProblem(l);
    if (p) problems.push(p);
  }

  const keys = staticKeys(m);
  if (problems.length === 0) {
    const at = (l: ResolvedLookup, i: number): Address => (l.read.status === 'ok' ? l.read.value.addresses[i] : undefined) as Address;
    for (const l of lookups) for (const i of l.writableIndexes) keys.push({ address: at(l, i), isSigner: false, isWritable: true });
    for (const l of lookups) for (const i of l.readonlyIndexes) keys.push({ address: at(l, i), isSigner: false, isWritable: false });
  }
  // Index checks need the full index space; without it the lookup problem already explains why.
  if (problems.length === 0) {
    m.instructions.forEach((ix, n) => {
      const bad = [ix.programIdIndex, ...ix.accountIndexes].filter((i) => i >= keys.length);
      if (bad.length > 0) problems.push(`instruction ${n}: account index ${[...new Set(bad)].join(', ')} out of range (${keys.length} keys)`);
    });
  }
  if (problems.length > 0) return { accountKeys: keys, lookups, instructions: [], unresolved: problems.join('; ') };

  const key = (i: number): InstructionAccount => keys[i] as InstructionAccount;
  const instructions = m.instructions.map((ix) =>
    decodeInstruction({ programId: key(ix.programIdIndex).address, accounts: ix.accountIndexes.map((i) => ({ ...key(i) })), data: ix.data }),
  );
  return { accountKeys: keys, lookups, instructions, unresolved: null };
}

/** Decodes proposal `index` of `multisig` from `accounts` (pure; absent = missing). */
export function resolveProposal(accounts: AccountMap, multisig: Address, index: bigint): DecodedProposal {
  const { transactionPda, proposalPda } = proposalAddresses(multisig, index);
  const multisigRead = readAccount(accounts, multisig, decodeMultisig);
  const proposal = belongs(
    readAccount(accounts, proposalPda, decodeProposalAccount),
    proposalPda,
    'Squads Proposal',
    (p) => ({ multisig: p.multisig, index: p.transactionIndex }),
    multisig,
    index,
  );
  const transaction = readTransaction(accounts, multisig, index, transactionPda);

  let vaultPda: Address | null = null;
  let message: ResolvedMessage | null = null;
  let digest: string | null = null;
  if (transaction.status === 'ok') {
    const t = transaction.value;
    if (t.type === 'batch') vaultPda = vaultAddress(multisig, t.vaultIndex);
    if (t.type === 'vault') {
      vaultPda = vaultAddress(multisig, t.value.vaultIndex);
      message = resolveMessage(accounts, t.value.message);
      if (message.unresolved === null) {
        digest = computeDigest({ multisig, transactionIndex: index, vaultIndex: t.value.vaultIndex, vaultPda, instructions: message.instructions });
      }
    }
  }
  return {
    multisigAddress: multisig,
    transactionIndex: index,
    transactionPda,
    proposalPda,
    multisig: multisigRead,
    proposal,
    transaction,
    vaultPda,
    message,
    digest,
  };
}

/**
 * The addresses `resolveProposal` would read that are not yet in `accounts`: the multisig, the
 * transaction PDA and the proposal PDA, then (once a vault transaction is known) its lookup tables.
 */
export function proposalAccountsToRead(accounts: AccountMap, multisig: Address, index: bigint): Address[] {
  const { transactionPda, proposalPda } = proposalAddresses(multisig, index);
  const wanted: Address[] = [multisig, transactionPda, proposalPda];
  const t = readTransaction(accounts, multisig, index, transactionPda);
  if (t.status === 'ok' && t.value.type === 'vault') wanted.push(...t.value.value.message.addressTableLookups.map((l) => l.accountKey));
  return [...new Set(wanted)].filter((a) => !accounts.has(a));
}

/** At most: the proposal accounts, then the lookup tables; one spare round in case a source omits an answer. */
const MAX_ROUNDS = 3;

/**
 * Reads everything the proposal needs from `source` (one batch for multisig + transaction +
 * proposal, a second for lookup tables) and resolves it. A failed batch marks its addresses
 * `unavailable` rather than throwing, so the result always says what could not be read.
 */
export async function decodeProposal(source: AccountSource, multisig: Address, index: bigint): Promise<DecodedProposal> {
  const accounts = await readUntilComplete(source, (read) => proposalAccountsToRead(read, multisig, index), { maxRounds: MAX_ROUNDS });
  return resolveProposal(accounts, multisig, index);
}
