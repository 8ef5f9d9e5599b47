import { SignetError } from '../errors/SignetError.js';
import type { App } from '../store/types.js';
import type { Deps } from './deps.js';

/** Rate-limit keys for one attempt: the user (or wallet account) and the client IP, per app. */
export function limitKeys(app: App, subject: string | null, ip: string | null): string[] {
  const keys: string[] = [];
  if (subject !== null) keys.push(`fail:u:${app.id}:${subject}`);
  if (ip !== null) keys.push(`fail:ip:${app.id}:${ip}`);
  return keys;
}

/** Refuses with 429 `rate_limited` when any key has reached the app's failure limit. */
export async function checkRateLimit(deps: Deps, app: App, keys: string[]): Promise<void> {
  for (const key of keys) {
    if ((await deps.store.rateLimits.peek(key, app.settings.lockoutWindowMs)) >= app.settings.lockoutMaxFailures) {
      throw new SignetError('rate_limited');
    }
  }
}

/** Counts one failed attempt under every key. */
export async function countFailure(deps: Deps, app: App, keys: string[]): Promise<void> {
  for (const key of keys) await deps.store.rateLimits.hit(key, app.settings.lockoutWindowMs);
}
