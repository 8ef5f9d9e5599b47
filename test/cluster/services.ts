/**
 * The real PostgreSQL and Redis the scale-out tests use (`.ci/run` starts them): 127.0.0.1:5432,
 * database `test`, trust auth; 127.0.0.1:6379. `SIGNET_TEST_DATABASE_URL` / `SIGNET_TEST_REDIS_URL`
 * point the tests elsewhere. Every test run works in its own schema and key prefix and drops them
 * afterwards, so runs never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';

export const TEST_DATABASE_URL =
  process.env['SIGNET_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env['SIGNET_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A fresh name like `signet_test_3f9a...`, usable as a schema and as a key prefix. */
export function uniqueName(): string {
  return `signet_test_${randomBytes(6).toString('hex')}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string, databaseUrl = TEST_DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs one statement on a short-lived connection (test set-up and inspection). */
export async function sqlOnce<R extends pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
  databaseUrl = TEST_DATABASE_URL,
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deleteRedisPrefix(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Keys under `prefix` with their remaining TTL in ms (-1 none, -2 gone). */
export async function redisKeys(prefix: string, redisUrl = TEST_REDIS_URL): Promise<Map<string, number>> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    const out = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      for (const k of keys) out.set(k, await redis.pttl(k));
    } while (cursor !== '0');
    return out;
  } finally {
    redis.disconnect();
  }
}

/**
 * A TCP proxy in front of a shared service, so a test can make "the database" or "Redis"
 * unreachable and bring it back without touching the real server other tests use.
 */
export interface TcpProxy {
  readonly port: number;
  /** Stops listening and cuts every open connection (the service looks down). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;

  function listen(onPort: number): Promise<void> {
    const s = net.createServer((inbound) => {
      const outbound = net.connect(target.port, target.host);
      sockets.add(inbound);
      sockets.add(outbound);
      const drop = () => {
        inbound.destroy();
        outbound.destroy();
        sockets.delete(inbound);
        sockets.delete(outbound);
      };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    server = s;
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(onPort, '127.0.0.1', () => {
        const address = s.address();
        if (typeof address === 'object' && address) port = address.port;
        resolve();
      });
    });
  }

  async function cut(): Promise<void> {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await listen(0);
  return {
    get port() {
      return port;
    },
    cut,
    restore: () => listen(port),
    close: cut,
  };
}

/** Polls `check` until it resolves true or `timeoutMs` passes. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
