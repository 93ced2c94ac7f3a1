import { afterEach, describe, expect, it } from 'vitest';
import { decodeTokenAccount } from '../../src/chain/accounts/spl.ts';
import { errorText } from '../../src/chain/errors.ts';
import { decodeInstruction } from '../../src/chain/instructions.ts';
import { escrowAccount } from '../../src/sandbox/fixtures/token.ts';
import { PROGRAMS } from '../../src/sandbox/seeds.ts';

const env = process.env.NODE_ENV;
afterEach(() => {
  if (env === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = env;
});

const systemTransferWithoutAccounts = () =>
  decodeInstruction({ programId: PROGRAMS.system, accounts: [], data: Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0) });

describe('errorText keeps codec refusals readable', () => {
  it('names a kit error by its code and context when NODE_ENV=production strips its message', () => {
    process.env.NODE_ENV = 'production';
    const d = systemTransferWithoutAccounts();
    if (d.kind !== 'malformed') throw new Error(`expected malformed, got ${d.kind}`);
    expect(d.error).not.toMatch(/Solana error #/);
    expect(d.error).toBe('system instruction does not decode: PROGRAM_CLIENTS__INSUFFICIENT_ACCOUNT_METAS (actualAccountMetas 0, expectedAccountMetas 2)');

    const e = escrowAccount();
    const data = e.data.slice();
    data[108] = 3; // no such account state
    expect(() => decodeTokenAccount({ ...e, data })).toThrow(/CODECS__ENUM_DISCRIMINATOR_OUT_OF_RANGE \(discriminator 3/);
  });

  it('keeps kit\'s own message otherwise, and any other error\'s message', () => {
    const d = systemTransferWithoutAccounts();
    expect(d.kind === 'malformed' && d.error).toMatch(/missing some accounts\. Expected at least 2/);
    expect(errorText(new RangeError('offset out of range'))).toBe('offset out of range');
    expect(errorText('plain')).toBe('plain');
  });
});
