import type { QueryResult, QueryResultRow } from 'pg';
import type { WebhookOutboxStore } from '../types.js';
import {
  byDue,
  checkClaim,
  clampDeadLimit,
  createWebhookRowMapper,
  type WebhookRow,
} from '../webhookRows.js';
import { quoteIdent } from './sql.js';

/** Delivered messages one retention batch deletes. */
const PRUNE_BATCH = 1000;

/**
 * The outbox statements for one schema. `claim` locks the due rows it takes with
 * `FOR UPDATE SKIP LOCKED`, so concurrent claims on several nodes take disjoint sets without
 * waiting for each other, and a row claimed (and committed) by another node is no longer due
 * because its lease is live. The outcome updates apply only `WHERE lease_id = $2`.
 *
 * @example
 * const sql = buildWebhookSql('signet');
 */
export function buildWebhookSql(schema: string) {
  const t = `${quoteIdent(schema)}.webhook_outbox`;
  return {
    enqueue: `INSERT INTO ${t}
      (id, app_id, type, payload, status, attempts, created_at, cycle_started_at, next_attempt_at)
      VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)`,
    get: `SELECT * FROM ${t} WHERE app_id = $1 AND id = $2`,
    /** $1 leaseId, $2 leaseUntil, $3 now, $4 limit. */
    claim: `UPDATE ${t} w
      SET lease_id = $1, lease_until = $2, attempts = w.attempts + 1, last_attempt_at = $3
      FROM (
        SELECT id FROM ${t}
        WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
        ORDER BY next_attempt_at, id LIMIT $4
        FOR UPDATE SKIP LOCKED
      ) due
      WHERE w.id = due.id
      RETURNING w.*`,
    markDelivered: `UPDATE ${t}
      SET status = 'delivered', delivered_at = $3, last_error = NULL, lease_id = NULL, lease_until = NULL
      WHERE id = $1 AND lease_id = $2 AND status = 'pending'`,
    scheduleRetry: `UPDATE ${t}
      SET next_attempt_at = $3, last_error = $4, lease_id = NULL, lease_until = NULL
      WHERE id = $1 AND lease_id = $2 AND status = 'pending'`,
    markDead: `UPDATE ${t}
      SET status = 'dead', dead_at = $3, last_error = $4, lease_id = NULL, lease_until = NULL
      WHERE id = $1 AND lease_id = $2 AND status = 'pending'`,
    listDead: `SELECT * FROM ${t} WHERE app_id = $1 AND status = 'dead'
      ORDER BY dead_at DESC, id DESC LIMIT $2`,
    listDeadBefore: `SELECT * FROM ${t} WHERE app_id = $1 AND status = 'dead' AND dead_at < $3
      ORDER BY dead_at DESC, id DESC LIMIT $2`,
    redeliver: `UPDATE ${t}
      SET status = 'pending', next_attempt_at = $3, cycle_started_at = $3, dead_at = NULL
      WHERE app_id = $1 AND id = $2 AND status = 'dead'`,
    prune: `DELETE FROM ${t} WHERE id IN (
      SELECT id FROM ${t} WHERE status = 'delivered' AND delivered_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  };
}

type Row = WebhookRow<string | number>;
const toMessage = createWebhookRowMapper((v: string | number) => (typeof v === 'number' ? v : Number(v)));

/**
 * The Postgres webhook outbox, over the store's pool (`createPostgresStore` builds it and hands
 * in its error-translating `query` and clock).
 *
 * @example
 * const webhooks = createPostgresWebhookOutbox(schema, query, clock);
 */
export function createPostgresWebhookOutbox(
  schema: string,
  query: <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<QueryResult<R>>,
  clock: () => number,
): WebhookOutboxStore {
  const sql = buildWebhookSql(schema);
  const changed = (r: QueryResult) => r.rowCount === 1;
  return {
    async enqueue(m) {
      await query(sql.enqueue, [m.id, m.appId, m.type, m.payload, m.createdAt]);
    },
    async get(appId, id) {
      const row = (await query<Row>(sql.get, [appId, id])).rows[0];
      return row ? toMessage(row) : null;
    },
    async claim(leaseId, limit, leaseMs) {
      checkClaim(leaseId, limit, leaseMs);
      const now = clock();
      return (await query<Row>(sql.claim, [leaseId, now + leaseMs, now, limit])).rows
        .map(toMessage)
        .sort(byDue);
    },
    markDelivered: async (id, leaseId, at) => changed(await query(sql.markDelivered, [id, leaseId, at])),
    scheduleRetry: async (id, leaseId, next, error) =>
      changed(await query(sql.scheduleRetry, [id, leaseId, next, error])),
    markDead: async (id, leaseId, at, error) => changed(await query(sql.markDead, [id, leaseId, at, error])),
    async listDead(appId, { limit, before }) {
      const n = clampDeadLimit(limit);
      const result =
        before === undefined
          ? await query<Row>(sql.listDead, [appId, n])
          : await query<Row>(sql.listDeadBefore, [appId, n, before]);
      return result.rows.map(toMessage);
    },
    redeliver: async (appId, id, at) => changed(await query(sql.redeliver, [appId, id, at])),
    async prune(before) {
      let total = 0;
      for (;;) {
        const n = (await query(sql.prune, [before, PRUNE_BATCH])).rowCount ?? 0;
        total += n;
        if (n < PRUNE_BATCH) return total;
      }
    },
  };
}
