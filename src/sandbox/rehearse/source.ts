/**
 * The chain a rehearsal copies from (mainnet, usually): only reads. The type has no send, simulate
 * or any other method that could change anything there, so the rehearsal cannot ask for one.
 */
import type { Address } from '@solana/kit';
import { ChainReader, type SignaturesForAddressResult, type TransactionJsonResult } from '../../chain/reader.ts';
import type { AccountSource } from '../../chain/types.ts';

/** Reads a rehearsal may make of its source RPC. */
export interface SourceChain extends AccountSource {
  /** The endpoint's origin, safe to print (path and query may hold an API key). */
  readonly endpoint: string;
  getSlot(): Promise<number>;
  getTransactionJson(signature: string, o: { commitment: 'finalized' }): Promise<TransactionJsonResult>;
  getSignaturesForAddress(address: Address, o: { limit: number; commitment: 'finalized' }): Promise<SignaturesForAddressResult>;
}

/** A read-only view of `rpcUrl` (bounded retries; large program accounts get a minute). */
export function sourceChain(rpcUrl: string): SourceChain {
  const reader = new ChainReader({ rpcUrl, commitment: 'finalized', timeoutMs: 60_000 });
  return {
    endpoint: reader.endpoint,
    getAccounts: (addresses) => reader.getAccounts(addresses),
    getSlot: () => reader.getSlot(),
    getTransactionJson: (signature, o) => reader.getTransactionJson(signature, o),
    getSignaturesForAddress: (address, o) => reader.getSignaturesForAddress(address, o),
  };
}
