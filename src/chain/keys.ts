/**
 * The one conversion between web3.js `PublicKey`s (Squads and spl-token SDKs) and kit `Address`es
 * (everything else): every layer converts through here.
 */
import type { Address } from '@solana/kit';
import { PublicKey } from '@solana/web3.js';

/** A PublicKey as an Address. A PublicKey always renders a valid address, so kit's re-validation is skipped. */
export const toAddress = (key: PublicKey): Address => key.toBase58() as Address;

/** An Address as a PublicKey. */
export const toPublicKey = (address: Address): PublicKey => new PublicKey(address);
