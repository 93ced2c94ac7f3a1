/**
 * `backstop init --rpc URL --vault KVAULT --multisig ADDR [--out DIR] [--pkcs11]`: reads the vault,
 * its first-loss (Insurance Pool) farm and the Squads multisig from the chain and writes a
 * ready-to-edit deployment — the policy pre-filled from the chain with `TODO` only where a human
 * decides, fresh keys (0600 files, or created inside a PKCS#11 token), a `.env` naming every
 * variable — then prints the checklist. Refuses (exit 1, nothing written) a vault with no
 * first-loss farm, or a farm the multisig does not control. Exit 2: bad arguments, an unreadable
 * chain, or an output directory that already holds files (init never overwrites a key).
 */
import type { Address } from '@solana/kit';
import type { Command } from 'commander';
import type { FarmState } from '../chain/accounts/farms.ts';
import type { VaultState } from '../chain/accounts/kvault.ts';
import type { MultisigAccount, MultisigMember } from '../chain/accounts/squads.ts';
import type { AccountData, AccountSource } from '../chain/types.ts';
import type { Pkcs11Settings } from '../config.ts';
import type { Ed25519Keypair } from '../store/keys.ts';
import { cleanText } from '../util/text.ts';

/** Command-line options of `backstop init`. */
export interface InitOptions {
  readonly rpc: string;
  readonly vault: string;
  readonly multisig: string;
  readonly out: string;
  /** Create the co-signer and audit keys inside a PKCS#11 token instead of key files. */
  readonly pkcs11?: boolean;
  readonly pkcs11Token?: string;
  readonly pkcs11Prefix?: string;
  /** The curator's member key, when the multisig does not make it plain. */
  readonly curator?: string;
}

/** A refusal: printed with its reason, exit code 1 (the chain says no) or 2 (arguments, RPC, files). */
export class InitRefused extends Error {
  override readonly name = 'InitRefused';
  constructor(readonly exitCode: 1 | 2, message: string) {
    super(message);
  }
}

/** The modules init runs on, loaded by its action (not at `backstop --help`). */
const modules = async () => {
  const [crypto, fs, path, config, reader, farms, kvault, squads, pda, schema, keys, pkcs11] = await Promise.all([
    import('node:crypto'),
    import('node:fs'),
    import('node:path'),
    import('../config.ts'),
    import('../chain/reader.ts'),
    import('../chain/accounts/farms.ts'),
    import('../chain/accounts/kvault.ts'),
    import('../chain/accounts/squads.ts'),
    import('../chain/pda.ts'),
    import('../policy/schema.ts'),
    import('../store/keys.ts'),
    import('../cosign/pkcs11.ts'),
  ]);
  return { crypto, fs, path, config, reader, farms, kvault, squads, pda, schema, keys, pkcs11 };
};
type Modules = Awaited<ReturnType<typeof modules>>;

/** Squads vault indexes: a `u8`. */
const VAULT_INDEXES = 256;
const DEFAULT_KEY = '11111111111111111111111111111111';
/** The co-signer's Squads permissions: Vote (2) + Execute (4). */
const COSIGNER_MASK = 6;

/** What init read and checked on the chain. */
export interface ChainFacts {
  readonly vault: Address;
  readonly vaultState: VaultState;
  /** The vault's name as stored on-chain (NUL padding and control characters removed), or ''. */
  readonly vaultName: string;
  readonly farm: Address;
  readonly farmState: FarmState;
  readonly multisig: Address;
  readonly multisigState: MultisigAccount;
  readonly vaultIndex: number;
  readonly vaultPda: Address;
  /** The curator's member key, or undefined when a human must say which member it is. */
  readonly curator: Address | undefined;
}

/** Reads the vault, its farm and the multisig, and checks that the multisig controls the farm. Throws InitRefused. */
async function readChainFacts(m: Modules, chain: AccountSource & { endpoint?: string }, vault: Address, multisig: Address, curatorFlag?: Address): Promise<ChainFacts> {
  const from = chain.endpoint ? ` from ${chain.endpoint}` : '';
  const read = async <T>(address: Address, what: string, decode: (a: AccountData) => T): Promise<T> => {
    const result = (await chain.getAccounts([address])).get(address);
    if (result === undefined || result.kind === 'unavailable') {
      throw new InitRefused(2, `cannot read ${what} ${address}${from}: ${result?.kind === 'unavailable' ? result.error : 'no answer'}; check --rpc and try again`);
    }
    if (result.kind === 'missing') throw new InitRefused(1, `${what} ${address} does not exist on this RPC's cluster; check the address and that --rpc is the right cluster (mainnet-beta)`);
    try {
      return decode(result.account);
    } catch (err) {
      throw new InitRefused(1, `${address} is not a ${what}: ${(err as Error).message}`);
    }
  };
  const vaultState = await read(vault, 'kvault (VaultState)', m.kvault.decodeVaultState);
  const multisigState = await read(multisig, 'Squads multisig', m.squads.decodeMultisig);
  const farm = vaultState.firstLossCapitalFarm;
  if (farm === DEFAULT_KEY) {
    throw new InitRefused(
      1,
      `vault ${vault} has no first-loss capital (Insurance Pool) farm: its first_loss_capital_farm is unset, so there is nothing for backstop to guard. ` +
        'Ask the vault admin to create the farm and set it on the vault (kvault update_vault_config, field 16), then run init again',
    );
  }
  const farmState = await read(farm, 'Farms FarmState (the vault\'s first-loss capital farm)', m.farms.decodeFarmState);
  if (farmState.token.mint !== vaultState.sharesMint) {
    throw new InitRefused(1, `farm ${farm} stakes ${farmState.token.mint}, not the vault's shares mint ${vaultState.sharesMint}: it is not this vault's Insurance Pool; fix the vault's first_loss_capital_farm`);
  }
  let vaultIndex = -1;
  for (let i = 0; i < VAULT_INDEXES && vaultIndex < 0; i++) if (m.pda.vaultPdaOf(multisig, i) === farmState.withdrawAuthority) vaultIndex = i;
  if (vaultIndex < 0) {
    throw new InitRefused(
      1,
      `farm ${farm}'s withdraw_authority ${farmState.withdrawAuthority} is not a Squads vault of multisig ${multisig} (vault indexes 0..255 checked): ` +
        'the multisig cannot withdraw the Insurance Pool, so backstop would co-sign nothing. Check --multisig, or have the farm admin set the withdraw authority to the multisig\'s vault',
    );
  }
  const members = multisigState.members;
  let curator: Address | undefined;
  if (curatorFlag !== undefined) {
    if (!members.some((mm) => mm.key === curatorFlag)) throw new InitRefused(2, `--curator ${curatorFlag} is not a member of multisig ${multisig} (members: ${members.map((mm) => mm.key).join(', ')})`);
    curator = curatorFlag;
  } else {
    // The curator proposes withdrawals (Initiate); a lone member can only be the curator.
    const initiators = members.filter((mm) => mm.initiate);
    curator = members.length === 1 ? members[0]!.key : initiators.length === 1 ? initiators[0]!.key : undefined;
  }
  const nameBytes = vaultState.name;
  const end = nameBytes.indexOf(0);
  // The vault admin chose this name: no controls, no bidi overrides in a file humans review.
  const vaultName = cleanText(Buffer.from(end < 0 ? nameBytes : nameBytes.subarray(0, end)).toString('utf8')).replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, '').trim();
  return { vault, vaultState, vaultName, farm, farmState, multisig, multisigState, vaultIndex, vaultPda: farmState.withdrawAuthority, curator };
}

/** The keys init made: addresses and where they are (a file path relative to the deployment, or a pkcs11: URI). */
export interface DeploymentKeys {
  readonly cosigner: { readonly address: Address; readonly location: string };
  readonly audit: { readonly address: Address; readonly location: string };
  readonly webhookSource: { readonly address: Address; readonly location: string };
}

const WEBHOOK_SOURCE_ID = 'risk-tooling';

/** Things a human should fix on-chain or decide, found while reading (each also marked in the policy or the checklist). */
function chainWarnings(f: ChainFacts): string[] {
  const w: string[] = [];
  const farm = f.farmState;
  if (farm.farmAdmin !== f.vaultPda) {
    w.push(`the farm admin is ${farm.farmAdmin}, not the multisig vault ${f.vaultPda}: decide in the policy's insurancePool.farmAdmins (TODO) whether you trust it with the farm; better, hand the farm admin to the vault`);
  }
  if (farm.pendingFarmAdmin !== DEFAULT_KEY && farm.pendingFarmAdmin !== farm.farmAdmin && farm.pendingFarmAdmin !== f.vaultPda) {
    w.push(`the farm has a pending admin ${farm.pendingFarmAdmin} who could take it over: every proposal is denied until that is cleared`);
  }
  if (farm.delegateAuthority !== DEFAULT_KEY || farm.isFarmDelegated !== 0) {
    w.push(`the farm is delegated (delegate ${farm.delegateAuthority}): every proposal is denied until the delegation is removed`);
  }
  if (f.multisigState.configAuthority !== DEFAULT_KEY) {
    w.push(`multisig config authority is ${f.multisigState.configAuthority}: one key could change the members, so every proposal is denied; make the multisig autonomous (config authority none)`);
  }
  const curator = f.multisigState.members.find((mm) => mm.key === f.curator);
  if (curator && !curator.vote) w.push(`the curator member ${curator.key} lacks Vote: give it Vote in the same config transaction`);
  return w;
}

/** A YAML comment line's text, with line breaks removed. */
const comment = (text: string): string => text.replace(/[\r\n]+/g, ' ');

/** The policy YAML: everything read from the chain filled in; `TODO` where a human decides (each fails `policy check` until edited). */
export function policyYaml(f: ChainFacts, keys: DeploymentKeys, now: Date): string {
  const v = f.vaultState;
  const decimals = Number(v.tokenMintDecimals);
  const name = f.vaultName !== '' ? f.vaultName : `kvault ${f.vault.slice(0, 8)}`;
  const members = f.multisigState.members;
  const memberLine = (mm: MultisigMember) => `  #   ${mm.key}  ${[mm.initiate && 'Initiate', mm.vote && 'Vote', mm.execute && 'Execute'].filter(Boolean).join('+') || 'no permissions'}`;
  const reserves = v.activeAllocations.map((a) => `#   ${a.reserve}  cTokens held ${a.ctokenAllocation}, target weight ${a.targetAllocationWeight}`);
  const farmAdminTrusted = f.farmState.farmAdmin === f.vaultPda;
  const lines = [
    `# backstop policy for ${comment(name)} — written by \`backstop init\` on ${now.toISOString()} from the chain.`,
    '#',
    '# Everything below was read from the chain, except the values marked TODO: those are yours to decide,',
    '# and `backstop policy check` fails until every TODO is replaced. Every key is explained in',
    '# policies/example.yaml of the backstop repository; docs/operations.md walks through this file.',
    '#',
    '# The vault allocates to these klend reserves (a loss on any of them can be compensated from the pool):',
    ...(reserves.length > 0 ? reserves : ['#   (none right now)']),
    '',
    'version: 1',
    `name: ${JSON.stringify(name)}    # shown on Telegram cards`,
    '',
    `vault: ${f.vault}`,
    `# underlying token ${v.tokenMint} (${decimals} decimals); shares mint (kTokens) ${v.sharesMint}`,
    '',
    'insurancePool:',
    `  farm: ${f.farm}    # the vault's first_loss_capital_farm`,
    `  multisig: ${f.multisig}`,
    `  vaultIndex: ${f.vaultIndex}    # the farm's withdraw_authority ${f.vaultPda} is this multisig's vault #${f.vaultIndex}`,
    '  # The multisig today (threshold ' + f.multisigState.threshold + ' of ' + members.length + '); the policy needs exactly the curator and the co-signer, threshold 2:',
    ...members.map(memberLine),
    f.curator !== undefined
      ? `  curatorMember: ${f.curator}`
      : '  curatorMember: TODO           # which member above is the curator\'s key (the co-signer key replaces the other)',
    `  timeLock: ${f.multisigState.timeLock}    # seconds: the multisig's time lock`,
    farmAdminTrusted
      ? '  farmAdmins: []                # the farm admin is the multisig vault'
      : `  farmAdmins: [TODO]            # the farm admin is ${f.farmState.farmAdmin}, not the multisig vault: list it only if you trust it with the farm, else [] and move the admin to the vault`,
    '  allowFullDrain: false',
    '',
    '# The co-signer key backstop signs with (COSIGNER_KEYPAIR); it must become a member of the multisig.',
    `cosigner: ${keys.cosigner.address}`,
    '',
    '# Who approves in Telegram: numeric Telegram user ids (see the checklist for how to find them).',
    '# A Telegram id may appear only once in the whole file.',
    'curators:',
    '  required: 1',
    '  members:',
    '    - { name: curator, telegramId: TODO }      # the person holding the curator member key',
    '',
    'council:',
    '  quorum: 2                     # distinct council approvals a withdrawal needs (≤ the number of members)',
    '  members:',
    '    - { name: council-1, telegramId: TODO }',
    '    - { name: council-2, telegramId: TODO }',
    '    - { name: council-3, telegramId: TODO }',
    '',
    '# Where compensation may go: kToken accounts the distribution process controls (never a person\'s wallet).',
    'escrows:',
    '  - name: distributor-1',
    '    address: TODO               # the escrow\'s kToken account',
    '    authority: TODO             # that account\'s owner (e.g. the merkle distributor PDA)',
    `    mint: ${v.sharesMint}    # the vault's shares mint (kTokens)`,
    '    walletAuthority: false      # true only if `authority` is an ordinary (on-curve) wallet',
    '',
    `# Caps in the underlying token (${decimals} decimals), as quoted decimal strings.`,
    'limits:',
    '  maxPerProposal: TODO          # e.g. "250000": the largest single withdrawal',
    '  maxPerWindow: TODO            # e.g. "500000": the total within one window',
    '  window: 7d',
    '',
    'approvals:',
    '  ttl: 24h',
    '  remindEvery: 2h',
    '',
    'execution:',
    '  execute: true                 # approve and execute in one transaction when timeLock is 0',
    '  rejectOnChain: true',
    '',
    'allowLookupTables: false',
    '',
    'telegram:',
    '  chatId: TODO                  # the group chat\'s id, a negative number like -1001234567890',
    '',
    '# Who may call the HTTP API: the risk tooling signs its requests with the webhook-source key.',
    'webhookSources:',
    `  - id: ${WEBHOOK_SOURCE_ID}`,
    `    publicKey: ${keys.webhookSource.address}`,
    '    may: [loss-events, proposals]',
    '',
  ];
  return lines.join('\n');
}

/** A `.env` value: bare when plain, else single-quoted (a pkcs11: URI's `;` would end a shell command). */
function envValue(key: string, value: string): string {
  if (/^[A-Za-z0-9_./:@,%=+-]*$/.test(value) && !value.includes(';')) return value;
  if (value.includes("'") || /[\r\n]/.test(value)) throw new InitRefused(2, `${key} may not contain a quote or a line break; percent-encode it`);
  return `'${value}'`;
}

/** The `.env` text: every variable backstop reads, set or commented out with what it is for. */
export function envFile(o: {
  rpc: string; vault: Address; keys: DeploymentKeys; apiReadToken: string; webhookSecret: string; postgresPassword: string; pkcs11?: Pkcs11Settings; now: Date;
  /** The deployment directory's absolute path (compose mounts it). */
  deployDir: string;
}, variables: readonly string[]): string {
  const set = (k: string, v: string) => `${k}=${envValue(k, v)}`;
  const lines = [
    `# backstop configuration, written by \`backstop init\` on ${o.now.toISOString()} for vault ${o.vault}.`,
    '# Secret: keep this file 0600. Relative paths are relative to this directory: start backstop from here',
    '# (docker compose mounts it at /deploy and starts there). docs/operations.md explains each step.',
    '',
    '# Solana JSON-RPC; list several providers comma-separated to require that they agree.',
    set('SOLANA_RPC_URL', o.rpc),
    '',
    '# The bot token from @BotFather (checklist step 2). backstop refuses to start while it says TODO.',
    'TELEGRAM_BOT_TOKEN=TODO',
    '# A local Bot API server, if you run one:',
    '# TELEGRAM_API_ROOT=https://api.telegram.org',
    '# Webhook mode instead of long polling (the URL must reach /telegram/webhook; the secret is generated):',
    '# TELEGRAM_WEBHOOK_URL=https://backstop.example.org/telegram/webhook',
    `# TELEGRAM_WEBHOOK_SECRET=${o.webhookSecret}`,
    '# Signed approvals (docs/approvals.md): the Mini App made with @BotFather /newapp, as <bot username>/<app short name>:',
    '# TELEGRAM_MINIAPP=backstop_bot/approve',
    '',
    o.pkcs11 ? '# Keys in the HSM (RFC 7512 URIs); the private keys never leave the token.' : '# Key files (Solana CLI keypair JSON, 0600).',
    set('COSIGNER_KEYPAIR', o.keys.cosigner.location),
    set('AUDIT_KEYPAIR', o.keys.audit.location),
    '# A separate fee payer (else the co-signer pays the fees; keep it funded with SOL):',
    '# FEE_PAYER_KEYPAIR=keys/fee-payer.json',
    ...(o.pkcs11
      ? ['', '# The HSM: its PKCS#11 library and a 0600 file holding the user PIN.', set('PKCS11_MODULE', o.pkcs11.module), set('PKCS11_PIN_FILE', o.pkcs11.pinFile)]
      : ['', '# Only when a key variable above is a pkcs11: URI (docs/operations.md, "Keys in an HSM"):', '# PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so', '# PKCS11_PIN_FILE=keys/hsm.pin']),
    '',
    '# The audit log head (required with PostgreSQL) and its anchor outside the database (docs/audit.md).',
    'AUDIT_HEAD_FILE=/var/lib/backstop/audit.head',
    'AUDIT_ANCHOR_FILE=/var/lib/backstop/audit-anchor.json',
    '# Where each audit head is also POSTed (optional):',
    '# AUDIT_ANCHOR_URL=https://audit.example.org/backstop',
    '',
    'POLICY_DIR=policies',
    '',
    '# PostgreSQL (compose.yaml runs it as the service "postgres"); POSTGRES_PASSWORD is read by compose.',
    `POSTGRES_PASSWORD=${o.postgresPassword}`,
    set('DATABASE_URL', `postgres://backstop:${o.postgresPassword}@postgres:5432/backstop`),
    '',
    '# Bearer token for the read API (GET /v1/…).',
    `API_READ_TOKEN=${o.apiReadToken}`,
    'PORT=8080',
    'LOG_LEVEL=info',
    '# Sandbox only (program dumps for real mode); never set in production:',
    '# BACKSTOP_PROGRAMS_DIR=',
    '',
    '# For docker compose (compose.yaml): this directory, mounted read-only at /deploy in both instances.',
    set('BACKSTOP_DEPLOY_DIR', o.deployDir),
    '',
  ];
  const text = lines.join('\n');
  // Every variable backstop reads is named here, set or commented out.
  const absent = variables.filter((k) => !new RegExp(`^(# )?${k}=`, 'm').test(text));
  if (absent.length > 0) throw new Error(`init's .env template lacks ${absent.join(', ')}`);
  return text;
}

/** The checklist printed (and saved as CHECKLIST.txt) after a deployment is written. */
export function checklist(f: ChainFacts, keys: DeploymentKeys, o: { out: string; policyFile: string; endpoint: string; pkcs11: boolean }): string {
  const ms = f.multisigState;
  const others = ms.members.filter((mm) => mm.key !== f.curator);
  const seat =
    f.curator === undefined
      ? [`      remove every member except the curator's key (one of ${ms.members.map((mm) => mm.key).join(', ')} — say which in insurancePool.curatorMember, or pass --curator)`]
      : others.length === 0
        ? []
        : others.map((mm) => `      remove member ${mm.key}   (the seat the co-signer takes)`);
  const warnings = chainWarnings(f);
  const keyLines = [
    `  co-signer       ${keys.cosigner.address}   ${keys.cosigner.location}`,
    `  audit           ${keys.audit.address}   ${keys.audit.location}`,
    `  webhook source  ${keys.webhookSource.address}   ${keys.webhookSource.location}  (for the risk tooling that calls the API; backstop does not need it)`,
  ];
  const allocs = f.vaultState.activeAllocations.map((a) => a.reserve);
  return [
    `backstop init wrote ${o.out}/ for vault ${f.vault}${f.vaultName ? ` "${f.vaultName}"` : ''}:`,
    `  ${o.out}/.env                 every setting (0600): set TELEGRAM_BOT_TOKEN`,
    `  ${o.out}/${o.policyFile}   the policy: replace every TODO`,
    `  ${o.out}/CHECKLIST.txt        this list`,
    '',
    `Read from ${o.endpoint}:`,
    `  farm       ${f.farm} (first-loss capital), withdraw authority = vault #${f.vaultIndex} of the multisig (${f.vaultPda})`,
    `  multisig   ${f.multisig}: ${ms.threshold} of ${ms.members.length}, time lock ${ms.timeLock} s`,
    `  reserves   ${allocs.length > 0 ? allocs.join(', ') : 'none allocated right now'}`,
    '',
    `Keys (${o.pkcs11 ? 'co-signer and audit inside the HSM token; never exported' : 'files, 0600 — back them up encrypted and offline'}):`,
    ...keyLines,
    '',
    ...(warnings.length > 0 ? ['Found on the chain — fix before relying on backstop:', ...warnings.map((w) => `  ! ${w}`), ''] : []),
    'Checklist:',
    `  1. Make the co-signer a member of the multisig: one Squads config transaction, approved by today's members,`,
    `      add member ${keys.cosigner.address} with Vote + Execute (permissions mask ${COSIGNER_MASK}; 7 if backstop should also create proposals)`,
    ...seat,
    '      set threshold 2',
    `     The policy allows exactly two members: the curator${f.curator ? ` ${f.curator}` : ''} and the co-signer. Check with:`,
    `      backstop inspect --rpc <url> --multisig ${f.multisig} --index <n>   (on the next proposal)`,
    '  2. Create the Telegram bot: in Telegram, message @BotFather, send /newbot, pick a name;',
    `     put the token it answers into TELEGRAM_BOT_TOKEN in ${o.out}/.env.`,
    '  3. Create a private group for the curator and the council, add the bot, and send any message in the group.',
    '     Before backstop runs (it would take the updates), read the ids:',
    "       TOKEN=<the bot token>; curl -s https://api.telegram.org/bot$TOKEN/getUpdates | grep -o '\"chat\":{\"id\":-[0-9]*\\|\"from\":{\"id\":[0-9]*'",
    '     "chat":{"id":-100…} is telegram.chatId; each person\'s "from":{"id":…} (they each send a message) is their telegramId.',
    `  4. Replace every TODO in ${o.out}/${o.policyFile} (Telegram ids, escrow, limits), then:`,
    `       backstop policy check ${o.out}/${o.policyFile}     → OK ${o.out}/${o.policyFile} revision <hex>`,
    '  5. Start (docs/operations.md):',
    `       docker compose --env-file ${o.out}/.env up -d     (in the backstop repository, beside compose.yaml)`,
    "       curl -s -o /dev/null -w '%{http_code}\\n' localhost:8080/readyz   → 200 (and 8081, the second instance)",
    `     or without docker: cd ${o.out} && set -a && . ./.env && set +a && backstop start`,
    ...(o.pkcs11 ? [] : ['  6. Back up keys/cosigner.json and keys/audit.json (encrypted, offline), then keep only the running copies.']),
    '',
  ].join('\n');
}

/** A file name from the vault's name (letters, digits, dashes). */
const slug = (name: string, vault: Address): string => {
  const s = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return s !== '' ? s : `vault-${vault.slice(0, 8)}`;
};

/**
 * Runs `backstop init`: checks the arguments, reads the chain, creates the keys and writes the
 * deployment; returns the checklist. Throws InitRefused (nothing written) on any refusal.
 */
export async function runInit(opts: InitOptions, env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<{ checklist: string; files: string[] }> {
  const m = await modules();
  const { fs, path } = m;
  for (const [flag, value] of [['--vault', opts.vault], ['--multisig', opts.multisig], ['--curator', opts.curator]] as const) {
    if (value === undefined) continue;
    const problem = m.schema.addressProblem(value);
    if (problem !== undefined) throw new InitRefused(2, `${flag} ${value}: ${problem}`);
  }
  const rpcUrl = opts.rpc.trim();
  let protocol: string;
  try {
    protocol = new URL(rpcUrl).protocol;
  } catch {
    throw new InitRefused(2, '--rpc is not a URL: give the http:// or https:// Solana RPC endpoint to read the vault from');
  }
  if (protocol !== 'https:' && protocol !== 'http:') throw new InitRefused(2, `--rpc must be an http:// or https:// endpoint, not ${protocol}`);
  const out = opts.out;
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
    throw new InitRefused(2, `${out} already exists and is not an empty directory; init never overwrites keys or settings: pass another --out, or move ${out} away`);
  }
  let pkcs11: Pkcs11Settings | undefined;
  const token = opts.pkcs11Token ?? 'backstop';
  const prefix = opts.pkcs11Prefix ?? 'backstop';
  if (opts.pkcs11) {
    const module = m.config.envValue(env, 'PKCS11_MODULE');
    const pinFile = m.config.envValue(env, 'PKCS11_PIN_FILE');
    if (module === undefined || pinFile === undefined) {
      throw new InitRefused(2, '--pkcs11 needs PKCS11_MODULE (the HSM\'s PKCS#11 library) and PKCS11_PIN_FILE (a 0600 file holding the token\'s user PIN) in the environment');
    }
    pkcs11 = { module: path.resolve(module), pinFile: path.resolve(pinFile) };
    try {
      m.pkcs11.readPinFile(pkcs11.pinFile);
    } catch (err) {
      throw new InitRefused(2, (err as Error).message);
    }
  }

  const chain = new m.reader.ChainReader({ rpcUrl, retries: 2, timeoutMs: 15_000 });
  const facts = await readChainFacts(m, chain, opts.vault as Address, opts.multisig as Address, opts.curator as Address | undefined);

  // Keys last, after every check: a refusal leaves nothing behind, in the token or on disk.
  const webhookSource = m.keys.Ed25519Keypair.generate();
  let cosigner: { address: Address; location: string };
  let audit: { address: Address; location: string };
  const fileKeys: [string, Ed25519Keypair][] = [['webhook-source.json', webhookSource]];
  if (pkcs11) {
    try {
      const made = [`${prefix}-cosigner`, `${prefix}-audit`].map((label) => m.pkcs11.generatePkcs11Key({ token, label }, pkcs11!));
      // Opened once each: proves the token signs with the new keys (self-test) before anything names them.
      for (const k of made) m.pkcs11.openPkcs11Key(m.config.parsePkcs11Uri(k.uri), pkcs11).close();
      cosigner = { address: made[0]!.address, location: made[0]!.uri };
      audit = { address: made[1]!.address, location: made[1]!.uri };
    } catch (err) {
      throw new InitRefused(2, `cannot create the keys in the HSM: ${(err as Error).message} (a key created before this failure stays in the token; run init again with another --pkcs11-prefix)`);
    }
  } else {
    const c = m.keys.Ed25519Keypair.generate();
    const a = m.keys.Ed25519Keypair.generate();
    fileKeys.push(['cosigner.json', c], ['audit.json', a]);
    cosigner = { address: c.publicKey, location: 'keys/cosigner.json' };
    audit = { address: a.publicKey, location: 'keys/audit.json' };
  }
  const keys: DeploymentKeys = { cosigner, audit, webhookSource: { address: webhookSource.publicKey, location: 'keys/webhook-source.json' } };

  const policyFile = `policies/${slug(facts.vaultName, facts.vault)}.yaml`;
  const random = (n: number) => m.crypto.randomBytes(n).toString('base64url');
  const files: string[] = [];
  fs.mkdirSync(path.join(out, 'keys'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(out, 'policies'), { recursive: true, mode: 0o700 });
  fs.chmodSync(out, 0o700);
  for (const [name, keypair] of fileKeys) {
    m.keys.writeKeypairFile(path.join(out, 'keys', name), keypair);
    files.push(`keys/${name}`);
  }
  const write = (rel: string, text: string, mode: number) => {
    fs.writeFileSync(path.join(out, rel), text, { mode, flag: 'wx' });
    fs.chmodSync(path.join(out, rel), mode);
    files.push(rel);
  };
  write(policyFile, policyYaml(facts, keys, now), 0o644);
  write(
    '.env',
    envFile(
      { rpc: rpcUrl, vault: facts.vault, keys, deployDir: path.resolve(out), apiReadToken: random(32), webhookSecret: random(32), postgresPassword: m.crypto.randomBytes(24).toString('hex'), ...(pkcs11 ? { pkcs11 } : {}), now },
      m.config.CONFIG_VARIABLES,
    ),
    0o600,
  );
  const list = checklist(facts, keys, { out, policyFile, endpoint: chain.endpoint, pkcs11: pkcs11 !== undefined });
  write('CHECKLIST.txt', list, 0o644);
  return { checklist: list, files };
}

/** Registers `backstop init`. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('read a vault, its Insurance Pool farm and multisig from the chain; write a deployment (policy, keys, .env) and print the checklist')
    .requiredOption('--rpc <url>', 'Solana JSON-RPC endpoint (mainnet-beta)')
    .requiredOption('--vault <address>', 'the kvault (VaultState) to guard')
    .requiredOption('--multisig <address>', 'the Squads v4 multisig whose vault is the farm\'s withdraw authority')
    .option('--out <dir>', 'where to write the deployment (must not exist, or be empty)', './deploy')
    .option('--pkcs11', 'create the co-signer and audit keys inside a PKCS#11 token (PKCS11_MODULE, PKCS11_PIN_FILE)')
    .option('--pkcs11-token <label>', 'the token label (with --pkcs11)', 'backstop')
    .option('--pkcs11-prefix <prefix>', 'key labels are <prefix>-cosigner and <prefix>-audit (with --pkcs11)', 'backstop')
    .option('--curator <address>', 'the curator\'s member key, when the multisig has several members that may initiate')
    .action(async (o: InitOptions) => {
      try {
        const { checklist: text } = await runInit(o);
        process.stdout.write(text);
      } catch (err) {
        if (!(err instanceof InitRefused)) throw err;
        process.stderr.write(`backstop init: ${err.message}\n`);
        process.exitCode = err.exitCode;
      }
    });
}
