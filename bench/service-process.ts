/**
 * The real production service in a child process, for measuring ITS memory (not the bench's):
 * `bin/backstop.js start` executed as deployed (`npx backstop start`, the compiled CLI of bench/compiled.ts), configured through the environment with fresh
 * keys, a policy with no sandbox address, a SQLite database in a temp dir, a Telegram stub on
 * 127.0.0.1 (getMe, setMyCommands, deleteWebhook, empty getUpdates) and an RPC URL that refuses
 * connections (the poller backs off; nothing here needs the chain).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Ed25519Keypair, writeKeypairFile } from '../src/store/keys.ts';
import { compiledTree } from './compiled.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BASE58_ADDRESS = /\b[1-9A-HJ-NP-Za-km-z]{32,44}\b/g;

export interface ServiceProcess {
  readonly url: string;
  readonly pid: number;
  /** The webhook source the policy lists, and its signing key. */
  readonly source: { readonly id: string; readonly key: Ed25519Keypair };
  /** Resident set size of the child now, in MB (from /proc). */
  rssMb(): number;
  /** The child's peak resident set size so far, in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** A policy like policies/example.yaml with every address replaced by a fresh one (production refuses sandbox keys). */
function productionPolicy(cosigner: string, source: string): string {
  const fresh = new Map<string, string>();
  const text = readFileSync(join(REPO, 'policies/example.yaml'), 'utf8')
    .replace(/^cosigner: \S+/m, `cosigner: ${cosigner}`)
    .replace(/publicKey: \S+/, `publicKey: ${source}`);
  return text.replace(BASE58_ADDRESS, (a) => {
    if (a === cosigner || a === source) return a;
    let r = fresh.get(a);
    if (!r) fresh.set(a, (r = Ed25519Keypair.generate().publicKey));
    return r;
  });
}

/** Answers the Bot API calls a starting bot makes; getUpdates is held briefly and answered empty. */
function telegramStub(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    const method = req.url?.split('/').pop() ?? '';
    const reply = (result: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
    if (method === 'getMe') reply({ id: 42, is_bot: true, first_name: 'bench', username: 'bench_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
    else if (method === 'getUpdates') setTimeout(() => reply([]), 1000).unref();
    else reply(true);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Starts `bin/backstop.js start` (production) and waits for its "backstop is running" line. */
export async function startServiceProcess(options: { nodeOptions?: string } = {}): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-bench-service-'));
  const cosigner = Ed25519Keypair.generate();
  const audit = Ed25519Keypair.generate();
  const sourceKey = Ed25519Keypair.generate();
  writeKeypairFile(join(dir, 'cosigner.json'), cosigner);
  writeKeypairFile(join(dir, 'audit.json'), audit);
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'bench.yaml'), productionPolicy(cosigner.publicKey, sourceKey.publicKey));
  const telegram = await telegramStub();
  const tgPort = (telegram.address() as { port: number }).port;

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SOLANA_RPC_URL: 'http://127.0.0.1:9',
    TELEGRAM_BOT_TOKEN: '1:bench',
    TELEGRAM_API_ROOT: `http://127.0.0.1:${tgPort}`,
    COSIGNER_KEYPAIR: join(dir, 'cosigner.json'),
    AUDIT_KEYPAIR: join(dir, 'audit.json'),
    API_READ_TOKEN: 'bench',
    POLICY_DIR: join(dir, 'policies'),
    DATABASE_URL: join(dir, 'backstop.db'),
    PORT: '0',
    LOG_LEVEL: 'info',
    ...(options.nodeOptions !== undefined ? { NODE_OPTIONS: options.nodeOptions } : {}),
  };
  // Executed as a program (not `node bin/backstop.js`) so its shebang's V8 flags apply, as under npx.
  const child: ChildProcess = spawn(join(compiledTree(), 'bin/backstop.js'), ['start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => void (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start in 60 s:\n${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before starting:\n${stderr}`)));
    // Every log line is read (and dropped) so the child never blocks on a full pipe.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('backstop is running')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1'));
    });
  });
  if (stderr.includes('dist/ is missing or older than src/')) throw new Error('the service ran the TypeScript sources, not the compiled CLI');
  const pid = child.pid!;
  return {
    url,
    pid,
    source: { id: 'sandbox', key: sourceKey },
    rssMb: () => procStatusMb(pid, 'VmRSS'),
    peakRssMb: () => procStatusMb(pid, 'VmHWM'),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await new Promise((r) => telegram.close(r));
    },
  };
}
