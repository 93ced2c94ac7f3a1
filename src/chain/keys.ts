/**
 * The one conversion from web3.js `PublicKey`s (what web3.js's lookup-table decoder returns) to kit
 * `Address`es (everything else). Type-only: importing it loads no web3.js.
 */
import type { Address } from '@solana/kit';
import type { PublicKey } from '@solana/web3.js';

/** A PublicKey as an Address. A PublicKey always renders a valid address, so kit's re-validation is skipped. */
export const toAddress = (key: PublicKey): Address => key.toBase58() as Address;
