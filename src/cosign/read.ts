/**
 * Re-reading a proposal from the chain right before signing (docs/chain.md#squads-v4: lookup tables are
 * re-resolved before signing). Unlike `decodeProposal`, it keeps the raw accounts (the SDK's execute
 * accounts need the stored message and the tables) and turns any unreadable account into
 * `ChainUnavailable`: the co-signer never signs on partial data.
 */
import type { Address } from '@solana/kit';
import { AddressLookupTableAccount, PublicKey } from '@solana/web3.js';
import * as multisigSdk from '@sqds/multisig';
import { ChainUnavailable } from '../chain/errors.ts';
import { proposalAccountsToRead, resolveProposal, type DecodedProposal } from '../chain/proposal.ts';
import type { AccountMap, AccountResult, AccountSource } from '../chain/types.ts';

/** A proposal as read for signing: the decoded view plus the raw accounts it came from. */
export interface ProposalForSigning {
  readonly decoded: DecodedProposal;
  readonly accounts: AccountMap;
}

/** Reads the multisig, transaction, proposal and lookup tables (two rounds at most) and resolves them. */
export async function readProposalForSigning(chain: AccountSource, multisig: Address, index: bigint): Promise<ProposalForSigning> {
  const accounts = new Map<Address, AccountResult>();
  for (let round = 0; round < 3; round++) {
    const needed = proposalAccountsToRead(accounts, multisig, index);
    if (needed.length === 0) break;
    const answer = await chain.getAccounts(needed);
    for (const a of needed) {
      const r = answer.get(a) ?? { kind: 'unavailable', error: 'not answered by the node' };
      if (r.kind === 'unavailable') throw new ChainUnavailable(`could not read ${a} before signing: ${r.error}`, r.error);
      accounts.set(a, r);
    }
  }
  return { decoded: resolveProposal(accounts, multisig, index), accounts };
}

/** The SDK form of the stored vault transaction (owner and discriminator already checked by `resolveProposal`). */
export function sdkVaultTransaction(p: ProposalForSigning): multisigSdk.accounts.VaultTransaction {
  const r = p.accounts.get(p.decoded.transactionPda);
  if (r?.kind !== 'found') throw new Error(`the transaction account ${p.decoded.transactionPda} was not read`);
  return multisigSdk.accounts.VaultTransaction.deserialize(Buffer.from(r.account.data))[0];
}

/** The web3.js lookup table accounts the message references, as read (resolution already checked). */
export function lookupTableAccounts(p: ProposalForSigning): AddressLookupTableAccount[] {
  const out: AddressLookupTableAccount[] = [];
  for (const l of p.decoded.message?.lookups ?? []) {
    const r = p.accounts.get(l.table);
    if (r?.kind !== 'found') throw new Error(`lookup table ${l.table} was not read`);
    out.push(new AddressLookupTableAccount({ key: new PublicKey(l.table), state: AddressLookupTableAccount.deserialize(r.account.data) }));
  }
  return out;
}
