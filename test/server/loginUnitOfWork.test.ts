// A login's writes as one unit of work (issue 13, docs/benchmarks.md "the login path"): on a
// real listening Signet over SQLite, the challenge consume, the counter compare-and-set, the
// session family, the audit record and the webhook event commit as one transaction
// (store.logins.commit), and nothing is answered before the commit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';
import { createRedisShortLived } from '../../src/store/redis/createRedisShortLived.js';
import { withShortLived } from '../../src/store/redis/withShortLived.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import {
  deleteRedisPrefix,
  dropSchema,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from '../cluster/services.js';
import { createTestClock, errorCode, listen, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let baseUrl: string;
const commits: number[] = [];

before(async () => {
  const clock = createTestClock();
  const store = createSqliteStore({ path: ':memory:', clock, onCommit: (n) => commits.push(n) });
  h = await startHarness({ clock, store, server: { issueLimitPerMinute: 0 } });
  baseUrl = await listen(h);
});
after(async () => {
  await h.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

test('a device login: consume, compare-and-set, session, audit record and webhook event commit as one transaction, the answer after it', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const reg = await h.signed('POST', '/v1/users/ada/credentials', {
    type: 'device',
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  assert.equal(reg.statusCode, 201, reg.body);
  // A webhook URL, so a login also enqueues a `login.succeeded` event.
  await h.store.apps.update({
    ...h.app,
    settings: { ...h.app.settings, webhookUrl: 'https://hooks.example/signet' },
  });

  // The first token a server signs creates its signing key, a write of its own that can land in
  // the login's group; reading the JWKS creates it now, so the group below is the login's alone.
  assert.equal((await fetch(`${baseUrl}/.well-known/jwks.json`)).status, 200);
  const ch = await post('/v1/challenges', { appId: h.app.id, type: 'device', userId: 'ada' });
  assert.equal(ch.status, 200);
  commits.length = 0;
  const ok = await post('/v1/verify', {
    appId: h.app.id,
    type: 'device',
    userId: 'ada',
    challengeId: ch.body['challengeId'],
    signature: sign('sha256', Buffer.from(String(ch.body['challenge'])), privateKey).toString('base64'),
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  // The whole login is one write of the group commit (store.logins.commit): the challenge
  // consume, the compare-and-set, the session, the audit record and the webhook event in one
  // transaction, alone in its turn here: one commit of one write. (Before the store-level unit of
  // work: the consume and the compare-and-set committed alone, then a group of three.)
  assert.deepEqual(commits, [1]);
  const sessions = await h.store.sessions.listActiveByUser(h.app.id, 'ada', h.clock());
  assert.equal(sessions.length, 1);
  const audit = await h.store.audit.list(h.app.id, { limit: 10, userId: 'ada', outcome: 'success' });
  assert.equal(audit.length, 1);
  const events = await h.store.webhooks.claim('test-lease', 10, 60_000);
  assert.deepEqual(
    events.map((e) => e.type),
    ['login.succeeded'],
  );

  // The same proof again: refused, and no session added.
  const signature = sign('sha256', Buffer.from(String(ch.body['challenge'])), privateKey).toString('base64');
  const again = await post('/v1/verify', {
    appId: h.app.id,
    type: 'device',
    userId: 'ada',
    challengeId: ch.body['challengeId'],
    signature,
  });
  assert.equal(again.status, 401);
  assert.equal((await h.store.sessions.listActiveByUser(h.app.id, 'ada', h.clock())).length, 1);
});

/** A device key registered for `userId` in the harness's app, and a signer over it. */
async function deviceUser(hx: Harness, userId: string): Promise<(message: string) => string> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const reg = await hx.signed('POST', `/v1/users/${userId}/credentials`, {
    type: 'device',
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  assert.equal(reg.statusCode, 201, reg.body);
  return (message) => sign('sha256', Buffer.from(message), privateKey).toString('base64');
}

/**
 * One proof sent 8 times at once: exactly one login commits (one 200, one session, one success
 * record), the others are refused as a spent challenge and write only their failure records.
 * Eight, so that the seven failures stay under the app's failure budget (10 per client and
 * subject): with more, a copy that reads the counters after ten failures were counted is
 * answered `rate_limited` instead, depending on timing.
 */
const COPIES = 8;

async function raceOneProof(hx: Harness): Promise<void> {
  const userId = `racer-${randomUUID()}`;
  const signer = await deviceUser(hx, userId);
  const ch = await hx.call('POST', '/v1/challenges', { appId: hx.app.id, type: 'device', userId });
  assert.equal(ch.statusCode, 200, ch.body);
  const { challengeId, challenge } = JSON.parse(ch.body) as { challengeId: string; challenge: string };
  const body = { appId: hx.app.id, type: 'device', userId, challengeId, signature: signer(challenge) };
  const answers = await Promise.all(
    Array.from({ length: COPIES }, () => hx.call('POST', '/v1/verify', body)),
  );
  const statuses = answers.map((a) => a.statusCode);
  assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(' '));
  for (const a of answers) if (a.statusCode !== 200) assert.equal(errorCode(a), 'challenge_unknown', a.body);
  assert.equal((await hx.store.sessions.listActiveByUser(hx.app.id, userId, hx.clock())).length, 1);
  const records = await hx.store.audit.list(hx.app.id, { limit: 100, userId });
  assert.equal(records.filter((r) => r.outcome === 'success').length, 1);
  assert.deepEqual(
    records.filter((r) => r.outcome === 'failure').map((r) => r.reason),
    Array.from({ length: COPIES - 1 }, () => 'challenge_unknown'),
  );
}

test('8 copies of one proof at once on SQLite: one login commits, the others write only their failure', () =>
  raceOneProof(h));

test('8 copies of one proof at once on Postgres + Redis: one login commits, the others write only their failure', async () => {
  const schema = uniqueName();
  const prefix = `${uniqueName()}:`;
  const clock = createTestClock();
  const durable = await createPostgresStore({ url: TEST_DATABASE_URL, schema, clock });
  const store = withShortLived(durable, await createRedisShortLived({ url: TEST_REDIS_URL, prefix, clock }));
  const hx = await startHarness({ clock, store, server: { issueLimitPerMinute: 0 } });
  try {
    await raceOneProof(hx);
  } finally {
    await hx.close();
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
  }
});
