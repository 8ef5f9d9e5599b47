// Attacks on signed webhooks, against a real listening Signet (docs/security.md "Webhook secrets
// and delivery"): anonymous callers trying to fill an app's webhook outbox with failed logins,
// and one app's dead letters redelivered through another app's console route or without the
// admin credential.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { createApp } from '../../src/core/apps.js';
import { setAppWebhook } from '../../src/core/appWebhooks.js';
import { emitWebhookEvent } from '../../src/core/webhooks/index.js';
import type { App } from '../../src/store/types.js';
import { listen, startHarness, tempDir, type Harness } from '../support/harness.js';

const ADMIN_TOKEN = 'webhook-security-admin-token-0123456789abcd';
const dir = tempDir();
const dbPath = join(dir.dir, 'signet.db');
let h: Harness;
let url: string;
let other: App;

function outboxRows(appId: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (
      db.prepare('SELECT count(*) AS n FROM webhook_outbox WHERE app_id = ?').get(appId) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

/** Each test is its own client (through the trusted proxy), with its own failure budget. */
let clientIp = '198.51.100.1';

async function post(path: string, body: unknown): Promise<number> {
  const r = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': clientIp },
    body: JSON.stringify(body),
  });
  await r.arrayBuffer();
  return r.status;
}

before(async () => {
  h = await startHarness({
    dbPath,
    app: { settings: { lockoutMaxFailures: 3 } },
    server: { adminToken: ADMIN_TOKEN, trustProxy: 1 },
    sleep: async () => {},
  });
  url = await listen(h);
  // No dispatcher runs here: the outbox rows are what the attacks could create.
  await setAppWebhook(h.deps, h.app.id, { url: 'http://127.0.0.1:9/hooks' });
  ({ app: other } = await createApp(h.deps, { name: 'other app' }));
  await setAppWebhook(h.deps, other.id, { url: 'http://127.0.0.1:9/other' });
});

after(async () => {
  await h.close();
  dir.remove();
});

test('anonymous login failures that name no user put nothing in the webhook outbox', async () => {
  const appId = h.app.id;
  for (let i = 0; i < 30; i++) {
    const challengeId = `ch_${randomBytes(8).toString('hex')}`;
    const statuses = await Promise.all([
      post('/v1/verify', {
        appId,
        type: 'eth',
        challengeId,
        address: `0x${randomBytes(20).toString('hex')}`,
        signature: `0x${'22'.repeat(65)}`,
      }),
      post('/v1/verify', { appId, type: 'eos', challengeId, account: 'someaccount', signature: 'SIG_K1_x' }),
    ]);
    for (const s of statuses) assert.ok(s === 401 || s === 400 || s === 429, String(s));
  }
  assert.equal(outboxRows(appId), 0);
});

test('failed logins naming a victim add events only up to the per-client failure limit', async () => {
  const appId = h.app.id;
  clientIp = '198.51.100.2';
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) {
    const ch = await fetch(`${url}/v1/challenges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': clientIp },
      body: JSON.stringify({ appId, type: 'device', userId: 'victim' }),
    });
    const { challengeId } = (await ch.json()) as { challengeId: string };
    statuses.push(
      await post('/v1/verify', {
        appId,
        type: 'device',
        userId: 'victim',
        challengeId,
        signature: randomBytes(64).toString('base64'),
      }),
    );
  }
  assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
  assert.ok(
    statuses.slice(3).every((s) => s === 429),
    statuses.join(','),
  );
  assert.equal(outboxRows(appId), 3, 'one login.failed per counted failure, none once limited');
});

test("one app's dead letter cannot be listed or redelivered through another app's route, nor without the admin credential", async () => {
  const id = await emitWebhookEvent(h.deps, h.app.id, 'login.succeeded', { userId: 'u1' });
  // Dead-letter it as a dispatcher would (the earlier tests' messages are claimed with it).
  const claimed = await h.store.webhooks.claim('lease_test', 100, 60_000);
  assert.ok(claimed.some((m) => m.id === id));
  assert.ok(await h.store.webhooks.markDead(id, 'lease_test', h.clock(), 'http_500'));
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  const crossList = await fetch(`${url}/console/api/apps/${other.id}/webhooks/dead`, { headers: admin });
  assert.equal(crossList.status, 200);
  assert.deepEqual(((await crossList.json()) as { messages: unknown[] }).messages, []);
  const cross = await fetch(`${url}/console/api/apps/${other.id}/webhooks/${id}/redeliver`, {
    method: 'POST',
    headers: admin,
  });
  assert.equal(cross.status, 404);
  assert.equal((await h.store.webhooks.get(h.app.id, id))?.status, 'dead');

  const anonymous: Array<Record<string, string>> = [
    {},
    { authorization: 'Bearer wrong-token-wrong-token-wrong-token' },
  ];
  for (const headers of anonymous) {
    const r = await fetch(`${url}/console/api/apps/${h.app.id}/webhooks/${id}/redeliver`, {
      method: 'POST',
      headers,
    });
    assert.equal(r.status, 401);
    const list = await fetch(`${url}/console/api/apps/${h.app.id}/webhooks/dead`, { headers });
    assert.equal(list.status, 401);
  }
  assert.equal((await h.store.webhooks.get(h.app.id, id))?.status, 'dead');

  const own = await fetch(`${url}/console/api/apps/${h.app.id}/webhooks/${id}/redeliver`, {
    method: 'POST',
    headers: admin,
  });
  assert.equal(own.status, 200);
  assert.equal((await h.store.webhooks.get(h.app.id, id))?.status, 'pending');
});
