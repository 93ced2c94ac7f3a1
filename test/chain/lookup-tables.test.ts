/**
 * Lookup tables are read by one decoder (chain/accounts/squads.ts `decodeLookupTable`, web3.js
 * `AddressLookupTableAccount.deserialize`): the proposal resolver and the harness that executes v0
 * transactions with them. Here the harness's side, through the production ChainReader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keypair, PublicKey, SystemProgram, TransactionMessage, VersionedTransaction } from '@solana/web3.js';
import type { Address } from '@solana/kit';
import { RpcRejected } from '../../src/chain/errors.ts';
import { toAddress } from '../../src/chain/keys.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import { startHarness, type Harness } from '../../src/sandbox/harness/index.ts';
import { lookupTableAccount, toWeb3LookupTable } from '../../src/sandbox/fixtures/lookup-table.ts';
import { PROGRAMS } from '../../src/sandbox/seeds.ts';

let harness: Harness;
let reader: ChainReader;
beforeAll(async () => {
  harness = await startHarness();
  reader = new ChainReader({ rpcUrl: harness.url, timeoutMs: 2000, retries: 0 });
});
afterAll(async () => {
  await harness.close();
});

/** A funded payer sends 1 lamport to `recipient`, found in `table` at `index`. */
async function sendThroughTable(table: ReturnType<typeof lookupTableAccount>, recipient: Address): Promise<string> {
  const payer = Keypair.generate();
  harness.airdrop(toAddress(payer.publicKey), 1_000_000_000n);
  const { blockhash } = await reader.getLatestBlockhash();
  const message = new TransactionMessage({
    payerKey: payer.publicKey,
    recentBlockhash: blockhash,
    instructions: [SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: new PublicKey(recipient), lamports: 1_000_000 })],
  }).compileToV0Message([toWeb3LookupTable(table)]);
  const tx = new VersionedTransaction(message);
  tx.sign([payer]);
  return reader.sendRawTransaction(tx.serialize());
}

describe('the harness loads v0 addresses through the lookup-table decoder', () => {
  const recipient = toAddress(Keypair.generate().publicKey);
  const table = lookupTableAccount({ address: toAddress(Keypair.generate().publicKey), addresses: [toAddress(Keypair.generate().publicKey), recipient] });

  it('executes a transfer to an address the table holds and reports it as loaded', async () => {
    harness.setAccount(table);
    const signature = await sendThroughTable(table, recipient);
    const got = await reader.getTransactionJson(signature, { commitment: 'confirmed' });
    if (got.kind !== 'found') throw new Error(`transaction ${signature} is ${got.kind}`);
    const meta = got.result.meta as { err: unknown; loadedAddresses: { writable: string[]; readonly: string[] } };
    expect(meta.err).toBeNull();
    expect(meta.loadedAddresses).toEqual({ writable: [recipient], readonly: [] });
    expect(harness.getAccount(recipient)?.lamports).toBe(1_000_000n);
  });

  it('refuses a table owned by another program, as a validator does', async () => {
    const foreign = { ...table, address: toAddress(Keypair.generate().publicKey), owner: PROGRAMS.system };
    harness.setAccount(foreign);
    await expect(sendThroughTable(foreign, recipient)).rejects.toThrow(RpcRejected);
    await expect(sendThroughTable(foreign, recipient)).rejects.toThrow(/not a valid lookup table/);
  });

  it('refuses an index the table does not hold', async () => {
    const short = lookupTableAccount({ address: toAddress(Keypair.generate().publicKey), addresses: [toAddress(Keypair.generate().publicKey), recipient] });
    const stored = lookupTableAccount({ address: short.address, addresses: [toAddress(Keypair.generate().publicKey)] });
    harness.setAccount(stored);
    await expect(sendThroughTable(short, recipient)).rejects.toThrow(/has no index 1/);
  });
});
