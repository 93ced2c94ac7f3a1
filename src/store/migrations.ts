/**
 * Versioned schema migrations, one SQL text for both engines: the few words that differ are tokens
 * (`{id}` an auto-increment primary key, `{bytes}` a byte column, `{int64}`, `{timestamp}` a database
 * time, only for the lease, which uses the database's clock). Money and u64 values are
 * decimal TEXT; times are RFC 3339 UTC TEXT with milliseconds (they sort as they compare).
 * Append new migrations; never edit an applied one.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const TOKENS: Record<Dialect, Record<string, string>> = {
  sqlite: { '{id}': 'INTEGER PRIMARY KEY AUTOINCREMENT', '{bytes}': 'BLOB', '{int64}': 'INTEGER', '{timestamp}': 'TEXT' },
  postgres: { '{id}': 'BIGSERIAL PRIMARY KEY', '{bytes}': 'BYTEA', '{int64}': 'BIGINT', '{timestamp}': 'TIMESTAMPTZ' },
};

/** The migration's SQL for one engine. */
export function migrationSql(m: Migration, dialect: Dialect): string {
  return m.sql.replace(/\{id\}|\{bytes\}|\{int64\}|\{timestamp\}/g, (t) => TOKENS[dialect][t]!);
}

export const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE audit_log (
  seq {int64} PRIMARY KEY,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE TABLE loss_events (
  id TEXT PRIMARY KEY,
  vault TEXT NOT NULL,
  reserve TEXT NOT NULL,
  signature TEXT NOT NULL,
  vault_loss TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  vault_ctokens TEXT NOT NULL,
  reserve_ctoken_supply TEXT NOT NULL,
  read_at_slot TEXT NOT NULL,
  recorded_loss TEXT NOT NULL,
  forgiven TEXT NOT NULL,
  block_time {int64},
  slot TEXT NOT NULL,
  note TEXT,
  transaction_json TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  closed_at TEXT,
  UNIQUE (vault, signature, reserve)
);
CREATE INDEX loss_events_signature ON loss_events (signature);
CREATE TABLE proposals (
  row_id {id},
  id TEXT NOT NULL UNIQUE,
  multisig TEXT NOT NULL,
  transaction_index TEXT NOT NULL,
  vault TEXT NOT NULL,
  state TEXT NOT NULL,
  epoch INTEGER NOT NULL DEFAULT 1,
  digest TEXT,
  policy_revision TEXT,
  claim TEXT,
  loss_event_id TEXT,
  mode TEXT NOT NULL CHECK (mode IN ('register', 'create')),
  received_at TEXT NOT NULL,
  deadline TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX proposals_state ON proposals (state);
CREATE TABLE transitions (
  id {id},
  proposal_row_id {int64} NOT NULL REFERENCES proposals (row_id),
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  cause TEXT NOT NULL CHECK (cause IN ('policy', 'human', 'chain', 'timer')),
  detail TEXT,
  epoch INTEGER NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX transitions_proposal ON transitions (proposal_row_id);
CREATE TABLE decisions (
  id {id},
  proposal_row_id {int64} NOT NULL REFERENCES proposals (row_id),
  decision_id TEXT NOT NULL,
  allowed INTEGER NOT NULL,
  digest TEXT,
  policy_revision TEXT NOT NULL,
  decision_json TEXT NOT NULL,
  snapshot_gz {bytes} NOT NULL,
  stored_at TEXT NOT NULL
);
CREATE INDEX decisions_proposal ON decisions (proposal_row_id);
CREATE TABLE votes (
  id {id},
  proposal_row_id {int64} NOT NULL REFERENCES proposals (row_id),
  telegram_id {int64} NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('curator', 'council')),
  vote TEXT NOT NULL CHECK (vote IN ('approve', 'reject')),
  digest TEXT,
  policy_revision TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  at TEXT NOT NULL,
  channel TEXT NOT NULL,
  reason TEXT,
  UNIQUE (proposal_row_id, telegram_id, epoch)
);
CREATE TABLE ledger (
  id {id},
  loss_event_id TEXT NOT NULL REFERENCES loss_events (id),
  vault TEXT NOT NULL,
  proposal TEXT NOT NULL,
  amount TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('reserved', 'compensated', 'released')),
  at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX ledger_vault ON ledger (vault);
CREATE INDEX ledger_proposal ON ledger (proposal);
CREATE TABLE intents (
  id {id},
  proposal TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('approve', 'approve-execute', 'reject', 'create', 'ata')),
  transaction_bytes {bytes} NOT NULL,
  signature TEXT NOT NULL,
  blockhash TEXT NOT NULL,
  last_valid_block_height TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('sent', 'recorded', 'landed', 'expired', 'failed')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX intents_proposal ON intents (proposal);
CREATE TABLE webhook_deliveries (
  source TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  response_body TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (source, idempotency_key)
);
CREATE TABLE replayed_signatures (
  signature TEXT PRIMARY KEY,
  at TEXT NOT NULL
);
CREATE TABLE telegram_cards (
  proposal_row_id {int64} PRIMARY KEY REFERENCES proposals (row_id),
  chat_id {int64} NOT NULL,
  message_id {int64} NOT NULL,
  last_rendered_hash TEXT,
  pending_render INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE timers (
  id {id},
  kind TEXT NOT NULL CHECK (kind IN ('remind', 'expire', 'redecide', 'hold-expiry', 'poll')),
  proposal_row_id {int64} REFERENCES proposals (row_id),
  due_at TEXT NOT NULL,
  payload TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX timers_due ON timers (due_at);
`,
  },
  {
    version: 2,
    name: 'decision-summary',
    // The numbers a decision was made on, typed, for every screen (policy/summary.ts); null on older rows.
    sql: `ALTER TABLE decisions ADD COLUMN summary_json TEXT;`,
  },
  {
    version: 3,
    name: 'lease',
    // PostgreSQL's active-instance lease (lease.ts); SQLite keeps its lock file and never uses the table.
    sql: `CREATE TABLE lease (
  name TEXT PRIMARY KEY CHECK (name = 'active'),
  holder TEXT NOT NULL,
  token {int64} NOT NULL,
  expires_at {timestamp} NOT NULL
);`,
  },
  {
    version: 4,
    name: 'compensation-plans',
    // Issue 15: a loss event's compensation plans (plans.ts); the newest per event counts.
    sql: `CREATE TABLE compensation_plans (
  id {id},
  loss_event_id TEXT NOT NULL REFERENCES loss_events (id),
  vault TEXT NOT NULL,
  loss_slot TEXT NOT NULL,
  shares_mint TEXT NOT NULL,
  root TEXT NOT NULL,
  total TEXT NOT NULL,
  amount TEXT NOT NULL,
  remainder TEXT NOT NULL,
  claimants {int64} NOT NULL,
  plan_gz {bytes} NOT NULL,
  plan_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX compensation_plans_event ON compensation_plans (loss_event_id);
CREATE INDEX compensation_plans_vault ON compensation_plans (vault);`,
  },
];

/** The newest schema version this code knows. */
export const CURRENT_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
