import type { AuditSqlDialect } from '../auditQuery.js';
/**
 * Every statement the Postgres store runs, by name, for one schema. Table names are qualified
 * (`"schema".apps`), so the statements do not depend on a connection's `search_path` and a pool
 * handed in by the caller works as is.
 *
 * The atomic operations are single statements, so they stay atomic across connections and nodes
 * under READ COMMITTED: get-and-delete is `DELETE ... RETURNING` (a second deleter waits for the
 * first and then finds nothing), compare-and-set is `UPDATE ... WHERE counter = expected` (the
 * waiting update re-checks its condition on the new row version), add-if-absent is an upsert
 * whose update only fires on an expired row, and counting is `INSERT ... ON CONFLICT DO UPDATE ...
 * RETURNING`.
 *
 * Writes of short-lived rows sweep at most `SWEEP_BATCH` expired rows in the same statement (a
 * data-modifying CTE): bounded work per request, `SKIP LOCKED` so concurrent sweeps on several
 * nodes never wait for each other, and the row being written is excluded from the sweep so one
 * statement never touches a row twice.
 */

/** Most expired rows one write sweeps from one table: bounded work per request. */
export const SWEEP_BATCH = 100;

/** Audit records one retention batch deletes. */
export const PRUNE_BATCH = 1000;

/**
 * A Postgres identifier in double quotes, with embedded quotes doubled (SQL standard).
 *
 * @example
 * quoteIdent('signet'); // '"signet"'
 */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 63 || name.includes('\u0000')) {
    throw new TypeError(`invalid Postgres identifier ${JSON.stringify(name)} (1-63 characters, no NUL)`);
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The statements for the tables in `schema`.
 *
 * @example
 * const sql = buildSql('signet');
 * await pool.query(sql.getApp, [appId]);
 */
export function buildSql(schema: string) {
  const s = quoteIdent(schema);
  const t = {
    apps: `${s}.apps`,
    credentials: `${s}.credentials`,
    displaced: `${s}.credentials_displaced`,
    challenges: `${s}.challenges`,
    replay: `${s}.replay_records`,
    mykey: `${s}.mykey_sessions`,
    audit: `${s}.audit_events`,
    keys: `${s}.signing_keys`,
    rates: `${s}.rate_limits`,
  };
  const auditColumns = 'id, app_id, at, scheme, action, outcome, reason, user_id, credential_id, ip, count';
  const auditInsertColumns = 'id, app_id, at, scheme, action, outcome, reason, user_id, credential_id, ip';
  return {
    ping: 'SELECT 1',

    insertApp: `INSERT INTO ${t.apps} (id, name, secrets, rp_id, origins, settings, created_at)
      VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6::jsonb, $7)`,
    getApp: `SELECT * FROM ${t.apps} WHERE id = $1`,
    listApps: `SELECT * FROM ${t.apps} ORDER BY created_at, id`,
    // created_at is not replaced: an app keeps its birth date.
    updateApp: `UPDATE ${t.apps} SET name = $2, secrets = $3::jsonb, rp_id = $4, origins = $5::jsonb, settings = $6::jsonb
      WHERE id = $1`,

    /**
     * Serialises device-key replacement per (app, user, deviceId): two registrations of one phone
     * slot at once would otherwise each miss the other's uncommitted row and both survive.
     */
    lockDeviceSlot: 'SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))',
    insertCredential: `INSERT INTO ${t.credentials}
      (app_id, id, user_id, type, label, device_id, account, public_key, counter, created_at, last_used_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)`,
    /** The user's other keys for one phone key slot (a new `createKey` replaces the old key). */
    deleteDeviceSiblings: `DELETE FROM ${t.credentials}
      WHERE app_id = $1 AND user_id = $2 AND type = 'device' AND device_id = $3 AND id <> $4
      RETURNING id`,
    getCredential: `SELECT * FROM ${t.credentials} WHERE app_id = $1 AND id = $2`,
    listCredentialsByUser: `SELECT * FROM ${t.credentials} WHERE app_id = $1 AND user_id = $2 ORDER BY created_at, id`,
    findCredentialsByAccount: `SELECT * FROM ${t.credentials} WHERE app_id = $1 AND type = $2 AND account = $3
      ORDER BY created_at, id`,
    deleteCredential: `DELETE FROM ${t.credentials} WHERE app_id = $1 AND user_id = $2 AND id = $3`,
    listDisplacedCredentials: `SELECT * FROM ${t.displaced} ORDER BY app_id, created_at, id LIMIT 1000`,
    markCredentialUsed: `UPDATE ${t.credentials} SET counter = $4, last_used_at = $5
      WHERE app_id = $1 AND id = $2 AND counter = $3`,

    /** $1 app, $2 id, ..., $7 expiresAt, $8 sweep before, $9 sweep limit. */
    insertChallenge: `WITH swept AS (
        DELETE FROM ${t.challenges} c USING (
          SELECT app_id, id FROM ${t.challenges}
          WHERE expires_at <= $8 AND NOT (app_id = $1 AND id = $2)
          LIMIT $9 FOR UPDATE SKIP LOCKED
        ) old WHERE c.app_id = old.app_id AND c.id = old.id
      )
      INSERT INTO ${t.challenges} (app_id, id, type, value, user_id, data, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
    consumeChallenge: `DELETE FROM ${t.challenges} WHERE app_id = $1 AND id = $2 RETURNING *`,

    /** $1 key, $2 expiresAt, $3 now, $4 sweep limit; one row back exactly when the key counts as new. */
    rememberReplay: `WITH swept AS (
        DELETE FROM ${t.replay} r USING (
          SELECT key FROM ${t.replay} WHERE expires_at <= $3 AND key <> $1
          LIMIT $4 FOR UPDATE SKIP LOCKED
        ) old WHERE r.key = old.key
      )
      INSERT INTO ${t.replay} AS cur (key, expires_at) VALUES ($1, $2)
      ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE cur.expires_at <= $3
      RETURNING 1 AS fresh`,

    /** $1 key, $2 now. */
    hasReplay: `SELECT 1 AS present FROM ${t.replay} WHERE key = $1 AND expires_at > $2`,

    /** $1 app, $2 uuid, ..., $9 createdAt, $10 sweep before, $11 sweep limit, $12 poll hash. */
    insertMykeySession: `WITH swept AS (
        DELETE FROM ${t.mykey} m USING (
          SELECT app_id, uuid FROM ${t.mykey}
          WHERE expires_at <= $10 AND NOT (app_id = $1 AND uuid = $2)
          LIMIT $11 FOR UPDATE SKIP LOCKED
        ) old WHERE m.app_id = old.app_id AND m.uuid = old.uuid
      )
      INSERT INTO ${t.mykey} (app_id, uuid, status, account, chain, token, reason, expires_at, created_at, poll_hash)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $12)`,
    getMykeySession: `SELECT * FROM ${t.mykey} WHERE app_id = $1 AND uuid = $2`,
    completeMykeySession: `UPDATE ${t.mykey} SET status = $3, account = $4, chain = $5, token = $6, reason = $7
      WHERE app_id = $1 AND uuid = $2 AND status = 'pending' AND expires_at > $8`,

    insertAudit: `INSERT INTO ${t.audit} (${auditInsertColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    aggregateAudit: `INSERT INTO ${t.audit} AS cur (${auditInsertColumns}, count)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
      ON CONFLICT (id) DO UPDATE SET count = cur.count + 1`,
    pruneAudit: `DELETE FROM ${t.audit} WHERE seq IN
      (SELECT seq FROM ${t.audit} WHERE at < $1 ORDER BY seq LIMIT $2)`,
    /** Postgres's spelling of the audit list (store/auditQuery.ts); `left` counts characters. */
    auditDialect: {
      param: (n: number) => `$${n}`,
      startsWith: (column: string, p: string, again: string) =>
        `left(${column}, char_length(${p})) = ${again}`,
      table: t.audit,
      columns: auditColumns,
    } satisfies AuditSqlDialect,

    listSigningKeys: `SELECT * FROM ${t.keys} ORDER BY created_at DESC, kid`,
    /**
     * Rotations queue behind each other (plain reads go on): without it two concurrent rotates
     * would each retire the old key and the second insert would hit the one-active index.
     */
    lockSigningKeys: `LOCK TABLE ${t.keys} IN EXCLUSIVE MODE`,
    retireActiveSigningKey: `UPDATE ${t.keys} SET retired_at = $1 WHERE retired_at IS NULL`,
    insertSigningKey: `INSERT INTO ${t.keys} (kid, alg, public_jwk, sealed_private_jwk, created_at, retired_at)
      VALUES ($1, $2, $3::jsonb, $4, $5, NULL)`,
    pruneSigningKeys: `DELETE FROM ${t.keys} WHERE retired_at IS NOT NULL AND retired_at < $1`,
    /** $1 kid, $2 at. Revoking also retires (a revoked active key must make room for a new one). */
    revokeSigningKey: `UPDATE ${t.keys} SET revoked_at = $2, retired_at = COALESCE(retired_at, $2)
      WHERE kid = $1 AND revoked_at IS NULL`,

    /** $1 key, $2 windowMs, $3 windowStart, $4 expiresAt, $5 now, $6 sweep limit. */
    hitRateLimit: `WITH swept AS (
        DELETE FROM ${t.rates} r USING (
          SELECT key, window_ms, window_start FROM ${t.rates}
          WHERE expires_at <= $5 AND NOT (key = $1 AND window_ms = $2 AND window_start = $3)
          LIMIT $6 FOR UPDATE SKIP LOCKED
        ) old WHERE r.key = old.key AND r.window_ms = old.window_ms AND r.window_start = old.window_start
      )
      INSERT INTO ${t.rates} AS cur (key, window_ms, window_start, expires_at, count) VALUES ($1, $2, $3, $4, 1)
      ON CONFLICT (key, window_ms, window_start) DO UPDATE SET count = cur.count + 1
      RETURNING count`,
    peekRateLimit: `SELECT count FROM ${t.rates} WHERE key = $1 AND window_ms = $2 AND window_start = $3`,
  } as const;
}

export type PostgresSql = ReturnType<typeof buildSql>;
