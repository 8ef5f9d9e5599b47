import type { ReasonCode } from '../errors/codes.js';
import type { App, AuditRecord } from '../store/types.js';
import type { Deps } from './deps.js';
import { timeKey, timeOrderedId } from './ids.js';
import { clientKey } from './rateLimit.js';
import { notifyApp } from './appWebhooks.js';

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
