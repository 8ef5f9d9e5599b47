import type { AuditSqlDialect } from '../auditQuery.js';

/**
 * Every statement the SQLite store runs, by name. `createSqliteStore` prepares each one once;
 * tests read the plans of the look-ups that must use an index (`EXPLAIN QUERY PLAN`).
 *
 * The atomic operations are single statements, so they stay atomic across connections and
 * processes sharing one file: get-and-delete is `DELETE ... RETURNING`, compare-and-set is
 * `UPDATE ... WHERE counter = expected`, add-if-absent is an upsert whose update only fires on an
 * expired row, and counting is `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`.
 *
 * Sweeps delete at most `@limit` expired rows through a rowid sub-query (SQLite's `DELETE ...
 * LIMIT` is a compile-time option), so the work one request does is bounded.
 *
 * @example
 * const get = db.prepare(SQL.getApp);
 */
export const SQL = {
  ping: 'SELECT 1',

  insertApp: `INSERT INTO apps (id, name, secrets, rp_id, origins, settings, created_at)
    VALUES (@id, @name, @secrets, @rpId, @origins, @settings, @createdAt)`,
  getApp: 'SELECT * FROM apps WHERE id = ?',
  listApps: 'SELECT * FROM apps ORDER BY created_at, id',
  // created_at is not replaced: an app keeps its birth date.
  updateApp: `UPDATE apps SET name = @name, secrets = @secrets, rp_id = @rpId, origins = @origins, settings = @settings
    WHERE id = @id`,

  insertCredential: `INSERT INTO credentials
    (app_id, id, user_id, type, label, device_id, account, public_key, counter, created_at, last_used_at)
    VALUES (@appId, @id, @userId, @type, @label, @deviceId, @account, @publicKey, @counter, @createdAt, @lastUsedAt)`,
  /** The user's other keys for one phone key slot (a new `createKey` replaces the old key). */
  deleteDeviceSiblings: `DELETE FROM credentials
    WHERE app_id = @appId AND user_id = @userId AND type = 'device' AND device_id = @deviceId AND id <> @id
    RETURNING id`,
  getCredential: 'SELECT * FROM credentials WHERE app_id = ? AND id = ?',
  listCredentialsByUser: 'SELECT * FROM credentials WHERE app_id = ? AND user_id = ? ORDER BY created_at, id',
  findCredentialsByAccount:
    'SELECT * FROM credentials WHERE app_id = ? AND type = ? AND account = ? ORDER BY created_at, id',
  deleteCredential: 'DELETE FROM credentials WHERE app_id = ? AND user_id = ? AND id = ?',
  listDisplacedCredentials: 'SELECT * FROM credentials_displaced ORDER BY app_id, created_at, id LIMIT 1000',
  markCredentialUsed: `UPDATE credentials SET counter = @counter, last_used_at = @at
    WHERE app_id = @appId AND id = @id AND counter = @expected`,

  insertChallenge: `INSERT INTO challenges (app_id, id, type, value, user_id, data, expires_at)
    VALUES (@appId, @id, @type, @value, @userId, @data, @expiresAt)`,
  consumeChallenge: 'DELETE FROM challenges WHERE app_id = ? AND id = ? RETURNING *',
  sweepChallenges: `DELETE FROM challenges WHERE rowid IN
    (SELECT rowid FROM challenges WHERE expires_at <= @before LIMIT @limit)`,

  /** Inserts, or takes over a row that has expired; `changes` is 1 exactly when the key counts as new. */
  rememberReplay: `INSERT INTO replay_records (key, expires_at) VALUES (@key, @expiresAt)
    ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_records.expires_at <= @now`,
  hasReplay: 'SELECT 1 AS present FROM replay_records WHERE key = ? AND expires_at > ?',
  sweepReplay: `DELETE FROM replay_records WHERE rowid IN
    (SELECT rowid FROM replay_records WHERE expires_at <= @before LIMIT @limit)`,

  insertMykeySession: `INSERT INTO mykey_sessions
    (app_id, uuid, status, account, chain, token, poll_hash, reason, expires_at, created_at)
    VALUES (@appId, @uuID, @status, @account, @chain, @token, @pollHash, @reason, @expiresAt, @createdAt)`,
  getMykeySession: 'SELECT * FROM mykey_sessions WHERE app_id = ? AND uuid = ?',
  completeMykeySession: `UPDATE mykey_sessions
    SET status = @status, account = @account, chain = @chain, token = @token, reason = @reason
    WHERE app_id = @appId AND uuid = @uuID AND status = 'pending' AND expires_at > @now`,
  sweepMykeySessions: `DELETE FROM mykey_sessions WHERE rowid IN
    (SELECT rowid FROM mykey_sessions WHERE expires_at <= @before LIMIT @limit)`,

  insertAudit: `INSERT INTO audit_events
    (id, app_id, at, scheme, action, outcome, reason, user_id, credential_id, ip)
    VALUES (@id, @appId, @at, @scheme, @action, @outcome, @reason, @userId, @credentialId, @ip)`,
  aggregateAudit: `INSERT INTO audit_events
    (id, app_id, at, scheme, action, outcome, reason, user_id, credential_id, ip, count)
    VALUES (@id, @appId, @at, @scheme, @action, @outcome, @reason, @userId, @credentialId, @ip, 1)
    ON CONFLICT (id) DO UPDATE SET count = audit_events.count + 1`,
  // The audit list's SELECT is built per query shape by store/auditQuery.ts.
  // Oldest first by rowid: records arrive in time order, so the scan stops at the first young one.
  pruneAudit: `DELETE FROM audit_events WHERE seq IN
    (SELECT seq FROM audit_events WHERE at < @before ORDER BY seq LIMIT @limit)`,

  listSigningKeys: 'SELECT * FROM signing_keys ORDER BY created_at DESC, kid',
  retireActiveSigningKey: 'UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL',
  insertSigningKey: `INSERT INTO signing_keys (kid, alg, public_jwk, sealed_private_jwk, created_at, retired_at)
    VALUES (@kid, @alg, @publicJwk, @sealedPrivateJwk, @createdAt, NULL)`,
  pruneSigningKeys: 'DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?',
  /** Revoking also retires (a revoked active key must make room for a new one). */
  revokeSigningKey: `UPDATE signing_keys SET revoked_at = @at, retired_at = COALESCE(retired_at, @at)
    WHERE kid = @kid AND revoked_at IS NULL`,

  hitRateLimit: `INSERT INTO rate_limits (key, window_ms, window_start, expires_at, count)
    VALUES (@key, @windowMs, @windowStart, @expiresAt, 1)
    ON CONFLICT (key, window_ms, window_start) DO UPDATE SET count = count + 1
    RETURNING count`,
  peekRateLimit: 'SELECT count FROM rate_limits WHERE key = ? AND window_ms = ? AND window_start = ?',
  sweepRateLimits: `DELETE FROM rate_limits WHERE rowid IN
    (SELECT rowid FROM rate_limits WHERE expires_at <= @before LIMIT @limit)`,
} as const;

/** SQLite's spelling of the audit list (store/auditQuery.ts); substr/length count characters. */
export const AUDIT_SQL: AuditSqlDialect = {
  param: () => '?',
  startsWith: (column, p, again) => `substr(${column}, 1, length(${p})) = ${again}`,
  table: 'audit_events',
  columns: '*',
};
