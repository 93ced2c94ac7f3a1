import { describe, expect, it } from 'vitest';
import type { Address } from '@solana/kit';
import { readUntilComplete } from '../../src/chain/read-until.ts';
import type { AccountMap, AccountResult, AccountSource } from '../../src/chain/types.ts';
import { marker } from './accounts/bytes.ts';

const [a, b, c] = [marker(1), marker(2), marker(3)];
const found = (address: Address): AccountResult => ({ kind: 'found', account: { address, owner: marker(9), lamports: 1n, data: new Uint8Array(0), executable: false } });

/** A source that records each batch and answers with `answer` (default: found). */
function source(answer: (x: Address) => AccountResult | undefined = found): AccountSource & { batches: Address[][] } {
  const batches: Address[][] = [];
  return {
    batches,
    async getAccounts(addresses) {
      batches.push([...addresses]);
      const out = new Map<Address, AccountResult>();
      for (const x of addresses) {
        const r = answer(x);
        if (r) out.set(x, r);
      }
      return out;
    },
  };
}

// a first, then b once a is held, then c once b is held: three dependent rounds
const chain = (held: AccountMap): Address[] => (!held.has(a) ? [a] : !held.has(b) ? [a, b] : [c]);

describe('readUntilComplete', () => {
  it('reads one batch per round until nothing is missing, never re-reading what it holds', async () => {
    const s = source();
    const got = await readUntilComplete(s, chain, { maxRounds: 5 });
    expect(s.batches).toEqual([[a], [b], [c]]);
    expect([...got.keys()]).toEqual([a, b, c]);
  });

  it('stops after maxRounds batches', async () => {
    const s = source();
    const got = await readUntilComplete(s, chain, { maxRounds: 2 });
    expect(s.batches).toEqual([[a], [b]]);
    expect(got.has(c)).toBe(false);
  });

  it('starts from the seed and does not read it again', async () => {
    const s = source();
    await readUntilComplete(s, chain, { maxRounds: 5, seed: new Map([[a, found(a)]]) });
    expect(s.batches).toEqual([[b], [c]]);
  });

  it('answers unavailable for a batch that throws and for an address left unanswered', async () => {
    const throwing: AccountSource = { getAccounts: async () => { throw new Error('connection reset'); } };
    const got = await readUntilComplete(throwing, () => [a], { maxRounds: 3 });
    expect(got.get(a)).toEqual({ kind: 'unavailable', error: 'connection reset' });
    const silent = source(() => undefined);
    const none = await readUntilComplete(silent, () => [a, b], { maxRounds: 3 });
    expect(none.get(b)).toEqual({ kind: 'unavailable', error: 'not answered by the account source' });
    expect(silent.batches).toHaveLength(1);
  });

  it('lets check refuse an answer, stopping the read', async () => {
    const s = source((x) => (x === b ? { kind: 'unavailable', error: 'timeout' } : found(x)));
    const refuse = (x: Address, r: AccountResult) => {
      if (r.kind === 'unavailable') throw new Error(`could not read ${x}`);
    };
    await expect(readUntilComplete(s, chain, { maxRounds: 5, check: refuse })).rejects.toThrow(`could not read ${b}`);
    expect(s.batches).toEqual([[a], [b]]);
  });
});
