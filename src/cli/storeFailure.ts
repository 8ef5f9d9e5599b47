import { isSignetError, SignetError } from '../errors/SignetError.js';

/** Postgres SQLSTATEs a newcomer meets at start-up, in words, with what to do. */
const PG_STATES: Record<string, (pgMessage: string, db: string) => string> = {
  '3D000': (_m, db) =>
    `Postgres has no database "${db}": create it (createdb ${db}) or name another in --db (or SIGNET_DATABASE_URL)`,
  '28000': (m) => `Postgres refused the login (${m}): fix the user in --db (or SIGNET_DATABASE_URL)`,
  '28P01': (m) =>
    `Postgres refused the login (${m}): fix the user or password in --db (or SIGNET_DATABASE_URL)`,
  '42501': (m) =>
    `the Postgres user lacks a privilege Signet needs to create its schema and tables (${m}); grant it, or use another user`,
  '57P03': () => 'Postgres is starting up or shutting down; try again in a moment',
};

/** Socket failures, in words. */
const SOCKET_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is it running, and on that port?',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'the connection was reset',
};

/** `host:port` of a URL, never its user or password. */
function hostOf(url: string, defaultPort: number): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || defaultPort}`;
  } catch {
    return 'the configured host';
  }
}

function codeOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
    ? e.code
    : undefined;
}

/**
 * A store that cannot be opened at start-up, said so that the person who typed `--db` knows what
 * to fix: which store, where, and why (Postgres down, no such database, the login refused, Redis
 * down). The code stays `store_unavailable`; null when `e` is something else.
 */
export function describeStoreFailure(
  e: unknown,
  databaseUrl: string,
  redisUrl: string | null,
): SignetError | null {
  if (!isSignetError(e, 'store_unavailable')) return null;
  const cause = e.cause;
  const code = codeOf(cause);
  const causeMessage = cause instanceof Error ? cause.message.slice(0, 200) : '';
  const redis = /redis/i.test(e.message);
  if (redis && redisUrl !== null) {
    const why = (code !== undefined ? SOCKET_CODES[code] : undefined) ?? 'is it running, and on that port?';
    return new SignetError(
      'store_unavailable',
      `cannot connect to Redis at ${hostOf(redisUrl, 6379)}: ${why} (check --redis or SIGNET_REDIS_URL)`,
      { cause },
    );
  }
  if (!/^postgres(ql)?:/i.test(databaseUrl)) return null;
  const where = hostOf(databaseUrl, 5432);
  const state = code !== undefined ? PG_STATES[code] : undefined;
  if (state) {
    let db = 'postgres';
    try {
      db = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, '')) || db;
    } catch {
      // keep the default name
    }
    return new SignetError('store_unavailable', `${where}: ${state(causeMessage, db)}`, {
      cause,
    });
  }
  const socket = code !== undefined ? SOCKET_CODES[code] : undefined;
  if (socket) {
    return new SignetError(
      'store_unavailable',
      `cannot connect to Postgres at ${where}: ${socket} (check --db or SIGNET_DATABASE_URL)`,
      { cause },
    );
  }
  return null;
}
