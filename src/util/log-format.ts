/**
 * How log lines look: pino's JSON when the output is a file, a pipe or a collector; short coloured
 * lines when a person watches a terminal. The pretty form is made from the JSON pino already wrote,
 * so pino's redaction has run before a line gets here.
 */

export type LogFormat = 'pretty' | 'json';

/** Pretty on a terminal, JSON anywhere else (journald, docker logs, a file, a pipe). */
export function chooseLogFormat(out: { readonly isTTY?: boolean }): LogFormat {
  return out.isTTY === true ? 'pretty' : 'json';
}

const LEVELS: Readonly<Record<number, { name: string; colour: string }>> = {
  10: { name: 'TRACE', colour: '90' },
  20: { name: 'DEBUG', colour: '36' },
  30: { name: 'INFO ', colour: '32' },
  40: { name: 'WARN ', colour: '33' },
  50: { name: 'ERROR', colour: '31' },
  60: { name: 'FATAL', colour: '35' },
};

/** Fields every line carries or that the line's head already shows. */
const HEAD = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

// Control characters and bidi overrides in logged text (a chat message, a memo) must not drive the terminal.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const escapeUnsafe = (s: string): string => s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? escapeUnsafe(v) : escapeUnsafe(JSON.stringify(v));
  if (typeof v === 'object' && v !== null) return escapeUnsafe(JSON.stringify(v));
  return String(v);
}

/** One pino JSON line as `HH:MM:SS.mmm LEVEL message key=value …` (a stack on the lines after); other text unchanged. */
export function prettyLogLine(line: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (typeof entry !== 'object' || entry === null) return line.endsWith('\n') ? line : `${line}\n`;
  const paint = (code: string, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level).toUpperCase().padEnd(5), colour: '0' };
  const time = typeof entry.time === 'string' && /T\d\d:\d\d:\d\d/.test(entry.time) ? entry.time.slice(11, 23) : String(entry.time ?? '');
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [k, v] of Object.entries(entry)) {
    if (HEAD.has(k)) continue;
    if (k === 'err' && typeof v === 'object' && v !== null) {
      const err = v as { message?: unknown; stack?: unknown };
      fields.push(`${paint('2', 'err=')}${value(err.message ?? v)}`);
      if (typeof err.stack === 'string') stack = err.stack.split('\n').slice(1).map((l) => `    ${escapeUnsafe(l.trim())}`).join('\n');
      continue;
    }
    fields.push(`${paint('2', `${k}=`)}${value(v)}`);
  }
  const msg = typeof entry.msg === 'string' ? escapeUnsafe(entry.msg) : '';
  const head = `${paint('2', time)} ${paint(level.colour, level.name)} ${colour ? paint('1', msg) : msg}`;
  return `${[head, ...fields].join('  ')}\n${stack ? `${paint('2', stack)}\n` : ''}`;
}

/** A pino destination that writes each line pretty to `out`. */
export function prettyDestination(out: { write(s: string): unknown }, colour: boolean): { write(line: string): void } {
  return {
    write(line: string) {
      out.write(prettyLogLine(line.replace(/\n$/, ''), colour));
    },
  };
}
