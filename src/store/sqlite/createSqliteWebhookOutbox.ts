import type { Database } from 'better-sqlite3';
import type { Clock, WebhookOutboxStore } from '../types.js';
import {
  byDue,
  checkClaim,
  clampDeadLimit,
  createWebhookRowMapper,
  type WebhookRow,
} from '../webhookRows.js';

/** Delivered messages one retention batch deletes. */
const PRUNE_BATCH = 1000;

/**
 * The outbox statements. `claim` is one `UPDATE ... WHERE id IN (SELECT ... LIMIT) RETURNING`:
 * SQLite runs it under the database write lock, so it is atomic across connections and
 * processes sharing the file; the outcome updates apply only `WHERE lease_id = @leaseId`.
 */
export const WEBHOOK_SQL = {
  enqueue: `INSERT INTO webhook_outbox
    (id, app_id, type, payload, status, attempts, created_at, cycle_started_at, next_attempt_at)
    VALUES (@id, @appId, @type, @payload, 'pending', 0, @createdAt, @createdAt, @createdAt)`,
  get: 'SELECT * FROM webhook_outbox WHERE app_id = ? AND id = ?',
  claim: `UPDATE webhook_outbox
    SET lease_id = @leaseId, lease_until = @leaseUntil, attempts = attempts + 1, last_attempt_at = @now
    WHERE id IN (
      SELECT id FROM webhook_outbox
      WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
      ORDER BY next_attempt_at, id LIMIT @limit)
    RETURNING *`,
  markDelivered: `UPDATE webhook_outbox
    SET status = 'delivered', delivered_at = @at, last_error = NULL, lease_id = NULL, lease_until = NULL
    WHERE id = @id AND lease_id = @leaseId AND status = 'pending'`,
  scheduleRetry: `UPDATE webhook_outbox
    SET next_attempt_at = @nextAttemptAt, last_error = @error, lease_id = NULL, lease_until = NULL
    WHERE id = @id AND lease_id = @leaseId AND status = 'pending'`,
  markDead: `UPDATE webhook_outbox
    SET status = 'dead', dead_at = @at, last_error = @error, lease_id = NULL, lease_until = NULL
    WHERE id = @id AND lease_id = @leaseId AND status = 'pending'`,
  listDead: `SELECT * FROM webhook_outbox WHERE app_id = @appId AND status = 'dead'
    ORDER BY dead_at DESC, id DESC LIMIT @limit`,
  listDeadBefore: `SELECT * FROM webhook_outbox WHERE app_id = @appId AND status = 'dead' AND dead_at < @before
    ORDER BY dead_at DESC, id DESC LIMIT @limit`,
  redeliver: `UPDATE webhook_outbox
    SET status = 'pending', next_attempt_at = @at, cycle_started_at = @at, dead_at = NULL
    WHERE app_id = @appId AND id = @id AND status = 'dead'`,
  prune: `DELETE FROM webhook_outbox WHERE rowid IN
    (SELECT rowid FROM webhook_outbox WHERE status = 'delivered' AND delivered_at < @before LIMIT @limit)`,
} as const;

type Row = WebhookRow<number>;
const toMessage = createWebhookRowMapper((n: number) => n);

/**
 * The SQLite webhook outbox, over the store's database (`createSqliteStore` builds it and hands
 * in its error-translating `run`).
 *
 * @example
 * const webhooks = createSqliteWebhookOutbox(db, clock, run);
 */
export function createSqliteWebhookOutbox(
  db: Database,
  clock: Clock,
  run: <T>(work: () => T) => Promise<T>,
  /** Runs `enqueue`: the store's group commit, so an event joins the writes that caused it. */
  write: <T>(work: () => T) => Promise<T> = run,
): WebhookOutboxStore {
  const s = {
    enqueue: db.prepare(WEBHOOK_SQL.enqueue),
    get: db.prepare<[string, string], Row>(WEBHOOK_SQL.get),
    claim: db.prepare<[{ leaseId: string; leaseUntil: number; now: number; limit: number }], Row>(
      WEBHOOK_SQL.claim,
    ),
    markDelivered: db.prepare(WEBHOOK_SQL.markDelivered),
    scheduleRetry: db.prepare(WEBHOOK_SQL.scheduleRetry),
    markDead: db.prepare(WEBHOOK_SQL.markDead),
    listDead: db.prepare<[{ appId: string; limit: number }], Row>(WEBHOOK_SQL.listDead),
    listDeadBefore: db.prepare<[{ appId: string; before: number; limit: number }], Row>(
      WEBHOOK_SQL.listDeadBefore,
    ),
    redeliver: db.prepare(WEBHOOK_SQL.redeliver),
    prune: db.prepare(WEBHOOK_SQL.prune),
  };
  return {
    enqueue: (m) =>
      write(
        () =>
          void s.enqueue.run({
            id: m.id,
            appId: m.appId,
            type: m.type,
            payload: m.payload,
            createdAt: m.createdAt,
          }),
      ),
    get: (appId, id) =>
      run(() => {
        const row = s.get.get(appId, id);
        return row ? toMessage(row) : null;
      }),
    async claim(leaseId, limit, leaseMs) {
      checkClaim(leaseId, limit, leaseMs);
      return run(() => {
        const now = clock();
        return s.claim
          .all({ leaseId, leaseUntil: now + leaseMs, now, limit })
          .map(toMessage)
          .sort(byDue);
      });
    },
    markDelivered: (id, leaseId, at) => run(() => s.markDelivered.run({ id, leaseId, at }).changes === 1),
    scheduleRetry: (id, leaseId, nextAttemptAt, error) =>
      run(() => s.scheduleRetry.run({ id, leaseId, nextAttemptAt, error }).changes === 1),
    markDead: (id, leaseId, at, error) => run(() => s.markDead.run({ id, leaseId, at, error }).changes === 1),
    listDead: (appId, { limit, before }) =>
      run(() => {
        const n = clampDeadLimit(limit);
        const rows =
          before === undefined
            ? s.listDead.all({ appId, limit: n })
            : s.listDeadBefore.all({ appId, before, limit: n });
        return rows.map(toMessage);
      }),
    redeliver: (appId, id, at) => run(() => s.redeliver.run({ appId, id, at }).changes === 1),
    prune: (before) =>
      run(() => {
        let total = 0;
        for (;;) {
          const n = s.prune.run({ before, limit: PRUNE_BATCH }).changes;
          total += n;
          if (n < PRUNE_BATCH) return total;
        }
      }),
  };
}
