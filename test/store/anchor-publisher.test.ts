/**
 * Copies of the audit head (docs/audit.md anchor): every policy chat gets a message and `AUDIT_ANCHOR_URL`
 * a JSON POST, each with a copy-pastable `backstop audit verify --expect-seq N --expect-hash H`;
 * a failed copy is logged, never thrown. The service wires the publisher into the workflow.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { anchorPublisher } from '../../src/anchor-publisher.ts';
import { ChainReader } from '../../src/chain/reader.ts';
import { keypairSigner } from '../../src/cosign/signer.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { anchorMessage, databaseIdentity } from '../../src/store/anchor.ts';
import { Ed25519Keypair } from '../../src/store/keys.ts';
import { openStore } from '../../src/store/open.ts';
import { AUDIT_KEY } from './helpers.ts';

interface Received {
  readonly method: string;
  readonly type: string | undefined;
  readonly body: Record<string, unknown>;
}

const servers: Server[] = [];
const running: RunningService[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  for (const s of servers.splice(0)) await new Promise((res) => s.close(res));
});

/** A real HTTP receiver on a free loopback port answering `status`. */
async function receiver(status = 204): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', type: req.headers['content-type'], body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/anchors?k=1`, received };
}

class Log {
  readonly warnings: { obj: object; msg?: string }[] = [];
  info(): void {}
  debug(): void {}
  warn(obj: object, msg?: string): void {
    this.warnings.push({ obj, ...(msg !== undefined ? { msg } : {}) });
  }
  error(): void {}
}

const HEAD = { seq: 7, hash: 'ab'.repeat(32), signature: 'cd'.repeat(64) };

describe('anchor publisher', () => {
  it('posts the head as JSON to the URL and tells every policy chat once, with the verify command', async () => {
    const r = await receiver();
    const sent: { chatId: number; text: string }[] = [];
    const log = new Log();
    const pub = anchorPublisher({
      head: async () => HEAD,
      database: '/srv/backstop.db',
      chats: () => [-1001, -1002, -1001],
      alert: async (chatId, text) => void sent.push({ chatId, text }),
      url: r.url,
      log,
      now: () => new Date('2026-12-07T10:00:00.000Z'),
    });
    await pub.publish('signed M:1');
    const command = `backstop audit verify --expect-seq 7 --expect-hash ${HEAD.hash}`;
    expect(r.received).toEqual([
      {
        method: 'POST',
        type: 'application/json',
        body: { type: 'backstop.audit-anchor', reason: 'signed M:1', database: '/srv/backstop.db', seq: 7, hash: HEAD.hash, signature: HEAD.signature, at: '2026-12-07T10:00:00.000Z', verify: command },
      },
    ]);
    expect(sent.map((s) => s.chatId)).toEqual([-1001, -1002]);
    expect(sent[0]!.text).toBe(anchorMessage('signed M:1', HEAD));
    expect(sent[0]!.text.split('\n')).toContain(command);
    expect(log.warnings).toEqual([]);
  });

  it('a receiver that refuses, or is down, is logged and never thrown; an empty log publishes nothing', async () => {
    const refusing = await receiver(500);
    const log = new Log();
    await anchorPublisher({ head: async () => HEAD, database: 'd', chats: () => [], url: refusing.url, log }).publish('x');
    expect(refusing.received).toHaveLength(1);
    expect(log.warnings.map((w) => (w.obj as { err: string }).err)).toEqual(['AUDIT_ANCHOR_URL answered HTTP 500']);
    await expect(anchorPublisher({ head: async () => HEAD, database: 'd', chats: () => [], url: 'http://127.0.0.1:9/', log }).publish('x')).resolves.toBeUndefined();
    expect(log.warnings).toHaveLength(2);
    const quiet = await receiver();
    await anchorPublisher({ head: async () => null, database: 'd', chats: () => [1], url: quiet.url, log }).publish('x');
    expect(quiet.received).toEqual([]);
  });

  it('the service wires it into the workflow: publish posts the store’s own head to AUDIT_ANCHOR_URL', async () => {
    const r = await receiver();
    const database = join(mkdtempSync(join(tmpdir(), 'backstop-anchor-svc-')), 'b.db');
    const store = await openStore({ database, auditKey: AUDIT_KEY });
    const last = await store.appendAudit('note', { n: 1 });
    const service = await startService({
      store,
      chain: new ChainReader({ rpcUrl: 'http://127.0.0.1:9', retries: 0, timeoutMs: 500 }),
      policies: await PolicyRegistry.load('policies'),
      signer: keypairSigner(Ed25519Keypair.generate()),
      apiReadToken: 'token',
      port: 0,
      log: new Log(),
      deferLoops: true,
      anchorUrl: r.url,
    });
    running.push(service);
    expect(service.workflow.anchor).toBeDefined();
    await service.workflow.anchor!.publish('signing step');
    expect(r.received.map((x) => x.body)).toMatchObject([{ reason: 'signing step', seq: last.seq, hash: last.hash, database: databaseIdentity(database) }]);
  });
});
