/**
 * `backstop webhook send --source ID --key KEYFILE --url URL <request>`: signs a request with a
 * webhook source's keypair file (Solana CLI JSON) and sends it to the HTTP API (docs/api.md). Prints the
 * status and the body. Exit 0 on 2xx, 1 on 4xx, 2 on 5xx, an unreachable server or a bad argument,
 * and 2 when what answered is not backstop (its `{ error: { code, message } }` or the resource the
 * route returns): e.g. --url pointed at the Solana RPC, which answers HTTP 200 with a JSON-RPC error.
 *
 *   loss-event  --vault V --reserve R --signature S --vault-loss N [--note T]
 *   proposal    --multisig M --index N [--claim T]                        (register)
 *   proposal    --vault V --loss-event ID --amount N --escrow E [--claim T] (create)
 *   close-loss  --id ID --vault V
 */
import type { Command } from 'commander';
import type { z } from 'zod';
import type { SignedResponse } from '../server/client.ts';
import { forLog } from '../util/text.ts';
import { sandboxDefaults, sandboxNotice, shown } from './sandbox-defaults.ts';

const EXIT_OK = 0;
const EXIT_REFUSED = 1;
const EXIT_FAILED = 2;

interface SendOptions {
  source: string;
  key: string;
  url: string;
  idempotencyKey?: string;
}

/** What a route answers on success: enough of the resource's shape to know it is backstop's. */
type Resource = 'loss-event' | 'proposal';
/** The shapes, built on first use: zod and the API schemas are not loaded at `backstop --help`. */
let shapes: Promise<{ resources: Readonly<Record<Resource, z.ZodType>>; error: z.ZodType }> | undefined;
const loadShapes = () =>
  (shapes ??= Promise.all([import('zod'), import('../server/schemas.ts')]).then(([{ z }, { LossEventView, ProposalView }]) => ({
    resources: {
      'loss-event': LossEventView.pick({ id: true, vault: true, reserve: true, signature: true, state: true, evidence: true }),
      proposal: ProposalView.pick({ id: true, multisig: true, transactionIndex: true, vault: true, state: true }),
    },
    /** backstop's error shape (docs/api.md); a JSON-RPC error has a numeric `code`, so it is not this. */
    error: z.object({ error: z.object({ code: z.string().min(1), message: z.string() }) }),
  })));

/** Null when the answer is backstop's, else what answered, in a few words. */
export async function notBackstop(res: Pick<SignedResponse, 'status' | 'json' | 'text' | 'headers'>, resource: Resource): Promise<string | null> {
  const ok = res.status >= 200 && res.status < 300;
  const { resources: RESOURCES, error: BACKSTOP_ERROR } = await loadShapes();
  if ((ok ? RESOURCES[resource] : BACKSTOP_ERROR).safeParse(res.json).success) return null;
  const json = res.json as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
  if (typeof json === 'object' && json !== null && 'jsonrpc' in json) {
    const err = json.error;
    return err ? `a JSON-RPC error (${forLog(String(err.code), 20)}: ${forLog(String(err.message), 80)})` : 'a JSON-RPC answer';
  }
  const type = forLog((res.headers.get('content-type') ?? 'no content type').split(';')[0]!, 60);
  if (res.json !== undefined) return `JSON (${type}) without backstop's shape: ${forLog(res.text, 80)}`;
  return `${res.text.length === 0 ? 'an empty body' : `a non-JSON body (${type})`}${res.text.length > 0 ? `: ${forLog(res.text, 80)}` : ''}`;
}

/** Registers `webhook send …` on the program. */
export function registerWebhook(program: Command): void {
  const send = program
    .command('webhook')
    .description('call the HTTP API as a webhook source (docs/api.md)')
    .command('send')
    .description('sign a request with a webhook source key and send it')
    .option('--source <id>', 'webhook source id (X-Backstop-Source); required, except on the sandbox')
    .option('--key <file>', "the source's keypair file (Solana CLI JSON); required, except on the sandbox")
    .option('--url <url>', 'the API base URL, e.g. http://127.0.0.1:8080; required, except on the sandbox')
    .option('--idempotency-key <key>', 'Idempotency-Key header');

  const parentOpts = (cmd: Command) => sendOptions(cmd.parent!.opts<Partial<SendOptions>>());

  send
    .command('loss-event')
    .description('POST /v1/loss-events')
    .requiredOption('--vault <address>')
    .requiredOption('--reserve <address>')
    .requiredOption('--signature <signature>', 'the socialize_loss transaction signature')
    .requiredOption('--vault-loss <amount>', 'declared vault loss, underlying base units')
    .option('--note <text>')
    .action(async (o: { vault: string; reserve: string; signature: string; vaultLoss: string; note?: string }, cmd: Command) => {
      const body = { vault: o.vault, reserve: o.reserve, signature: o.signature, vaultLoss: o.vaultLoss, ...(o.note !== undefined ? { note: o.note } : {}) };
      const o2 = parentOpts(cmd);
      process.exitCode = o2 ? await sendAndPrint(o2, '/v1/loss-events', body, 'loss-event') : EXIT_FAILED;
    });

  send
    .command('proposal')
    .description('POST /v1/proposals: register (--multisig, --index) or create (--vault, --loss-event, --amount, --escrow)')
    .option('--multisig <address>')
    .option('--index <n>', 'transaction index')
    .option('--vault <address>')
    .option('--loss-event <id>')
    .option('--amount <n>', 'kToken base units')
    .option('--escrow <address>')
    .option('--claim <text>')
    .action(async (o: { multisig?: string; index?: string; vault?: string; lossEvent?: string; amount?: string; escrow?: string; claim?: string }, cmd: Command) => {
      const claim = o.claim !== undefined ? { claim: o.claim } : {};
      let body: object;
      if (o.multisig !== undefined && o.index !== undefined && o.vault === undefined) {
        body = { multisig: o.multisig, transactionIndex: o.index, ...claim };
      } else if (o.multisig === undefined && o.vault !== undefined && o.lossEvent !== undefined && o.amount !== undefined && o.escrow !== undefined) {
        body = { vault: o.vault, lossEventId: o.lossEvent, amount: o.amount, escrow: o.escrow, ...claim };
      } else {
        process.stderr.write('backstop webhook send proposal: give either --multisig and --index, or --vault, --loss-event, --amount and --escrow\n');
        process.exitCode = EXIT_FAILED;
        return;
      }
      const o2 = parentOpts(cmd);
      process.exitCode = o2 ? await sendAndPrint(o2, '/v1/proposals', body, 'proposal') : EXIT_FAILED;
    });

  send
    .command('close-loss')
    .description('POST /v1/loss-events/:id/close')
    .requiredOption('--id <id>', 'loss event id')
    .requiredOption('--vault <address>')
    .action(async (o: { id: string; vault: string }, cmd: Command) => {
      const o2 = parentOpts(cmd);
      process.exitCode = o2 ? await sendAndPrint(o2, `/v1/loss-events/${encodeURIComponent(o.id)}/close`, { vault: o.vault }, 'loss-event') : EXIT_FAILED;
    });
}

/**
 * --source, --key and --url, the missing ones from the sandbox when it applies and the URL is its own
 * (its key to another server would only be refused); null, said on stderr, when one is still missing.
 */
export function sendOptions(given: Partial<SendOptions>): SendOptions | null {
  let sandbox;
  try {
    sandbox = sandboxDefaults();
  } catch (err) {
    process.stderr.write(`backstop webhook send: ${(err as Error).message}\n`);
    return null;
  }
  const o = { ...given };
  const used: string[] = [];
  if (sandbox?.httpUrl && sandbox.webhookSource && (o.url === undefined || o.url.replace(/\/+$/, '') === sandbox.httpUrl)) {
    const fill = (k: keyof SendOptions, v: string, what: string) => {
      if (o[k] === undefined) {
        o[k] = v;
        used.push(what);
      }
    };
    fill('url', sandbox.httpUrl, `API ${sandbox.httpUrl}`);
    fill('source', sandbox.webhookSource.id, `webhook source ${sandbox.webhookSource.id}`);
    fill('key', sandbox.webhookSource.keypair, `key ${shown(sandbox.webhookSource.keypair)}`);
  }
  const missing = (['source', 'key', 'url'] as const).filter((k) => o[k] === undefined).map((k) => `--${k}`);
  if (missing.length > 0) {
    process.stderr.write(`backstop webhook send: give ${missing.join(', ')} (the webhook source id, its keypair file and the API base URL)\n`);
    return null;
  }
  if (sandbox && used.length > 0) process.stderr.write(sandboxNotice('webhook send', sandbox, used));
  return o as SendOptions;
}

/** Signs, sends, prints `HTTP <status>` and the body (or, when backstop did not answer, what did); returns the exit code. */
export async function sendAndPrint(o: SendOptions, path: string, body: object, resource: Resource, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const [{ KeyFileError, loadKeypairFile }, { sendSigned }] = await Promise.all([import('../store/keys.ts'), import('../server/client.ts')]);
  let key;
  try {
    key = loadKeypairFile(o.key);
  } catch (err) {
    if (!(err instanceof KeyFileError)) throw err;
    process.stderr.write(`backstop webhook send: ${err.message}\n`);
    return EXIT_FAILED;
  }
  try {
    new URL(o.url);
  } catch {
    process.stderr.write(`backstop webhook send: --url ${o.url} is not a URL\n`);
    return EXIT_FAILED;
  }
  let res;
  try {
    res = await sendSigned({ baseUrl: o.url, path, source: o.source, key, body, ...(o.idempotencyKey !== undefined ? { idempotencyKey: o.idempotencyKey } : {}) });
  } catch (err) {
    process.stderr.write(`backstop webhook send: cannot reach ${new URL(o.url).origin}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}\n`);
    return EXIT_FAILED;
  }
  const stranger = await notBackstop(res, resource);
  if (stranger !== null) {
    process.stderr.write(
      `backstop webhook send: ${new URL(o.url).origin} answered HTTP ${res.status} with ${stranger}: it is not the backstop HTTP API; ` +
        'check --url (the API port, 8080 in the sandbox, not the Solana RPC)\n',
    );
    return EXIT_FAILED;
  }
  out(`HTTP ${res.status}\n${res.json !== undefined ? JSON.stringify(res.json, null, 2) : res.text}\n`);
  if (res.status >= 200 && res.status < 300) return EXIT_OK;
  if (res.status >= 400 && res.status < 500) return EXIT_REFUSED;
  return EXIT_FAILED;
}
