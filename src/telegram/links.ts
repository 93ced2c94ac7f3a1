/** Where a human checks a proposal outside backstop: the Squads app and a block explorer (SPEC §7). */
import type { Address } from '@solana/kit';

/** The Squads app page of a multisig transaction. */
export function squadsLink(multisig: Address | string, transactionIndex: bigint): string {
  return `https://app.squads.so/squads/${multisig}/transactions/${transactionIndex.toString()}`;
}

/** A Solana explorer page of an account; `cluster` is added for non-mainnet clusters. */
export function explorerAddressLink(address: Address | string, cluster?: 'devnet' | 'testnet' | 'custom'): string {
  return `https://explorer.solana.com/address/${address}${cluster ? `?cluster=${cluster}` : ''}`;
}

/** A Solana explorer page of a transaction signature. */
export function explorerTxLink(signature: string, cluster?: 'devnet' | 'testnet' | 'custom'): string {
  return `https://explorer.solana.com/tx/${signature}${cluster ? `?cluster=${cluster}` : ''}`;
}
