/**
 * The JSON-RPC methods the harness serves: exactly what backstop (through web3.js v1) uses, with
 * result shapes that web3.js's response validation accepts.
 */
import { getBase58Encoder, isAddress, type Address } from '@solana/kit';
import { accountJson, MAX_SIGNATURES_LIMIT, type HarnessChain } from './chain.ts';
import type { Faults } from './faults.ts';
import { decodeWire, RpcError } from './wire.ts';

type Handler = (params: unknown[]) => unknown;

/** Builds the method table over a chain and its faults. */
export function rpcMethods(chain: HarnessChain, faults: Faults): ReadonlyMap<string, Handler> {
  const ctx = (value: unknown) => ({ context: { slot: chain.slot(), apiVersion: '2.2.0' }, value });

  /** An account as a read serves it: broken → error, hidden → null. */
  const readAccount = (addr: Address, config: Record<string, unknown>) => {
    const a = faults.hidden.has(addr) ? null : chain.getAccount(addr);
    if (!a) return null;
    const json = accountJson(a);
    const slice = config['dataSlice'] as { offset?: unknown; length?: unknown } | undefined;
    let data = a.data;
    if (slice) {
      if (typeof slice.offset !== 'number' || typeof slice.length !== 'number') throw new RpcError(-32602, 'invalid dataSlice');
      data = data.subarray(slice.offset, slice.offset + slice.length);
    }
    const encoding = config['encoding'] ?? 'base64';
    if (encoding === 'base64') return { ...json, data: [Buffer.from(data).toString('base64'), 'base64'] };
    throw new RpcError(-32602, `unsupported encoding: ${String(encoding)} (the harness serves base64)`);
  };
  const checkReadable = (addrs: readonly Address[]) => {
    const broken = addrs.find((a) => faults.broken.has(a));
    if (broken) throw new RpcError(-32603, `Internal error: could not read account ${broken}`);
  };

  const table: Record<string, Handler> = {
    getAccountInfo: (p) => {
      const addr = addressParam(p[0]);
      checkReadable([addr]);
      return ctx(readAccount(addr, configParam(p[1])));
    },
    getMultipleAccounts: (p) => {
      if (!Array.isArray(p[0])) throw new RpcError(-32602, 'expected an array of addresses');
      if (p[0].length > 100) throw new RpcError(-32602, 'Too many inputs provided; max 100');
      const addrs = p[0].map(addressParam);
      checkReadable(addrs);
      const config = configParam(p[1]);
      return ctx(addrs.map((a) => readAccount(a, config)));
    },
    getProgramAccounts: (p) => {
      const program = addressParam(p[0]);
      const config = configParam(p[1]);
      const filters = programAccountFilters(config['filters']);
      const matching = chain.programAccounts(program).filter((a) => !faults.hidden.has(a.address) && filters.every((f) => f(a.data)));
      checkReadable(matching.map((a) => a.address));
      const list = matching.map((a) => ({ pubkey: a.address, account: readAccount(a.address, config) }));
      return config['withContext'] === true ? ctx(list) : list;
    },
    getBalance: (p) => {
      const addr = addressParam(p[0]);
      checkReadable([addr]);
      return ctx(faults.hidden.has(addr) ? 0 : Number(chain.getAccount(addr)?.lamports ?? 0n));
    },
    getTransaction: (p) => {
      const signature = stringParam(p[0], 'signature');
      const encoding = (configParam(p[1])['encoding'] ?? 'json') as string;
      if (encoding !== 'json' && encoding !== 'base64') throw new RpcError(-32602, `unsupported encoding: ${encoding}`);
      return chain.transactionJson(signature, encoding);
    },
    getSignaturesForAddress: (p) => {
      const addr = addressParam(p[0]);
      checkReadable([addr]);
      const config = configParam(p[1]);
      const limit = config['limit'] ?? MAX_SIGNATURES_LIMIT;
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SIGNATURES_LIMIT) {
        throw new RpcError(-32602, `Invalid limit; max ${MAX_SIGNATURES_LIMIT}`);
      }
      const optional = (k: 'before' | 'until') => (config[k] === undefined || config[k] === null ? undefined : stringParam(config[k], k));
      const before = optional('before');
      const until = optional('until');
      return chain.signaturesForAddress(addr, { limit, ...(before !== undefined ? { before } : {}), ...(until !== undefined ? { until } : {}) });
    },
    getSignatureStatuses: (p) => {
      if (!Array.isArray(p[0])) throw new RpcError(-32602, 'expected an array of signatures');
      if (p[0].length > 256) throw new RpcError(-32602, 'Too many inputs provided; max 256');
      return ctx(p[0].map((s) => chain.signatureStatus(stringParam(s, 'signature'))));
    },
    getLatestBlockhash: () => ctx(chain.latestBlockhash()),
    isBlockhashValid: (p) => ctx(chain.isBlockhashValid(stringParam(p[0], 'blockhash'))),
    getBlockHeight: () => chain.blockHeight(),
    getSlot: () => chain.slot(),
    sendTransaction: (p) => {
      const config = configParam(p[1]);
      const bytes = decodeWire(p[0], config['encoding']);
      return chain.send(bytes, { skipPreflight: config['skipPreflight'] === true });
    },
    simulateTransaction: (p) => {
      const config = configParam(p[1]);
      const bytes = decodeWire(p[0], config['encoding']);
      const accountsCfg = config['accounts'] as { addresses?: unknown; encoding?: unknown } | undefined;
      if (accountsCfg !== undefined && !Array.isArray(accountsCfg?.addresses)) throw new RpcError(-32602, 'Invalid params: accounts.addresses must be an array');
      const accountsEncoding = accountsCfg?.encoding ?? 'base64';
      if (accountsEncoding === 'base58' || accountsEncoding === 'binary') throw new RpcError(-32602, 'base58 encoding not supported');
      if (accountsEncoding !== 'base64') throw new RpcError(-32602, `unsupported encoding: ${String(accountsEncoding)} (the harness serves base64)`);
      const accounts = accountsCfg ? (accountsCfg.addresses as unknown[]).map(addressParam) : null;
      return ctx(
        chain.simulate(bytes, {
          sigVerify: config['sigVerify'] === true,
          replaceRecentBlockhash: config['replaceRecentBlockhash'] === true,
          accounts,
          innerInstructions: config['innerInstructions'] === true,
        }),
      );
    },
    getMinimumBalanceForRentExemption: (p) => {
      if (typeof p[0] !== 'number' || !Number.isInteger(p[0]) || p[0] < 0) throw new RpcError(-32602, 'expected a data length');
      return Number(chain.svm.minimumBalanceForRentExemption(BigInt(p[0])));
    },
    getGenesisHash: () => chain.genesisHash,
    getVersion: () => ({ 'solana-core': '2.2.0', 'feature-set': 0 }),
    getHealth: () => 'ok',
    getEpochInfo: () => {
      const clock = chain.svm.getClock();
      const schedule = chain.svm.getEpochSchedule();
      const slotsInEpoch = Number(schedule.slotsPerEpoch);
      return {
        absoluteSlot: chain.slot(),
        blockHeight: chain.blockHeight(),
        epoch: Number(clock.epoch),
        slotIndex: chain.slot() % slotsInEpoch,
        slotsInEpoch,
        transactionCount: chain.transactionCount(),
      };
    },
  };
  return new Map(Object.entries(table));
}

/** `getProgramAccounts` filters as a validator takes them: `dataSize`, and `memcmp` with base58 (default) or base64 bytes. */
function programAccountFilters(v: unknown): ((data: Uint8Array) => boolean)[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > 4) throw new RpcError(-32602, 'Invalid params: filters must be an array of at most 4');
  return v.map((f: unknown) => {
    const filter = f as { dataSize?: unknown; memcmp?: { offset?: unknown; bytes?: unknown; encoding?: unknown } } | null;
    if (typeof filter?.dataSize === 'number' && Number.isInteger(filter.dataSize) && filter.dataSize >= 0) {
      const size = filter.dataSize;
      return (data: Uint8Array) => data.length === size;
    }
    const m = filter?.memcmp;
    if (m && typeof m.offset === 'number' && Number.isInteger(m.offset) && m.offset >= 0 && typeof m.bytes === 'string') {
      const encoding = m.encoding ?? 'base58';
      if (encoding !== 'base58' && encoding !== 'base64') throw new RpcError(-32602, `Invalid params: memcmp encoding ${String(encoding)}`);
      let bytes: Uint8Array;
      try {
        bytes = encoding === 'base64' ? new Uint8Array(Buffer.from(m.bytes, 'base64')) : new Uint8Array(getBase58Encoder().encode(m.bytes));
      } catch {
        throw new RpcError(-32602, 'Invalid params: memcmp bytes are not valid base58');
      }
      const offset = m.offset;
      return (data: Uint8Array) => data.length >= offset + bytes.length && bytes.every((b, i) => data[offset + i] === b);
    }
    throw new RpcError(-32602, 'Invalid params: each filter must be { dataSize } or { memcmp: { offset, bytes } }');
  });
}

function addressParam(v: unknown): Address {
  if (typeof v !== 'string' || !isAddress(v)) throw new RpcError(-32602, `Invalid param: not a base58 address: ${String(v)}`);
  return v;
}

function stringParam(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new RpcError(-32602, `Invalid param: ${what} must be a string`);
  return v;
}

function configParam(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new RpcError(-32602, 'Invalid params: config must be an object');
  return v as Record<string, unknown>;
}
