import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { isSignetError } from '../../src/errors/SignetError.js';
import { reportDisplacedCredentials } from '../../src/core/credentials.js';
import type { Deps } from '../../src/core/deps.js';
import { applyMigrations } from '../../src/store/sqlite/applyMigrations.js';
import {
  createSqliteStore,
  EXPIRED_GRACE_MS,
  SWEEP_BATCH,
} from '../../src/store/sqlite/createSqliteStore.js';
import { MIGRATIONS, type SqliteMigration } from '../../src/store/sqlite/migrations.js';
import { openSqliteDatabase } from '../../src/store/sqlite/openSqliteDatabase.js';
import { buildAuditListSql } from '../../src/store/auditQuery.js';
import { AUDIT_SQL, SQL } from '../../src/store/sqlite/sql.js';
import type { AuditQuery, Store } from '../../src/store/types.js';
import {
  createMovableClock,
  makeApp,
  makeChallenge,
  makeCredential,
  makeSession,
  makeFamily,
  makeSigningKey,
  runStoreConformance,
} from './conformance.js';
import type { RaceInput, RaceOutput } from './sqliteWorker.js';
import type { SessionRaceInput, SessionRaceOutput } from './sqliteSessionWorker.js';

const dir = mkdtempSync(join(tmpdir(), 'signet-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tempFile(): string {
  return join(dir, `${randomUUID()}.db`);
}

function removeDbFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

runStoreConformance('sqlite :memory:', async (clock) => {
  const store = createSqliteStore({ path: ':memory:', clock });
  return { store, cleanup: () => store.close() };
});

runStoreConformance('sqlite file', async (clock) => {
  const path = tempFile();
  const store = createSqliteStore({ path, clock });
  return {
    store,
    cleanup: async () => {
      await store.close();
      removeDbFiles(path);
    },
  };
});

const T0 = 1_767_225_600_000;
const LATEST = MIGRATIONS.length;

function ledger(db: Database): { version: number; name: string; applied_at: number }[] {
  return db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    applied_at: number;
  }[];
}

function tableNames(db: Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
}

function count(db: Database, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

function plan(db: Database, sql: string, params: unknown[] | Record<string, unknown>): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
  return rows.map((r) => r.detail).join(' | ');
}

describe('sqlite adapter: durability across a restart', () => {
  it('reopening a file keeps every record, consumed challenges stay consumed, migrations are not re-applied', async () => {
    const path = tempFile();
    const clock = createMovableClock(T0);
    let store: Store = createSqliteStore({ path, clock });
    const a = makeApp();
    await store.apps.create(a);
    const oldKey = makeCredential(a.id, { userId: 'alice', deviceId: 'phone-1' });
    const newKey = makeCredential(a.id, { userId: 'alice', deviceId: 'phone-1', createdAt: T0 + 1 });
    const passkey = makeCredential(a.id, {
      userId: 'alice',
      type: 'webauthn',
      counter: 4,
      publicKey: { alg: -7, cose: 'pQECAyYgASFYIA' },
    });
    const eos = makeCredential(a.id, { type: 'eos', account: 'alice.gm', userId: 'bob' });
    for (const c of [oldKey, newKey, passkey, eos]) await store.credentials.create(c);
    assert.equal(await store.credentials.markUsed(a.id, passkey.id, 4, 5, T0 + 2), true);
    const kept = makeChallenge(a.id, { type: 'webauthn-registration', data: { userName: 'alice' } });
    const used = makeChallenge(a.id);
    await store.challenges.put(kept);
    await store.challenges.put(used);
    assert.deepEqual(await store.challenges.consume(a.id, used.id), used);
    const k1 = makeSigningKey(T0);
    const k2 = makeSigningKey(T0 + 100);
    await store.signingKeys.rotate(k1);
    await store.signingKeys.rotate(k2);
    assert.equal(await store.replay.remember('cc:seen', 600_000), true);
    await store.mykey.create(makeSession(a.id, { uuID: 'mk1', expiresAt: T0 + 300_000, createdAt: T0 }));
    assert.equal(
      await store.mykey.complete(a.id, 'mk1', {
        status: 'verified',
        account: 'alice.gm',
        chain: 'eos',
        token: 't',
        reason: null,
      }),
      true,
    );
    await store.audit.append({
      id: 'au1',
      appId: a.id,
      at: T0 + 3,
      scheme: 'device',
      action: 'login',
      outcome: 'failure',
      reason: 'signature_invalid',
      userId: 'alice',
      credentialId: newKey.id,
      ip: '198.51.100.7',
    });
    assert.equal(await store.rateLimits.hit('fail:u:x', 900_000), 1);
    await store.close();

    const raw = new BetterSqlite3(path, { readonly: true });
    const firstLedger = ledger(raw);
    raw.close();
    assert.deepEqual(
      firstLedger,
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: T0 })),
    );

    clock.advance(1000);
    store = createSqliteStore({ path, clock });
    try {
      assert.deepEqual(await store.apps.get(a.id), a);
      assert.equal(await store.credentials.get(a.id, oldKey.id), null);
      assert.deepEqual(await store.credentials.get(a.id, passkey.id), {
        ...passkey,
        counter: 5,
        lastUsedAt: T0 + 2,
      });
      assert.deepEqual(
        (await store.credentials.listByUser(a.id, 'alice')).map((c) => c.id).sort(),
        [newKey.id, passkey.id].sort(),
      );
      assert.deepEqual(await store.credentials.findByAccount(a.id, 'eos', 'alice.gm'), [eos]);
      assert.deepEqual(await store.signingKeys.list(), [k2, { ...k1, retiredAt: k2.createdAt }]);
      assert.equal(await store.replay.remember('cc:seen', 600_000), false);
      assert.equal((await store.mykey.get(a.id, 'mk1'))?.status, 'verified');
      assert.equal((await store.audit.list(a.id, { limit: 10 }))[0]?.id, 'au1');
      assert.equal(await store.rateLimits.peek('fail:u:x', 900_000), 1);
      assert.equal(await store.challenges.consume(a.id, used.id), null, 'consumed stays consumed');
      assert.deepEqual(await store.challenges.consume(a.id, kept.id), kept);
    } finally {
      await store.close();
    }

    const again = new BetterSqlite3(path, { readonly: true });
    assert.deepEqual(ledger(again), firstLedger, 'the re-open applied nothing');
    assert.equal(again.pragma('user_version', { simple: true }), LATEST);
    again.close();
  });
});

describe('sqlite adapter: migrations', () => {
  const extra: SqliteMigration = {
    version: LATEST + 1,
    name: 'test: an extra table',
    sql: 'CREATE TABLE extra (x INTEGER NOT NULL) STRICT;',
  };

  it('a new database gets every migration; a second run applies none', () => {
    const db = openSqliteDatabase(':memory:');
    try {
      assert.deepEqual(
        applyMigrations(db, T0),
        MIGRATIONS.map((m) => m.version),
      );
      assert.deepEqual(applyMigrations(db, T0 + 1), []);
      assert.equal(ledger(db).length, LATEST);
      assert.equal(db.pragma('user_version', { simple: true }), LATEST);
      for (const t of [
        'apps',
        'credentials',
        'challenges',
        'replay_records',
        'mykey_sessions',
        'audit_events',
        'signing_keys',
        'rate_limits',
      ]) {
        assert.ok(tableNames(db).includes(t), t);
      }
    } finally {
      db.close();
    }
  });

  it('an existing file migrates forward from the version it is at', () => {
    const path = tempFile();
    const db = openSqliteDatabase(path);
    try {
      applyMigrations(db, T0);
      assert.deepEqual(applyMigrations(db, T0 + 5, [...MIGRATIONS, extra]), [extra.version]);
      assert.deepEqual(ledger(db).at(-1), { version: extra.version, name: extra.name, applied_at: T0 + 5 });
      assert.equal(db.pragma('user_version', { simple: true }), extra.version);
      assert.ok(tableNames(db).includes('extra'));
    } finally {
      db.close();
    }
    // This code does not know migration LATEST + 1: it refuses the file instead of guessing.
    assert.throws(
      () => createSqliteStore({ path }),
      (e: unknown) => isSignetError(e, 'store_unavailable'),
    );
  });

  it('a failing migration leaves the database exactly as it was', () => {
    const db = openSqliteDatabase(':memory:');
    try {
      const broken: SqliteMigration = {
        version: LATEST + 1,
        name: 'broken',
        sql: 'CREATE TABLE half (x); SELECT nope FROM missing;',
      };
      assert.throws(() => applyMigrations(db, T0, [...MIGRATIONS, broken]));
      assert.deepEqual(tableNames(db), [], 'not even the earlier migrations of the same run');
      assert.equal(db.pragma('user_version', { simple: true }), 0);
      applyMigrations(db, T0);
      assert.throws(() => applyMigrations(db, T0, [...MIGRATIONS, broken]));
      assert.ok(!tableNames(db).includes('half'));
      assert.equal(ledger(db).length, LATEST);
      assert.equal(db.pragma('user_version', { simple: true }), LATEST);
    } finally {
      db.close();
    }
  });

  it('migration versions must be 1..n without gaps', () => {
    const db = openSqliteDatabase(':memory:');
    try {
      assert.throws(() => applyMigrations(db, T0, [{ ...extra, version: 2 }]), TypeError);
      assert.deepEqual(tableNames(db), []);
    } finally {
      db.close();
    }
  });
});

describe('sqlite adapter: connection settings and start-up errors', () => {
  it('files use WAL, busy_timeout 5000, synchronous NORMAL and foreign keys', () => {
    const db = openSqliteDatabase(tempFile());
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      assert.equal(db.pragma('synchronous', { simple: true }), 1);
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    } finally {
      db.close();
    }
    const memory = openSqliteDatabase(':memory:');
    try {
      assert.equal(memory.pragma('journal_mode', { simple: true }), 'memory');
      assert.equal(memory.pragma('foreign_keys', { simple: true }), 1);
    } finally {
      memory.close();
    }
  });

  it('an unopenable path or a file that is not a database fails at start-up with store_unavailable', () => {
    const unavailable = (e: unknown) => isSignetError(e, 'store_unavailable');
    assert.throws(() => createSqliteStore({ path: join(dir, 'no-such-dir', 'x.db') }), unavailable);
    const junk = tempFile();
    writeFileSync(junk, 'this is not an SQLite database, just text long enough to have a header....');
    assert.throws(() => createSqliteStore({ path: junk }), unavailable);
    assert.throws(() => openSqliteDatabase(''), TypeError);
  });

  it('foreign keys are enforced: rows of an unknown app are refused', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    try {
      await assert.rejects(
        store.credentials.create(makeCredential('no-such-app')),
        (e: unknown) => !isSignetError(e, 'conflict'),
      );
      await assert.rejects(store.challenges.put(makeChallenge('no-such-app')));
    } finally {
      await store.close();
    }
  });

  it('misuse throws RangeError', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    try {
      await assert.rejects(store.replay.remember('k', 0), RangeError);
      await assert.rejects(store.replay.remember('k', 1.5), RangeError);
      await assert.rejects(store.rateLimits.hit('k', 0), RangeError);
      await assert.rejects(store.rateLimits.peek('k', Number.NaN), RangeError);
      await assert.rejects(
        store.mykey.complete('a', 'u', {
          status: 'pending',
          account: null,
          chain: null,
          token: null,
          reason: null,
        }),
        RangeError,
      );
    } finally {
      await store.close();
    }
  });
});

describe('sqlite adapter: query plans', () => {
  const db = openSqliteDatabase(':memory:');
  applyMigrations(db, T0);
  after(() => db.close());

  it('findByAccount uses the (app_id, type, account) index and needs no sort', () => {
    const p = plan(db, SQL.findCredentialsByAccount, ['a', 'eos', 'alice']);
    assert.match(p, /USING INDEX credentials_by_account/);
    assert.doesNotMatch(p, /TEMP B-TREE/);
  });

  it('listByUser uses the (app_id, user_id) index and needs no sort', () => {
    const p = plan(db, SQL.listCredentialsByUser, ['a', 'u']);
    assert.match(p, /USING INDEX credentials_by_user/);
    assert.doesNotMatch(p, /TEMP B-TREE/);
  });

  it('audit listing walks the (app_id, at) indexes newest first, without a sort', () => {
    const cases: [AuditQuery, RegExp][] = [
      [{ limit: 10 }, /audit_events_by_app_at/],
      [{ limit: 10, before: T0 }, /audit_events_by_app_at/],
      [{ limit: 10, userId: 'u' }, /audit_events_by_app_user_at/],
      [{ limit: 10, userId: 'u', before: T0 }, /audit_events_by_app_user_at/],
      [{ limit: 10, after: { at: T0, id: 'au_x' } }, /audit_events_by_app_at/],
      [
        { limit: 10, scheme: 'eth', outcome: 'failure', reason: 'replayed', userPrefix: 'al' },
        /audit_events_by_app/,
      ],
    ];
    for (const [query, index] of cases) {
      const { text: sql, values: params } = buildAuditListSql(AUDIT_SQL, 'a', query, query.limit);
      const p = plan(db, sql, params);
      assert.match(p, index, sql);
      assert.doesNotMatch(p, /TEMP B-TREE/, sql);
    }
  });

  it('sweeps find expired rows through the expiry indexes', () => {
    for (const [sql, index] of [
      [SQL.sweepChallenges, /challenges_by_expiry/],
      [SQL.sweepReplay, /replay_records_by_expiry/],
      [SQL.sweepMykeySessions, /mykey_sessions_by_expiry/],
      [SQL.sweepRateLimits, /rate_limits_by_expiry/],
    ] as const) {
      assert.match(plan(db, sql, { before: T0, limit: 10 }), index, sql);
    }
  });
});

describe('sqlite adapter: expired rows are swept so tables do not grow forever', () => {
  it('challenges, replay records, MYKEY sessions and rate-limit rows are deleted in bounded batches', async () => {
    const path = tempFile();
    const clock = createMovableClock(T0);
    const store = createSqliteStore({ path, clock });
    const reader = new BetterSqlite3(path, { readonly: true });
    try {
      const a = makeApp();
      await store.apps.create(a);
      const N = SWEEP_BATCH + 50;
      for (let i = 0; i < N; i++) {
        await store.challenges.put(makeChallenge(a.id, { expiresAt: T0 + 1000 }));
        await store.replay.remember(`rp:${i}`, 1000);
        await store.rateLimits.hit(`rl:${i}`, 1000);
        await store.mykey.create(makeSession(a.id, { uuID: `mk${i}`, expiresAt: T0 + 1000, createdAt: T0 }));
      }

      // Expired, but within the grace: challenges and sessions stay; replay and rate-limit rows go.
      clock.set(T0 + 1000);
      await store.challenges.put(makeChallenge(a.id, { expiresAt: clock() + 1000 }));
      await store.mykey.create(
        makeSession(a.id, { uuID: 'fresh1', expiresAt: clock() + 1000, createdAt: clock() }),
      );
      await store.replay.remember('rp:fresh1', 1000);
      await store.rateLimits.hit('rl:fresh1', 1000);
      assert.equal(count(reader, 'challenges'), N + 1);
      assert.equal(count(reader, 'mykey_sessions'), N + 1);
      assert.equal(count(reader, 'replay_records'), N - SWEEP_BATCH + 1);
      assert.equal(count(reader, 'rate_limits'), N - SWEEP_BATCH + 1);

      clock.set(T0 + 1000 + EXPIRED_GRACE_MS);
      await store.challenges.put(makeChallenge(a.id, { expiresAt: clock() + 1000 }));
      assert.equal(count(reader, 'challenges'), N + 2 - SWEEP_BATCH, 'one batch per write');
      await store.challenges.put(makeChallenge(a.id, { expiresAt: clock() + 1000 }));
      // The rest of the old ones, and the one that expired at T0 + 2000 is still within its grace.
      assert.equal(count(reader, 'challenges'), 3);

      await store.mykey.create(
        makeSession(a.id, { uuID: 'fresh2', expiresAt: clock() + 1000, createdAt: clock() }),
      );
      assert.equal(count(reader, 'mykey_sessions'), N + 2 - SWEEP_BATCH);
    } finally {
      reader.close();
      await store.close();
    }
  });
});

/**
 * A worker running a TypeScript file. Node 20 workers do not inherit tsx's loader hooks, so a
 * small CommonJS bootstrap registers tsx in the worker before importing the file.
 */
function startTsWorker(file: URL, workerData: unknown): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

describe('sqlite adapter: several connections on one file', () => {
  it('two stores on one file see each other’s writes and share the atomic operations', async () => {
    const path = tempFile();
    const one = createSqliteStore({ path, clock: () => T0 });
    const two = createSqliteStore({ path, clock: () => T0 });
    try {
      const a = makeApp();
      await one.apps.create(a);
      const c = makeChallenge(a.id);
      await one.challenges.put(c);
      assert.deepEqual(await two.challenges.consume(a.id, c.id), c);
      assert.equal(await one.challenges.consume(a.id, c.id), null);
      assert.equal(await one.replay.remember('k', 1000), true);
      assert.equal(await two.replay.remember('k', 1000), false);
      const passkey = makeCredential(a.id, { userId: 'alice', type: 'webauthn', counter: 1 });
      await two.credentials.create(passkey);
      assert.equal(await one.credentials.markUsed(a.id, passkey.id, 1, 2, T0), true);
      assert.equal(await two.credentials.markUsed(a.id, passkey.id, 1, 3, T0), false);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('worker threads racing on one file: each challenge consumed once, each key remembered once, one counter win, each webhook claimed once', async () => {
    const path = tempFile();
    const setup = createSqliteStore({ path, clock: () => T0 });
    const a = makeApp();
    const challengeIds: string[] = [];
    const replayKeys: string[] = [];
    const messageIds: string[] = [];
    const passkey = makeCredential(a.id, { userId: 'alice', type: 'webauthn' });
    try {
      await setup.apps.create(a);
      await setup.credentials.create(passkey);
      for (let i = 0; i < 200; i++) {
        const c = makeChallenge(a.id);
        await setup.challenges.put(c);
        challengeIds.push(c.id);
        replayKeys.push(`race:${randomUUID()}`);
      }
      for (let i = 0; i < 60; i++) {
        const id = `msg_${randomUUID()}`;
        await setup.webhooks.enqueue({
          id,
          appId: a.id,
          type: 'login.succeeded',
          payload: '{}',
          createdAt: T0 - i,
        });
        messageIds.push(id);
      }
    } finally {
      await setup.close();
    }

    const WORKERS = 4;
    const gate = new SharedArrayBuffer(4);
    const workers = Array.from({ length: WORKERS }, (_, worker) => {
      const input: RaceInput = {
        path,
        now: T0,
        appId: a.id,
        challengeIds,
        replayKeys,
        credentialId: passkey.id,
        worker,
        gate,
      };
      return startTsWorker(new URL('./sqliteWorker.ts', import.meta.url), input);
    });
    const ready = workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve())));
    const results = workers.map(
      (w) =>
        new Promise<RaceOutput>((resolve, reject) => {
          let first = true;
          w.on('message', (m: unknown) => {
            if (first) first = false;
            else resolve(m as RaceOutput);
          });
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
        }),
    );
    await Promise.all(ready);
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    const outputs = await Promise.all(results);

    const consumed = outputs.flatMap((o) => o.consumed).sort();
    assert.deepEqual(consumed, [...challengeIds].sort(), 'every challenge consumed exactly once');
    const remembered = outputs.flatMap((o) => o.remembered).sort();
    assert.deepEqual(remembered, [...replayKeys].sort(), 'every key remembered exactly once');
    assert.equal(outputs.filter((o) => o.markedUsed).length, 1);
    const claimed = outputs.flatMap((o) => o.claimed).sort();
    assert.deepEqual(claimed, [...messageIds].sort(), 'every webhook message claimed exactly once');
  });

  /**
   * Four worker threads present the same refresh token of each of 50 families at once: with
   * `retry`, tokens already spent (their successor unused) inside a 10 s grace.
   */
  async function raceRotations(retry: boolean): Promise<void> {
    const path = tempFile();
    const setup = createSqliteStore({ path, clock: () => T0 });
    const a = makeApp();
    const hashes: string[] = [];
    try {
      await setup.apps.create(a);
      for (let i = 0; i < 50; i++) {
        const hash = `h:${randomUUID()}`;
        await setup.sessions.create(makeFamily(a.id), hash);
        if (retry) await setup.sessions.rotate(a.id, hash, `${hash}:lost`, T0, 10_000);
        hashes.push(hash);
      }
    } finally {
      await setup.close();
    }
    const WORKERS = 4;
    const gate = new SharedArrayBuffer(4);
    const graceMs = retry ? 10_000 : 0;
    const workers = Array.from({ length: WORKERS }, (_, worker) => {
      const input: SessionRaceInput = { path, now: T0 + 1, appId: a.id, hashes, graceMs, worker, gate };
      return startTsWorker(new URL('./sqliteSessionWorker.ts', import.meta.url), input);
    });
    const ready = workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve())));
    const results = workers.map(
      (w) =>
        new Promise<SessionRaceOutput>((resolve, reject) => {
          let first = true;
          w.on('message', (m: unknown) => {
            if (first) first = false;
            else resolve(m as SessionRaceOutput);
          });
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
        }),
    );
    await Promise.all(ready);
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    const outputs = await Promise.all(results);
    const rotated = outputs.flatMap((o) => o.rotated).sort();
    assert.deepEqual(rotated, [...hashes].sort(), 'every token spent exactly once');
    const others = outputs.reduce((n, o) => n + (o.others['reused'] ?? 0) + (o.others['inactive'] ?? 0), 0);
    assert.equal(others, hashes.length * (WORKERS - 1));
    assert.equal(
      outputs.reduce((n, o) => n + (o.others['unknown'] ?? 0), 0),
      0,
    );
    const check = createSqliteStore({ path, clock: () => T0 });
    try {
      for (const hash of hashes)
        assert.equal((await check.sessions.findByToken(a.id, hash))!.revokedReason, 'refresh_reuse');
    } finally {
      await check.close();
    }
  }

  it('worker threads racing to rotate the same refresh tokens: each spent exactly once, the rest is reuse', () =>
    raceRotations(false));

  it('worker threads racing to retry the same spent refresh tokens inside the grace: one retry each, the rest is reuse', () =>
    raceRotations(true));
});

describe('sqlite adapter: migration 6 (refresh token successor)', () => {
  it('a token spent before the migration has no successor: presenting it again is reuse, as before; later rotations record one', async () => {
    const path = tempFile();
    const db = openSqliteDatabase(path);
    try {
      applyMigrations(db, T0, MIGRATIONS.slice(0, 5));
      db.prepare(
        'INSERT INTO apps (id, name, secrets, rp_id, origins, settings, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run('old-app', 'old', '[]', null, '[]', JSON.stringify(makeApp().settings), T0);
      const family = db.prepare(
        `INSERT INTO session_families (app_id, id, user_id, credential_id, amr, created_at, expires_at, refreshed_at, revoked_at, revoked_reason)
         VALUES (?, ?, 'alice', NULL, 'device', ?, ?, NULL, NULL, NULL)`,
      );
      const token = db.prepare(
        'INSERT INTO refresh_tokens (hash, app_id, family_id, issued_at, used_at) VALUES (?, ?, ?, ?, ?)',
      );
      for (const id of ['sid_old', 'sid_current']) family.run('old-app', id, T0, T0 + 86_400_000);
      // sid_old: h1 spent just before the upgrade, h2 current; sid_current: h3 current.
      token.run('h1', 'old-app', 'sid_old', T0, T0 + 100);
      token.run('h2', 'old-app', 'sid_old', T0 + 100, null);
      token.run('h3', 'old-app', 'sid_current', T0, null);
    } finally {
      db.close();
    }
    const store = createSqliteStore({ path, clock: () => T0 + 200 });
    try {
      const grace = 10_000;
      assert.equal(
        (await store.sessions.rotate('old-app', 'h1', 'h1-next', T0 + 200, grace)).outcome,
        'reused',
      );
      assert.equal((await store.sessions.get('old-app', 'sid_old'))!.revokedReason, 'refresh_reuse');
      assert.equal((await store.sessions.rotate('old-app', 'h3', 'h4', T0 + 300, grace)).outcome, 'rotated');
      const retry = await store.sessions.rotate('old-app', 'h3', 'h5', T0 + 400, grace);
      assert.equal(retry.outcome === 'rotated' && retry.retried, true);
    } finally {
      await store.close();
      removeDbFiles(path);
    }
  });
});

describe('sqlite adapter: migration 2 (one wallet per app)', () => {
  it('duplicate wallets keep the oldest credential; the rest are moved aside and listed; old apps read requireWalletProof false', async () => {
    const path = tempFile();
    const db = openSqliteDatabase(path);
    try {
      applyMigrations(db, T0, MIGRATIONS.slice(0, 1));
      const app = db.prepare(
        'INSERT INTO apps (id, name, secrets, rp_id, origins, settings, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      const { requireWalletProof: _, ...oldSettings } = makeApp().settings;
      app.run('old-app', 'old', '[]', null, '[]', JSON.stringify(oldSettings), T0);
      app.run(
        'set-app',
        'set',
        '[]',
        null,
        '[]',
        JSON.stringify({ ...oldSettings, requireWalletProof: true }),
        T0,
      );
      const cred = db.prepare(
        `INSERT INTO credentials (app_id, id, user_id, type, label, device_id, account, public_key, counter, created_at, last_used_at)
         VALUES (?, ?, ?, ?, NULL, NULL, ?, '{}', 0, ?, NULL)`,
      );
      cred.run('old-app', 'c-victim', 'victim', 'eth', '0xabc', T0);
      cred.run('old-app', 'c-thief', 'thief', 'eth', '0xabc', T0 + 5);
      cred.run('old-app', 'c-thief2', 'thief2', 'eth', '0xabc', T0 + 9);
      cred.run('old-app', 'b-same-ms', 'bob', 'eos', 'bobacct', T0);
      cred.run('old-app', 'a-same-ms', 'carol', 'eos', 'bobacct', T0);
      cred.run('set-app', 'c-other-app', 'thief', 'eth', '0xabc', T0 + 5);
      cred.run('old-app', 'c-device-1', 'victim', 'device', null, T0);
    } finally {
      db.close();
    }
    const store = createSqliteStore({ path });
    try {
      assert.deepEqual(
        (await store.credentials.findByAccount('old-app', 'eth', '0xabc')).map((c) => c.userId),
        ['victim'],
      );
      // Same millisecond: the smaller id is the older row.
      assert.deepEqual(
        (await store.credentials.findByAccount('old-app', 'eos', 'bobacct')).map((c) => c.id),
        ['a-same-ms'],
      );
      assert.equal((await store.credentials.findByAccount('set-app', 'eth', '0xabc')).length, 1);
      const displaced = await store.credentials.listDisplaced();
      assert.deepEqual(displaced.map((d) => [d.appId, d.id, d.userId, d.keptId, d.keptUserId]).sort(), [
        ['old-app', 'b-same-ms', 'bob', 'a-same-ms', 'carol'],
        ['old-app', 'c-thief', 'thief', 'c-victim', 'victim'],
        ['old-app', 'c-thief2', 'thief2', 'c-victim', 'victim'],
      ]);
      assert.equal((await store.credentials.listByUser('old-app', 'victim')).length, 2);
      assert.equal((await store.apps.get('old-app'))!.settings.requireWalletProof, false);
      assert.equal((await store.apps.get('set-app'))!.settings.requireWalletProof, true);
      await assert.rejects(
        store.credentials.create(makeCredential('old-app', { type: 'eth', account: '0xabc' })),
        (e: unknown) => isSignetError(e, 'conflict'),
      );
      // What `signet serve` logs at start: one warning for the app, naming each displaced credential.
      const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
      const count = await reportDisplacedCredentials({
        store,
        log: {
          info: () => {},
          warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }),
        },
      } as unknown as Deps);
      assert.equal(count, 3);
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.fields['appId'], 'old-app');
      assert.deepEqual(
        (warnings[0]!.fields['displaced'] as Array<{ credentialId: string }>)
          .map((d) => d.credentialId)
          .sort(),
        ['b-same-ms', 'c-thief', 'c-thief2'],
      );
    } finally {
      await store.close();
    }
  });
});

runStoreConformance('sqlite file, group commit off', async (clock) => {
  const path = tempFile();
  const store = createSqliteStore({ path, clock, groupCommit: false });
  return {
    store,
    cleanup: async () => {
      await store.close();
      removeDbFiles(path);
    },
  };
});

describe('sqlite adapter: group commit', () => {
  it('writes started in one event-loop turn share one commit, and no caller hears back before it', async () => {
    const path = tempFile();
    const events: string[] = [];
    const store = createSqliteStore({ path, clock: () => T0, onCommit: (n) => events.push(`commit ${n}`) });
    try {
      const a = makeApp();
      await store.apps.create(a); // alone: its own transaction, a "group" of one
      assert.deepEqual(events, ['commit 1']);
      const c = makeChallenge(a.id);
      await store.challenges.put(c);
      events.length = 0;
      const consumes = Array.from({ length: 50 }, (_, i) =>
        store.challenges.consume(a.id, c.id).then((r) => {
          events.push(`settled ${i}`);
          return r;
        }),
      );
      const winners = (await Promise.all(consumes)).filter((r) => r !== null);
      assert.equal(winners.length, 1);
      assert.equal(events[0], 'commit 50', 'one commit for the 50, before any caller settled');
      assert.equal(events.length, 51);
    } finally {
      await store.close();
      removeDbFiles(path);
    }
  });

  it('a refused write in a group is rolled back to its savepoint; the group commits once', async () => {
    const path = tempFile();
    const commits: number[] = [];
    const store = createSqliteStore({ path, clock: () => T0, onCommit: (n) => commits.push(n) });
    try {
      const k1 = makeSigningKey(T0);
      const k2 = makeSigningKey(T0 + 10);
      await store.signingKeys.rotate(k1);
      await store.signingKeys.rotate(k2);
      const a = makeApp();
      await store.apps.create(a);
      commits.length = 0;
      const c = makeChallenge(a.id);
      const [put, rotated, replay] = await Promise.allSettled([
        store.challenges.put(c),
        store.signingKeys.rotate({ ...k1, createdAt: T0 + 20 }),
        store.replay.remember('group-key', 60_000),
      ]);
      assert.deepEqual(commits, [3]);
      assert.equal(put.status, 'fulfilled');
      assert.equal(rotated.status, 'rejected');
      assert.ok(isSignetError((rotated as PromiseRejectedResult).reason, 'conflict'));
      assert.deepEqual(replay, { status: 'fulfilled', value: true });
      // Checked on a second connection: what is on disk, not what this connection caches.
      const raw = new BetterSqlite3(path, { readonly: true });
      try {
        const active = raw.prepare('SELECT kid FROM signing_keys WHERE retired_at IS NULL').all();
        assert.deepEqual(active, [{ kid: k2.kid }], 'the retire of k2 was undone with the refused insert');
        assert.equal(count(raw, 'challenges'), 1);
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
      removeDbFiles(path);
    }
  });

  it('close commits the writes already started; they are there after a reopen', async () => {
    const path = tempFile();
    const store = createSqliteStore({ path, clock: () => T0 });
    const a = makeApp();
    await store.apps.create(a);
    const challenges = Array.from({ length: 10 }, () => makeChallenge(a.id));
    const puts = challenges.map((c) => store.challenges.put(c));
    await store.close();
    await Promise.all(puts);
    await assert.rejects(store.challenges.put(makeChallenge(a.id)), (e) =>
      isSignetError(e, 'store_unavailable'),
    );
    const again = createSqliteStore({ path, clock: () => T0 });
    try {
      for (const c of challenges) assert.deepEqual(await again.challenges.consume(a.id, c.id), c);
    } finally {
      await again.close();
      removeDbFiles(path);
    }
  });
});
