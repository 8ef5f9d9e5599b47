/**
 * The SQLite schema of Signet as numbered migrations, kept as data. `applyMigrations` runs the
 * ones a database has not seen yet, each in its own transaction, and records them in
 * `schema_migrations` (and `PRAGMA user_version`), so a re-open migrates forward and never
 * re-applies. Never edit a released migration: add the next number.
 *
 * Conventions: STRICT tables; times are Unix milliseconds in INTEGER columns; JSON columns are
 * TEXT guarded by `json_valid`; rows that belong to an app reference `apps(id)`.
 */
export interface SqliteMigration {
  /** 1, 2, 3, ... without gaps. */
  version: number;
  /** A short name for the log and the `schema_migrations` row. */
  name: string;
  /** One or more SQL statements, run with `exec` inside the migration's transaction. */
  sql: string;
}

/**
 * Every migration, in order.
 *
 * @example
 * const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
 */
export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE apps (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  secrets    TEXT NOT NULL CHECK (json_valid(secrets)),
  rp_id      TEXT,
  origins    TEXT NOT NULL CHECK (json_valid(origins)),
  settings   TEXT NOT NULL CHECK (json_valid(settings)),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE credentials (
  app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  type         TEXT NOT NULL CHECK (type IN ('device', 'webauthn', 'eos', 'eth')),
  label        TEXT,
  device_id    TEXT,
  account      TEXT,
  public_key   TEXT NOT NULL CHECK (json_valid(public_key)),
  counter      INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  PRIMARY KEY (app_id, id)
) STRICT;
-- Both look-ups return rows in (created_at, id) order straight from their index.
CREATE INDEX credentials_by_user ON credentials (app_id, user_id, created_at, id);
-- MYKEY and wallet logins look credentials up by on-chain account (eos name, eth address).
CREATE INDEX credentials_by_account ON credentials (app_id, type, account, created_at, id) WHERE account IS NOT NULL;

CREATE TABLE challenges (
  app_id     TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  type       TEXT NOT NULL,
  value      TEXT NOT NULL,
  user_id    TEXT,
  data       TEXT CHECK (data IS NULL OR json_valid(data)),
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, id)
) STRICT;
CREATE INDEX challenges_by_expiry ON challenges (expires_at);

CREATE TABLE replay_records (
  key        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX replay_records_by_expiry ON replay_records (expires_at);

CREATE TABLE mykey_sessions (
  app_id     TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  uuid       TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
  account    TEXT,
  chain      TEXT,
  token      TEXT,
  reason     TEXT,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, uuid)
) STRICT;
CREATE INDEX mykey_sessions_by_expiry ON mykey_sessions (expires_at);

-- seq (the rowid) orders records that share a millisecond, newest last.
CREATE TABLE audit_events (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  app_id        TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  at            INTEGER NOT NULL,
  scheme        TEXT NOT NULL,
  action        TEXT NOT NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  reason        TEXT,
  user_id       TEXT,
  credential_id TEXT,
  ip            TEXT
) STRICT;
CREATE INDEX audit_events_by_app_at ON audit_events (app_id, at);
CREATE INDEX audit_events_by_app_user_at ON audit_events (app_id, user_id, at);

CREATE TABLE signing_keys (
  kid                TEXT PRIMARY KEY,
  alg                TEXT NOT NULL CHECK (alg = 'EdDSA'),
  public_jwk         TEXT NOT NULL CHECK (json_valid(public_jwk)),
  sealed_private_jwk TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  retired_at         INTEGER
) STRICT;
-- At most one active key: a second concurrent rotate cannot leave two.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg) WHERE retired_at IS NULL;

-- One row per key and fixed window; expires_at = window_start + window_ms, for the sweep.
CREATE TABLE rate_limits (
  key          TEXT NOT NULL,
  window_ms    INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  count        INTEGER NOT NULL,
  PRIMARY KEY (key, window_ms, window_start)
) STRICT;
CREATE INDEX rate_limits_by_expiry ON rate_limits (expires_at);
`,
  },
  {
    version: 2,
    name: 'one wallet per app; requireWalletProof false for existing apps',
    // CONTRACT.md "Identity binding": within an app an eth address and an eos account belong to
    // at most one credential. Existing duplicates keep the oldest (created_at, then id); the
    // others move, whole, to credentials_displaced (reported at start-up, never silently lost).
    // Apps created before wallet proofs keep their behaviour: requireWalletProof reads false.
    sql: `
CREATE TABLE credentials_displaced (
  app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  type         TEXT NOT NULL,
  label        TEXT,
  account      TEXT NOT NULL,
  public_key   TEXT NOT NULL CHECK (json_valid(public_key)),
  created_at   INTEGER NOT NULL,
  kept_id      TEXT NOT NULL,
  kept_user_id TEXT NOT NULL,
  displaced_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, id)
) STRICT;

INSERT INTO credentials_displaced
  (app_id, id, user_id, type, label, account, public_key, created_at, kept_id, kept_user_id, displaced_at)
SELECT app_id, id, user_id, type, label, account, public_key, created_at, kept_id, kept_user_id,
       CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM (
  SELECT c.*,
    row_number() OVER w AS rank,
    first_value(id) OVER w AS kept_id,
    first_value(user_id) OVER w AS kept_user_id
  FROM credentials c
  WHERE type IN ('eos', 'eth') AND account IS NOT NULL
  WINDOW w AS (PARTITION BY app_id, type, account ORDER BY created_at, id)
)
WHERE rank > 1;

DELETE FROM credentials
WHERE EXISTS (SELECT 1 FROM credentials_displaced d WHERE d.app_id = credentials.app_id AND d.id = credentials.id);

CREATE UNIQUE INDEX credentials_one_wallet ON credentials (app_id, type, account)
  WHERE type IN ('eos', 'eth');

UPDATE apps SET settings = json_set(settings, '$.requireWalletProof', json('false'))
WHERE json_type(settings, '$.requireWalletProof') IS NULL;
`,
  },
  {
    version: 3,
    name: 'abuse resistance: audit counts, MYKEY poll secrets',
    sql: `
-- An aggregated audit record stands for count attempts (repeated anonymous failures).
ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
-- SHA-256 of a MYKEY session's poll secret; the token column now holds a sealed token.
ALTER TABLE mykey_sessions ADD COLUMN poll_hash TEXT;
`,
  },
  {
    version: 4,
    name: 'sessions: refresh-token families, signing-key revocation',
    sql: `
CREATE TABLE session_families (
  app_id         TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  credential_id  TEXT,
  amr            TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  refreshed_at   INTEGER,
  revoked_at     INTEGER,
  revoked_reason TEXT,
  PRIMARY KEY (app_id, id)
) STRICT;
CREATE INDEX session_families_by_user ON session_families (app_id, user_id);
CREATE INDEX session_families_by_credential ON session_families (app_id, credential_id);
CREATE INDEX session_families_by_expiry ON session_families (expires_at);

-- Only SHA-256 hashes of refresh tokens; spent ones stay (used_at set) so reuse is recognised.
CREATE TABLE refresh_tokens (
  hash       TEXT PRIMARY KEY,
  app_id     TEXT NOT NULL,
  family_id  TEXT NOT NULL,
  issued_at  INTEGER NOT NULL,
  used_at    INTEGER,
  FOREIGN KEY (app_id, family_id) REFERENCES session_families (app_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (app_id, family_id);

ALTER TABLE signing_keys ADD COLUMN revoked_at INTEGER;
`,
  },
  {
    version: 5,
    name: 'webhook outbox',
    sql: `
-- Standard Webhooks outbox (CONTRACT.md "Webhooks"): one row a message; lease_id/lease_until
-- mark the node delivering it (claim skips a row under a live lease).
CREATE TABLE webhook_outbox (
  id               TEXT PRIMARY KEY,
  app_id           TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  type             TEXT NOT NULL,
  payload          TEXT NOT NULL CHECK (json_valid(payload)),
  status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  cycle_started_at INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  last_attempt_at  INTEGER,
  last_error       TEXT,
  delivered_at     INTEGER,
  dead_at          INTEGER,
  lease_id         TEXT,
  lease_until      INTEGER
) STRICT;
-- claim walks the due pending rows in order; the dead-letter list and retention have their own.
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_outbox_dead ON webhook_outbox (app_id, dead_at, id) WHERE status = 'dead';
CREATE INDEX webhook_outbox_delivered ON webhook_outbox (delivered_at) WHERE status = 'delivered';
`,
  },
  {
    version: 6,
    name: 'refresh token successor',
    sql: `
-- The hash of the token that replaced a spent one, for the refresh retry grace (docs/tokens.md
-- "Retry grace"): a token spent moments ago whose successor was never used may be presented
-- again. Rows spent before this migration have no link and stay plain reuse.
ALTER TABLE refresh_tokens ADD COLUMN replaced_by TEXT;
`,
  },
];
