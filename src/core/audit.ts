import type { ReasonCode } from '../errors/codes.js';
import type { App } from '../store/types.js';
import type { Deps } from './deps.js';
import { randomId } from './ids.js';

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
  try {
    await deps.store.audit.append({
      id: randomId(deps.random, 'au'),
      appId: attempt.app.id,
      at: deps.clock(),
      scheme: attempt.scheme,
      action: attempt.action,
      outcome,
      reason: attempt.reason,
      userId: attempt.userId,
      credentialId: attempt.credentialId,
      ip: attempt.ip,
    });
  } catch {
    deps.log.warn({ appId: attempt.app.id }, 'audit write failed');
  }
}
