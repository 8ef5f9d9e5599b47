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
    name: 'one wallet per app; requireWalletProof false for existing apps',
    // The same as SQLite migration 2: duplicates keep the oldest credential (created_at, then
    // id); the rest move to credentials_displaced, reported at start-up. A unique index then
    // holds the rule for every node at once; existing apps read requireWalletProof = false.
    sql: `
CREATE TABLE credentials_displaced (
  app_id       text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id           text NOT NULL,
  user_id      text NOT NULL,
  type         text NOT NULL,
  label        text,
  account      text NOT NULL,
  public_key   jsonb NOT NULL,
  created_at   bigint NOT NULL,
  kept_id      text NOT NULL,
  kept_user_id text NOT NULL,
  displaced_at bigint NOT NULL,
  PRIMARY KEY (app_id, id)
);

INSERT INTO credentials_displaced
  (app_id, id, user_id, type, label, account, public_key, created_at, kept_id, kept_user_id, displaced_at)
SELECT app_id, id, user_id, type, label, account, public_key, created_at, kept_id, kept_user_id,
       (extract(epoch FROM now()) * 1000)::bigint
FROM (
  SELECT c.*,
    row_number() OVER w AS rank,
    first_value(id) OVER w AS kept_id,
    first_value(user_id) OVER w AS kept_user_id
  FROM credentials c
  WHERE type IN ('eos', 'eth') AND account IS NOT NULL
  WINDOW w AS (PARTITION BY app_id, type, account ORDER BY created_at, id)
) ranked
WHERE rank > 1;

DELETE FROM credentials c USING credentials_displaced d WHERE d.app_id = c.app_id AND d.id = c.id;

CREATE UNIQUE INDEX credentials_one_wallet ON credentials (app_id, type, account)
  WHERE type IN ('eos', 'eth');

UPDATE apps SET settings = settings || '{"requireWalletProof": false}'::jsonb
WHERE NOT jsonb_exists(settings, 'requireWalletProof');
`,
  },
  {
    version: 3,
    name: 'abuse resistance: audit counts, MYKEY poll secrets',
    sql: `
-- An aggregated audit record stands for count attempts (repeated anonymous failures).
ALTER TABLE audit_events ADD COLUMN count bigint NOT NULL DEFAULT 1;
-- SHA-256 of a MYKEY session's poll secret; the token column now holds a sealed token.
ALTER TABLE mykey_sessions ADD COLUMN poll_hash text;
`,
  },
  {
    version: 4,
    name: 'sessions: refresh-token families, signing-key revocation',
    sql: `
CREATE TABLE session_families (
  app_id         text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id             text NOT NULL,
  user_id        text NOT NULL,
  credential_id  text,
  amr            text NOT NULL,
  created_at     bigint NOT NULL,
  expires_at     bigint NOT NULL,
  refreshed_at   bigint,
  revoked_at     bigint,
  revoked_reason text,
  PRIMARY KEY (app_id, id)
);
CREATE INDEX session_families_by_user ON session_families (app_id, user_id);
CREATE INDEX session_families_by_credential ON session_families (app_id, credential_id);
CREATE INDEX session_families_by_expiry ON session_families (expires_at);

-- Only SHA-256 hashes of refresh tokens; spent ones stay (used_at set) so reuse is recognised.
CREATE TABLE refresh_tokens (
  hash       text PRIMARY KEY,
  app_id     text NOT NULL,
  family_id  text NOT NULL,
  issued_at  bigint NOT NULL,
  used_at    bigint,
  FOREIGN KEY (app_id, family_id) REFERENCES session_families (app_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (app_id, family_id);

ALTER TABLE signing_keys ADD COLUMN revoked_at bigint;
`,
  },
  {
    version: 5,
    name: 'webhook outbox',
    sql: `
-- Standard Webhooks outbox (CONTRACT.md "Webhooks"): one row a message; lease_id/lease_until
-- mark the node delivering it (claim skips a row under a live lease, and rows another claim has
-- locked, with SKIP LOCKED).
CREATE TABLE webhook_outbox (
  id               text PRIMARY KEY,
  app_id           text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  type             text NOT NULL,
  payload          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL,
  created_at       bigint NOT NULL,
  cycle_started_at bigint NOT NULL,
  next_attempt_at  bigint NOT NULL,
  last_attempt_at  bigint,
  last_error       text,
  delivered_at     bigint,
  dead_at          bigint,
  lease_id         text,
  lease_until      bigint
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_outbox_dead ON webhook_outbox (app_id, dead_at DESC, id DESC) WHERE status = 'dead';
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
ALTER TABLE refresh_tokens ADD COLUMN replaced_by text;
`,
  },
];
