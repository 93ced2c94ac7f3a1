/**
 * The CLI never leaves a typo unexplained: an unknown option or command names the nearest one (exit
 * 2), before any complaint about a missing required option; `start --port` is a spelling of PORT.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withPortOption } from '../../src/cli/start.ts';
import { ConfigError } from '../../src/config.ts';
import { backstop } from '../support/cli.ts';

describe('unknown options and commands suggest the nearest one', () => {
  const cases: [string[], RegExp][] = [
    [['audit', 'verify', '--databse', 'x.db'], /^error: unknown option '--databse'\n\(Did you mean --database\?\)\n$/],
    [['audit', 'export', '--databse', 'x.db'], /unknown option '--databse'\n\(Did you mean --database\?\)/],
    // --multisig is required: the typo is reported, not "required option '--multisig' not specified"
    [['inspect', '--rpc', 'http://127.0.0.1:9', '--multisg', 'M', '--index', '1'], /^error: unknown option '--multisg'\n\(Did you mean --multisig\?\)\n$/],
    [['loss', 'record', '--vualt', 'V'], /unknown option '--vualt'\n\(Did you mean --vault\?\)/],
    [['webhook', 'send', '--sorce', 'sandbox', 'close-loss'], /unknown option '--sorce'\n\(Did you mean --source\?\)/],
    [['webhook', 'send', 'proposal', '--multisg', 'M'], /unknown option '--multisg'\n\(Did you mean --multisig\?\)/],
    [['evaluate', '--snapshto', 'x.json'], /unknown option '--snapshto'\n\(Did you mean --snapshot\?\)/],
    [['pool', 'check', '--vualt', 'V'], /unknown option '--vualt'\n\(Did you mean --vault\?\)/],
    [['inspct'], /^error: unknown command 'inspct'\n\(Did you mean inspect\?\)\n$/],
    [['pool', 'chek'], /unknown command 'chek'\n\(Did you mean check\?\)/],
    [['webhook', 'send', 'proposl'], /unknown command 'proposl'\n\(Did you mean proposal\?\)/],
  ];
  for (const [args, expected] of cases) {
    it(`backstop ${args.join(' ')}`, async () => {
      const r = await backstop(args);
      expect(r.stderr).toMatch(expected);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    });
  }

  it('--help still wins over a typo', async () => {
    const r = await backstop(['inspect', '--multisg', 'M', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: backstop inspect/);
  });
});

describe('start --port is PORT', () => {
  it('sets PORT for the run; agrees with a PORT already set; refuses a non-port or a disagreement naming PORT', () => {
    expect(withPortOption({ A: '1' }, '8081', ConfigError)).toEqual({ A: '1', PORT: '8081' });
    expect(withPortOption({ PORT: '8081' }, '8081', ConfigError).PORT).toBe('8081');
    expect(withPortOption({ PORT: '9' }, undefined, ConfigError).PORT).toBe('9');
    expect(() => withPortOption({}, 'http', ConfigError)).toThrow('--port takes a port number (0 picks free ones), got "http"; it sets PORT');
    expect(() => withPortOption({ PORT: '8080' }, '8081', ConfigError)).toThrow('--port 8081 and PORT=8080 disagree: --port sets PORT, so give one of them');
  });

  it('through the CLI: a refusal is one line and exit 2', async () => {
    const r = await backstop(['start', '--port', '8081'], { PORT: '8080' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('backstop start: --port 8081 and PORT=8080 disagree: --port sets PORT, so give one of them\n');
  });

  it('really sets the port: the sandbox on a busy --port names that port as PORT (exit 2)', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = await backstop(['start', '--sandbox', '--data-dir', mkdtempSync(join(tmpdir(), 'backstop-port-')), '--port', String(port)], { PORT: '', LOG_LEVEL: 'error' });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`backstop start: port ${port} (the HTTP API (PORT)) is already in use: stop the program listening on it, or set PORT to a free port (PORT=0 picks free ones)\n`);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  }, 90_000);

  it('help names PORT', async () => {
    const r = await backstop(['start', '--help']);
    expect(r.stdout).toMatch(/--port <n>\s+the HTTP API port: the same as setting PORT/);
  });
});
