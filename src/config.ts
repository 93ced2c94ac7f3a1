/**
 * Configuration from the environment (docs/configuration.md). Production needs all six required variables; with
 * none of them (or `--sandbox`) backstop runs the sandbox; some but not all is an error naming what
 * is missing. Secrets are file paths (or, for keys, RFC 7512 `pkcs11:` URIs of keys held in an HSM);
 * their contents are read by the components that use them.
 */
export const REQUIRED_IN_PRODUCTION = ['SOLANA_RPC_URL', 'TELEGRAM_BOT_TOKEN', 'COSIGNER_KEYPAIR', 'AUDIT_KEYPAIR', 'API_READ_TOKEN', 'POLICY_DIR'] as const;

/** Every variable backstop reads (docs/configuration.md and the audit anchor's and the HSM's); `backstop init` writes each one. */
export const CONFIG_VARIABLES = [
  'SOLANA_RPC_URL', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_API_ROOT', 'TELEGRAM_WEBHOOK_URL', 'TELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_MINIAPP',
  'COSIGNER_KEYPAIR', 'FEE_PAYER_KEYPAIR', 'AUDIT_KEYPAIR', 'AUDIT_HEAD_FILE', 'AUDIT_ANCHOR_FILE', 'AUDIT_ANCHOR_URL',
  'POLICY_DIR', 'DATABASE_URL', 'API_READ_TOKEN', 'PORT', 'LOG_LEVEL', 'BACKSTOP_PROGRAMS_DIR', 'PKCS11_MODULE', 'PKCS11_PIN_FILE',
] as const;

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
  /** `PKCS11_MODULE` and `PKCS11_PIN_FILE`: present when any key variable holds a `pkcs11:` URI. */
  readonly pkcs11?: Pkcs11Settings;
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

/** The audit anchor variables (docs/audit.md): where the anchor file is kept, and where copies are posted. */
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

/** The Mini App signed approvals open (docs/approvals.md): `<bot username>/<app short name>`. */
export const TELEGRAM_MINIAPP = 'TELEGRAM_MINIAPP';

/** `TELEGRAM_MINIAPP`, checked: `<bot username>/<app short name>`, or undefined. Throws ConfigError otherwise. */
export function telegramMiniApp(env: NodeJS.ProcessEnv): string | undefined {
  const text = set(env, TELEGRAM_MINIAPP)?.trim();
  if (text === undefined) return undefined;
  if (!/^[A-Za-z][A-Za-z0-9_]{3,31}\/[A-Za-z0-9_]{3,30}$/.test(text)) {
    throw new ConfigError(`${TELEGRAM_MINIAPP} must be <bot username>/<app short name> as in https://t.me/<bot>/<app> (e.g. backstop_bot/approve), from @BotFather /newapp`);
  }
  return text;
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

// ---- keys held in an HSM (RFC 7512 PKCS#11 URIs) ----

/** Where the PKCS#11 library is and the file holding the token's user PIN. */
export interface Pkcs11Settings {
  /** `PKCS11_MODULE`: path of the HSM vendor's PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so). */
  readonly module: string;
  /** `PKCS11_PIN_FILE`: a 0600 file holding the token's user PIN. */
  readonly pinFile: string;
}

export const PKCS11_MODULE = 'PKCS11_MODULE';
export const PKCS11_PIN_FILE = 'PKCS11_PIN_FILE';
/** The key variables that may hold a path or a `pkcs11:` URI. */
export const KEY_VARIABLES = ['COSIGNER_KEYPAIR', 'AUDIT_KEYPAIR', 'FEE_PAYER_KEYPAIR'] as const;

/** A key object in a PKCS#11 token, as named by an RFC 7512 URI (`pkcs11:token=…;object=…`). */
export interface Pkcs11Uri {
  /** The URI as written. */
  readonly text: string;
  /** The token label (CK_TOKEN_INFO.label, trailing blanks ignored). */
  readonly token: string;
  /** The key's CKA_LABEL. */
  readonly object?: string;
  /** The key's CKA_ID bytes. */
  readonly id?: Uint8Array;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly model?: string;
}

/** Where a key is: a Solana CLI keypair file, or an object in a PKCS#11 token. */
export type KeyLocation = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'pkcs11'; readonly uri: Pkcs11Uri };

const PKCS11_STRING_ATTRIBUTES = ['token', 'object', 'serial', 'manufacturer', 'model'] as const;

/** Percent-decodes one RFC 7512 attribute value to bytes; throws on a malformed `%XX` or a reserved character. */
function pctDecode(value: string, name: string, uri: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '%') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new ConfigError(`${uri}: attribute ${name} has a malformed %-escape; write bytes as %XX`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (/[;?&=#/\s]/.test(c)) {
      throw new ConfigError(`${uri}: attribute ${name} holds ${JSON.stringify(c)}; %-encode it (e.g. %${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')})`);
    } else {
      out.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Uint8Array.from(out);
}

/**
 * Parses an RFC 7512 PKCS#11 URI naming a key: `pkcs11:token=<label>;object=<label>` (also `id`,
 * `type=private`, `serial`, `manufacturer`, `model`). Anything else — a query (`?pin-value=…`),
 * an unknown or repeated attribute — is refused: the PIN and the library come from
 * PKCS11_PIN_FILE and PKCS11_MODULE. Throws ConfigError.
 */
export function parsePkcs11Uri(text: string): Pkcs11Uri {
  // Never echo a query: it may hold a PIN.
  const shown = text.split('?')[0]!;
  if (!text.startsWith('pkcs11:')) throw new ConfigError(`${shown} is not a PKCS#11 URI (it must start with pkcs11:)`);
  if (text.includes('?')) {
    throw new ConfigError(`${shown}: query attributes (after "?") are not accepted; remove them and set ${PKCS11_MODULE} and ${PKCS11_PIN_FILE} instead`);
  }
  const fields: Record<string, Uint8Array> = {};
  const body = text.slice('pkcs11:'.length);
  for (const part of body === '' ? [] : body.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${shown}: "${part}" is not an attribute=value pair`);
    const name = part.slice(0, eq);
    if (name in fields) throw new ConfigError(`${shown}: attribute ${name} is given twice`);
    if (!(PKCS11_STRING_ATTRIBUTES as readonly string[]).includes(name) && name !== 'id' && name !== 'type') {
      throw new ConfigError(`${shown}: attribute ${name} is not supported; name the key with token=…;object=… (and optionally id, type=private, serial, manufacturer, model)`);
    }
    fields[name] = pctDecode(part.slice(eq + 1), name, shown);
  }
  const str = (name: string): string | undefined => {
    const bytes = fields[name];
    if (bytes === undefined) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ConfigError(`${shown}: attribute ${name} is not UTF-8 text`);
    }
  };
  const token = str('token');
  if (token === undefined || token === '') throw new ConfigError(`${shown}: name the token, e.g. pkcs11:token=backstop;object=backstop-cosigner`);
  const type = str('type');
  if (type !== undefined && type !== 'private') throw new ConfigError(`${shown}: type=${type} cannot sign; use type=private or leave type out`);
  const object = str('object');
  const id = fields['id'];
  if ((object === undefined || object === '') && (id === undefined || id.length === 0)) {
    throw new ConfigError(`${shown}: name the key with object=<label> (or id=%XX…)`);
  }
  const opt = <K extends string>(key: K, value: string | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, string>));
  return {
    text,
    token,
    ...opt('object', object),
    ...(id !== undefined && id.length > 0 ? { id } : {}),
    ...opt('serial', str('serial')),
    ...opt('manufacturer', str('manufacturer')),
    ...opt('model', str('model')),
  };
}

/** Percent-encodes a token or object label for a PKCS#11 URI. */
function pctEncode(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** The URI of the key labelled `object` in the token labelled `token`. */
export function formatPkcs11Uri(o: { token: string; object: string }): string {
  return `pkcs11:token=${pctEncode(o.token)};object=${pctEncode(o.object)}`;
}

/** A key variable's value: a `pkcs11:` URI (checked), else a file path. Throws ConfigError for a bad URI. */
export function keyLocation(value: string): KeyLocation {
  return value.startsWith('pkcs11:') ? { kind: 'pkcs11', uri: parsePkcs11Uri(value) } : { kind: 'file', path: value };
}

/**
 * `PKCS11_MODULE` and `PKCS11_PIN_FILE` when any of `keys` is a `pkcs11:` URI (both then required),
 * else undefined. Throws ConfigError naming the variable to set.
 */
export function pkcs11Settings(env: NodeJS.ProcessEnv, keys: readonly string[] = KEY_VARIABLES): Pkcs11Settings | undefined {
  const uris = keys.filter((k) => {
    const v = set(env, k);
    return v !== undefined && keyLocation(v).kind === 'pkcs11';
  });
  if (uris.length === 0) return undefined;
  const missing = [PKCS11_MODULE, PKCS11_PIN_FILE].filter((k) => set(env, k) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`${uris.join(' and ')} name${uris.length === 1 ? 's' : ''} a key in an HSM (pkcs11: URI); set ${missing.join(' and ')} (the PKCS#11 library, and a 0600 file holding the token's user PIN)`);
  }
  return { module: set(env, PKCS11_MODULE)!, pinFile: set(env, PKCS11_PIN_FILE)! };
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
  // `backstop init` writes TODO where a human must decide: never run with one left.
  const todo = CONFIG_VARIABLES.filter((k) => set(env, k)?.trim() === 'TODO');
  if (todo.length > 0) throw new ConfigError(`${todo.join(', ')} still hold${todo.length === 1 ? 's' : ''} TODO (from backstop init): set ${todo.length === 1 ? 'it' : 'them'} in the .env file`);
  const pkcs11 = pkcs11Settings(env);
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
    ...(pkcs11 ? { pkcs11 } : {}),
  };
}
