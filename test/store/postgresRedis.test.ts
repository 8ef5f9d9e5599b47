import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { isSignetError } from '../../src/errors/SignetError.js';
import { openStore } from '../../src/store/openStore.js';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';
import {
  createRedisShortLived,
  EXPIRED_GRACE_MS,
  REDIS_DEFAULTS,
} from '../../src/store/redis/createRedisShortLived.js';
import { withShortLived } from '../../src/store/redis/withShortLived.js';
import type { Challenge } from '../../src/store/types.js';
import {
  deleteRedisPrefix,
  dropSchema,
  eventually,
  redisKeys,
  sqlOnce,
  startTcpProxy,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from '../cluster/services.js';
import { createMovableClock, runStoreConformance } from './conformance.js';

const schema = uniqueName();
const prefix = `${uniqueName()}:`;
after(async () => {
  await dropSchema(schema);
  await deleteRedisPrefix(prefix);
});

runStoreConformance('postgres + redis', async (clock) => {
  const durable = await createPostgresStore({ url: TEST_DATABASE_URL, schema, clock });
  const shortLived = await createRedisShortLived({ url: TEST_REDIS_URL, prefix, clock }).catch(
    async (e: unknown) => {
      await durable.close();
      throw e;
    },
  );
  const store = withShortLived(durable, shortLived);
  return { store, cleanup: () => store.close() };
});

function code(c: string) {
  return (e: unknown) => isSignetError(e) && e.code === c;
}

function challenge(overrides: Partial<Challenge> = {}): Challenge {
  return {
    id: `ch_${randomUUID()}`,
    appId: `app_${randomUUID()}`,
    type: 'device',
    value: 'v',
    userId: null,
    data: null,
    expiresAt: Date.now() + 60_000,
    ...overrides,
  };
}

describe('redis short-lived store', () => {
  it('keeps short-lived data out of Postgres, under the prefix, every key with a TTL', async () => {
    const clock = createMovableClock(Date.now());
    const store = await openStore({
      databaseUrl: `${TEST_DATABASE_URL}?schema=${schema}`,
      redisUrl: `${TEST_REDIS_URL}?prefix=${encodeURIComponent(prefix)}`,
      clock,
    });
    try {
      assert.equal(store.kind, 'postgres+redis');
      const c = challenge({ expiresAt: clock() + 1000 });
      await store.challenges.put(c);
      const rp = `rp_${randomUUID()}`;
      await store.replay.remember(rp, 5000);
      const rl = `rl_${randomUUID()}`;
      await store.rateLimits.hit(rl, 60_000);

      const keys = await redisKeys(prefix);
      const mine = [...keys].filter(([k]) => k.includes(c.id) || k.endsWith(rp) || k.endsWith(rl));
      assert.equal(mine.length, 3);
      for (const [key, ttl] of mine) assert.ok(ttl > 0, `${key} has a TTL`);
      const challengeTtl = mine.find(([k]) => k.includes(c.id))![1];
      assert.ok(challengeTtl > EXPIRED_GRACE_MS && challengeTtl <= 1000 + EXPIRED_GRACE_MS, 'expiry + grace');

      const inPg = await sqlOnce<{ n: string }>(
        `SELECT (SELECT count(*) FROM "${schema}".challenges WHERE id = $1) + (SELECT count(*) FROM "${schema}".replay_records WHERE key = $2) AS n`,
        [c.id, rp],
      );
      assert.equal(Number(inPg[0]?.n), 0);
    } finally {
      await store.close();
    }
  });

  it('an app id with ":" cannot reach another app’s challenge', async () => {
    const shortLived = await createRedisShortLived({ url: TEST_REDIS_URL, prefix });
    try {
      const c = challenge({ appId: 'a', id: 'b:c' });
      await shortLived.challenges.put(c);
      assert.equal(await shortLived.challenges.consume('a:b', 'c'), null);
      assert.deepEqual(await shortLived.challenges.consume('a', 'b:c'), c);
    } finally {
      await shortLived.close();
    }
  });

  it('a malformed challenge record is store_unavailable (fail closed), not a crash', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const shortLived = await createRedisShortLived({ url: TEST_REDIS_URL, prefix });
    try {
      await redis.set(`${prefix}ch:app:bad`, '{"id":"bad"}', 'PX', 60_000);
      await assert.rejects(shortLived.challenges.consume('app', 'bad'), code('store_unavailable'));
    } finally {
      await shortLived.close();
      redis.disconnect();
    }
  });

  it('while Redis is unreachable every call fails fast with store_unavailable; it recovers by itself', async () => {
    const proxy = await startTcpProxy({
      host: '127.0.0.1',
      port: new URL(TEST_REDIS_URL).port ? Number(new URL(TEST_REDIS_URL).port) : 6379,
    });
    const durable = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
    const store = withShortLived(
      durable,
      await createRedisShortLived({ url: `redis://127.0.0.1:${proxy.port}`, prefix }),
    );
    try {
      const c = challenge();
      await store.challenges.put(c);
      await proxy.cut();
      const started = Date.now();
      await assert.rejects(store.ping(), code('store_unavailable'));
      await assert.rejects(store.challenges.consume(c.appId, c.id), code('store_unavailable'));
      await assert.rejects(store.challenges.put(challenge()), code('store_unavailable'));
      await assert.rejects(store.replay.remember(`k_${randomUUID()}`, 1000), code('store_unavailable'));
      await assert.rejects(store.rateLimits.hit(`k_${randomUUID()}`, 1000), code('store_unavailable'));
      await assert.rejects(store.rateLimits.peek(`k_${randomUUID()}`, 1000), code('store_unavailable'));
      assert.ok(Date.now() - started < 3000, 'no waiting in a queue');
      // The durable part still answers.
      assert.equal(await store.apps.get(`app_${randomUUID()}`), null);

      await proxy.restore();
      await eventually(async () => (await store.ping(), true), 5000, 'Redis to answer again');
      assert.deepEqual(await store.challenges.consume(c.appId, c.id), c, 'nothing was consumed while down');
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('a client passed in is not closed by close(); the fail-fast defaults are exported', async () => {
    const client = new Redis(TEST_REDIS_URL, { ...REDIS_DEFAULTS, lazyConnect: true });
    await client.connect();
    const shortLived = await createRedisShortLived({ client, prefix });
    await shortLived.ping();
    await shortLived.close();
    await assert.rejects(shortLived.ping(), code('store_unavailable'));
    assert.equal(await client.ping(), 'PONG');
    client.disconnect();
  });
});
