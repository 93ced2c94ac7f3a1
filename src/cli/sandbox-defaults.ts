/**
 * CLI defaults from a running (or last) sandbox: when `data/sandbox/sandbox.json` exists in the
 * working directory and no production variable is set, commands that read the store or keys use the
 * sandbox's database, audit key, webhook source and URLs, and say so in one line on stderr
 * (docs/configuration.md#the-cli-and-the-sandbox). A production shell never falls back to them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { CONFIG_VARIABLES, envValue } from '../config.ts';

/** Where the sandbox writes its description, relative to the working directory (its default --data-dir). */
export const SANDBOX_INFO_FILE = 'data/sandbox/sandbox.json';

/** Every configuration variable but those the sandbox reads too: any of them set means a production shell. */
export const PRODUCTION_VARIABLES: readonly string[] = CONFIG_VARIABLES.filter((k) => !['PORT', 'LOG_LEVEL', 'BACKSTOP_PROGRAMS_DIR'].includes(k));

/** What the CLI takes from sandbox.json; paths absolute. */
export interface SandboxDefaults {
  /** sandbox.json as the user would type it. */
  readonly file: string;
  readonly database: string;
  /** Absent in a sandbox.json written before it named its audit key. */
  readonly auditKeypair?: string;
  readonly rpcUrl?: string;
  readonly httpUrl?: string;
  readonly webhookSource?: { readonly id: string; readonly keypair: string };
}

/** sandbox.json exists but cannot be used: the command stops (exit 2) rather than guess a store. */
export class SandboxInfoError extends Error {
  override readonly name = 'SandboxInfoError';
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The sandbox's defaults, or null when there is no sandbox.json here or a production variable is set. Throws SandboxInfoError. */
export function sandboxDefaults(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): SandboxDefaults | null {
  if (PRODUCTION_VARIABLES.some((k) => envValue(env, k) !== undefined)) return null;
  const path = resolve(cwd, SANDBOX_INFO_FILE);
  if (!existsSync(path)) return null;
  const fix = `restart the sandbox (backstop start), remove ${SANDBOX_INFO_FILE}, or pass the store and keys explicitly`;
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new SandboxInfoError(`${SANDBOX_INFO_FILE} cannot be read (${(err as Error).message}): ${fix}`);
  }
  const database = str(info?.database);
  if (typeof info !== 'object' || info === null || database === undefined) throw new SandboxInfoError(`${SANDBOX_INFO_FILE} names no database: ${fix}`);
  const at = (p: string) => resolve(cwd, p);
  const audit = str((info.audit as { keypair?: unknown } | undefined)?.keypair);
  const source = info.webhookSource as { id?: unknown; keypair?: unknown } | undefined;
  const sourceId = str(source?.id);
  const sourceKey = str(source?.keypair);
  return {
    file: SANDBOX_INFO_FILE,
    database: at(database),
    ...(audit ? { auditKeypair: at(audit) } : {}),
    ...(str(info.rpcUrl) ? { rpcUrl: str(info.rpcUrl)! } : {}),
    ...(str(info.httpUrl) ? { httpUrl: str(info.httpUrl)! } : {}),
    ...(sourceId && sourceKey ? { webhookSource: { id: sourceId, keypair: at(sourceKey) } } : {}),
  };
}

/**
 * The sandbox's defaults for a command given `--database` (or not): they apply when no database was
 * given or the one given is the sandbox's, never to another store (its keys would not match).
 */
export function sandboxForStore(database: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): SandboxDefaults | null {
  const d = sandboxDefaults(env, cwd);
  if (d === null) return null;
  return database === undefined || resolve(cwd, database) === d.database ? d : null;
}

/** A path as the user would type it from the working directory. */
export const shown = (path: string, cwd: string = process.cwd()): string => relative(cwd, path) || path;

/** The one stderr line saying what a command took from the sandbox. */
export function sandboxNotice(command: string, d: SandboxDefaults, used: readonly string[]): string {
  return `backstop ${command}: using the sandbox's ${used.join(', ')} (${d.file} exists and no production variable is set)\n`;
}
