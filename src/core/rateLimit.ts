import { isIPv6 } from 'node:net';
import { SignetError } from '../errors/SignetError.js';
import type { App } from '../store/types.js';
import type { Deps } from './deps.js';

/**
 * Rate limits around the client, never the victim (docs/api.md "Abuse resistance").
 *
 * A signature cannot be guessed (a forgery has a 2^-128 chance), so a limit on one user only
 * helps an attacker lock that user out. Failures are therefore counted per (subject, client)
 * and per client, where the client is its IP (an IPv6 address counts as its /64: one host
 * gets a whole /64). A client that has not failed itself is never slowed down, however many
 * failures others sent naming the same user, account or credential.
 *
 * The budget: the first half of `lockoutMaxFailures` failures of a (subject, client) pair cost
 * nothing; after that each failure's answer is held back (`backoffMs`, doubling up to a cap),
 * and at `lockoutMaxFailures` the pair answers 429 `rate_limited` until the window ends. A
 * client's failures across every subject are capped at `IP_LIMIT_FACTOR` times that.
 */

/**
 * One client may fail this many times the per-pair budget across all subjects: many users share
 * an IP (offices, carrier NAT), so this stops a sweep across users from one client.
 */
export const IP_LIMIT_FACTOR = 10;

/** The first held-back failure answer waits this long; each further one twice as long. */
export const BACKOFF_BASE_MS = 100;
/** The longest a failure answer is held back. */
export const BACKOFF_MAX_MS = 1600;

/** Default issuance budget per client: challenges, MYKEY sessions (per minute). */
export const DEFAULT_ISSUE_LIMIT = 600;
export const ISSUE_WINDOW_MS = 60_000;

/** A rate-limit key and its failure budget. */
export interface LimitKey {
  key: string;
  max: number;
}

/**
 * The part of a client IP the limits count by: an IPv4 address as it is, an IPv6 address as
 * its /64 prefix (IPv4-mapped IPv6 as the IPv4 address), `unknown` when there is none.
 *
 * @example
 * clientKey('2001:db8:1:2:3:4:5:6') // '2001:db8:1:2::/64'
 */
export function clientKey(ip: string | null): string {
  if (ip === null || ip === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Rate-limit keys for one attempt: the (subject, client) pair and the client, per app. */
export function limitKeys(app: App, subject: string | null, ip: string | null): LimitKey[] {
  const client = clientKey(ip);
  const keys: LimitKey[] = [];
  if (subject !== null)
    keys.push({ key: `fail:s:${app.id}:${client}:${subject}`, max: app.settings.lockoutMaxFailures });
  keys.push({
    key: `fail:ip:${app.id}:${client}`,
    max: app.settings.lockoutMaxFailures * IP_LIMIT_FACTOR,
  });
  return keys;
}

/** A 429 `rate_limited` that says when to come back (seconds, for `Retry-After`). */
export function rateLimited(retryAfterSec: number): SignetError {
  return new SignetError('rate_limited', undefined, { retryAfterSec: Math.max(1, Math.ceil(retryAfterSec)) });
}

/** Seconds until the fixed window that holds `now` ends. */
function secondsLeft(now: number, windowMs: number): number {
  return (windowMs - (now % windowMs)) / 1000;
}

/** Refuses with 429 `rate_limited` when any key has used up its failure budget. */
export async function checkRateLimit(deps: Deps, app: App, keys: LimitKey[]): Promise<void> {
  const windowMs = app.settings.lockoutWindowMs;
  // The keys are independent reads: asked together (one round trip each, side by side; on Redis
  // one pipelined write), refused if any is spent.
  const counts = await Promise.all(keys.map(({ key }) => deps.store.rateLimits.peek(key, windowMs)));
  if (counts.some((count, i) => count >= keys[i]!.max)) {
    throw rateLimited(secondsLeft(deps.clock(), windowMs));
  }
}

/**
 * Counts one failed attempt under every key, then holds the answer back when the pair is past
 * half its budget (the back-off; `deps.sleep`, when the caller passed one).
 */
export async function countFailure(deps: Deps, app: App, keys: LimitKey[]): Promise<void> {
  // Independent counters: issued together, so they share one group commit on SQLite.
  const counts = await Promise.all(
    keys.map(({ key }) => deps.store.rateLimits.hit(key, app.settings.lockoutWindowMs)),
  );
  const delay = counts.reduce((d, count, i) => Math.max(d, backoffMs(count, keys[i]!.max)), 0);
  if (delay > 0 && deps.sleep) await deps.sleep(delay);
}

/**
 * How long the answer to the `count`-th failure of a budget of `max` is held back: nothing for
 * the first half, then `BACKOFF_BASE_MS` doubling per failure, capped at `BACKOFF_MAX_MS`.
 *
 * @example
 * backoffMs(6, 10) // 100
 */
export function backoffMs(count: number, max: number): number {
  const free = Math.floor(max / 2);
  if (count <= free) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(16, count - free - 1));
}

/**
 * Counts one issuance (a challenge, a MYKEY session) for the client and refuses with 429
 * `rate_limited` past `perMinute` in the current minute. Every request counts: issuance is
 * anonymous work, with nothing to fail.
 */
export async function limitIssuance(
  deps: Deps,
  kind: string,
  ip: string | null,
  perMinute: number,
): Promise<void> {
  if (perMinute <= 0) return;
  const count = await deps.store.rateLimits.hit(`issue:${kind}:${clientKey(ip)}`, ISSUE_WINDOW_MS);
  if (count > perMinute) throw rateLimited(secondsLeft(deps.clock(), ISSUE_WINDOW_MS));
}

/**
 * The failure budget of an anonymous endpoint per client (MYKEY callbacks): refuses with 429
 * once `max` failures were counted in the window. `count` adds one failure.
 */
export function clientFailureBudget(
  deps: Deps,
  app: App,
  kind: string,
  ip: string | null,
): { check(): Promise<void>; count(): Promise<void> } {
  const limit: LimitKey[] = [
    {
      key: `fail:${kind}:${app.id}:${clientKey(ip)}`,
      max: app.settings.lockoutMaxFailures * IP_LIMIT_FACTOR,
    },
  ];
  return {
    check: () => checkRateLimit(deps, app, limit),
    count: () => countFailure(deps, app, limit),
  };
}
