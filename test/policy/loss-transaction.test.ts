import { describe, expect, it } from 'vitest';
import { verifyLossTransaction } from '../../src/policy/loss-transaction.ts';
import { lossTransaction } from '../../src/sandbox/fixtures/loss-transaction.ts';
import { SANDBOX } from '../../src/sandbox/seeds.ts';

const verify = (o: Parameters<typeof lossTransaction>[0] = {}, reserve: string = SANDBOX.reserve) =>
  verifyLossTransaction(lossTransaction(o).result, reserve);

describe('loss transaction verification', () => {
  it('accepts a top-level socialize_loss_v2 with its log line', () => {
    const v = verify({ forgiven: 1_234_567n });
    expect(v.outcome).toBe('pass');
    if (v.outcome === 'pass') {
      expect(v.forgiven).toBe(1_234_567n);
      expect(v.findings[0]?.version).toBe(2);
      expect(v.slot).toBe(312_000_000n);
    }
  });

  it('accepts a v1 socialize_loss', () => {
    const v = verify({ version: 1, forgiven: 5n });
    expect(v).toMatchObject({ outcome: 'pass', forgiven: 5n });
  });

  it('accepts socialize_loss as an inner instruction of a Squads execution', () => {
    const v = verify({ placement: 'inner', forgiven: 77n });
    expect(v).toMatchObject({ outcome: 'pass', forgiven: 77n });
    if (v.outcome === 'pass') expect(v.findings[0]?.position).toBe('inner 1.1');
  });

  it('finds the reserve among lookup-table loaded addresses', () => {
    expect(verify({ reserveInLookupTable: true, forgiven: 9n })).toMatchObject({ outcome: 'pass', forgiven: 9n });
  });

  it('drops the logged fraction', () => {
    expect(verify({ forgiven: 100n, loggedFraction: '9999' })).toMatchObject({ outcome: 'pass', forgiven: 100n });
  });

  it('sums several socialize_loss instructions on the reserve', () => {
    expect(verify({ forgiven: 10n, twice: true })).toMatchObject({ outcome: 'pass', forgiven: 20n });
    expect(verify({ forgiven: 10n, twice: true, placement: 'inner' })).toMatchObject({ outcome: 'pass', forgiven: 20n });
  });

  it('uses the logged amount, not liquidity_amount, when less was forgiven', () => {
    expect(verify({ forgiven: 40n, liquidityAmount: 100n })).toMatchObject({ outcome: 'pass', forgiven: 40n });
  });

  it('fails a loss transaction that failed', () => {
    expect(verify({ failed: true }).outcome).toBe('fail');
  });

  it('fails a transaction that is not klend', () => {
    const v = verify({ programId: SANDBOX.outsider });
    expect(v.outcome).toBe('fail');
  });

  it('fails a klend transaction that is not socialize_loss', () => {
    expect(verify({ notSocialize: true }).outcome).toBe('fail');
  });

  it('fails a socialize_loss on another reserve', () => {
    const v = verify({}, SANDBOX.outsider);
    expect(v.outcome).toBe('fail');
    if (v.outcome !== 'pass') expect(v.reason).toMatch(/another reserve/);
  });

  it('is unknown when the log line is missing', () => {
    const v = verify({ logLine: 'absent' });
    expect(v.outcome).toBe('unknown');
    if (v.outcome !== 'pass') expect(v.reason).toMatch(/no "Forgiving debt amount"/);
  });

  it('is unknown with two log lines in one invoke block', () => {
    expect(verify({ logLine: 'twice' }).outcome).toBe('unknown');
  });

  it('is unknown when the log is truncated', () => {
    expect(verify({ truncatedLog: true }).outcome).toBe('unknown');
  });

  it('fails when the logged amount exceeds liquidity_amount', () => {
    const v = verify({ forgiven: 101n, liquidityAmount: 100n });
    expect(v.outcome).toBe('fail');
    if (v.outcome !== 'pass') expect(v.reason).toMatch(/exceeds/);
  });

  it('is unknown without status metadata', () => {
    const tx = lossTransaction().result;
    expect(verifyLossTransaction({ ...tx, meta: null }, SANDBOX.reserve).outcome).toBe('unknown');
  });
});
