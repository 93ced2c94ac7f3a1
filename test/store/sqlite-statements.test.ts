/** The SQLite engine prepares each statement once (sqlite.ts): cached statements must answer as fresh ones would. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreUnavailable } from '../../src/store/errors.ts';
import { SqliteEngine } from '../../src/store/sqlite.ts';

const engine = () => new SqliteEngine({ path: join(mkdtempSync(join(tmpdir(), 'backstop-stmt-')), 'x.db') });

describe('SQLite prepared statements', () => {
  it('one SQL text with different parameters, $n in any order and repeated, binds each call anew', async () => {
    const e = engine();
    await e.read.exec('CREATE TABLE t (a INTEGER, b TEXT)');
    for (let i = 0; i < 5; i++) expect(await e.read.run('INSERT INTO t (b, a) VALUES ($2, $1)', [i, `v${i}`])).toBe(1);
    expect(await e.read.all('SELECT a, b FROM t WHERE a >= $1 AND a < $1 + $2 ORDER BY a', [1, 2])).toEqual([{ a: 1, b: 'v1' }, { a: 2, b: 'v2' }]);
    expect(await e.read.all('SELECT a, b FROM t WHERE a >= $1 AND a < $1 + $2 ORDER BY a', [3, 5])).toEqual([{ a: 3, b: 'v3' }, { a: 4, b: 'v4' }]);
    await e.close();
  });

  it('a statement prepared before a schema change reads the new schema', async () => {
    const e = engine();
    await e.read.exec('CREATE TABLE t (a INTEGER)');
    await e.read.run('INSERT INTO t (a) VALUES ($1)', [1]);
    expect(await e.read.all('SELECT * FROM t')).toEqual([{ a: 1 }]);
    await e.transaction(async (tx) => tx.exec("ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x'"));
    expect(await e.read.all('SELECT * FROM t')).toEqual([{ a: 1, b: 'x' }]);
    await e.close();
  });

  it('a statement prepared before the database closed answers StoreUnavailable after', async () => {
    const e = engine();
    await e.read.exec('CREATE TABLE t (a INTEGER)');
    expect(await e.read.all('SELECT a FROM t')).toEqual([]);
    await e.close();
    await expect(e.read.all('SELECT a FROM t')).rejects.toBeInstanceOf(StoreUnavailable);
  });

  it('a failed prepare is not kept: the same SQL works once its table exists', async () => {
    const e = engine();
    await expect(e.read.all('SELECT a FROM later')).rejects.toThrow(/no such table/);
    await e.read.exec('CREATE TABLE later (a INTEGER)');
    expect(await e.read.all('SELECT a FROM later')).toEqual([]);
    await e.close();
  });
});
