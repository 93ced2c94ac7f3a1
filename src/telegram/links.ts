/**
 * Where a human checks a proposal outside backstop (docs/telegram.md): the Squads app and a block explorer, on
 * the cluster the RPC is on — a link to mainnet from a sandbox or devnet card would show nothing or,
 * worse, someone else's account.
 */
import type { Address } from '@solana/kit';

/** The cluster the RPC serves; `custom` (a local validator, the sandbox) carries the RPC URL. */
export type Cluster = { readonly kind: 'mainnet' } | { readonly kind: 'devnet' } | { readonly kind: 'testnet' } | { readonly kind: 'custom'; readonly rpcUrl: string };

/** Guesses the cluster from an RPC URL: loopback and private hosts are custom, known names devnet/testnet, else mainnet. */
export function clusterOf(rpcUrl: string | undefined): Cluster {
  if (!rpcUrl) return { kind: 'mainnet' };
  let host: string;
  try {
    host = new URL(rpcUrl).hostname;
  } catch {
    return { kind: 'custom', rpcUrl };
  }
  if (/^(localhost|127\.|0\.0\.0\.0|\[?::1\]?$|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host)) return { kind: 'custom', rpcUrl };
  if (/devnet/.test(host)) return { kind: 'devnet' };
  if (/testnet/.test(host)) return { kind: 'testnet' };
  return { kind: 'mainnet' };
}

const query = (cluster: Cluster): string =>
  cluster.kind === 'mainnet' ? '' : cluster.kind === 'custom' ? `?cluster=custom&customUrl=${encodeURIComponent(cluster.rpcUrl)}` : `?cluster=${cluster.kind}`;

/** The Squads app page of a multisig transaction; the app shows mainnet only, so null elsewhere. */
export function squadsLink(multisig: Address | string, transactionIndex: bigint, cluster: Cluster = { kind: 'mainnet' }): string | null {
  return cluster.kind === 'mainnet' ? `https://app.squads.so/squads/${multisig}/transactions/${transactionIndex.toString()}` : null;
}

/** A Solana explorer page of an account on `cluster`. */
export function explorerAddressLink(address: Address | string, cluster: Cluster = { kind: 'mainnet' }): string {
  return `https://explorer.solana.com/address/${address}${query(cluster)}`;
}

/** A Solana explorer page of a transaction signature on `cluster`. */
export function explorerTxLink(signature: string, cluster: Cluster = { kind: 'mainnet' }): string {
  return `https://explorer.solana.com/tx/${signature}${query(cluster)}`;
}
