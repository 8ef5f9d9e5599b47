import type { ReasonCode } from '../errors/codes.js';
import type { App, AuditRecord, NewWebhookMessage } from '../store/types.js';
import type { Deps } from './deps.js';
import { randomId, timeKey, timeOrderedId } from './ids.js';
import { clientKey } from './rateLimit.js';
import { notifyApp } from './appWebhooks.js';
import { buildWebhookPayload } from './webhooks/index.js';

/**
 * Anonymous failures (no user named) of one client, scheme, action and reason within this
 * window share one audit record with a count: a client repeating a bogus callback grows a
 * number, not the log.
 */
export const AUDIT_AGGREGATE_WINDOW_MS = 60_000;

/** The audited actions that are logins: each is a `login.succeeded` or `login.failed` webhook event. */
const LOGIN_ACTIONS: ReadonlySet<string> = new Set(['login', 'mykey_callback', 'mykey_verify']);

export interface Attempt {
  app: App;
  scheme: string;
  action: string;
  /** null on success; the precise reason on failure. */
  reason: ReasonCode | string | null;
  userId: string | null;
  credentialId: string | null;
  ip: string | null;
}

/**
 * Writes one audit record for a verification attempt and logs it (code and reason only).
 * An audit write that fails is logged, never turned into a different answer for the caller.
 * A failure that names no user is aggregated (`AUDIT_AGGREGATE_WINDOW_MS`): the first one of a
 * client, scheme, action, reason and credential in a window is a record, repeats add to its
 * `count`. Failures that name a user stay one record each (that user's history); they are
 * bounded by the failure limits per client.
 */
export async function recordAttempt(deps: Deps, attempt: Attempt): Promise<void> {
  const outcome = logAttempt(deps, attempt);
  const at = deps.clock();
  const aggregate = outcome === 'failure' && attempt.userId === null;
  let written: Promise<unknown>;
  try {
    const record: AuditRecord = {
      id: aggregate
        ? // A keyed MAC, so record ids say nothing about the client they aggregate.
          // Prefixed with the window's start, so aggregated ids too append at the index's edge.
          `ag_${timeKey(Math.floor(at / AUDIT_AGGREGATE_WINDOW_MS) * AUDIT_AGGREGATE_WINDOW_MS)}${deps.sealer
            .mac(
              [
                attempt.app.id,
                clientKey(attempt.ip),
                attempt.scheme,
                attempt.action,
                attempt.reason ?? '',
                attempt.credentialId ?? '',
                Math.floor(at / AUDIT_AGGREGATE_WINDOW_MS),
              ].join('\u0000'),
            )
            .slice(0, 32)}`
        : timeOrderedId(deps.random, 'au', at),
      appId: attempt.app.id,
      at,
      scheme: attempt.scheme,
      action: attempt.action,
      outcome,
      reason: attempt.reason,
      userId: attempt.userId,
      credentialId: attempt.credentialId,
      ip: attempt.ip,
    };
    written = aggregate ? deps.store.audit.aggregate(record) : deps.store.audit.append(record);
  } catch (e) {
    written = Promise.reject(e);
  }
  // Logins go to the app's webhook too (only when it has a URL: no store work otherwise).
  // Failures that name no user are not sent: anyone can cause them, and the audit log
  // aggregates them (docs/protocols.md "Signed webhooks"). The event's enqueue is issued beside
  // the audit write, so both share one group commit on SQLite; `notifyApp` never throws.
  const notified =
    LOGIN_ACTIONS.has(attempt.action) && (outcome === 'success' || attempt.userId !== null)
      ? notifyApp(deps, attempt.app, outcome === 'success' ? 'login.succeeded' : 'login.failed', {
          userId: attempt.userId,
          credentialId: attempt.credentialId,
          scheme: attempt.scheme,
          ...(outcome === 'failure' ? { reason: attempt.reason } : {}),
          ip: attempt.ip,
        })
      : undefined;
  try {
    await written;
  } catch {
    deps.log.warn({ appId: attempt.app.id }, 'audit write failed');
  }
  await notified;
}

/**
 * Logs an attempt (code and reason only) and counts it in the metrics; returns its outcome.
 *
 * @example
 * logAttempt(deps, { app, scheme: 'device', action: 'login', reason: null, userId, credentialId, ip });
 */
export function logAttempt(deps: Deps, attempt: Attempt): 'success' | 'failure' {
  const outcome = attempt.reason === null ? 'success' : 'failure';
  deps.log.info(
    {
      appId: attempt.app.id,
      scheme: attempt.scheme,
      action: attempt.action,
      outcome,
      reason: attempt.reason,
    },
    'verification attempt',
  );
  deps.onAttempt?.(attempt.scheme, outcome, attempt.reason);
  return outcome;
}

/**
 * A successful login's audit record and its `login.succeeded` webhook event (null when the app
 * has no webhook URL), built as {@link recordAttempt} would write them, for the login's unit of
 * work (`store.logins.commit`) to write. Nothing is logged here: {@link logAttempt} once committed.
 *
 * @example
 * const { record, event } = describeLoginSuccess(deps, attempt);
 */
export function describeLoginSuccess(
  deps: Deps,
  attempt: Attempt & { reason: null },
): { record: AuditRecord; event: NewWebhookMessage | null } {
  const at = deps.clock();
  const record: AuditRecord = {
    id: timeOrderedId(deps.random, 'au', at),
    appId: attempt.app.id,
    at,
    scheme: attempt.scheme,
    action: attempt.action,
    outcome: 'success',
    reason: null,
    userId: attempt.userId,
    credentialId: attempt.credentialId,
    ip: attempt.ip,
  };
  // As `notifyApp` (appWebhooks.ts) and `emitWebhookEvent` (webhooks/events.ts) build it.
  const event: NewWebhookMessage | null =
    attempt.app.settings.webhookUrl && LOGIN_ACTIONS.has(attempt.action)
      ? {
          id: randomId(deps.random, 'msg', 24),
          appId: attempt.app.id,
          type: 'login.succeeded',
          payload: buildWebhookPayload('login.succeeded', at, {
            appId: attempt.app.id,
            userId: attempt.userId,
            credentialId: attempt.credentialId,
            scheme: attempt.scheme,
            ip: attempt.ip,
          }),
          createdAt: at,
        }
      : null;
  return { record, event };
}
