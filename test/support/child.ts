/**
 * A TypeScript child process (node --import tsx) whose stdout is read line by line: crash and
 * concurrency tests use it to act the moment the child prints a line (SIGKILL it, send "go").
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface TsxChild {
  readonly child: ChildProcess;
  readonly lines: string[];
  stderr(): string;
  /** Resolves when the child has printed `line`; rejects if it exits first. */
  waitFor(line: string): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startTsxChild(script: string, args: readonly string[], onLine?: (line: string, child: ChildProcess) => void): TsxChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  let stderr = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      onLine?.(line, child);
      for (const w of waiters.filter((x) => x.line === line)) w.resolve();
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitFor: (line) =>
      lines.includes(line)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ line, resolve });
            void exited.then(({ code, signal }) => reject(new Error(`child exited (${code ?? signal}) before "${line}": ${stderr}`)));
          }),
  };
}
