/** Shared fixtures for the store tests: a fresh database per test on either engine, keys, inputs. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { address, type Address } from '@solana/kit';
import { describe, inject, it } from 'vitest';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { NewLossEvent } from '../../src/store/types.ts';
import { createTestDatabase, pgRequired } from '../support/postgres.ts';

export type EngineName = 'sqlite' | 'postgres';
export const ENGINES: readonly EngineName[] = ['sqlite', 'postgres'];

export interface TestDb {
  readonly engine: EngineName;
  readonly database: string;
  readonly headFile: string;
  readonly dir: string;
}

/** A new empty database (a temp SQLite file, or a new PostgreSQL database) and a head file path. */
export async function freshDatabase(engine: EngineName): Promise<TestDb> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-store-'));
  if (engine === 'sqlite') return { engine, database: join(dir, 'backstop.db'), headFile: join(dir, 'backstop.db.head'), dir };
  const url = inject('pgUrl');
  if (url === null) throw new Error(inject('pgUnavailableReason') ?? 'no PostgreSQL');
  return { engine, database: await createTestDatabase(url), headFile: join(dir, 'audit.head'), dir };
}

export const AUDIT_KEY = Ed25519Keypair.fromSeed(new Uint8Array(32).fill(7));

/** Opens a writing store on `db` with the test audit key. */
export function open(db: TestDb, extra: { now?: () => Date; busyTimeoutMs?: number } = {}): Promise<SqlStore> {
  return openStore({ database: db.database, auditKey: AUDIT_KEY, headFile: db.headFile, ...extra });
}

/** `describe.each` over both engines; PostgreSQL is skipped (or fails with BACKSTOP_REQUIRE_PG=1) when absent. */
export function describeEngines(title: string, body: (engine: EngineName) => void): void {
  describe.each(ENGINES)(`${title} (%s)`, (engine) => {
    if (engine === 'postgres' && inject('pgUrl') === null) {
      const reason = inject('pgUnavailableReason') ?? 'PostgreSQL tests not run';
      if (pgRequired()) {
        it('PostgreSQL is available (BACKSTOP_REQUIRE_PG=1)', () => {
          throw new Error(reason);
        });
      } else {
        it.skip(reason, () => undefined);
      }
      return;
    }
    body(engine);
  });
}

export const VAULT: Address = address('A1LtRDhd5W6urP8LJ6Z3G5ZjPSgPpPJAd3VTZdbHjY7z');
export const VAULT_2: Address = address('BKgCWnqY6cJqnpHHVNnXPPYkeJDKeB5VdYo2Sks14uMY');
export const RESERVE: Address = address('D6q6wuQSrifJKZYpR1M8R4YawnLDtDsMmWM1NbBmgJ59');
export const MULTISIG: Address = address('SMPLecH534NA9acpos4G6x7uf3LWbCAwZQE9e8ZekMu');

let sigCounter = 0;
/** A loss event input with a unique signature unless given. */
export function lossInput(over: Partial<NewLossEvent> = {}): NewLossEvent {
  sigCounter++;
  return {
    vault: VAULT,
    reserve: RESERVE,
    signature: `sig${sigCounter}x${Math.random().toString(36).slice(2)}`,
    vaultLoss: 1_200_000_000n,
    evidence: { vaultCTokens: 10_000_000_000_000n, reserveCTokenSupply: 50_000_000_000_000n, readAtSlot: 312_000_123n },
    recordedLoss: 1_000_000_000n,
    forgiven: 5_000_000_000n,
    blockTime: 1_764_000_000,
    slot: 312_000_100n,
    transaction: { slot: 312000100, blockTime: 1764000000, transaction: { signatures: ['x'], message: { accountKeys: [], instructions: [] } }, meta: { err: null, logMessages: [] } },
    recordedBy: 'test',
    ...over,
  };
}

/** Counts audit rows straight from the table. */
export async function auditCount(store: SqlStore): Promise<number> {
  const [row] = await store.sql.read.all('SELECT COUNT(*) AS n FROM audit_log');
  return Number(row!.n);
}
