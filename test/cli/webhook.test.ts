/**
 * `backstop webhook send` (docs/api.md) as a user runs it: signs with a keypair file and prints the
 * status and body; exit 0 on 2xx, 1 on 4xx, 2 on 5xx, an unreachable server or bad arguments.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX } from '../../src/sandbox/seeds.ts';
import { writeKeypairFile } from '../../src/store/keys.ts';
import { backstop } from '../support/cli.ts';
import { LOSS_SIGNATURE, SANDBOX_SOURCE, startTestApi, type TestApi } from '../server/helpers.ts';
import { SANDBOX_VAULT_LOSS } from '../../src/sandbox/fixtures/scenario.ts';

let api: TestApi;
let keyFile: string;
beforeAll(async () => {
  api = await startTestApi();
  keyFile = join(mkdtempSync(join(tmpdir(), 'backstop-webhook-')), 'source.json');
  writeKeypairFile(keyFile, SANDBOX_SOURCE.key);
});
afterAll(async () => {
  await api.close();
});

const common = () => ['webhook', 'send', '--source', 'sandbox', '--key', keyFile, '--url', api.url];

describe('backstop webhook send', () => {
  it('records a loss event (exit 0, HTTP 201), refuses a duplicate (exit 1, 409), create without a creator (exit 2, 501), closes it', async () => {
    const args = ['loss-event', '--vault', SANDBOX.vault, '--reserve', SANDBOX.reserve, '--signature', LOSS_SIGNATURE, '--vault-loss', SANDBOX_VAULT_LOSS.toString(), '--note', 'from the CLI'];
    const ok = await backstop([...common(), ...args]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^HTTP 201\n/);
    const id = JSON.parse(ok.stdout.slice('HTTP 201\n'.length)).id as string;
    expect((await api.store.getLossEvent(id))?.note).toBe('from the CLI');

    const dup = await backstop([...common(), ...args]);
    expect(dup.code).toBe(1);
    expect(dup.stdout).toMatch(/^HTTP 409\n[\s\S]*loss-event-exists/);

    const create = await backstop([...common(), 'proposal', '--vault', SANDBOX.vault, '--loss-event', id, '--amount', '1000', '--escrow', SANDBOX.escrow]);
    expect(create.code).toBe(2); // 501: create mode needs a proposal creator
    expect(create.stdout).toMatch(/^HTTP 501\n[\s\S]*not-implemented/);

    const close = await backstop([...common(), 'close-loss', '--id', id, '--vault', SANDBOX.vault]);
    expect(close.code).toBe(0);
    expect((await api.store.getLossEvent(id))?.state).toBe('closed');
  });

  it('registers a proposal (exit 0, HTTP 202)', async () => {
    const reg = await backstop([...common(), 'proposal', '--multisig', SANDBOX.multisig, '--index', '2', '--claim', 'cli']);
    expect(reg.code).toBe(0);
    expect(reg.stdout).toMatch(/^HTTP 202\n/);
    expect(JSON.parse(reg.stdout.slice('HTTP 202\n'.length))).toMatchObject({ transactionIndex: '2', claim: 'cli' });
  });

  it('exits 2 when the server is unreachable or the key file is unusable, and on mixed proposal flags', async () => {
    const down = await backstop(['webhook', 'send', '--source', 'sandbox', '--key', keyFile, '--url', 'http://127.0.0.1:9', 'close-loss', '--id', 'x', '--vault', SANDBOX.vault]);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    const noKey = await backstop(['webhook', 'send', '--source', 'sandbox', '--key', '/nonexistent.json', '--url', api.url, 'close-loss', '--id', 'x', '--vault', SANDBOX.vault]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/cannot read keypair file/);
    const mixed = await backstop([...common(), 'proposal', '--multisig', SANDBOX.multisig]);
    expect(mixed.code).toBe(2);
  });
});

describe('backstop webhook send to something that is not backstop', () => {
  it('the Solana JSON-RPC port (HTTP 200 with a JSON-RPC error): exit 2 saying what answered, nothing on stdout', async () => {
    const r = await backstop(['webhook', 'send', '--source', 'sandbox', '--key', keyFile, '--url', api.harness.url, 'close-loss', '--id', 'x', '--vault', SANDBOX.vault]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/answered HTTP 200 with a JSON-RPC (error|answer)/);
    expect(r.stderr).toMatch(/not the backstop HTTP API; check --url/);
  });

  it('another HTTP server (plain text 200, HTML 404, JSON without backstop\'s shape): exit 2 each', async () => {
    const answers = [
      { status: 200, type: 'text/plain', body: 'ok\u001b[2J' },
      { status: 404, type: 'text/html', body: '<html><body>Not Found</body></html>' },
      { status: 201, type: 'application/json', body: '{"id":"le-1"}' },
      { status: 400, type: 'application/json', body: '{"error":{"code":400,"message":"bad"}}' },
    ];
    let next = 0;
    // One answer per request, in order: the CLI runs below send one request each.
    const server = createServer((_req, res) => {
      const a = answers[next++] ?? { status: 500, type: 'text/plain', body: '?' };
      res.writeHead(a.status, { 'content-type': a.type }).end(a.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const a of answers) {
        const prefix = `${a.status} ${a.type}`;
        const r = await backstop(['webhook', 'send', '--source', 'sandbox', '--key', keyFile, '--url', base, 'loss-event', '--vault', SANDBOX.vault, '--reserve', SANDBOX.reserve, '--signature', LOSS_SIGNATURE, '--vault-loss', '1']);
        expect(r.code, prefix).toBe(2);
        expect(r.stdout, prefix).toBe('');
        expect(r.stderr, prefix).toContain(`answered HTTP ${a.status}`);
        expect(r.stderr, prefix).toContain('not the backstop HTTP API');
        expect(r.stderr, prefix).not.toContain('\u001b');
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

