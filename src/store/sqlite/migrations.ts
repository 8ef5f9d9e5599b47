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
    name: 'audit ids without a unique index',
    // Issue 13, audit growth: every login appends an audit record, and its id (22 random
    // characters from the CSPRNG, 131 bits) landed at a random place of a UNIQUE index. Once the
    // table outgrows the page cache, each append read and rewrote a random index page: at 1M rows
    // an append cost several times what it cost on an empty table. Nothing looks records up by
    // id, and a collision of 131 random bits is not a risk to guard with an index, so the table
    // is rebuilt without it (SQLite cannot drop a column constraint in place; a few seconds per
    // million rows, once). seq (the rowid) and both list indexes are kept as they were.
    sql: `
CREATE TABLE audit_events_v2 (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL,
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
INSERT INTO audit_events_v2 (seq, id, app_id, at, scheme, action, outcome, reason, user_id, credential_id, ip)
  SELECT seq, id, app_id, at, scheme, action, outcome, reason, user_id, credential_id, ip FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_v2 RENAME TO audit_events;
CREATE INDEX audit_events_by_app_at ON audit_events (app_id, at);
CREATE INDEX audit_events_by_app_user_at ON audit_events (app_id, user_id, at);
`,
  },
];
