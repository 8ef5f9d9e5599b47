import { Redis, type RedisOptions } from 'ioredis';
import { SignetError } from '../../errors/SignetError.js';
import type { Challenge, Clock } from '../types.js';
import type { ShortLivedStore } from './withShortLived.js';

/**
 * How long an expired challenge stays in Redis after its `expiresAt`, ms (the SQLite and Postgres
 * stores keep the same grace): within it a late client still hears `challenge_expired`, once.
 */
export const EXPIRED_GRACE_MS = 15 * 60_000;

/**
 * Extra lifetime of replay records and rate-limit counters beyond their logical expiry, ms. Expiry
 * itself is decided against the store's clock (the expiry time is the stored value); the Redis TTL
 * only frees memory, and the slack keeps a record from vanishing early when the clock and Redis's
 * own clock disagree a little.
 */
export const TTL_SLACK_MS = 60_000;

/**
 * Client settings for fail-fast, fail-closed behaviour (STYLE.md habit 3):
 * - `enableOfflineQueue: false`: while disconnected, a command fails at once (503) instead of
 *   waiting in a queue;
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight when
 *   the connection drops fails rather than being sent again after the reconnect, because its
 *   outcome is unknown (a GETDEL or INCR may have run); the caller answers 503 and accepts nothing;
 * - `commandTimeout` / `connectTimeout`: a Redis that hangs fails a request within seconds;
 * - `retryStrategy`: reconnects forever, backing off to one attempt a second, so the node
 *   recovers by itself when Redis returns.
 */
export const REDIS_DEFAULTS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 2000,
  commandTimeout: 2000,
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
} as const satisfies RedisOptions;

export interface RedisShortLivedOptions {
  /** `redis://[user:password@]host:6379[/db]` or `rediss://...`; ignored when `client` is given. */
  url?: string;
  /** A client the caller owns (not closed by `close()`); give it {@link REDIS_DEFAULTS} for fast failure. */
  client?: Redis;
  /** Prepended to every key (default `signet:`), so several deployments can share one Redis. */
  prefix?: string;
  /** Unix ms; expiry and rate-limit windows read this clock (default `Date.now`). */
  clock?: Clock;
}

/**
 * Add-if-absent against the caller's clock. KEYS[1] record; ARGV now, expiresAt, px. A record
 * holds its expiry time; one at or past it counts as absent and is replaced (the same rule as the
 * SQL stores), so expiry follows the store's clock rather than Redis's.
 */
const REMEMBER = `
local stored = redis.call('GET', KEYS[1])
if stored and tonumber(stored) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

/** One failure in a fixed window: INCR and its TTL together. KEYS[1] window counter; ARGV px. */
const HIT = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`;

const CHALLENGE_TYPES: ReadonlySet<string> = new Set([
  'device',
  'webauthn',
  'eos',
  'eth',
  'webauthn-registration',
]);

/** `:` and `%` escaped, so an app id cannot reach into the key space of another (`a:b` + `c` vs `a` + `b:c`). */
function escapeKeyPart(s: string): string {
  return s.replace(/%/g, '%25').replace(/:/g, '%3A');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringOrNull(v: unknown): v is string | null {
  return v === null || typeof v === 'string';
}

/** A stored challenge, checked field by field; anything else is a corrupt store. */
function readChallenge(text: string): Challenge {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = null;
  }
  if (
    !isRecord(v) ||
    typeof v['id'] !== 'string' ||
    typeof v['appId'] !== 'string' ||
    typeof v['type'] !== 'string' ||
    !CHALLENGE_TYPES.has(v['type']) ||
    typeof v['value'] !== 'string' ||
    !isStringOrNull(v['userId']) ||
    !(v['data'] === null || isRecord(v['data'])) ||
    typeof v['expiresAt'] !== 'number'
  ) {
    throw new SignetError('store_unavailable', 'a challenge record in Redis is malformed');
  }
  return {
    id: v['id'],
    appId: v['appId'],
    type: v['type'] as Challenge['type'],
    value: v['value'],
    userId: v['userId'],
    data: v['data'],
    expiresAt: v['expiresAt'],
  };
}

function requirePositiveInteger(method: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${method}: ${name} must be a positive integer of milliseconds, got ${value}`);
  }
}

/** Every Redis failure (down, timeout, reset, a reply error) becomes `store_unavailable`: fail closed. */
function translateRedisError(e: unknown): unknown {
  if (e instanceof SignetError || e instanceof TypeError || e instanceof RangeError) return e;
  return new SignetError('store_unavailable', 'the Redis store is unavailable', { cause: e });
}

/**
 * Challenges, replay records and rate-limit counters in Redis through `ioredis`, for
 * `withShortLived` to put in front of a durable store:
 * - a challenge is a JSON string under `{prefix}ch:{appId}:{id}` whose TTL runs
 *   `EXPIRED_GRACE_MS` past its `expiresAt`; `consume` is one `GETDEL`, so of any number of
 *   concurrent consumers on any number of nodes exactly one gets it, expired or not;
 * - a replay record is `{prefix}rp:{key}` holding its expiry time, added by one Lua script;
 * - a rate-limit window is `{prefix}rl:{windowMs}:{windowStart}:{key}`, counted by INCR and given
 *   its TTL by PEXPIRE in one Lua script.
 *
 * A Redis that cannot be reached at start rejects with `store_unavailable`; later, commands fail
 * fast with `store_unavailable` while it is down and the client reconnects by itself.
 *
 * @example
 * const shortLived = await createRedisShortLived({ url: 'redis://127.0.0.1:6379', prefix: 'signet:' });
 * const store = withShortLived(await createPostgresStore({ url }), shortLived);
 */
export async function createRedisShortLived(options: RedisShortLivedOptions): Promise<ShortLivedStore> {
  const { clock = Date.now, prefix = 'signet:' } = options;
  if (typeof prefix !== 'string') throw new TypeError('createRedisShortLived: prefix must be a string');
  if (!options.client && !options.url) throw new TypeError('createRedisShortLived: give a url or a client');
  const ownsClient = !options.client;
  const client = options.client ?? new Redis(options.url!, { ...REDIS_DEFAULTS, lazyConnect: true });
  // Without a listener ioredis prints every connection error; the commands report them instead.
  client.on('error', () => {});
  if (ownsClient) {
    try {
      await client.connect();
    } catch (e) {
      client.disconnect();
      throw new SignetError('store_unavailable', 'cannot connect to Redis', { cause: e });
    }
  }

  let closed = false;
  let closing: Promise<void> | null = null;

  async function run<T>(work: () => Promise<T>): Promise<T> {
    if (closed) throw new SignetError('store_unavailable', 'the Redis store is closed');
    try {
      return await work();
    } catch (e) {
      throw translateRedisError(e);
    }
  }

  const challengeKey = (appId: string, id: string) => `${prefix}ch:${escapeKeyPart(appId)}:${id}`;

  return {
    kind: 'redis',

    challenges: {
      put: (c) =>
        run(async () => {
          const px = Math.max(0, c.expiresAt - clock()) + EXPIRED_GRACE_MS;
          const record: Challenge = {
            id: c.id,
            appId: c.appId,
            type: c.type,
            value: c.value,
            userId: c.userId,
            data: c.data,
            expiresAt: c.expiresAt,
          };
          const set = await client.set(challengeKey(c.appId, c.id), JSON.stringify(record), 'PX', px, 'NX');
          if (set === null) throw new SignetError('conflict');
        }),
      consume: (appId, challengeId) =>
        run(async () => {
          const text = await client.getdel(challengeKey(appId, challengeId));
          return text === null ? null : readChallenge(text);
        }),
    },

    replay: {
      async remember(key, ttlMs) {
        requirePositiveInteger('replay.remember', 'ttlMs', ttlMs);
        return run(async () => {
          const now = clock();
          const added = await client.eval(
            REMEMBER,
            1,
            `${prefix}rp:${key}`,
            now,
            now + ttlMs,
            ttlMs + TTL_SLACK_MS,
          );
          return added === 1;
        });
      },
      has: (key) =>
        run(async () => {
          // The record holds its expiry (REMEMBER): a key past it counts as absent, as in SQL.
          const stored = await client.get(`${prefix}rp:${key}`);
          return stored !== null && Number(stored) > clock();
        }),
    },

    rateLimits: {
      async hit(key, windowMs) {
        requirePositiveInteger('rateLimits.hit', 'windowMs', windowMs);
        return run(async () => {
          const now = clock();
          const windowStart = Math.floor(now / windowMs) * windowMs;
          const px = windowStart + windowMs - now + TTL_SLACK_MS;
          const count = await client.eval(HIT, 1, `${prefix}rl:${windowMs}:${windowStart}:${key}`, px);
          if (typeof count !== 'number') throw new Error('rate limit script returned no count');
          return count;
        });
      },
      async peek(key, windowMs) {
        requirePositiveInteger('rateLimits.peek', 'windowMs', windowMs);
        return run(async () => {
          const windowStart = Math.floor(clock() / windowMs) * windowMs;
          const text = await client.get(`${prefix}rl:${windowMs}:${windowStart}:${key}`);
          return text === null ? 0 : Number(text);
        });
      },
    },

    ping: () =>
      run(async () => {
        await client.ping();
      }),

    close() {
      closed = true;
      closing ??= (async () => {
        if (!ownsClient) return;
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
      })();
      return closing;
    },
  };
}
