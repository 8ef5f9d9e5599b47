import { SignetError } from '../errors/SignetError.js';
import type { App } from '../store/types.js';
import type { Deps } from './deps.js';

/**
 * One IP may fail this many times the per-user limit: many users share an IP (offices, carrier
 * NAT), so the IP limit stops a sweep across users, the user limit a guess at one user.
 */
export const IP_LIMIT_FACTOR = 10;

/** A rate-limit key for one attempt and its failure limit. */
export interface LimitKey {
  key: string;
  max: number;
}

/** Rate-limit keys for one attempt: the user (or wallet account) and the client IP, per app. */
export function limitKeys(app: App, subject: string | null, ip: string | null): LimitKey[] {
  const keys: LimitKey[] = [];
  if (subject !== null)
    keys.push({ key: `fail:u:${app.id}:${subject}`, max: app.settings.lockoutMaxFailures });
  if (ip !== null)
    keys.push({ key: `fail:ip:${app.id}:${ip}`, max: app.settings.lockoutMaxFailures * IP_LIMIT_FACTOR });
  return keys;
}

/** Refuses with 429 `rate_limited` when any key has reached its failure limit. */
export async function checkRateLimit(deps: Deps, app: App, keys: LimitKey[]): Promise<void> {
  for (const { key, max } of keys) {
    if ((await deps.store.rateLimits.peek(key, app.settings.lockoutWindowMs)) >= max) {
      throw new SignetError('rate_limited');
    }
  }
}

/** Counts one failed attempt under every key. */
export async function countFailure(deps: Deps, app: App, keys: LimitKey[]): Promise<void> {
  for (const { key } of keys) await deps.store.rateLimits.hit(key, app.settings.lockoutWindowMs);
}
