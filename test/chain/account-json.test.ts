import { describe, expect, it } from 'vitest';
import { parseCliAccountJson, toCliAccountJson } from '../../src/chain/account-json.ts';
import { InvalidAccountJson } from '../../src/chain/errors.ts';
import type { AccountData } from '../../src/chain/types.ts';
import { PROGRAMS, SANDBOX } from '../../src/sandbox/seeds.ts';

const entry = (over: Record<string, unknown> = {}, pubkey: string = SANDBOX.escrow) => ({
  pubkey,
  account: { lamports: 2039280, data: ['AQID', 'base64'], owner: PROGRAMS.token, executable: false, rentEpoch: 18446744073709552000, space: 3, ...over },
});

describe('Solana CLI account JSON (snapshot accounts[])', () => {
  it('parses an entry, ignoring rentEpoch and space', () => {
    expect(parseCliAccountJson(entry())).toEqual({
      address: SANDBOX.escrow,
      owner: PROGRAMS.token,
      lamports: 2_039_280n,
      data: Uint8Array.from([1, 2, 3]),
      executable: false,
    });
  });

  it('round-trips through toCliAccountJson and JSON text', () => {
    const a: AccountData = { address: SANDBOX.farm, owner: PROGRAMS.farms, lamports: 5n, data: Uint8Array.from([0, 255, 7, 8]), executable: false };
    const json = toCliAccountJson(a);
    expect(json).toEqual({
      pubkey: SANDBOX.farm,
      account: { lamports: 5, data: ['AP8HCA==', 'base64'], owner: PROGRAMS.farms, executable: false, rentEpoch: 0, space: 4 },
    });
    expect(parseCliAccountJson(JSON.parse(JSON.stringify(json)))).toEqual(a);
  });

  it('keeps lamports above 2^53 exact as a decimal string', () => {
    const a: AccountData = { address: SANDBOX.farm, owner: PROGRAMS.system, lamports: 2n ** 60n + 1n, data: new Uint8Array(), executable: false };
    expect(parseCliAccountJson(JSON.parse(JSON.stringify(toCliAccountJson(a)))).lamports).toBe(2n ** 60n + 1n);
  });

  it.each([
    ['bad base64', { data: ['AQI$', 'base64'] }, /not valid base64/],
    ['a non-base64 encoding', { data: ['AQID', 'base58'] }, /data must be/],
    ['a bad owner', { owner: 'not-an-address' }, /owner/],
    ['negative lamports', { lamports: -1 }, /lamports/],
    ['fractional lamports', { lamports: 1.5 }, /lamports/],
    ['a non-boolean executable', { executable: 'false' }, /executable/],
  ])('refuses %s, naming the pubkey', (_name, over, message) => {
    const run = () => parseCliAccountJson(entry(over));
    expect(run).toThrow(InvalidAccountJson);
    expect(run).toThrow(message);
    expect(run).toThrow(SANDBOX.escrow);
  });

  it('refuses a bad pubkey', () => {
    expect(() => parseCliAccountJson(entry({}, 'xyz'))).toThrow(/account entry xyz: pubkey/);
  });
});
