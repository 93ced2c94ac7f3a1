/**
 * Configuration from the environment (SPEC §9). Production needs all six required variables; with
 * none of them (or `--sandbox`) backstop runs the sandbox; some but not all is an error naming what
 * is missing. Secrets are file paths; their contents are read by the components that use them.
 */
export const REQUIRED_IN_PRODUCTION = ['SOLANA_RPC_URL', 'TELEGRAM_BOT_TOKEN', 'COSIGNER_KEYPAIR', 'AUDIT_KEYPAIR', 'API_READ_TOKEN', 'POLICY_DIR'] as const;

export interface ProductionConfig {
  readonly mode: 'production';
  /** The first of `rpcUrls`. */
  readonly rpcUrl: string;
  /** `SOLANA_RPC_URL`, comma-separated: every provider a decision must agree on (issue 13 §4). */
  readonly rpcUrls: readonly string[];
  readonly telegram: { readonly token: string; readonly apiRoot?: string; readonly webhookUrl?: string; readonly webhookSecret?: string };
  readonly cosignerKeypair: string;
  readonly feePayerKeypair?: string;
  readonly auditKeypair: string;
  readonly auditHeadFile?: string;
  /** `AUDIT_ANCHOR_FILE`: the copy of the audit head outside the database's directory (default under the state dir). */
  readonly auditAnchorFile?: string;
  /** `AUDIT_ANCHOR_URL`: an http(s) URL that receives each published audit head as JSON. */
  readonly auditAnchorUrl?: string;
  readonly policyDir: string;
  readonly database?: string;
  readonly apiReadToken: string;
  readonly port: number;
  readonly logLevel: string;
  readonly programsDir?: string;
}

export interface SandboxConfig {
  readonly mode: 'sandbox';
  readonly port?: number;
  readonly logLevel: string;
  readonly programsDir?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const set = (env: NodeJS.ProcessEnv, k: string): string | undefined => {
  const v = env[k];
  return v === undefined || v.trim() === '' ? undefined : v;
};

/** An environment variable's value, unset when empty or blank. */
export const envValue = set;

/** The audit anchor variables (SPEC §8): where the anchor file is kept, and where copies are posted. */
export const AUDIT_ANCHOR_FILE = 'AUDIT_ANCHOR_FILE';
export const AUDIT_ANCHOR_URL = 'AUDIT_ANCHOR_URL';

/** `AUDIT_ANCHOR_URL`, checked: an http(s) URL, or undefined. Throws ConfigError otherwise. */
export function auditAnchorUrl(env: NodeJS.ProcessEnv): string | undefined {
  const text = set(env, AUDIT_ANCHOR_URL);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${AUDIT_ANCHOR_URL} must be an http:// or https:// URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${AUDIT_ANCHOR_URL} must be an http:// or https:// URL, not ${url.protocol}`);
  return url.toString();
}

/**
 * `SOLANA_RPC_URL`'s endpoints (comma-separated, each an http(s) URL, no repeats). Messages name an
 * entry by its place only: the URL may carry an API key.
 */
export function parseRpcUrls(text: string, name = 'SOLANA_RPC_URL'): string[] {
  const entries = text.split(',').map((e) => e.trim());
  const urls: string[] = [];
  entries.forEach((entry, i) => {
    const place = entries.length > 1 ? `entry ${i + 1} of ${name}` : name;
    if (entry === '') throw new ConfigError(`${place} is empty: list the RPC endpoints separated by commas, e.g. https://a.example,https://b.example`);
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigError(`${place} is not a URL: give an http:// or https:// RPC endpoint`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${place} must be an http:// or https:// RPC endpoint, not ${url.protocol}`);
    if (urls.includes(entry)) throw new ConfigError(`${place} repeats an earlier endpoint: each provider must be listed once`);
    urls.push(entry);
  });
  return urls;
}

function parsePort(text: string | undefined, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) > 65535) throw new ConfigError(`PORT must be a port number (0 for a free one), got "${text}"`);
  return Number(text);
}

/** Reads the configuration; throws ConfigError (exit 2) for a partial production configuration. */
export function readConfig(env: NodeJS.ProcessEnv, options: { sandbox?: boolean } = {}): ProductionConfig | SandboxConfig {
  const logLevel = set(env, 'LOG_LEVEL') ?? 'info';
  const programsDir = set(env, 'BACKSTOP_PROGRAMS_DIR');
  const present = REQUIRED_IN_PRODUCTION.filter((k) => set(env, k) !== undefined);
  if (options.sandbox || present.length === 0) {
    const port = parsePort(set(env, 'PORT'), undefined);
    return { mode: 'sandbox', logLevel, ...(port !== undefined ? { port } : {}), ...(programsDir ? { programsDir } : {}) };
  }
  const missing = REQUIRED_IN_PRODUCTION.filter((k) => set(env, k) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `production needs ${REQUIRED_IN_PRODUCTION.join(', ')}; missing: ${missing.join(', ')} (unset all six, or pass --sandbox, to run the sandbox)`,
    );
  }
  const webhookUrl = set(env, 'TELEGRAM_WEBHOOK_URL');
  const webhookSecret = set(env, 'TELEGRAM_WEBHOOK_SECRET');
  if (webhookUrl && !webhookSecret) throw new ConfigError('TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET (checked against X-Telegram-Bot-Api-Secret-Token)');
  const opt = <K extends string>(key: K, value: string | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, string>));
  const rpcUrls = parseRpcUrls(set(env, 'SOLANA_RPC_URL')!);
  return {
    mode: 'production',
    rpcUrl: rpcUrls[0]!,
    rpcUrls,
    telegram: {
      token: set(env, 'TELEGRAM_BOT_TOKEN')!,
      ...opt('apiRoot', set(env, 'TELEGRAM_API_ROOT')),
      ...opt('webhookUrl', webhookUrl),
      ...opt('webhookSecret', webhookSecret),
    },
    cosignerKeypair: set(env, 'COSIGNER_KEYPAIR')!,
    ...opt('feePayerKeypair', set(env, 'FEE_PAYER_KEYPAIR')),
    auditKeypair: set(env, 'AUDIT_KEYPAIR')!,
    ...opt('auditHeadFile', set(env, 'AUDIT_HEAD_FILE')),
    ...opt('auditAnchorFile', set(env, AUDIT_ANCHOR_FILE)),
    ...opt('auditAnchorUrl', auditAnchorUrl(env)),
    policyDir: set(env, 'POLICY_DIR')!,
    ...opt('database', set(env, 'DATABASE_URL')),
    apiReadToken: set(env, 'API_READ_TOKEN')!,
    port: parsePort(set(env, 'PORT'), 8080)!,
    logLevel,
    ...opt('programsDir', programsDir),
  };
}
