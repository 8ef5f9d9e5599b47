import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { isSignetError } from '../../src/errors/SignetError.js';
import { openStore } from '../../src/store/openStore.js';
import { applyPostgresMigrations } from '../../src/store/postgres/applyPostgresMigrations.js';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import type { Store } from '../../src/store/types.js';
import {
  dropSchema,
  eventually,
  sqlOnce,
  startTcpProxy,
  TEST_DATABASE_URL,
  uniqueName,
} from '../cluster/services.js';
import { makeApp, runStoreConformance } from './conformance.js';

const schemas: string[] = [];
function newSchema(): string {
  const schema = uniqueName();
  schemas.push(schema);
  return schema;
}
after(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

const shared = newSchema();
runStoreConformance('postgres', async (clock) => {
  const store = await createPostgresStore({ url: TEST_DATABASE_URL, schema: shared, clock });
  return { store, cleanup: () => store.close() };
});

const T0 = 1_767_225_600_000;

function code(c: string) {
  return (e: unknown) => isSignetError(e) && e.code === c;
}

/** A database URL through a proxy port on 127.0.0.1. */
function viaPort(port: number): string {
  const url = new URL(TEST_DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

describe('postgres store: migrations', () => {
  it('eight stores opening one new schema at once migrate it exactly once', async () => {
    const schema = newSchema();
    const stores = await Promise.all(
      Array.from({ length: 8 }, () => createPostgresStore({ url: TEST_DATABASE_URL, schema })),
    );
    try {
      const ledger = await sqlOnce<{ version: number }>(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      assert.deepEqual(
        ledger.map((r) => r.version),
        POSTGRES_MIGRATIONS.map((m) => m.version),
      );
      await Promise.all(stores.map((s) => s.ping()));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('a re-open applies nothing; a schema newer than this code is refused with store_unavailable', async () => {
    const schema = newSchema();
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    try {
      assert.deepEqual(await applyPostgresMigrations(pool, { schema, appliedAt: T0 }), {
        schema,
        applied: POSTGRES_MIGRATIONS.map((m) => m.version),
      });
      assert.deepEqual(await applyPostgresMigrations(pool, { schema, appliedAt: T0 }), {
        schema,
        applied: [],
      });
      await pool.query(
        `INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`,
      );
      await assert.rejects(
        applyPostgresMigrations(pool, { schema, appliedAt: T0 }),
        code('store_unavailable'),
      );
    } finally {
      await pool.end();
    }
  });

  it('a failing migration leaves the schema as it was', async () => {
    const schema = newSchema();
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    try {
      await applyPostgresMigrations(pool, { schema, appliedAt: T0 });
      const broken = [
        ...POSTGRES_MIGRATIONS,
        {
          version: POSTGRES_MIGRATIONS.length + 1,
          name: 'broken',
          sql: 'CREATE TABLE ok_then (x int); SELECT nonsense FROM nowhere;',
        },
      ];
      await assert.rejects(applyPostgresMigrations(pool, { schema, appliedAt: T0, migrations: broken }));
      const tables = await sqlOnce<{ n: string }>(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'ok_then'",
        [schema],
      );
      assert.equal(Number(tables[0]?.n), 0);
      assert.deepEqual(await applyPostgresMigrations(pool, { schema, appliedAt: T0 }), {
        schema,
        applied: [],
      });
    } finally {
      await pool.end();
    }
  });

  it('without a schema option it uses the connection search_path (URL options)', async () => {
    const schema = newSchema();
    await sqlOnce(`CREATE SCHEMA "${schema}"`);
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-csearch_path=${schema}`);
    const store = await createPostgresStore({ url: url.toString() });
    try {
      const a = makeApp();
      await store.apps.create(a);
      const rows = await sqlOnce<{ id: string }>(`SELECT id FROM "${schema}".apps`);
      assert.deepEqual(
        rows.map((r) => r.id),
        [a.id],
      );
    } finally {
      await store.close();
    }
  });
});

describe('postgres store: errors', () => {
  it('a database that cannot be reached at start rejects with store_unavailable, quickly', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    await proxy.cut();
    const started = Date.now();
    await assert.rejects(
      createPostgresStore({
        url: viaPort(proxy.port),
        schema: newSchema(),
        connection: { connectTimeoutMillis: 1000 },
      }),
      code('store_unavailable'),
    );
    assert.ok(Date.now() - started < 5000);
  });

  it('while the database is unreachable every call rejects with store_unavailable; it recovers by itself', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    const store = await createPostgresStore({
      url: viaPort(proxy.port),
      schema: newSchema(),
      connection: { connectTimeoutMillis: 1000, queryTimeoutMillis: 2000 },
    });
    try {
      const a = makeApp();
      await store.apps.create(a);
      await store.challenges.put({
        id: 'c1',
        appId: a.id,
        type: 'device',
        value: 'v',
        userId: null,
        data: null,
        expiresAt: Date.now() + 60_000,
      });

      await proxy.cut();
      const calls: Array<() => Promise<unknown>> = [
        () => store.ping(),
        () => store.apps.get(a.id),
        () => store.challenges.consume(a.id, 'c1'),
        () => store.replay.remember(`k_${randomUUID()}`, 1000),
        () => store.rateLimits.hit(`k_${randomUUID()}`, 1000),
        () =>
          store.credentials.create({
            id: randomUUID(),
            appId: a.id,
            userId: 'u',
            type: 'device',
            label: null,
            deviceId: 'd',
            account: null,
            publicKey: {},
            counter: 0,
            createdAt: T0,
            lastUsedAt: null,
          }),
      ];
      for (const call of calls) await assert.rejects(call(), code('store_unavailable'));

      await proxy.restore();
      await eventually(async () => (await store.ping(), true), 5000, 'the store to answer again');
      // Fail closed meant nothing was consumed: the challenge is still there, exactly once.
      assert.equal((await store.challenges.consume(a.id, 'c1'))?.value, 'v');
      assert.equal(await store.challenges.consume(a.id, 'c1'), null);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('connections killed by the server are replaced (after at most store_unavailable)', async () => {
    const name = `signet_kill_${randomUUID().slice(0, 8)}`;
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, application_name: name, max: 3 });
    const store = await createPostgresStore({ pool, schema: newSchema() });
    try {
      await Promise.all([store.ping(), store.ping(), store.ping()]);
      await sqlOnce('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        name,
      ]);
      await eventually(
        async () => {
          try {
            await store.ping();
            return true;
          } catch (e) {
            assert.ok(code('store_unavailable')(e), `unexpected ${String(e)}`);
            return false;
          }
        },
        5000,
        'a fresh connection',
      );
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it('values Postgres cannot store (a NUL byte) are invalid_request, not a crash; unknown app is not_found', async () => {
    const store = await createPostgresStore({ url: TEST_DATABASE_URL, schema: shared });
    try {
      const a = makeApp();
      await store.apps.create(a);
      await assert.rejects(store.credentials.listByUser(a.id, 'bad\u0000user'), code('invalid_request'));
      await assert.rejects(
        store.challenges.put({
          id: randomUUID(),
          appId: `app_${randomUUID()}`,
          type: 'device',
          value: 'v',
          userId: null,
          data: null,
          expiresAt: T0,
        }),
        code('not_found'),
      );
      await store.ping();
    } finally {
      await store.close();
    }
  });

  it('a pool passed in is not ended by close()', async () => {
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    const store: Store = await createPostgresStore({ pool, schema: shared });
    await store.close();
    await assert.rejects(store.ping(), code('store_unavailable'));
    assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
    await pool.end();
  });
});

describe('openStore: postgres URLs', () => {
  it('postgres:// and postgresql:// with ?schema= open the Postgres store', async () => {
    for (const scheme of ['postgres', 'postgresql']) {
      const schema = newSchema();
      const url = new URL(TEST_DATABASE_URL);
      url.searchParams.set('schema', schema);
      const store = await openStore({ databaseUrl: url.toString().replace(/^postgres(ql)?:/, `${scheme}:`) });
      try {
        assert.equal(store.kind, 'postgres');
        const a = makeApp();
        await store.apps.create(a);
        assert.equal((await sqlOnce<{ id: string }>(`SELECT id FROM "${schema}".apps`))[0]?.id, a.id);
      } finally {
        await store.close();
      }
    }
  });

  it('refuses a bad Redis URL before touching the database, and Redis with SQLite', async () => {
    await assert.rejects(
      openStore({
        databaseUrl: `${TEST_DATABASE_URL}?schema=${newSchema()}`,
        redisUrl: 'http://127.0.0.1:6379',
      }),
      code('invalid_request'),
    );
    await assert.rejects(
      openStore({ databaseUrl: 'sqlite::memory:', redisUrl: 'redis://127.0.0.1:6379' }),
      code('invalid_request'),
    );
    await assert.rejects(openStore({ databaseUrl: 'mysql://x' }), code('invalid_request'));
  });

  it('an unreachable Redis fails the open with store_unavailable', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    await proxy.cut();
    await assert.rejects(
      openStore({
        databaseUrl: `${TEST_DATABASE_URL}?schema=${newSchema()}`,
        redisUrl: `redis://127.0.0.1:${proxy.port}`,
      }),
      code('store_unavailable'),
    );
  });
});

describe('postgres store: migration 6 (refresh token successor)', () => {
  it('a token spent before the migration has no successor: presenting it again is reuse, as before; later rotations record one', async () => {
    const schema = newSchema();
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    try {
      await applyPostgresMigrations(pool, {
        schema,
        appliedAt: T0,
        migrations: POSTGRES_MIGRATIONS.slice(0, 5),
      });
      await pool.query(
        `INSERT INTO "${schema}".apps (id, name, secrets, rp_id, origins, settings, created_at)
         VALUES ('old-app', 'old', '[]', NULL, '[]', $1::jsonb, ${T0})`,
        [JSON.stringify(makeApp().settings)],
      );
      for (const id of ['sid_old', 'sid_current'])
        await pool.query(
          `INSERT INTO "${schema}".session_families
           (app_id, id, user_id, credential_id, amr, created_at, expires_at, refreshed_at, revoked_at, revoked_reason)
           VALUES ('old-app', $1, 'alice', NULL, 'device', ${T0}, ${T0 + 86_400_000}, NULL, NULL, NULL)`,
          [id],
        );
      const token = `INSERT INTO "${schema}".refresh_tokens (hash, app_id, family_id, issued_at, used_at)
        VALUES ($1, 'old-app', $2, $3, $4)`;
      // sid_old: h1 spent just before the upgrade, h2 current; sid_current: h3 current.
      await pool.query(token, ['h1', 'sid_old', T0, T0 + 100]);
      await pool.query(token, ['h2', 'sid_old', T0 + 100, null]);
      await pool.query(token, ['h3', 'sid_current', T0, null]);
    } finally {
      await pool.end();
    }
    const store = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
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
    }
  });
});

describe('postgres store: migration 2 (one wallet per app)', () => {
  it('duplicate wallets keep the oldest credential; the rest are moved aside and listed; old apps read requireWalletProof false', async () => {
    const schema = newSchema();
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    try {
      await applyPostgresMigrations(pool, {
        schema,
        appliedAt: T0,
        migrations: POSTGRES_MIGRATIONS.slice(0, 1),
      });
      const { requireWalletProof: _, ...oldSettings } = makeApp().settings;
      const app = `INSERT INTO "${schema}".apps (id, name, secrets, rp_id, origins, settings, created_at)
        VALUES ($1, $1, '[]', NULL, '[]', $2::jsonb, ${T0})`;
      await pool.query(app, ['old-app', JSON.stringify(oldSettings)]);
      await pool.query(app, ['set-app', JSON.stringify({ ...oldSettings, requireWalletProof: true })]);
      const cred = `INSERT INTO "${schema}".credentials
        (app_id, id, user_id, type, label, device_id, account, public_key, counter, created_at, last_used_at)
        VALUES ($1, $2, $3, $4, NULL, NULL, $5, '{}', 0, $6, NULL)`;
      await pool.query(cred, ['old-app', 'c-victim', 'victim', 'eth', '0xabc', T0]);
      await pool.query(cred, ['old-app', 'c-thief', 'thief', 'eth', '0xabc', T0 + 5]);
      await pool.query(cred, ['old-app', 'b-same-ms', 'bob', 'eos', 'bobacct', T0]);
      await pool.query(cred, ['old-app', 'a-same-ms', 'carol', 'eos', 'bobacct', T0]);
      await pool.query(cred, ['set-app', 'c-other-app', 'thief', 'eth', '0xabc', T0 + 5]);
    } finally {
      await pool.end();
    }
    const store = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
    try {
      assert.deepEqual(
        (await store.credentials.findByAccount('old-app', 'eth', '0xabc')).map((c) => c.userId),
        ['victim'],
      );
      assert.deepEqual(
        (await store.credentials.findByAccount('old-app', 'eos', 'bobacct')).map((c) => c.id),
        ['a-same-ms'],
      );
      assert.equal((await store.credentials.findByAccount('set-app', 'eth', '0xabc')).length, 1);
      assert.deepEqual(
        (await store.credentials.listDisplaced())
          .map((d) => [d.appId, d.id, d.userId, d.keptId, d.keptUserId])
          .sort(),
        [
          ['old-app', 'b-same-ms', 'bob', 'a-same-ms', 'carol'],
          ['old-app', 'c-thief', 'thief', 'c-victim', 'victim'],
        ],
      );
      assert.equal((await store.apps.get('old-app'))!.settings.requireWalletProof, false);
      assert.equal((await store.apps.get('set-app'))!.settings.requireWalletProof, true);
    } finally {
      await store.close();
    }
  });
});
