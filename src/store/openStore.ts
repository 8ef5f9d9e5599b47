import { SignetError } from '../errors/SignetError.js';
import { createPostgresStore } from './postgres/createPostgresStore.js';
import { createRedisShortLived } from './redis/createRedisShortLived.js';
import { withShortLived } from './redis/withShortLived.js';
import { createSqliteStore } from './sqlite/createSqliteStore.js';
import type { Clock, Store } from './types.js';

export interface StoreConfig {
  /**
   * `sqlite:PATH` (default `sqlite:./signet.db`), `sqlite::memory:`, or
   * `postgres://user@host:5432/db[?schema=NAME]` (`postgresql://` too).
   */
  databaseUrl: string;
  /**
   * Optional `redis://...` or `rediss://...` (Postgres only): challenges, replay records and rate
   * limits move there. Its path may name a database number (`redis://host:6379/2`) and its
   * `?prefix=` the key prefix (default `signet:`).
   */
  redisUrl?: string | null;
  clock?: Clock;
}

/** The file path of a `sqlite:` URL, or null for another kind of URL. */
export function sqlitePath(databaseUrl: string): string | null {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : null;
}

/** The scheme of a URL for a message: never the rest, which may carry a password. */
function schemeOf(url: string): string {
  return url.split(':')[0] ?? '';
}

function parseUrl(url: string, what: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new SignetError('invalid_request', `${what} is not a valid URL (${schemeOf(url)}:...)`);
  }
}

/**
 * Signet's own `?schema=NAME` parameter (the Prisma convention) is taken off a Postgres URL and
 * becomes the store's schema; every other parameter goes to `pg` untouched.
 */
function splitPostgresUrl(databaseUrl: string): { url: string; schema?: string } {
  // Only parsed here when it has the parameter: `pg` accepts forms WHATWG URL does not (sockets).
  if (!/[?&]schema=/.test(databaseUrl)) return { url: databaseUrl };
  const url = parseUrl(databaseUrl, 'the database URL');
  const schema = url.searchParams.get('schema');
  if (schema === null) return { url: databaseUrl };
  if (schema === '' || schema.length > 63)
    throw new SignetError('invalid_request', '?schema= must name a schema (1-63 characters)');
  url.searchParams.delete('schema');
  return { url: url.toString(), schema };
}

/** `?prefix=` of a Redis URL becomes the key prefix; ioredis gets the URL without it. */
function splitRedisUrl(redisUrl: string): { url: string; prefix?: string } {
  const url = parseUrl(redisUrl, 'the Redis URL');
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new SignetError(
      'invalid_request',
      `--redis needs a redis:// or rediss:// URL, not '${schemeOf(redisUrl)}:'`,
    );
  }
  const prefix = url.searchParams.get('prefix');
  if (prefix === null) return { url: redisUrl };
  url.searchParams.delete('prefix');
  return { url: url.toString(), prefix };
}

/**
 * Checks a store configuration's URLs without opening anything (no file, no socket), so that a
 * caller can refuse a mistake before it does anything else; {@link openStore} runs it first.
 * Throws `invalid_request` for an unsupported scheme, an empty SQLite path, `--redis` beside
 * SQLite, a bad `?schema=` or a Redis URL that is not `redis://` / `rediss://`. Messages name the
 * URL's scheme only, never the rest (it may carry a password).
 */
export function checkStoreConfig(config: Pick<StoreConfig, 'databaseUrl' | 'redisUrl'>): void {
  const path = sqlitePath(config.databaseUrl);
  if (path !== null) {
    if (path === '')
      throw new SignetError('invalid_request', 'sqlite: URL needs a file path, e.g. sqlite:./signet.db');
    if (config.redisUrl) throw new SignetError('invalid_request', '--redis needs a postgres:// database');
    return;
  }
  const scheme = schemeOf(config.databaseUrl);
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new SignetError(
      'invalid_request',
      `unsupported database URL '${scheme.slice(0, 32)}:...': use sqlite:PATH or postgres://user@host:5432/db`,
    );
  }
  splitPostgresUrl(config.databaseUrl);
  if (config.redisUrl) splitRedisUrl(config.redisUrl);
}

/**
 * Opens the store a database URL names. Misconfiguration throws at start-up, not per request:
 * - `sqlite:PATH`: the embedded store, one file (`--redis` is refused with `invalid_request`: the
 *   single-file store has no use for it, and a second store would only add a way to fail);
 * - `postgres://` / `postgresql://`: everything in Postgres, migrated on open;
 * - the same plus `redisUrl`: challenges, replay records and rate limits in Redis
 *   (kind `postgres+redis`).
 * A store that cannot be reached at start rejects with `store_unavailable`.
 *
 * @example
 * const store = await openStore({ databaseUrl: 'sqlite:./signet.db' });
 * const shared = await openStore({ databaseUrl: 'postgres://signet@db/signet?schema=signet', redisUrl: 'redis://cache:6379' });
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  checkStoreConfig(config);
  const clockOption = config.clock ? { clock: config.clock } : {};
  const path = sqlitePath(config.databaseUrl);
  if (path !== null) return createSqliteStore({ path, ...clockOption });
  const scheme = schemeOf(config.databaseUrl);
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { url, schema } = splitPostgresUrl(config.databaseUrl);
    // Parsed before anything connects, so a bad --redis fails without touching the database.
    const redis = config.redisUrl ? splitRedisUrl(config.redisUrl) : null;
    const durable = await createPostgresStore({
      url,
      ...(schema === undefined ? {} : { schema }),
      ...clockOption,
    });
    if (redis === null) return durable;
    try {
      const shortLived = await createRedisShortLived({
        url: redis.url,
        ...(redis.prefix === undefined ? {} : { prefix: redis.prefix }),
        ...clockOption,
      });
      return withShortLived(durable, shortLived);
    } catch (e) {
      await durable.close();
      throw e;
    }
  }
  throw new SignetError('invalid_request', `unsupported database URL scheme in '${scheme}:'`);
}
