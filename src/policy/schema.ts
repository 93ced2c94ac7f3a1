/**
 * The policy file format of docs/policy.md as a zod 4 schema, plus the in-file checks a schema cannot state
 * (roles, duplicates, quorum against the roster). `validatePolicy` is the one entry point: it returns
 * the parsed {@link Policy} or every problem with its dotted path.
 *
 * Parsed form (what the revision hashes, docs/policy.md): defaults filled in; addresses as kit `Address`;
 * durations (`limits.window`, `approvals.ttl`, `approvals.remindEvery`) as plain integer SECONDS;
 * `limits.maxPerProposal`/`maxPerWindow` kept as the decimal strings written — the token's decimals are
 * unknown here, so "more decimals than the token has" is judged by the `limits` rule (docs/rules.md#how-the-numbers-are-computed).
 * The optional `insurancePool.minDepthRatio` and `insurancePool.reserves` (read by `backstop pool check`
 * and the guardian) have no default: absent, they are absent from the parsed form and its revision.
 * So is the optional `compensation` block (issue 15: requirePlan, clawbackReceivers, distributorAdmins, dust).
 * So are `curators.approval` / `council.approval` (`button` or `signed`; absent means `button`) and each
 * member's `signer` (their ed25519 public key): `signed` needs a signer for every member of that role.
 */
import { getBase58Encoder, isAddress, type Address } from '@solana/kit';
import { z } from 'zod';

/** One problem in a policy: `path` dotted with array indices (`curators.members[1].telegramId`). */
export interface PolicyProblem {
  path: string;
  message: string;
}

/** Largest `insurancePool.timeLock` accepted, in seconds (90 days). */
export const MAX_TIME_LOCK = 7_776_000;
/** Actions a webhook source may be allowed (docs/policy.md `webhookSources[].may`). */
export const WEBHOOK_ACTIONS = ['loss-events', 'proposals'] as const;
/** A limit as written: a non-negative decimal without sign, exponent or separators. */
export const DECIMAL_RE = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** A duration as written: a positive integer and a unit (seconds, minutes, hours, days). */
export const DURATION_RE = /^[1-9][0-9]*[smhd]$/;

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]*$/;

/** Why `s` is not a 32-byte base58 public key, or undefined when it is one. */
export function addressProblem(s: string): string | undefined {
  if (s.length === 0) return 'must be a base58 public key, not empty';
  const bad = [...s].find((c) => !BASE58.test(c));
  if (bad !== undefined) return `not base58: ${JSON.stringify(bad)} is not a base58 character`;
  const bytes = getBase58Encoder().encode(s);
  if (bytes.length !== 32) return `must be a 32-byte public key; this decodes to ${bytes.length} bytes`;
  if (!isAddress(s)) return 'not a valid public key';
  return undefined;
}

const describe = (input: unknown): string =>
  input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input === 'object' ? 'a mapping' : `${typeof input} ${JSON.stringify(input)}`;

/** A required value's message: "required" when absent, else what it must be and what was found. */
const expected = (what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? 'required' : `must be ${what}, found ${describe(iss.input)}`;

const text = (what = 'a non-empty string') =>
  z.string({ error: expected(what) }).refine((s) => s.trim().length > 0, { error: 'must not be empty' });

const addressSchema = z
  .string({ error: expected('a base58 public key string') })
  .superRefine((s, ctx) => {
    const why = addressProblem(s);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
  })
  .transform((s) => s as Address);

const intIn = (min: number, max: number | undefined, what: string) => {
  const base = z.number({ error: expected(what) }).int({ error: `must be ${what}` });
  const withMin = base.min(min, { error: max === undefined ? `must be ≥ ${min}` : `must be between ${min} and ${max}` });
  return max === undefined ? withMin : withMin.max(max, { error: `must be between ${min} and ${max}` });
};

const telegramUserId = z
  .number({ error: expected('a Telegram user id (an integer)') })
  .int({ error: 'must be a Telegram user id (a whole number)' })
  .positive({ error: 'must be a Telegram user id (a positive integer)' });

const limitSchema = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? 'required'
        : typeof iss.input === 'number'
          ? `write it as a quoted string, e.g. "${String(iss.input)}" (a YAML number loses precision)`
          : `must be a quoted decimal string, found ${describe(iss.input)}`,
  })
  .regex(DECIMAL_RE, { error: 'must be a decimal amount like "250000" or "250000.5" (no sign, exponent, spaces or separators)' });

/** A fraction of the vault's TVL as written ("0.05"): a decimal string from 0 to 1. */
const ratioSchema = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `write it as a quoted string, e.g. "${String(iss.input)}" (a YAML number loses precision)`
        : `must be a quoted decimal string like "0.05", found ${describe(iss.input)}`,
  })
  .regex(/^(0(\.[0-9]+)?|1(\.0+)?)$/, { error: 'must be a decimal fraction from 0 to 1 like "0.05" for 5% of the vault’s TVL (no sign, exponent or percent)' });

const durationSchema = z
  .string({ error: expected('a duration like 7d, 24h, 30m or 90s') })
  .regex(DURATION_RE, { error: 'must be a duration like 7d, 24h, 30m or 90s (a positive whole number then s, m, h or d)' })
  .transform((s, ctx) => {
    const seconds = Number(s.slice(0, -1)) * UNIT_SECONDS[s.slice(-1) as keyof typeof UNIT_SECONDS];
    if (!Number.isSafeInteger(seconds)) {
      ctx.issues.push({ code: 'custom', message: 'duration is too long', input: s });
      return z.NEVER;
    }
    return seconds;
  });

const obj = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape, { error: expected('a mapping') });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: expected('a list') });

/** How a role's approvals count (docs/approvals.md): a button press, or a message signed with the member's key. */
export const APPROVAL_MODES = ['button', 'signed'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];
// Optional without a default: absent, it is absent from the parsed form, so no existing revision changes.
const approvalSchema = z
  .enum(APPROVAL_MODES, { error: (iss) => `must be button or signed, found ${describe(iss.input)}` })
  .optional();

const memberSchema = obj({ name: text(), telegramId: telegramUserId, signer: addressSchema.optional() });

/**
 * The docs/policy.md file shape: strict objects (unknown keys are errors), defaults filled in, durations in
 * seconds. Cross-field checks (quorum ≤ members, roles, duplicates) are in {@link validatePolicy}.
 */
export const PolicySchema = obj({
  version: z.literal(1, { error: (iss) => (iss.input === undefined ? 'required' : 'must be 1 (the only policy format version)') }),
  name: text(),
  // Optional: the underlying token's symbol for amounts on screens (kTokens show as k + symbol); absent changes no revision.
  symbol: z.string().regex(/^[A-Za-z0-9.$_-]{1,12}$/, { error: 'a token symbol: 1 to 12 letters, digits or . $ _ -' }).optional(),
  vault: addressSchema,
  insurancePool: obj({
    farm: addressSchema,
    multisig: addressSchema,
    vaultIndex: intIn(0, 255, 'an integer between 0 and 255'),
    curatorMember: addressSchema,
    timeLock: intIn(0, MAX_TIME_LOCK, `an integer number of seconds between 0 and ${MAX_TIME_LOCK}`),
    farmAdmins: list(addressSchema).default(() => []),
    allowFullDrain: z.boolean({ error: expected('true or false') }).default(false),
    // Optional without defaults: absent keys stay absent, so existing policies keep their revision.
    minDepthRatio: ratioSchema.optional(),
    reserves: list(addressSchema).optional(),
  }),
  cosigner: addressSchema,
  curators: obj({
    required: intIn(1, undefined, 'an integer ≥ 1'),
    approval: approvalSchema,
    members: list(obj({ name: text(), telegramId: telegramUserId, wallet: addressSchema.optional(), signer: addressSchema.optional() })).min(1, {
      error: 'must list at least one curator',
    }),
  }),
  council: obj({
    quorum: intIn(1, undefined, 'an integer ≥ 1'),
    approval: approvalSchema,
    members: list(memberSchema).min(1, { error: 'must list at least one council member' }),
  }),
  escrows: list(
    obj({
      name: text(),
      address: addressSchema,
      authority: addressSchema,
      mint: addressSchema,
      walletAuthority: z.boolean({ error: expected('true or false') }).default(false),
    }),
  ).min(1, { error: 'must list at least one compensation escrow' }),
  limits: obj({ maxPerProposal: limitSchema, maxPerWindow: limitSchema, window: durationSchema }),
  approvals: obj({ ttl: durationSchema.prefault('24h'), remindEvery: durationSchema.prefault('2h') }).prefault({}),
  execution: obj({
    execute: z.boolean({ error: expected('true or false') }).default(true),
    rejectOnChain: z.boolean({ error: expected('true or false') }).default(true),
  }).prefault({}),
  allowLookupTables: z.boolean({ error: expected('true or false') }).default(false),
  telegram: obj({ chatId: z.number({ error: expected('a Telegram chat id (an integer)') }).int({ error: 'must be a Telegram chat id (a whole number)' }) }),
  webhookSources: list(
    obj({
      // Travels in the X-Backstop-Source header, so keep it to header-safe characters.
      id: z
        .string({ error: expected('a source id string') })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit' }),
      publicKey: addressSchema,
      may: list(
        z.enum(WEBHOOK_ACTIONS, { error: (iss) => `must be one of ${WEBHOOK_ACTIONS.join(', ')}, found ${describe(iss.input)}` }),
      )
        .min(1, { error: `must list at least one of ${WEBHOOK_ACTIONS.join(', ')}` })
        .superRefine((may, ctx) => {
          may.forEach((m, i) => {
            if (may.indexOf(m) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `${m} is listed twice` });
          });
        }),
    }),
  ).default(() => []),
  // Optional (issue 15 §4): hold the escrow to a stored compensation plan; absent changes no revision.
  compensation: obj({
    requirePlan: z.boolean({ error: expected('true or false') }).default(false),
    clawbackReceivers: list(addressSchema).default(() => []),
    distributorAdmins: list(addressSchema).default(() => []),
    dust: z
      .string({ error: (iss) => (typeof iss.input === 'number' ? `write it as a quoted string, e.g. "${String(iss.input)}"` : `must be a quoted whole number of kToken base units, found ${describe(iss.input)}`) })
      .regex(/^(0|[1-9][0-9]{0,19})$/, { error: 'must be a whole number of kToken base units like "1000" (no sign, decimals or separators)' })
      .default('0'),
  })
    .superRefine((c, ctx) => {
      if (!c.requirePlan) return;
      if (c.clawbackReceivers.length === 0) ctx.addIssue({ code: 'custom', path: ['clawbackReceivers'], message: 'requirePlan needs at least one allowed clawback receiver' });
      if (c.distributorAdmins.length === 0) ctx.addIssue({ code: 'custom', path: ['distributorAdmins'], message: 'requirePlan needs at least one allowed distributor admin' });
    })
    .optional(),
});

/** A parsed, validated policy (see the module comment for the units of each field). */
export type Policy = z.output<typeof PolicySchema>;
/** A curator as parsed. */
export type CuratorMember = Policy['curators']['members'][number];
/** A compensation escrow as parsed. */
export type PolicyEscrow = Policy['escrows'][number];
/** A webhook source as parsed. */
export type WebhookSource = Policy['webhookSources'][number];

/** `curators.members[1].telegramId` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? (out === '' ? s : `.${s}`) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/** The result of {@link validatePolicy}. */
export type PolicyValidation = { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] };

/**
 * Validates a policy already read from YAML (or inline in a snapshot): the schema, then the in-file
 * checks on the raw value — so a file with several mistakes reports all of them at once.
 */
export function validatePolicy(raw: unknown): PolicyValidation {
  const problems: PolicyProblem[] = [];
  const parsed = PolicySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push({ path: formatPath([...issue.path, key]), message: 'unknown key (not part of the policy format; check its spelling)' });
      } else {
        problems.push({ path: formatPath(issue.path), message: issue.message });
      }
    }
  }
  problems.push(...semanticProblems(raw));
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, policy: parsed.data };
}

// ---- in-file checks on the raw value: each looks only at values of the right type ----

const rec = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Checks a schema cannot state: quorum/required against the roster, roles, duplicates. */
function semanticProblems(raw: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const root = rec(raw);
  if (root === undefined) {
    return problems;
  }
  const curators = rec(root.curators);
  const council = rec(root.council);

  const countCheck = (section: Record<string, unknown> | undefined, key: string, sectionName: string) => {
    if (section === undefined || !Array.isArray(section.members)) return;
    const v = section[key];
    const n = section.members.length;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v > n) {
      problems.push({ path: `${sectionName}.${key}`, message: `must be ≤ the number of members (${n})` });
    }
  };
  countCheck(curators, 'required', 'curators');
  countCheck(council, 'quorum', 'council');

  // A person holds one role once: a curator never counts toward the council (docs/telegram.md).
  const seenIds = new Map<number, string>();
  for (const [section, name] of [
    [curators, 'curators'],
    [council, 'council'],
  ] as const) {
    arr(section?.members).forEach((m, i) => {
      const id = rec(m)?.telegramId;
      if (typeof id !== 'number' || !Number.isInteger(id)) return;
      const path = `${name}.members[${i}].telegramId`;
      const first = seenIds.get(id);
      if (first === undefined) seenIds.set(id, path);
      else problems.push({ path, message: `Telegram id ${id} is also ${first}; a person may hold one seat in one role` });
    });
  }

  // Signed approvals (docs/approvals.md): every member of a `signed` role names a key, and a key is one person's.
  const seenSigners = new Map<string, string>();
  for (const [section, name] of [
    [curators, 'curators'],
    [council, 'council'],
  ] as const) {
    const signed = section?.approval === 'signed';
    arr(section?.members).forEach((m, i) => {
      const signer = rec(m)?.signer;
      const path = `${name}.members[${i}].signer`;
      if (signer === undefined) {
        if (signed && rec(m) !== undefined) problems.push({ path, message: `${name}.approval is signed: every member needs a signer (their ed25519 public key, base58), or set ${name}.approval to button` });
        return;
      }
      if (typeof signer !== 'string') return;
      const first = seenSigners.get(signer);
      if (first === undefined) seenSigners.set(signer, path);
      else problems.push({ path, message: `signer ${signer} is also ${first}; one key stands for one person` });
      if (signer === root.cosigner) problems.push({ path, message: 'must differ from cosigner: the co-signer’s key never stands for a human approval' });
    });
  }

  const pool = rec(root.insurancePool);
  if (typeof root.cosigner === 'string' && root.cosigner === pool?.curatorMember) {
    problems.push({ path: 'cosigner', message: 'must differ from insurancePool.curatorMember: the 2-of-2 needs two different keys' });
  }

  const duplicates = (list: unknown[], key: string, listPath: string, what: string) => {
    const seen = new Map<string, number>();
    list.forEach((item, i) => {
      const v = rec(item)?.[key];
      if (typeof v !== 'string') return;
      const first = seen.get(v);
      if (first === undefined) seen.set(v, i);
      else problems.push({ path: `${listPath}[${i}].${key}`, message: `${what} ${v} is also ${listPath}[${first}].${key}` });
    });
  };
  duplicates(arr(root.escrows), 'address', 'escrows', 'escrow address');
  duplicates(arr(root.escrows), 'name', 'escrows', 'escrow name');
  duplicates(arr(root.webhookSources), 'id', 'webhookSources', 'webhook source id');
  return problems;
}

/** Seconds in a duration string of {@link DURATION_RE} form (e.g. "24h" → 86400). */
export function durationSeconds(s: string): number {
  const r = durationSchema.safeParse(s);
  if (!r.success) throw new Error(`not a duration: ${JSON.stringify(s)}`);
  return r.data;
}
