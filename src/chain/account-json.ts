/**
 * The Solana CLI account JSON form (`solana account --output json`, `solana-test-validator
 * --account`), which snapshots use for `accounts[]` (docs/rules.md#snapshots-replaying-a-decision). `rentEpoch` and `space` are ignored
 * on input: the data length is the space.
 */
import { address, isAddress } from '@solana/kit';
import { InvalidAccountJson } from './errors.ts';
import type { AccountData } from './types.ts';

/** One entry of the CLI account JSON form, as read from a file (fields are checked, not trusted). */
export interface CliAccountJson {
  readonly pubkey: string;
  readonly account: {
    /** A number as the CLI writes it; a decimal string is accepted for values above 2^53. */
    readonly lamports: number | string;
    readonly data: readonly [string, 'base64'];
    readonly owner: string;
    readonly executable: boolean;
    readonly rentEpoch?: number;
    readonly space?: number;
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parses one CLI account entry; throws `InvalidAccountJson` naming the pubkey on any bad field. */
export function parseCliAccountJson(entry: unknown): AccountData {
  if (typeof entry !== 'object' || entry === null) throw new InvalidAccountJson('(unnamed)', 'not an object');
  const e = entry as Record<string, unknown>;
  const pubkey = typeof e['pubkey'] === 'string' ? e['pubkey'] : '(no pubkey)';
  const fail = (detail: string): never => {
    throw new InvalidAccountJson(pubkey, detail);
  };
  if (!isAddress(pubkey)) fail('pubkey is not a base58 32-byte address');
  const account = e['account'];
  if (typeof account !== 'object' || account === null) return fail('missing "account" object');
  const a = account as Record<string, unknown>;

  const owner = a['owner'];
  if (typeof owner !== 'string' || !isAddress(owner)) fail('owner is not a base58 32-byte address');
  if (typeof a['executable'] !== 'boolean') fail('executable is not a boolean');

  const data = a['data'];
  if (!Array.isArray(data) || data.length !== 2 || data[1] !== 'base64' || typeof data[0] !== 'string') {
    fail('data must be ["<base64>", "base64"]');
  }
  const b64 = (data as [string, string])[0];
  // Buffer.from silently skips bad characters; a snapshot with corrupt bytes must be refused instead.
  if (!BASE64.test(b64)) fail('data is not valid base64');

  return {
    address: address(pubkey),
    owner: address(owner as string),
    lamports: parseLamports(a['lamports'], fail),
    data: new Uint8Array(Buffer.from(b64, 'base64')),
    executable: a['executable'] as boolean,
  };
}

function parseLamports(v: unknown, fail: (detail: string) => never): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v) && BigInt(v) < 1n << 64n) return BigInt(v);
  return fail('lamports is not a non-negative integer (u64)');
}

/** The CLI account JSON entry for an account (`rentEpoch` 0, `space` = data length). */
export function toCliAccountJson(a: AccountData): CliAccountJson {
  // JSON numbers are exact only to 2^53; larger balances are written as decimal strings, which
  // parseCliAccountJson reads back exactly.
  const lamports = a.lamports <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a.lamports) : a.lamports.toString();
  return {
    pubkey: a.address,
    account: {
      lamports,
      data: [Buffer.from(a.data).toString('base64'), 'base64'],
      owner: a.owner,
      executable: a.executable,
      rentEpoch: 0,
      space: a.data.length,
    },
  };
}
