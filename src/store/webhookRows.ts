import type { WebhookMessage, WebhookStatus } from './types.js';

/** A `webhook_outbox` row as both SQL adapters read it (`I` is how the driver returns integers). */
export interface WebhookRow<I> {
  id: string;
  app_id: string;
  type: string;
  payload: string;
  status: string;
  attempts: I;
  created_at: I;
  cycle_started_at: I;
  next_attempt_at: I;
  last_attempt_at: I | null;
  last_error: string | null;
  delivered_at: I | null;
  dead_at: I | null;
}

/** Most messages one `claim` leases. */
export const MAX_WEBHOOK_CLAIM = 100;

/**
 * The row → {@link WebhookMessage} mapper for a driver's integer type.
 *
 * @example
 * const toWebhookMessage = createWebhookRowMapper((n: number) => n);
 */
export function createWebhookRowMapper<I>(int: (v: I) => number) {
  const optional = (v: I | null) => (v === null ? null : int(v));
  return (row: WebhookRow<I>): WebhookMessage => ({
    id: row.id,
    appId: row.app_id,
    type: row.type,
    payload: row.payload,
    status: row.status as WebhookStatus,
    attempts: int(row.attempts),
    createdAt: int(row.created_at),
    cycleStartedAt: int(row.cycle_started_at),
    nextAttemptAt: int(row.next_attempt_at),
    lastAttemptAt: optional(row.last_attempt_at),
    lastError: row.last_error,
    deliveredAt: optional(row.delivered_at),
    deadAt: optional(row.dead_at),
  });
}

/** Misuse of `claim`: a limit outside 1..100 or a lease that is not a positive integer of ms. */
export function checkClaim(leaseId: string, limit: number, leaseMs: number): void {
  if (typeof leaseId !== 'string' || leaseId.length === 0 || leaseId.length > 128)
    throw new TypeError('webhooks.claim: leaseId must be a non-empty string of at most 128 characters');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_WEBHOOK_CLAIM)
    throw new RangeError(`webhooks.claim: limit must be an integer in 1..${MAX_WEBHOOK_CLAIM}, got ${limit}`);
  if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0)
    throw new RangeError(
      `webhooks.claim: leaseMs must be a positive integer of milliseconds, got ${leaseMs}`,
    );
}

/** Orders claimed rows as `claim` promises: oldest due first (RETURNING gives no order). */
export function byDue(a: WebhookMessage, b: WebhookMessage): number {
  return a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** `limit` clamped to 1..1000 (a NaN asks for the smallest page). */
export function clampDeadLimit(limit: number): number {
  if (Number.isNaN(limit)) return 1;
  return Math.min(1000, Math.max(1, Math.floor(limit)));
}
