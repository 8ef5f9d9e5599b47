import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import {
  createFamilyMapper,
  SESSION_LIST_LIMIT,
  SESSION_PRUNE_BATCH,
  type SessionFamilyRow,
} from '../sessionRows.js';
import type { RotateOutcome, SessionStore } from '../types.js';
import { quoteIdent } from './sql.js';

/**
 * The session store's statements for the tables in `schema` (see `sql.ts` for the conventions).
 *
 * @example
 * const sql = buildSessionSql('signet');
 */
export function buildSessionSql(schema: string) {
  const s = quoteIdent(schema);
  const families = `${s}.session_families`;
  const tokens = `${s}.refresh_tokens`;
  return {
    /**
     * A family and its first refresh token in one statement (one round trip, atomic): the
     * token row is inserted from the family row the CTE returns. $1 appId, $2 id, $3 userId,
     * $4 credentialId, $5 amr, $6 createdAt, $7 expiresAt, $8 refreshedAt, $9 revokedAt,
     * $10 revokedReason, $11 the token hash.
     */
    createFamily: `WITH f AS (INSERT INTO ${families}
      (app_id, id, user_id, credential_id, amr, created_at, expires_at, refreshed_at, revoked_at, revoked_reason)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING app_id, id, created_at)
      INSERT INTO ${tokens} (hash, app_id, family_id, issued_at, used_at)
      SELECT $11, app_id, id, created_at, NULL FROM f`,
    /** $1 hash, $2 appId, $3 familyId, $4 at. */
    insertToken: `INSERT INTO ${tokens} (hash, app_id, family_id, issued_at, used_at) VALUES ($1, $2, $3, $4, NULL)`,
    getFamily: `SELECT * FROM ${families} WHERE app_id = $1 AND id = $2`,
    findByToken: `SELECT f.* FROM ${tokens} t
      JOIN ${families} f ON f.app_id = t.app_id AND f.id = t.family_id
      WHERE t.app_id = $1 AND t.hash = $2`,
    /** A token's family, with the token's own state (for the retry grace). $1 appId, $2 hash. */
    findTokenState: `SELECT f.*, t.used_at AS token_used_at, t.replaced_by AS token_replaced_by
      FROM ${tokens} t
      JOIN ${families} f ON f.app_id = t.app_id AND f.id = t.family_id
      WHERE t.app_id = $1 AND t.hash = $2`,
    /**
     * $1 appId, $2 hash, $3 at, $4 the successor's hash (null for a successor spent by a retry:
     * it gets no grace). The compare-and-set that spends a token: a concurrent second UPDATE
     * waits for the first's row lock, re-checks `used_at IS NULL` on the new version, and
     * updates nothing.
     */
    spendToken: `UPDATE ${tokens} SET used_at = $3, replaced_by = $4
      WHERE app_id = $1 AND hash = $2 AND used_at IS NULL`,
    touchFamily: `UPDATE ${families} SET refreshed_at = $3 WHERE app_id = $1 AND id = $2`,
    /** $1 appId, $2 id, $3 reason, $4 at. */
    revokeFamily: `UPDATE ${families} SET revoked_at = $4, revoked_reason = $3
      WHERE app_id = $1 AND id = $2 AND revoked_at IS NULL`,
    revokeByUser: `UPDATE ${families} SET revoked_at = $4, revoked_reason = $3
      WHERE app_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $4`,
    revokeByCredential: `UPDATE ${families} SET revoked_at = $4, revoked_reason = $3
      WHERE app_id = $1 AND credential_id = $2 AND revoked_at IS NULL AND expires_at > $4`,
    listActiveByUser: `SELECT * FROM ${families}
      WHERE app_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3
      ORDER BY created_at DESC, id LIMIT $4`,
    pruneFamilies: `DELETE FROM ${families} f USING (
        SELECT app_id, id FROM ${families} WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED
      ) old WHERE f.app_id = old.app_id AND f.id = old.id`,
  } as const;
}

type BigintColumn = string | number;
type Row = SessionFamilyRow<BigintColumn>;
type TokenStateRow = Row & { token_used_at: BigintColumn | null; token_replaced_by: string | null };
const toFamily = createFamilyMapper((v: BigintColumn) => (typeof v === 'number' ? v : Number(v)));

/** What the session store borrows from the Postgres store: its pooled statement and transaction runners. */
export interface PostgresRunner {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  transaction<T>(work: (q: PoolClient) => Promise<T>): Promise<T>;
}

/**
 * Session families on the Postgres store. Rotation is one transaction whose first write is the
 * compare-and-set on the presented token, so of any number of nodes presenting one token exactly
 * one spends it; the others see it spent, and of those inside the retry grace exactly one spends
 * its successor (that compare-and-set's row lock); the rest is reuse. Deleting a family cascades
 * to its tokens.
 *
 * @example
 * const sessions = createPostgresSessionStore(schema, { query, transaction });
 */
export function createPostgresSessionStore(schema: string, db: PostgresRunner): SessionStore {
  const sql = buildSessionSql(schema);
  return {
    create: async (f, tokenHash) => {
      await db.query(sql.createFamily, [
        f.appId,
        f.id,
        f.userId,
        f.credentialId,
        f.amr,
        f.createdAt,
        f.expiresAt,
        f.refreshedAt,
        f.revokedAt,
        f.revokedReason,
        tokenHash,
      ]);
    },
    async get(appId, familyId) {
      const row = (await db.query<Row>(sql.getFamily, [appId, familyId])).rows[0];
      return row ? toFamily(row) : null;
    },
    async findByToken(appId, tokenHash) {
      const row = (await db.query<Row>(sql.findByToken, [appId, tokenHash])).rows[0];
      return row ? toFamily(row) : null;
    },
    rotate: (appId, tokenHash, nextHash, at, graceMs) =>
      db.transaction(async (q): Promise<RotateOutcome> => {
        // The compare-and-set first: it takes the token's row lock, so everything after it in
        // this transaction sees the token as this caller left it.
        const spent = (await q.query(sql.spendToken, [appId, tokenHash, at, nextHash])).rowCount === 1;
        const row = (await q.query<TokenStateRow>(sql.findTokenState, [appId, tokenHash])).rows[0];
        if (!row) return { outcome: 'unknown' };
        const family = toFamily(row);
        // A spend in a dead family is harmless (nothing is issued); the answer is the same.
        if (family.revokedAt !== null || family.expiresAt <= at) return { outcome: 'inactive', family };
        let retried = false;
        if (!spent) {
          // Spent before. A retry inside the grace whose successor nobody used takes the
          // successor's place: the successor's compare-and-set (its row lock) lets exactly one
          // concurrent retry through. Anything else is reuse, and the family goes.
          const successor = row.token_replaced_by;
          const usedAt = row.token_used_at === null ? null : Number(row.token_used_at);
          retried =
            graceMs > 0 &&
            successor !== null &&
            usedAt !== null &&
            usedAt + graceMs >= at &&
            (await q.query(sql.spendToken, [appId, successor, at, null])).rowCount === 1;
          if (!retried) {
            await q.query(sql.revokeFamily, [appId, family.id, 'refresh_reuse', at]);
            return {
              outcome: 'reused',
              family: { ...family, revokedAt: at, revokedReason: 'refresh_reuse' },
            };
          }
        }
        await q.query(sql.insertToken, [nextHash, appId, family.id, at]);
        await q.query(sql.touchFamily, [appId, family.id, at]);
        const rotated = { ...family, refreshedAt: at };
        return retried
          ? { outcome: 'rotated', family: rotated, retried: true }
          : { outcome: 'rotated', family: rotated };
      }),
    async revoke(appId, familyId, reason, at) {
      return (await db.query(sql.revokeFamily, [appId, familyId, reason, at])).rowCount === 1;
    },
    async revokeByUser(appId, userId, reason, at) {
      return (await db.query(sql.revokeByUser, [appId, userId, reason, at])).rowCount ?? 0;
    },
    async revokeByCredential(appId, credentialId, reason, at) {
      return (await db.query(sql.revokeByCredential, [appId, credentialId, reason, at])).rowCount ?? 0;
    },
    async listActiveByUser(appId, userId, now) {
      return (await db.query<Row>(sql.listActiveByUser, [appId, userId, now, SESSION_LIST_LIMIT])).rows.map(
        toFamily,
      );
    },
    async prune(before) {
      let total = 0;
      for (;;) {
        const n = (await db.query(sql.pruneFamilies, [before, SESSION_PRUNE_BATCH])).rowCount ?? 0;
        total += n;
        if (n < SESSION_PRUNE_BATCH) return total;
      }
    },
  };
}
