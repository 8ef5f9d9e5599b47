import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { SignetError } from '../../errors/SignetError.js';
import type { App, AuditRecord, Clock, Store } from '../types.js';
import { buildAuditListSql } from '../auditQuery.js';
import { createRowMappers } from '../rows.js';
import type * as Rows from '../rows.js';
import { applyPostgresMigrations } from './applyPostgresMigrations.js';
import { checkoutClient } from './checkoutClient.js';
import { createPostgresLoginStore, type Statement } from './createPostgresLoginStore.js';
import { createPostgresSessionStore } from './createPostgresSessionStore.js';
import { createPostgresWebhookOutbox } from './createPostgresWebhookOutbox.js';
import { buildSql, PRUNE_BATCH, SWEEP_BATCH } from './sql.js';
import { isConnectionFailure, translatePgError } from './translatePgError.js';

/**
 * How long an expired challenge or MYKEY session stays readable before a sweep may delete it, ms
 * (the same grace as the SQLite store): within it a late client still hears `challenge_expired`
 * and a poller still sees its session.
 */
export const EXPIRED_GRACE_MS = 15 * 60_000;

/**
 * Connection defaults: a database that is down or silent fails a request within seconds (503)
 * instead of hanging it, while a burst that merely queues for a pooled connection gets longer.
 */
export const POSTGRES_DEFAULTS = {
  /** Pool size per node. */
  max: 10,
  /** Opening one new connection (TCP + start-up), ms. A refused connection fails at once. */
  connectTimeoutMillis: 3000,
  /** Waiting for a pooled connection when all `max` are busy, ms. */
  acquireTimeoutMillis: 10_000,
  /** One statement, client side (catches a silent network) and server side (`statement_timeout`), ms. */
  queryTimeoutMillis: 10_000,
  /** An idle pooled connection is closed after, ms. */
  idleTimeoutMillis: 30_000,
} as const;

export interface PostgresStoreOptions {
  /** `postgres://user@host:5432/db`; ignored when `pool` is given. */
  url?: string;
  /**
   * A pool the caller owns (Signet does not end it on `close()`). Its connection settings are the
   * caller's: set small connect and statement timeouts for fast failure.
   */
  pool?: Pool;
  /**
   * The schema for Signet's tables, created when missing. Default: the connection's
   * `current_schema()` (usually `public`).
   */
  schema?: string;
  /** Unix ms; expiry and rate-limit windows read this clock (default `Date.now`). */
  clock?: Clock;
  /** Overrides of {@link POSTGRES_DEFAULTS} for a pool built from `url`. */
  connection?: Partial<Record<keyof typeof POSTGRES_DEFAULTS, number>>;
}

type BigintColumn = string | number;

/**
 * `pg` returns jsonb columns parsed and `bigint` columns as strings (they may exceed 2^53);
 * Signet's are Unix ms and counters, always safe integers, so they become numbers here.
 */
const num = (v: BigintColumn): number => (typeof v === 'number' ? v : Number(v));
const { toApp, toCredential, toDisplaced, toChallenge, toMykeySession, toAuditRecord, toSigningKey } =
  createRowMappers<unknown, BigintColumn>({
    json: <T>(v: unknown) => v as T,
    int: num,
  });
type AppRow = Rows.AppRow<unknown, BigintColumn>;
type CredentialRow = Rows.CredentialRow<unknown, BigintColumn>;
type DisplacedRow = Rows.DisplacedRow<unknown, BigintColumn>;
type ChallengeRow = Rows.ChallengeRow<unknown, BigintColumn>;
type MykeyRow = Rows.MykeyRow<BigintColumn>;
type AuditRow = Rows.AuditRow<BigintColumn>;
type SigningKeyRow = Rows.SigningKeyRow<unknown, BigintColumn>;

/** Parameters of insertApp / updateApp. JSON is passed as text: `pg` would turn a JS array into a Postgres array. */
function appValues(app: App): unknown[] {
  return [
    app.id,
    app.name,
    JSON.stringify(app.secrets),
    app.rpId,
    JSON.stringify(app.origins),
    JSON.stringify(app.settings),
    app.createdAt,
  ];
}

/** Parameters $1-$10 of insertAudit / aggregateAudit: every column but `count`. */
function auditValues(r: AuditRecord): unknown[] {
  return [r.id, r.appId, r.at, r.scheme, r.action, r.outcome, r.reason, r.userId, r.credentialId, r.ip];
}

function requirePositiveInteger(method: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${method}: ${name} must be a positive integer of milliseconds, got ${value}`);
  }
}

/** `limit` clamped to 1..1000 (a NaN asks for the smallest page). */
function clampLimit(limit: number): number {
  if (Number.isNaN(limit)) return 1;
  return Math.min(1000, Math.max(1, Math.floor(limit)));
}

/** A pool from a URL, with Signet's fail-fast settings; its idle-client errors are absorbed. */
function createPool(url: string, overrides: PostgresStoreOptions['connection'] = {}): Pool {
  const settings = { ...POSTGRES_DEFAULTS, ...overrides };
  // pg-pool uses one `connectionTimeoutMillis` for both waiting in its queue and (handed to each
  // new Client) opening the connection; the Client subclass gives the connection its own, shorter one.
  class FastConnectClient extends pg.Client {
    constructor(config: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: settings.connectTimeoutMillis });
    }
  }
  const pool = new pg.Pool({
    // Typed as a no-argument constructor, but pg-pool calls it with the pool's options.
    Client: FastConnectClient as unknown as new () => pg.ClientBase,
    connectionString: url,
    max: settings.max,
    connectionTimeoutMillis: settings.acquireTimeoutMillis,
    idleTimeoutMillis: settings.idleTimeoutMillis,
    query_timeout: settings.queryTimeoutMillis,
    statement_timeout: settings.queryTimeoutMillis,
    keepAlive: true,
    application_name: 'signet',
  });
  absorbIdleErrors(pool);
  return pool;
}

/**
 * An idle pooled client whose server goes away emits `error` on the pool; unhandled, that would
 * crash the process. The pool has already dropped that client and the next request reconnects,
 * so there is nothing to do but not crash.
 */
function absorbIdleErrors(pool: Pool): void {
  pool.on('error', () => {});
}

/**
 * The durable store on PostgreSQL through `pg`: apps, credentials, audit, signing keys and MYKEY
 * sessions, plus challenges, replay records and rate limits (see `withShortLived` to keep those in
 * Redis instead). The schema is migrated forward when the store opens, under an advisory lock so
 * several nodes may start at once. Multi-step writes (device-key replacement, key rotation) run in
 * one transaction; every operation the interface calls atomic is one statement (see `sql.ts`), so
 * it holds across nodes.
 *
 * Errors (see `translatePgError`): a duplicate id rejects with `SignetError('conflict')`; an
 * unreachable database, a timeout or a closed store with `SignetError('store_unavailable')`
 * (the request answers 503 and nothing is accepted); misuse (a non-positive TTL or window) with a
 * `RangeError`. The pool reconnects by itself when the database returns.
 *
 * @example
 * const store = await createPostgresStore({ url: 'postgres://signet@db:5432/signet', schema: 'signet' });
 * await store.ping();
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { clock = Date.now } = options;
  if (!options.pool && !options.url) throw new TypeError('createPostgresStore: give a url or a pool');
  const ownsPool = !options.pool;
  const pool = options.pool ?? createPool(options.url!, options.connection);
  if (!ownsPool) absorbIdleErrors(pool);

  let schema: string;
  try {
    ({ schema } = await applyPostgresMigrations(pool, { schema: options.schema, appliedAt: clock() }));
  } catch (e) {
    if (ownsPool) await pool.end().catch(() => {});
    throw e;
  }
  const sql = buildSql(schema);

  let closed = false;
  let closing: Promise<void> | null = null;

  function ensureOpen(): void {
    if (closed) throw new SignetError('store_unavailable', 'the Postgres store is closed');
  }

  async function connect(): Promise<PoolClient> {
    ensureOpen();
    return checkoutClient(pool);
  }

  /**
   * One statement on a pooled client. The client goes back to the pool after a statement error
   * (a conflict is an answer, not a broken connection) and is destroyed after a connection failure.
   */
  async function query<R extends QueryResultRow>(
    statement: Statement,
    values: unknown[] = [],
  ): Promise<QueryResult<R>> {
    const client = await connect();
    let broken = false;
    try {
      return await (typeof statement === 'string'
        ? client.query<R>(statement, values)
        : client.query<R>({ name: statement.name, text: statement.text, values }));
    } catch (e) {
      broken = isConnectionFailure(e);
      throw translatePgError(e);
    } finally {
      client.release(broken);
    }
  }

  // Named (prepared) statements for the hot path: each connection parses and plans one once,
  // then only binds and executes it. The name carries a hash of the schema, since two stores on
  // one pool (a caller's pool, tests) may prepare the same statement for different schemas.
  // Only statements whose result columns are fixed are named: a prepared `SELECT *` would fail
  // on a live connection ("cached plan must not change result type") after a later migration
  // adds a column, as in a rolling upgrade.
  const namePrefix = `signet_${createHash('sha256').update(schema).digest('hex').slice(0, 12)}_`;
  const named = (key: string, text: string): Statement => ({ name: namePrefix + key, text });
  const hot = {
    markCredentialUsed: named('markCredentialUsed', sql.markCredentialUsed),
    insertChallenge: named('insertChallenge', sql.insertChallenge),
    rememberReplay: named('rememberReplay', sql.rememberReplay),
    insertAudit: named('insertAudit', sql.insertAudit),
    aggregateAudit: named('aggregateAudit', sql.aggregateAudit),
    hitRateLimit: named('hitRateLimit', sql.hitRateLimit),
    peekRateLimit: named('peekRateLimit', sql.peekRateLimit),
  };

  /** Runs `work` in one transaction (READ COMMITTED); any error rolls it back. */
  async function transaction<T>(work: (q: PoolClient) => Promise<T>): Promise<T> {
    const client = await connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw e;
      }
    } catch (e) {
      broken ||= isConnectionFailure(e);
      throw translatePgError(e);
    } finally {
      client.release(broken);
    }
  }

  return {
    kind: 'postgres',

    apps: {
      async create(app) {
        await query(sql.insertApp, appValues(app));
      },
      async get(appId) {
        const row = (await query<AppRow>(sql.getApp, [appId])).rows[0];
        return row ? toApp(row) : null;
      },
      async list() {
        return (await query<AppRow>(sql.listApps)).rows.map(toApp);
      },
      async update(app) {
        return ((await query(sql.updateApp, appValues(app).slice(0, 6))).rowCount ?? 0) > 0;
      },
    },

    credentials: {
      create: (c) =>
        transaction(async (q) => {
          const slot = c.type === 'device' && c.deviceId !== null ? c.deviceId : null;
          if (slot !== null)
            await q.query(sql.lockDeviceSlot, [
              'signet.device-slot',
              JSON.stringify([c.appId, c.userId, slot]),
            ]);
          // The insert comes first: a duplicate id aborts before anything is deleted.
          await q.query(sql.insertCredential, [
            c.appId,
            c.id,
            c.userId,
            c.type,
            c.label,
            c.deviceId,
            c.account,
            JSON.stringify(c.publicKey),
            c.counter,
            c.createdAt,
            c.lastUsedAt,
          ]);
          if (slot === null) return { replaced: [] };
          const deleted = await q.query<{ id: string }>(sql.deleteDeviceSiblings, [
            c.appId,
            c.userId,
            slot,
            c.id,
          ]);
          return { replaced: deleted.rows.map((r) => r.id).sort() };
        }),
      async get(appId, credentialId) {
        const row = (await query<CredentialRow>(sql.getCredential, [appId, credentialId])).rows[0];
        return row ? toCredential(row) : null;
      },
      async listByUser(appId, userId) {
        return (await query<CredentialRow>(sql.listCredentialsByUser, [appId, userId])).rows.map(
          toCredential,
        );
      },
      async findByAccount(appId, type, account) {
        return (await query<CredentialRow>(sql.findCredentialsByAccount, [appId, type, account])).rows.map(
          toCredential,
        );
      },
      async listDisplaced() {
        return (await query<DisplacedRow>(sql.listDisplacedCredentials)).rows.map(toDisplaced);
      },
      async delete(appId, userId, credentialId) {
        return ((await query(sql.deleteCredential, [appId, userId, credentialId])).rowCount ?? 0) > 0;
      },
      async markUsed(appId, credentialId, expected, counter, at) {
        return (
          (await query(hot.markCredentialUsed, [appId, credentialId, expected, counter, at])).rowCount === 1
        );
      },
    },

    challenges: {
      async put(c) {
        await query(hot.insertChallenge, [
          c.appId,
          c.id,
          c.type,
          c.value,
          c.userId,
          c.data === null ? null : JSON.stringify(c.data),
          c.expiresAt,
          clock() - EXPIRED_GRACE_MS,
          SWEEP_BATCH,
        ]);
      },
      async consume(appId, challengeId) {
        const row = (await query<ChallengeRow>(sql.consumeChallenge, [appId, challengeId])).rows[0];
        return row ? toChallenge(row) : null;
      },
    },

    replay: {
      async remember(key, ttlMs) {
        requirePositiveInteger('replay.remember', 'ttlMs', ttlMs);
        const now = clock();
        return (await query(hot.rememberReplay, [key, now + ttlMs, now, SWEEP_BATCH])).rowCount === 1;
      },
      async has(key) {
        return (await query(sql.hasReplay, [key, clock()])).rowCount === 1;
      },
    },

    mykey: {
      async create(m) {
        await query(sql.insertMykeySession, [
          m.appId,
          m.uuID,
          m.status,
          m.account,
          m.chain,
          m.token,
          m.reason,
          m.expiresAt,
          m.createdAt,
          clock() - EXPIRED_GRACE_MS,
          SWEEP_BATCH,
          m.pollHash,
        ]);
      },
      async get(appId, uuID) {
        const row = (await query<MykeyRow>(sql.getMykeySession, [appId, uuID])).rows[0];
        return row ? toMykeySession(row) : null;
      },
      async complete(appId, uuID, result) {
        if (result.status === 'pending')
          throw new RangeError("mykey.complete: result.status must be 'verified' or 'failed'");
        const values = [
          appId,
          uuID,
          result.status,
          result.account,
          result.chain,
          result.token,
          result.reason,
          clock(),
        ];
        return (await query(sql.completeMykeySession, values)).rowCount === 1;
      },
    },

    audit: {
      async aggregate(r) {
        await query(hot.aggregateAudit, auditValues(r));
      },
      async append(r) {
        await query(hot.insertAudit, auditValues(r));
      },
      async prune(before) {
        let total = 0;
        for (;;) {
          const n = (await query(sql.pruneAudit, [before, PRUNE_BATCH])).rowCount ?? 0;
          total += n;
          if (n < PRUNE_BATCH) return total;
        }
      },
      async list(appId, auditQuery) {
        const { text, values } = buildAuditListSql(
          sql.auditDialect,
          appId,
          auditQuery,
          clampLimit(auditQuery.limit),
        );
        return (await query<AuditRow>(text, values)).rows.map(toAuditRecord);
      },
    },

    signingKeys: {
      async list() {
        return (await query<SigningKeyRow>(sql.listSigningKeys)).rows.map(toSigningKey);
      },
      rotate: (key) =>
        transaction(async (q) => {
          await q.query(sql.lockSigningKeys);
          await q.query(sql.retireActiveSigningKey, [key.createdAt]);
          await q.query(sql.insertSigningKey, [
            key.kid,
            key.alg,
            JSON.stringify(key.publicJwk),
            key.sealedPrivateJwk,
            key.createdAt,
          ]);
        }),
      async prune(before) {
        return (await query(sql.pruneSigningKeys, [before])).rowCount ?? 0;
      },
      async revoke(kid, at) {
        return (await query(sql.revokeSigningKey, [kid, at])).rowCount === 1;
      },
    },

    sessions: createPostgresSessionStore(schema, { query, transaction }),

    rateLimits: {
      async hit(key, windowMs) {
        requirePositiveInteger('rateLimits.hit', 'windowMs', windowMs);
        const now = clock();
        const windowStart = Math.floor(now / windowMs) * windowMs;
        const values = [key, windowMs, windowStart, windowStart + windowMs, now, SWEEP_BATCH];
        const row = (await query<{ count: BigintColumn }>(hot.hitRateLimit, values)).rows[0];
        if (!row) throw new Error('rate limit upsert returned no row');
        return num(row.count);
      },
      async peek(key, windowMs) {
        requirePositiveInteger('rateLimits.peek', 'windowMs', windowMs);
        const windowStart = Math.floor(clock() / windowMs) * windowMs;
        const row = (await query<{ count: BigintColumn }>(hot.peekRateLimit, [key, windowMs, windowStart]))
          .rows[0];
        return row ? num(row.count) : 0;
      },
    },

    webhooks: createPostgresWebhookOutbox(schema, query, clock),

    logins: createPostgresLoginStore(schema, query, named),

    async ping() {
      await query(sql.ping);
    },

    close() {
      closed = true;
      closing ??= ownsPool ? pool.end().catch(() => {}) : Promise.resolve();
      return closing;
    },
  };
}
