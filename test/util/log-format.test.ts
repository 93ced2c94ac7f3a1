/**
 * Logs: pretty, coloured lines on a terminal, pino's JSON anywhere else; the pretty form is made from
 * the redacted JSON, so a secret never reaches a terminal either, and logged text cannot drive it.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { chooseLogFormat, prettyDestination, prettyLogLine } from '../../src/util/log-format.ts';

const sink = () => {
  const lines: string[] = [];
  return { lines, stream: new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }) };
};

describe('the format follows the output', () => {
  it('pretty on a TTY, JSON when not a TTY or unknown', () => {
    expect(chooseLogFormat({ isTTY: true })).toBe('pretty');
    expect(chooseLogFormat({ isTTY: false })).toBe('json');
    expect(chooseLogFormat({})).toBe('json');
  });
});

describe('pretty lines', () => {
  const json = JSON.stringify({ level: 40, time: '2026-05-01T12:34:56.789Z', service: 'backstop', vault: '4nBVxyz', amount: '9820', note: 'two words', nested: { a: 1 }, msg: 'proposal denied' });

  it('time, level, message, then the fields; no colour codes when colour is off', () => {
    expect(prettyLogLine(json, false)).toBe('12:34:56.789 WARN  proposal denied  vault=4nBVxyz  amount=9820  note="two words"  nested={"a":1}\n');
  });

  it('coloured by level when colour is on', () => {
    const line = prettyLogLine(json, true);
    expect(line).toContain('\x1b[33mWARN \x1b[0m');
    expect(line.replace(/\x1b\[[0-9;]*m/g, '')).toBe(prettyLogLine(json, false));
  });

  it('an error shows its message, then its stack indented', () => {
    const line = prettyLogLine(JSON.stringify({ level: 50, time: '2026-05-01T12:34:56.789Z', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (a.ts:1:1)' }, msg: 'failed' }), false);
    expect(line).toBe('12:34:56.789 ERROR failed  err=boom\n    at f (a.ts:1:1)\n');
  });

  it('escape sequences and bidi overrides in logged text are shown escaped, never sent to the terminal', () => {
    const line = prettyLogLine(JSON.stringify({ level: 30, time: '2026-05-01T00:00:00.000Z', text: 'a\x1b[2Jb\u202e', msg: 'chat \x1b]0;x\x07' }), true);
    expect(line).not.toMatch(/\x1b\[2J|\x1b\]|\x07|\u202e/);
    expect(line).toContain('\\u001b[2J');
  });

  it('a line that is not JSON passes through', () => {
    expect(prettyLogLine('plain', true)).toBe('plain\n');
  });
});

describe('createLogger', () => {
  it('JSON to a stream that is not a terminal, with the redaction', () => {
    const out = sink();
    createLogger('info', out.stream).info({ token: 't0ps3cret', headers: { authorization: 'Bearer x' }, vault: 'V' }, 'hello');
    const entry = JSON.parse(out.lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, msg: 'hello', token: '[redacted]', vault: 'V', headers: { authorization: '[redacted]' } });
  });

  it('pretty through prettyDestination, still redacted', () => {
    const out = sink();
    createLogger('info', prettyDestination(out.stream, false)).info({ secretKey: [1, 2, 3], botToken: '4242:abc', vault: 'V' }, 'hello');
    expect(out.lines.join('')).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  hello  secretKey=\[redacted\]  botToken=\[redacted\]  vault=V\n$/);
    expect(out.lines.join('')).not.toMatch(/4242|abc/);
  });
});
