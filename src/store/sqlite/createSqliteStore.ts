import BetterSqlite3 from 'better-sqlite3';
import { SignetError } from '../../errors/SignetError.js';
import { buildAuditListSql } from '../auditQuery.js';
import { createRowMappers } from '../rows.js';
import type * as Rows from '../rows.js';
import type { App, Challenge, Clock, Credential, MykeySession, SigningKey, Store } from '../types.js';
import { applyMigrations } from './applyMigrations.js';
import { createSqliteSessionStore } from './createSqliteSessionStore.js';
import { openSqliteDatabase } from './openSqliteDatabase.js';
import { AUDIT_SQL, SQL } from './sql.js';
import { createSqliteWebhookOutbox } from './createSqliteWebhookOutbox.js';
import { createSqliteLoginStore } from './createSqliteLoginStore.js';
import { auditParams } from './params.js';

/**
 * How long an expired challenge or MYKEY session stays readable before a sweep may delete it, ms.
 * Within this grace a late client still hears `challenge_expired` (not `challenge_unknown`) and a
 * poller still sees its session as failed rather than gone.
 */
export const EXPIRED_GRACE_MS = 15 * 60_000;

/** Most expired rows one write sweeps from one table: bounded work per request. */
export const SWEEP_BATCH = 100;

/** Audit records one retention batch deletes. */
export const PRUNE_BATCH = 1000;

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` for a private in-process database. */
  path: string;
  /** Unix ms; expiry and rate-limit windows read this clock (default `Date.now`). */
  clock?: Clock;
  /**
   * Group commit (default on): the writes callers start within one event-loop turn are committed
   * together in one transaction, each in its own savepoint, and every caller's promise settles
   * only after that commit. Off, each write commits alone (the behaviour before issue 13).
   */
  groupCommit?: boolean;
  /**
   * Called after each commit with the number of writes in it (tests, benchmarks): 1 for a write
   * that ran alone in its turn, more for a group.
   */
  onCommit?: (writes: number) => void;
}

type AppRow = Rows.AppRow<string, number>;
type CredentialRow = Rows.CredentialRow<string, number>;
type DisplacedRow = Rows.DisplacedRow<string, number>;
type ChallengeRow = Rows.ChallengeRow<string, number>;
type MykeyRow = Rows.MykeyRow<number>;
type AuditRow = Rows.AuditRow<number>;
type SigningKeyRow = Rows.SigningKeyRow<string, number>;

type Sweep = { before: number; limit: number };

/** SQLite result codes that mean "the store cannot serve now", not "your request is wrong". */
const UNAVAILABLE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
];

// JSON columns hold text this module wrote (guarded by `CHECK (json_valid(...))`); integers are numbers.
const { toApp, toCredential, toDisplaced, toChallenge, toMykeySession, toAuditRecord, toSigningKey } =
  createRowMappers<string, number>({
    json: <T>(text: string) => JSON.parse(text) as T,
    int: (n: number) => n,
  });

function appParams(app: App) {
  return {
    id: app.id,
    name: app.name,
    secrets: JSON.stringify(app.secrets),
    rpId: app.rpId,
    origins: JSON.stringify(app.origins),
    settings: JSON.stringify(app.settings),
    createdAt: app.createdAt,
  };
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

/**
 * The default store: one SQLite file (or `:memory:`) through better-sqlite3. The schema is
 * migrated forward when the store opens (see `migrations.ts`); every statement is prepared
 * once. Multi-step writes run in one `BEGIN IMMEDIATE` transaction, and every operation the
 * interface calls atomic is a single statement (see `sql.ts`), so it stays atomic when several
 * processes share the file.
 *
 * Errors: a duplicate id rejects with `SignetError('conflict')`; a closed store, a locked file
 * past the busy timeout or an I/O failure with `SignetError('store_unavailable')`; misuse (a
 * non-positive TTL or window) with a `RangeError`.
 *
 * @example
 * const store = createSqliteStore({ path: './signet.db' });
 * await store.ping();
 */
export function createSqliteStore({
  path,
  clock = Date.now,
  groupCommit = true,
  onCommit,
}: SqliteStoreOptions): Store {
  const db = openSqliteDatabase(path);
  try {
    applyMigrations(db, clock());
  } catch (e) {
    db.close();
    throw e instanceof SignetError
      ? e
      : new SignetError('store_unavailable', 'cannot migrate the SQLite schema', { cause: e });
  }

  // One prepared statement per audit query shape (at most 2^8 of them).
  const auditStatements = new Map<string, BetterSqlite3.Statement<unknown[], AuditRow>>();
  const s = {
    ping: db.prepare(SQL.ping),
    insertApp: db.prepare<[ReturnType<typeof appParams>]>(SQL.insertApp),
    getApp: db.prepare<[string], AppRow>(SQL.getApp),
    listApps: db.prepare<[], AppRow>(SQL.listApps),
    updateApp: db.prepare<[ReturnType<typeof appParams>]>(SQL.updateApp),
    insertCredential: db.prepare<[Record<string, unknown>]>(SQL.insertCredential),
    deleteDeviceSiblings: db.prepare<
      [{ appId: string; userId: string; deviceId: string; id: string }],
      { id: string }
    >(SQL.deleteDeviceSiblings),
    getCredential: db.prepare<[string, string], CredentialRow>(SQL.getCredential),
    listCredentialsByUser: db.prepare<[string, string], CredentialRow>(SQL.listCredentialsByUser),
    findCredentialsByAccount: db.prepare<[string, string, string], CredentialRow>(
      SQL.findCredentialsByAccount,
    ),
    deleteCredential: db.prepare<[string, string, string]>(SQL.deleteCredential),
    listDisplacedCredentials: db.prepare<[], DisplacedRow>(SQL.listDisplacedCredentials),
    markCredentialUsed: db.prepare<
      [{ appId: string; id: string; expected: number; counter: number; at: number }]
    >(SQL.markCredentialUsed),
    insertChallenge: db.prepare<[Record<string, unknown>]>(SQL.insertChallenge),
    consumeChallenge: db.prepare<[string, string], ChallengeRow>(SQL.consumeChallenge),
    sweepChallenges: db.prepare<[Sweep]>(SQL.sweepChallenges),
    rememberReplay: db.prepare<[{ key: string; expiresAt: number; now: number }]>(SQL.rememberReplay),
    sweepReplay: db.prepare<[Sweep]>(SQL.sweepReplay),
    hasReplay: db.prepare<[string, number], { present: number }>(SQL.hasReplay),
    insertMykeySession: db.prepare<[Record<string, unknown>]>(SQL.insertMykeySession),
    getMykeySession: db.prepare<[string, string], MykeyRow>(SQL.getMykeySession),
    completeMykeySession: db.prepare<[Record<string, unknown>]>(SQL.completeMykeySession),
    sweepMykeySessions: db.prepare<[Sweep]>(SQL.sweepMykeySessions),
    insertAudit: db.prepare<[Record<string, unknown>]>(SQL.insertAudit),
    aggregateAudit: db.prepare<[Record<string, unknown>]>(SQL.aggregateAudit),
    pruneAudit: db.prepare<[{ before: number; limit: number }]>(SQL.pruneAudit),

    listSigningKeys: db.prepare<[], SigningKeyRow>(SQL.listSigningKeys),
    retireActiveSigningKey: db.prepare<[number]>(SQL.retireActiveSigningKey),
    insertSigningKey: db.prepare<[Record<string, unknown>]>(SQL.insertSigningKey),
    pruneSigningKeys: db.prepare<[number]>(SQL.pruneSigningKeys),
    revokeSigningKey: db.prepare<[{ kid: string; at: number }]>(SQL.revokeSigningKey),
    hitRateLimit: db.prepare<
      [{ key: string; windowMs: number; windowStart: number; expiresAt: number }],
      { count: number }
    >(SQL.hitRateLimit),
    peekRateLimit: db.prepare<[string, number, number], { count: number }>(SQL.peekRateLimit),
    sweepRateLimits: db.prepare<[Sweep]>(SQL.sweepRateLimits),
  };

  /** Turns driver errors into Signet's: duplicates into `conflict`, an unusable store into `store_unavailable`. */
  function translate(e: unknown): unknown {
    if (e instanceof SignetError) return e;
    if (!db.open) return new SignetError('store_unavailable', 'the SQLite store is closed', { cause: e });
    if (e instanceof BetterSqlite3.SqliteError) {
      if (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        return new SignetError('conflict', undefined, { cause: e });
      }
      if (UNAVAILABLE_CODES.some((c) => e.code === c || e.code.startsWith(`${c}_`))) {
        return new SignetError('store_unavailable', undefined, { cause: e });
      }
    }
    return e;
  }

  /** Runs synchronous driver work as the interface's Promise, with errors translated. */
  async function run<T>(work: () => T): Promise<T> {
    try {
      return work();
    } catch (e) {
      throw translate(e);
    }
  }

  // Group commit. A commit costs more than the statements of a login (WAL append, lock, the
  // shared-memory index), so the writes started within one event-loop turn share one:
  // `write` queues the work, `flushWrites` (a setImmediate, after the turn's I/O callbacks)
  // runs the queue inside one BEGIN IMMEDIATE ... COMMIT, each piece inside its own savepoint,
  // and only then settles the callers' promises. So:
  // - nothing is answered before its commit (a caller hears "done" only once it is durable, as
  //   with one transaction each: `synchronous = NORMAL` in WAL either way);
  // - a piece that throws rolls back to its savepoint, so only its caller is refused and none of
  //   its statements stay; the others still commit;
  // - the atomic operations stay single statements run one after another on one connection,
  //   so of many consumes of one challenge in one group, exactly one gets the row.
  // Reads are not queued: they see committed data, and no caller can be waiting on a write
  // that is still queued (its promise has not settled).
  type QueuedWrite = { work: () => unknown; resolve(value: unknown): void; reject(error: unknown): void };
  let queue: QueuedWrite[] = [];
  let flushScheduled = false;
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  // A better-sqlite3 transaction function called inside an open transaction runs in a savepoint.
  const inSavepoint = db.transaction((work: () => unknown) => work());

  function write<T>(work: () => T): Promise<T> {
    if (!groupCommit) return run(work);
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushWrites);
      }
    });
  }

  function flushWrites(): void {
    flushScheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    if (batch.length === 1 || !db.open) {
      // Alone, a write is its own transaction: no BEGIN/SAVEPOINT/COMMIT around one statement.
      for (const w of batch) {
        let value: unknown;
        try {
          value = w.work();
        } catch (e) {
          w.reject(translate(e));
          continue;
        }
        onCommit?.(1);
        w.resolve(value);
      }
      return;
    }
    try {
      begin.run();
    } catch (e) {
      const error = translate(e);
      for (const w of batch) w.reject(error);
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    for (const w of batch) {
      try {
        outcomes.push({ ok: true, value: inSavepoint(w.work) });
      } catch (e) {
        outcomes.push({ ok: false, error: translate(e) });
        if (!db.inTransaction) {
          // SQLite itself rolled the whole transaction back (I/O error, disk full, ...): nothing
          // of the group was written, so every caller hears it.
          const error = translate(e);
          for (const v of batch) v.reject(error);
          return;
        }
      }
    }
    try {
      commit.run();
    } catch (e) {
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } catch {
        // The connection is gone or the rollback already happened: the callers hear the commit's error.
      }
      const error = translate(e);
      for (const w of batch) w.reject(error);
      return;
    }
    onCommit?.(batch.length);
    batch.forEach((w, i) => {
      const outcome = outcomes[i] as (typeof outcomes)[number];
      if (outcome.ok) w.resolve(outcome.value);
      else w.reject(outcome.error);
    });
  }

  // Multi-step writes. IMMEDIATE takes the write lock up front, so a second process waits on
  // busy_timeout instead of failing to upgrade a read transaction (SQLITE_BUSY_SNAPSHOT in WAL).
  const createCredential = db.transaction((c: Credential): string[] => {
    // The insert comes first: a duplicate id aborts before anything is deleted.
    s.insertCredential.run({
      appId: c.appId,
      id: c.id,
      userId: c.userId,
      type: c.type,
      label: c.label,
      deviceId: c.deviceId,
      account: c.account,
      publicKey: JSON.stringify(c.publicKey),
      counter: c.counter,
      createdAt: c.createdAt,
      lastUsedAt: c.lastUsedAt,
    });
    if (c.type !== 'device' || c.deviceId === null) return [];
    return s.deleteDeviceSiblings
      .all({ appId: c.appId, userId: c.userId, deviceId: c.deviceId, id: c.id })
      .map((r) => r.id)
      .sort();
  });

  const rotateSigningKey = db.transaction((key: SigningKey): void => {
    s.retireActiveSigningKey.run(key.createdAt);
    s.insertSigningKey.run({
      kid: key.kid,
      alg: key.alg,
      publicJwk: JSON.stringify(key.publicJwk),
      sealedPrivateJwk: key.sealedPrivateJwk,
      createdAt: key.createdAt,
    });
  });

  const putChallenge = db.transaction((c: Challenge, now: number): void => {
    s.sweepChallenges.run({ before: now - EXPIRED_GRACE_MS, limit: SWEEP_BATCH });
    s.insertChallenge.run({
      appId: c.appId,
      id: c.id,
      type: c.type,
      value: c.value,
      userId: c.userId,
      data: c.data === null ? null : JSON.stringify(c.data),
      expiresAt: c.expiresAt,
    });
  });

  const rememberKey = db.transaction((key: string, ttlMs: number, now: number): boolean => {
    s.sweepReplay.run({ before: now, limit: SWEEP_BATCH });
    return s.rememberReplay.run({ key, expiresAt: now + ttlMs, now }).changes === 1;
  });

  const createMykeySession = db.transaction((m: MykeySession, now: number): void => {
    s.sweepMykeySessions.run({ before: now - EXPIRED_GRACE_MS, limit: SWEEP_BATCH });
    s.insertMykeySession.run({
      appId: m.appId,
      uuID: m.uuID,
      status: m.status,
      account: m.account,
      chain: m.chain,
      token: m.token,
      pollHash: m.pollHash,
      reason: m.reason,
      expiresAt: m.expiresAt,
      createdAt: m.createdAt,
    });
  });

  const hitRateLimit = db.transaction((key: string, windowMs: number, now: number): number => {
    s.sweepRateLimits.run({ before: now, limit: SWEEP_BATCH });
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const row = s.hitRateLimit.get({ key, windowMs, windowStart, expiresAt: windowStart + windowMs });
    if (!row) throw new Error('rate limit upsert returned no row');
    return row.count;
  });

  return {
    kind: 'sqlite',

    apps: {
      create: (app) => write(() => void s.insertApp.run(appParams(app))),
      get: (appId) =>
        run(() => {
          const row = s.getApp.get(appId);
          return row ? toApp(row) : null;
        }),
      list: () => run(() => s.listApps.all().map(toApp)),
      update: (app) => write(() => s.updateApp.run(appParams(app)).changes > 0),
    },

    credentials: {
      create: (credential) => write(() => ({ replaced: createCredential.immediate(credential) })),
      get: (appId, credentialId) =>
        run(() => {
          const row = s.getCredential.get(appId, credentialId);
          return row ? toCredential(row) : null;
        }),
      listByUser: (appId, userId) => run(() => s.listCredentialsByUser.all(appId, userId).map(toCredential)),
      findByAccount: (appId, type, account) =>
        run(() => s.findCredentialsByAccount.all(appId, type, account).map(toCredential)),
      delete: (appId, userId, credentialId) =>
        write(() => s.deleteCredential.run(appId, userId, credentialId).changes > 0),
      listDisplaced: () => run(() => s.listDisplacedCredentials.all().map(toDisplaced)),
      markUsed: (appId, credentialId, expected, counter, at) =>
        write(
          () => s.markCredentialUsed.run({ appId, id: credentialId, expected, counter, at }).changes === 1,
        ),
    },

    challenges: {
      put: (challenge) => {
        const now = clock();
        return write(() => putChallenge.immediate(challenge, now));
      },
      consume: (appId, challengeId) =>
        write(() => {
          const row = s.consumeChallenge.get(appId, challengeId);
          return row ? toChallenge(row) : null;
        }),
    },

    replay: {
      async remember(key, ttlMs) {
        requirePositiveInteger('replay.remember', 'ttlMs', ttlMs);
        const now = clock();
        return write(() => rememberKey.immediate(key, ttlMs, now));
      },
      has: (key) => run(() => s.hasReplay.get(key, clock()) !== undefined),
    },

    mykey: {
      create: (session) => {
        const now = clock();
        return write(() => createMykeySession.immediate(session, now));
      },
      get: (appId, uuID) =>
        run(() => {
          const row = s.getMykeySession.get(appId, uuID);
          return row ? toMykeySession(row) : null;
        }),
      async complete(appId, uuID, result) {
        if (result.status === 'pending')
          throw new RangeError("mykey.complete: result.status must be 'verified' or 'failed'");
        const now = clock();
        return write(
          () =>
            s.completeMykeySession.run({
              appId,
              uuID,
              status: result.status,
              account: result.account,
              chain: result.chain,
              token: result.token,
              reason: result.reason,
              now,
            }).changes === 1,
        );
      },
    },

    audit: {
      aggregate: (r) => write(() => void s.aggregateAudit.run(auditParams(r))),
      append: (r) => write(() => void s.insertAudit.run(auditParams(r))),
      prune: (before) =>
        run(() => {
          let total = 0;
          for (;;) {
            // One batch a transaction: a long prune never holds the write lock for long.
            const n = s.pruneAudit.run({ before, limit: PRUNE_BATCH }).changes;
            total += n;
            if (n < PRUNE_BATCH) return total;
          }
        }),
      list: (appId, query) =>
        run(() => {
          const { text, values } = buildAuditListSql(AUDIT_SQL, appId, query, clampLimit(query.limit));
          let statement = auditStatements.get(text);
          if (!statement) auditStatements.set(text, (statement = db.prepare<unknown[], AuditRow>(text)));
          return statement.all(...values).map(toAuditRecord);
        }),
    },

    signingKeys: {
      list: () => run(() => s.listSigningKeys.all().map(toSigningKey)),
      rotate: (key) => write(() => rotateSigningKey.immediate(key)),
      prune: (before) => write(() => s.pruneSigningKeys.run(before).changes),
      revoke: (kid, at) => write(() => s.revokeSigningKey.run({ kid, at }).changes === 1),
    },

    sessions: createSqliteSessionStore(db, run, write),

    rateLimits: {
      async hit(key, windowMs) {
        requirePositiveInteger('rateLimits.hit', 'windowMs', windowMs);
        const now = clock();
        return write(() => hitRateLimit.immediate(key, windowMs, now));
      },
      async peek(key, windowMs) {
        requirePositiveInteger('rateLimits.peek', 'windowMs', windowMs);
        return run(() => {
          const now = clock();
          const windowStart = Math.floor(now / windowMs) * windowMs;
          return s.peekRateLimit.get(key, windowMs, windowStart)?.count ?? 0;
        });
      },
    },

    webhooks: createSqliteWebhookOutbox(db, clock, run, write),

    logins: createSqliteLoginStore(db, run, write),

    ping: () => run(() => void s.ping.get()),

    async close() {
      if (!db.open) return;
      // Writes already started are committed (or refused) before the connection goes.
      flushWrites();
      try {
        // Lets SQLite refresh planner statistics it found stale during this connection's life.
        db.pragma('optimize');
      } finally {
        db.close();
      }
    },
  };
}
