/**
 * Issue finding 9: the SQLite file, its -wal and -shm, the lock, the head and the anchor are private
 * to the service's user (0600, created directories 0700) even under the usual umask 022.
 */
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAnchorFile } from '../../src/store/anchor.ts';
import { openStore } from '../../src/store/open.ts';
import { AUDIT_KEY } from './helpers.ts';

const mode = (path: string) => statSync(path).mode & 0o777;
let umask: number;
beforeAll(() => {
  umask = process.umask(0o022);
});
afterAll(() => {
  process.umask(umask);
});

describe('store files are private', () => {
  it('a new database: its directory 0700; the file, -wal, -shm, lock, head and anchor 0600', async () => {
    const database = join(mkdtempSync(join(tmpdir(), 'backstop-perm-')), 'new', 'dir', 'backstop.db');
    const store = await openStore({ database, auditKey: AUDIT_KEY });
    try {
      await store.acquireInstanceLock();
      await store.appendAudit('note', {});
      const files = [database, `${database}-wal`, `${database}-shm`, `${database}.lock`, `${database}.head`, resolveAnchorFile(database)];
      for (const f of files) expect({ f, exists: existsSync(f) }).toEqual({ f, exists: true });
      expect(Object.fromEntries(files.map((f) => [f, mode(f)]))).toEqual(Object.fromEntries(files.map((f) => [f, 0o600])));
      expect(mode(dirname(database))).toBe(0o700);
      expect(mode(dirname(dirname(database)))).toBe(0o700);
      expect(mode(dirname(resolveAnchorFile(database)))).toBe(0o700);
    } finally {
      await store.close();
    }
  });

  it('an existing database readable by others is made private when opened for writing', async () => {
    const database = join(mkdtempSync(join(tmpdir(), 'backstop-perm-')), 'backstop.db');
    closeSync(openSync(database, 'w', 0o644));
    chmodSync(database, 0o644);
    const store = await openStore({ database, auditKey: AUDIT_KEY });
    try {
      await store.appendAudit('note', {});
      expect([mode(database), mode(`${database}-wal`), mode(`${database}-shm`)]).toEqual([0o600, 0o600, 0o600]);
    } finally {
      await store.close();
    }
  });
});
