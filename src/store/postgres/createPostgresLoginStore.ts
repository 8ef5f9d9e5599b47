import type { QueryResult, QueryResultRow } from 'pg';
import type { LoginCommitOutcome, LoginStore } from '../types.js';
import { createRowMappers } from '../rows.js';
import type * as Rows from '../rows.js';
import { quoteIdent } from './sql.js';

/**
 * The login unit of work's statements for one schema.
 *
 * `commit` is ONE statement (one round trip, atomic without BEGIN / COMMIT): data-modifying CTEs
 * that run in a chain, each gated on the one before through its RETURNING rows:
 * 1. `ch` locks the challenge row (`FOR UPDATE`); a concurrent commit naming it waits here, and
 *    once the first has deleted it, finds nothing (READ COMMITTED re-checks the locked row);
 * 2. `used` is the counter compare-and-set, applied only when `ch` holds the row (or the login
 *    names no challenge); a concurrent update of the credential waits for the row lock and
 *    re-checks `counter = expected` on the new version;
 * 3. `consumed` deletes the challenge, and the session, token, audit and webhook inserts run,
 *    only when `used` returned its row.
 * So a lost consume or a lost compare-and-set writes nothing at all (the challenge stays, as
 * in the SQLite store), and locks are always taken challenge first, then credential: no cycle.
 *
 * $1 appId, $2 challengeId (null: none), $3 credentialId, $4 expected, $5 counter, $6 at;
 * session (null $7: none) $7 id, $8 userId, $9 credentialId, $10 amr, $11 createdAt,
 * $12 expiresAt, $13 refreshedAt, $14 revokedAt, $15 revokedReason, $16 token hash;
 * audit $17 id, $18 at, $19 scheme, $20 action, $21 outcome, $22 reason, $23 userId,
 * $24 credentialId, $25 ip; webhook (null $26: none) $26 id, $27 type, $28 payload, $29 createdAt.
 *
 * @example
 * const sql = buildLoginSql('signet');
 */
export function buildLoginSql(schema: string) {
  const s = quoteIdent(schema);
  return {
    getChallenge: `SELECT * FROM ${s}.challenges WHERE app_id = $1 AND id = $2`,
    consumeChallenge: `DELETE FROM ${s}.challenges WHERE app_id = $1 AND id = $2`,
    commit: `WITH ch AS MATERIALIZED (
        SELECT id FROM ${s}.challenges WHERE app_id = $1 AND id = $2 FOR UPDATE
      ), used AS (
        UPDATE ${s}.credentials SET counter = $5, last_used_at = $6
        WHERE app_id = $1 AND id = $3 AND counter = $4 AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM ch))
        RETURNING 1
      ), consumed AS (
        DELETE FROM ${s}.challenges WHERE app_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM used)
      ), f AS (
        INSERT INTO ${s}.session_families
          (app_id, id, user_id, credential_id, amr, created_at, expires_at, refreshed_at, revoked_at, revoked_reason)
        SELECT $1, $7::text, $8::text, $9::text, $10::text, $11::bigint, $12::bigint, $13::bigint, $14::bigint, $15::text
        WHERE $7::text IS NOT NULL AND EXISTS (SELECT 1 FROM used)
        RETURNING app_id, id, created_at
      ), tok AS (
        INSERT INTO ${s}.refresh_tokens (hash, app_id, family_id, issued_at, used_at)
        SELECT $16::text, app_id, id, created_at, NULL FROM f
      ), aud AS (
        INSERT INTO ${s}.audit_events (id, app_id, at, scheme, action, outcome, reason, user_id, credential_id, ip)
        SELECT $17::text, $1, $18::bigint, $19::text, $20::text, $21::text, $22::text, $23::text, $24::text, $25::text
        WHERE EXISTS (SELECT 1 FROM used)
      ), hook AS (
        INSERT INTO ${s}.webhook_outbox
          (id, app_id, type, payload, status, attempts, created_at, cycle_started_at, next_attempt_at)
        SELECT $26::text, $1, $27::text, $28::text, 'pending', 0, $29::bigint, $29::bigint, $29::bigint
        WHERE $26::text IS NOT NULL AND EXISTS (SELECT 1 FROM used)
      )
      SELECT (SELECT count(*) FROM ch)::int AS claimed, (SELECT count(*) FROM used)::int AS used`,
  } as const;
}

/** A statement to run: its text, and a name when it is prepared once per connection. */
export type Statement = string | { name: string; text: string };

/** What the login store borrows from the Postgres store: its pooled statement runner. */
export type PostgresQuery = <R extends QueryResultRow>(
  statement: Statement,
  values?: unknown[],
) => Promise<QueryResult<R>>;

const { toChallenge } = createRowMappers<unknown, string | number>({
  json: <T>(v: unknown) => v as T,
  int: (v: string | number) => (typeof v === 'number' ? v : Number(v)),
});

/**
 * A login's writes on the Postgres store (see {@link LoginStore} and {@link buildLoginSql}):
 * `claim` reads the challenge, `commit` is one statement. `named` turns a statement into a named
 * (prepared once per connection) one.
 *
 * @example
 * const logins = createPostgresLoginStore(schema, query, named);
 */
export function createPostgresLoginStore(
  schema: string,
  query: PostgresQuery,
  named: (key: string, text: string) => Statement,
): LoginStore {
  const sql = buildLoginSql(schema);
  const commit = named('loginCommit', sql.commit);
  const consume = named('loginSpend', sql.consumeChallenge);
  return {
    claimConsumes: false,
    async claim(appId, challengeId) {
      const row = (
        await query<Rows.ChallengeRow<unknown, string | number>>(sql.getChallenge, [appId, challengeId])
      ).rows[0];
      return row ? toChallenge(row) : null;
    },
    async spend(appId, challengeId) {
      await query(consume, [appId, challengeId]);
    },
    async commit(u): Promise<LoginCommitOutcome> {
      const c = u.credential;
      const f = u.session?.family ?? null;
      const a = u.audit;
      const w = u.webhook;
      const row = (
        await query<{ claimed: number; used: number }>(commit, [
          c.appId,
          u.challengeId,
          c.id,
          c.expected,
          c.counter,
          c.at,
          f?.id ?? null,
          f?.userId ?? null,
          f?.credentialId ?? null,
          f?.amr ?? null,
          f?.createdAt ?? null,
          f?.expiresAt ?? null,
          f?.refreshedAt ?? null,
          f?.revokedAt ?? null,
          f?.revokedReason ?? null,
          u.session?.tokenHash ?? null,
          a.id,
          a.at,
          a.scheme,
          a.action,
          a.outcome,
          a.reason,
          a.userId,
          a.credentialId,
          a.ip,
          w?.id ?? null,
          w?.type ?? null,
          w?.payload ?? null,
          w?.createdAt ?? null,
        ])
      ).rows[0];
      if (u.challengeId !== null && row?.claimed !== 1) return 'challenge_lost';
      return row?.used === 1 ? 'committed' : 'counter_lost';
    },
  };
}
