// A login's writes as one unit of work (issue 13, docs/benchmarks.md "the login path"): on a
// real listening Signet over SQLite, the challenge consume, the counter compare-and-set, the
// session family, the audit record and the webhook event commit as one transaction
// (store.logins.commit), and nothing is answered before the commit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import { createTestClock, listen, startHarness, type Harness } from '../support/harness.js';

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

test('a device login: session, audit record and webhook event commit as one group, the answer after it', async () => {
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
