/**
 * The Postgres schema of Signet as numbered migrations, kept as data. `applyPostgresMigrations`
 * runs the ones a schema has not seen yet, all in one transaction under an advisory lock (several
 * nodes may start at once), and records them in `schema_migrations`. Never edit a released
 * migration: add the next number.
 *
 * The SQL is written without a schema name: the migration transaction sets `search_path` to the
 * store's schema first, so one text serves every schema (and every test run's private one).
 *
 * Conventions (the same as the SQLite schema, in Postgres types): times are Unix milliseconds in
 * `bigint`; JSON is `jsonb`; rows that belong to an app reference `apps(id)`; every operation the
 * Store interface calls atomic is one statement or one transaction (see `sql.ts`).
 */
export interface PostgresMigration {
  /** 1, 2, 3, ... without gaps. */
  version: number;
  /** A short name for the `schema_migrations` row. */
  name: string;
  /** One or more SQL statements, run as one simple query inside the migration transaction. */
  sql: string;
}

/**
 * Every migration, in order.
 *
 * @example
 * const latest = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE apps (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  secrets    jsonb NOT NULL,
  rp_id      text,
  origins    jsonb NOT NULL,
  settings   jsonb NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE credentials (
  app_id       text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id           text NOT NULL,
  user_id      text NOT NULL,
  type         text NOT NULL CHECK (type IN ('device', 'webauthn', 'eos', 'eth')),
  label        text,
  device_id    text,
  account      text,
  public_key   jsonb NOT NULL,
  -- WebAuthn counters are uint32: beyond integer.
  counter      bigint NOT NULL,
  created_at   bigint NOT NULL,
  last_used_at bigint,
  PRIMARY KEY (app_id, id)
);
CREATE INDEX credentials_by_user ON credentials (app_id, user_id, created_at);
-- MYKEY and wallet logins look credentials up by on-chain account (eos name, eth address).
CREATE INDEX credentials_by_account ON credentials (app_id, type, account) WHERE account IS NOT NULL;

CREATE TABLE challenges (
  app_id     text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id         text NOT NULL,
  type       text NOT NULL,
  value      text NOT NULL,
  user_id    text,
  data       jsonb,
  expires_at bigint NOT NULL,
  PRIMARY KEY (app_id, id)
);
CREATE INDEX challenges_by_expiry ON challenges (expires_at);

CREATE TABLE replay_records (
  key        text PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX replay_records_by_expiry ON replay_records (expires_at);

CREATE TABLE mykey_sessions (
  app_id     text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  uuid       text NOT NULL,
  status     text NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
  account    text,
  chain      text,
  token      text,
  reason     text,
  expires_at bigint NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, uuid)
);
CREATE INDEX mykey_sessions_by_expiry ON mykey_sessions (expires_at);

-- seq orders records that share a millisecond, newest last.
CREATE TABLE audit_events (
  seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id            text NOT NULL UNIQUE,
  app_id        text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  at            bigint NOT NULL,
  scheme        text NOT NULL,
  action        text NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('success', 'failure')),
  reason        text,
  user_id       text,
  credential_id text,
  ip            text
);
CREATE INDEX audit_events_by_app_at ON audit_events (app_id, at DESC, seq DESC);
CREATE INDEX audit_events_by_app_user_at ON audit_events (app_id, user_id, at DESC, seq DESC);

CREATE TABLE signing_keys (
  kid                text PRIMARY KEY,
  alg                text NOT NULL CHECK (alg = 'EdDSA'),
  public_jwk         jsonb NOT NULL,
  sealed_private_jwk text NOT NULL,
  created_at         bigint NOT NULL,
  retired_at         bigint
);
-- At most one active key: a second concurrent rotate cannot leave two.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg) WHERE retired_at IS NULL;

-- One row per key and fixed window; expires_at = window_start + window_ms, for the sweep.
CREATE TABLE rate_limits (
  key          text NOT NULL,
  window_ms    bigint NOT NULL,
  window_start bigint NOT NULL,
  expires_at   bigint NOT NULL,
  count        bigint NOT NULL,
  PRIMARY KEY (key, window_ms, window_start)
);
CREATE INDEX rate_limits_by_expiry ON rate_limits (expires_at);
`,
  },
  {
    version: 2,
    name: 'audit ids without a unique index',
    // Issue 13, audit growth: the UNIQUE constraint on audit_events.id put every append (one a
    // login) at a random place of a B-tree over 22 random characters; once the index outgrows
    // shared_buffers each append reads and dirties a random page. Nothing looks records up by
    // id, and 131 random bits do not collide, so the constraint (and its index) goes.
    sql: `
ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_events_id_key;
`,
  },
];
