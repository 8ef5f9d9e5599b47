// The webhook delivery worker against a real local HTTP receiver that verifies every request
// with the `standardwebhooks` library, over real stores (a SQLite file, and Postgres for two
// dispatchers at once). Time that the dispatcher reads (back-off, leases, dead-lettering) is a
// movable clock starting at the real now, so the receiver's 5-minute tolerance holds.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createWebhookDispatcher,
  emitWebhookEvent,
  generateWebhookSecret,
  type WebhookDispatcherOptions,
} from '../../src/core/webhooks/index.js';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import type { Store } from '../../src/store/types.js';
import { dropSchema, eventually, TEST_DATABASE_URL, uniqueName } from '../cluster/services.js';
import { createMovableClock, makeApp } from '../store/conformance.js';
import { startReceiver } from './receiver.js';

const random = (n: number) => new Uint8Array(randomBytes(n));
const dir = mkdtempSync(join(tmpdir(), 'signet-webhooks-'));
const schema = uniqueName();
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchema(schema);
});

/** A store on a movable clock that starts at the real now (the receiver checks timestamps against it). */
function sqliteOnClock() {
  const clock = createMovableClock(Date.now());
  return { clock, store: createSqliteStore({ path: ':memory:', clock }) };
}

async function setup(store: Store, secrets: string[], url: string, clock = createMovableClock(Date.now())) {
  const app = makeApp();
  await store.apps.create(app);
  const options: WebhookDispatcherOptions = {
    store: store.webhooks,
    fetch,
    clock,
    random,
    resolveEndpoint: async (appId) => (appId === app.id ? { url, secrets } : null),
    leaseMs: 10_000,
    timeoutMs: 1000,
    pollIntervalMs: 20,
    retry: { baseMs: 1000, factor: 2, maxMs: 60_000, jitter: 0 },
    deadAfterMs: 3_600_000,
  };
  const emit = (type: Parameters<typeof emitWebhookEvent>[2], data: Record<string, unknown>) =>
    emitWebhookEvent({ store, clock, random }, app.id, type, data);
  return { app, clock, options, emit };
}

describe('webhook dispatcher over a real HTTP receiver', () => {
  it('delivers a signed event the library verifies; the message is delivered once', async () => {
    const secret = generateWebhookSecret(random);
    const receiver = await startReceiver({ secret });
    const store = createSqliteStore({ path: ':memory:' });
    try {
      const { app, options, emit } = await setup(store, [secret], receiver.url);
      const id = await emit('login.succeeded', { userId: 'u-1', credentialId: 'cred_1', scheme: 'device' });
      const dispatcher = createWebhookDispatcher(options);
      assert.deepEqual(await dispatcher.runOnce(), { claimed: 1, delivered: 1, retried: 0, dead: 0 });
      assert.equal(receiver.received.length, 1);
      const got = receiver.received[0]!;
      assert.equal(got.verified, true);
      assert.equal(got.id, id);
      assert.equal(got.body.type, 'login.succeeded');
      assert.deepEqual(got.body.data, { userId: 'u-1', credentialId: 'cred_1', scheme: 'device' });
      assert.equal((await store.webhooks.get(app.id, id))?.status, 'delivered');
      assert.deepEqual(await dispatcher.runOnce(), { claimed: 0, delivered: 0, retried: 0, dead: 0 });
      assert.equal(receiver.received.length, 1, 'never sent twice');
    } finally {
      await store.close();
      await receiver.close();
    }
  });

  it('retries with exponential back-off after the receiver fails (500, then a timeout, then a redirect), then delivers with the same webhook-id', async () => {
    const secret = generateWebhookSecret(random);
    const receiver = await startReceiver({ secret });
    const { store, clock: storeClock } = sqliteOnClock();
    try {
      const { app, clock, options, emit } = await setup(store, [secret], receiver.url, storeClock);
      const id = await emit('credential.created', { userId: 'u-1', credentialId: 'cred_2', type: 'device' });
      const dispatcher = createWebhookDispatcher(options);
      receiver.answers.push(500, 'hang', 302);

      assert.equal((await dispatcher.runOnce()).retried, 1);
      let m = await store.webhooks.get(app.id, id);
      assert.equal(m?.lastError, 'http_500');
      assert.equal(m?.nextAttemptAt, clock() + 1000, 'first back-off: baseMs');
      assert.equal((await dispatcher.runOnce()).claimed, 0, 'not due before the back-off');

      clock.advance(1000);
      assert.equal((await dispatcher.runOnce()).retried, 1);
      m = await store.webhooks.get(app.id, id);
      assert.equal(m?.lastError, 'timeout');
      assert.equal(m?.nextAttemptAt, clock() + 2000, 'second back-off: doubled');

      clock.advance(2000);
      assert.equal((await dispatcher.runOnce()).retried, 1);
      m = await store.webhooks.get(app.id, id);
      assert.equal(m?.lastError, 'http_302', 'a redirect is not followed');
      assert.equal(m?.nextAttemptAt, clock() + 4000);

      clock.advance(4000);
      assert.equal((await dispatcher.runOnce()).delivered, 1);
      m = await store.webhooks.get(app.id, id);
      assert.equal(m?.status, 'delivered');
      assert.equal(m?.attempts, 4);
      assert.deepEqual(
        receiver.received.map((r) => [r.id, r.verified]),
        [
          [id, true],
          [id, true],
          [id, true],
          [id, true],
        ],
      );
      // Each attempt is signed at its own time (webhook-timestamp moves, the id does not).
      const stamps = receiver.received.map((r) => r.timestamp);
      assert.ok(stamps[3]! >= stamps[0]! + 7, JSON.stringify(stamps));
    } finally {
      await store.close();
      await receiver.close();
    }
  });

  it('dead-letters after deadAfterMs of failures; redeliver sends it again once the receiver is back', async () => {
    const secret = generateWebhookSecret(random);
    const receiver = await startReceiver({ secret });
    const { store, clock: storeClock } = sqliteOnClock();
    try {
      const { app, clock, options, emit } = await setup(store, [secret], receiver.url, storeClock);
      const dispatcher = createWebhookDispatcher({ ...options, deadAfterMs: 5000 });
      const id = await emit('token.revoked', { jti: 'tok_1', userId: 'u-1' });
      receiver.answers.push(503, 503, 503);
      assert.equal((await dispatcher.runOnce()).retried, 1); // next at +1 s
      clock.advance(1000);
      assert.equal((await dispatcher.runOnce()).retried, 1); // next at +2 s (3 s into the cycle)
      clock.advance(2000);
      // The next back-off (4 s) would end 7 s into the cycle, past 5 s: dead.
      assert.equal((await dispatcher.runOnce()).dead, 1);
      const dead = await store.webhooks.listDead(app.id, { limit: 10 });
      assert.deepEqual(
        dead.map((d) => [d.id, d.lastError, d.attempts]),
        [[id, 'http_503', 3]],
      );
      clock.advance(60_000);
      assert.equal((await dispatcher.runOnce()).claimed, 0, 'a dead letter is not retried by itself');

      assert.equal(await store.webhooks.redeliver(app.id, id, clock()), true);
      assert.equal((await dispatcher.runOnce()).delivered, 1);
      assert.equal(receiver.received.at(-1)?.id, id);
      assert.equal(receiver.received.at(-1)?.verified, true);
      assert.deepEqual(await store.webhooks.listDead(app.id, { limit: 10 }), []);
    } finally {
      await store.close();
      await receiver.close();
    }
  });

  it('secret rotation: signed with both secrets, a receiver still on the old one verifies', async () => {
    const oldSecret = generateWebhookSecret(random);
    const newSecret = generateWebhookSecret(random);
    const receiver = await startReceiver({ secret: oldSecret });
    const store = createSqliteStore({ path: ':memory:' });
    try {
      const { options, emit } = await setup(store, [newSecret, oldSecret], receiver.url);
      await emit('login.failed', { userId: null, scheme: 'eth', reason: 'signature_invalid' });
      assert.equal((await createWebhookDispatcher(options).runOnce()).delivered, 1);
      assert.equal(receiver.received[0]?.verified, true);
    } finally {
      await store.close();
      await receiver.close();
    }
  });

  it('an app with webhooks turned off: its messages are dead-lettered as webhooks_disabled, nothing is sent', async () => {
    const secret = generateWebhookSecret(random);
    const receiver = await startReceiver({ secret });
    const store = createSqliteStore({ path: ':memory:' });
    try {
      const { app, options, emit } = await setup(store, [secret], receiver.url);
      const id = await emit('login.succeeded', { userId: 'u' });
      const off = createWebhookDispatcher({ ...options, resolveEndpoint: async () => null });
      assert.equal((await off.runOnce()).dead, 1);
      assert.equal((await store.webhooks.get(app.id, id))?.lastError, 'webhooks_disabled');
      assert.equal(receiver.received.length, 0);
    } finally {
      await store.close();
      await receiver.close();
    }
  });

  it('survives a crash and a restart: a message claimed by a node that died is delivered by the next one after the lease; start/stop deliver what is queued', async () => {
    const secret = generateWebhookSecret(random);
    const receiver = await startReceiver({ secret });
    const path = join(dir, `${randomUUID()}.db`);
    const clock = createMovableClock(Date.now());
    let store = createSqliteStore({ path, clock });
    const app = makeApp();
    await store.apps.create(app);
    const emitDeps = () => ({ store, clock, random });
    const crashed = await emitWebhookEvent(emitDeps(), app.id, 'credential.deleted', { credentialId: 'c1' });
    // Node A claims it and dies before sending: its lease stays in the file.
    const leased = await store.webhooks.claim('lease_node_a', 10, 10_000);
    assert.deepEqual(
      leased.map((m) => m.id),
      [crashed],
    );
    await store.close();

    // Restart: a new process opens the same file; another event is queued meanwhile.
    store = createSqliteStore({ path, clock });
    const queued = await emitWebhookEvent(emitDeps(), app.id, 'login.succeeded', { userId: 'u-9' });
    const options: WebhookDispatcherOptions = {
      store: store.webhooks,
      fetch,
      clock,
      random,
      resolveEndpoint: async () => ({ url: receiver.url, secrets: [secret] }),
      leaseMs: 10_000,
      timeoutMs: 1000,
      pollIntervalMs: 20,
    };
    try {
      const b = createWebhookDispatcher(options);
      b.start();
      b.start(); // idempotent
      await eventually(
        async () => receiver.received.some((r) => r.id === queued),
        10_000,
        'the queued event',
      );
      assert.equal(
        receiver.received.some((r) => r.id === crashed),
        false,
        'not while node A’s lease lives',
      );
      clock.advance(10_000);
      await eventually(
        async () => receiver.received.some((r) => r.id === crashed),
        10_000,
        'the crashed event',
      );
      await b.stop();
      assert.equal((await store.webhooks.get(app.id, crashed))?.attempts, 2, 'A’s attempt and B’s');

      // Stopped: an event queued now waits; a restarted dispatcher delivers it.
      const later = await emitWebhookEvent(emitDeps(), app.id, 'token.revoked', { jti: 't' });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(
        receiver.received.some((r) => r.id === later),
        false,
        'nothing runs after stop()',
      );
      await store.close();
      store = createSqliteStore({ path, clock });
      const c = createWebhookDispatcher({ ...options, store: store.webhooks });
      c.start();
      await eventually(async () => receiver.received.some((r) => r.id === later), 10_000, 'the later event');
      await c.stop();
      assert.ok(receiver.received.every((r) => r.verified));
      for (const id of [crashed, queued, later]) {
        assert.equal(receiver.received.filter((r) => r.id === id).length, 1, `${id} delivered once`);
      }
    } finally {
      await store.close();
      await receiver.close();
    }
  });

  it('two dispatchers (two nodes, two Postgres pools) on one outbox: every event delivered exactly once', async () => {
    const secret = generateWebhookSecret(random);
    const receiver = await startReceiver({ secret });
    const nodeA = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
    const nodeB = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
    try {
      const { app, options, emit } = await setup(nodeA, [secret], receiver.url);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push(await emit('login.succeeded', { userId: `u-${i}` }));
      const a = createWebhookDispatcher({ ...options, batchSize: 3 });
      const b = createWebhookDispatcher({ ...options, store: nodeB.webhooks, batchSize: 3 });
      a.start();
      b.start();
      await eventually(
        async () => ids.every((id) => receiver.received.some((r) => r.id === id)),
        30_000,
        'all 40 events',
      );
      await Promise.all([a.stop(), b.stop()]);
      for (const id of ids) {
        assert.equal(receiver.received.filter((r) => r.id === id).length, 1, `${id} sent once`);
        assert.equal((await nodeB.webhooks.get(app.id, id))?.status, 'delivered');
      }
      assert.ok(receiver.received.every((r) => r.verified));
    } finally {
      await nodeA.close();
      await nodeB.close();
      await receiver.close();
    }
  });

  it('back-off jitter: the delay is scaled within ±jitter by the random source (low and high ends)', async () => {
    const secret = generateWebhookSecret(random);
    const receiver = await startReceiver({ secret });
    const { store, clock } = sqliteOnClock();
    try {
      const { app, options, emit } = await setup(store, [secret], receiver.url, clock);
      for (const [byte, expected] of [
        [0x00, 800],
        [0xff, 1200],
      ] as const) {
        const id = await emit('login.failed', { reason: 'signature_invalid' });
        receiver.answers.push(500);
        const dispatcher = createWebhookDispatcher({
          ...options,
          random: (n) => new Uint8Array(n).fill(byte),
          retry: { baseMs: 1000, factor: 2, maxMs: 60_000, jitter: 0.2 },
        });
        assert.equal((await dispatcher.runOnce()).retried, 1);
        assert.equal((await store.webhooks.get(app.id, id))?.nextAttemptAt, clock() + expected);
        clock.advance(expected);
        assert.equal((await dispatcher.runOnce()).delivered, 1);
      }
    } finally {
      await store.close();
      await receiver.close();
    }
  });

  it('options are checked when the dispatcher is built', () => {
    const store = createSqliteStore({ path: ':memory:' });
    const base: WebhookDispatcherOptions = {
      store: store.webhooks,
      fetch,
      clock: Date.now,
      random,
      resolveEndpoint: async () => null,
    };
    assert.doesNotThrow(() => createWebhookDispatcher(base));
    assert.throws(() => createWebhookDispatcher({ ...base, leaseMs: 1000, timeoutMs: 1000 }), TypeError);
    assert.throws(() => createWebhookDispatcher({ ...base, batchSize: 0 }), TypeError);
    assert.throws(() => createWebhookDispatcher({ ...base, batchSize: 1000 }), TypeError);
    assert.throws(() => createWebhookDispatcher({ ...base, retry: { factor: 0.5 } }), TypeError);
    assert.throws(() => createWebhookDispatcher({ ...base, fetch: undefined as never }), TypeError);
    void store.close();
  });
});
