// Attacks on sessions and refresh tokens, against a real listening server: theft of a refresh
// token (used before or after its owner), cross-app use, access tokens passed as refresh tokens,
// guessing (rate limit, no audit growth), a replaced device key, and what is stored at rest.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createApp } from '../../src/core/apps.js';
import { REFRESH_GRACE_MS } from '../../src/core/sessions.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { listen, startHarness, tempDir, type Harness } from '../support/harness.js';

let h: Harness;
let baseUrl: string;
let client: SignetClient;
let dir: ReturnType<typeof tempDir>;
let dbPath: string;
const LOCKOUT = 3;

async function call(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function enrol(userId: string, deviceId?: string): Promise<{ userId: string; key: KeyObject }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const r = await client.registerCredential(userId, {
    type: 'device',
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    ...(deviceId ? { deviceId } : {}),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { userId, key: privateKey };
}

async function login(u: { userId: string; key: KeyObject }): Promise<any> {
  const ch = await call('/v1/challenges', { appId: h.app.id, type: 'device', userId: u.userId });
  const ok = await call('/v1/verify', {
    appId: h.app.id,
    type: 'device',
    userId: u.userId,
    challengeId: ch.body.challengeId,
    signature: nodeSign('sha256', Buffer.from(ch.body.challenge), u.key).toString('base64'),
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  return ok.body;
}

const refresh = (refreshToken: string, appId = h.app.id) =>
  call('/v1/tokens/refresh', { appId, refreshToken });
const active = async (token: string) => ((await client.introspect(token)).body as { active: boolean }).active;

before(async () => {
  dir = tempDir();
  dbPath = join(dir.dir, 'signet.db');
  h = await startHarness({ dbPath, app: { settings: { lockoutMaxFailures: LOCKOUT } } });
  baseUrl = await listen(h);
  client = createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret, now: h.clock });
});

after(async () => {
  await h.close();
  dir.remove();
});

describe('refresh-token theft', () => {
  test('the thief uses a copy after its owner refreshed: refused, and the session ends for both', async () => {
    const victim = await enrol('victim-1');
    const s = await login(victim);
    const stolen = s.refreshToken;
    const owner = await refresh(s.refreshToken);
    assert.equal(owner.status, 200);
    // Past the retry grace (test/security/refreshRetry.test.ts covers the thief inside it).
    h.clock.advance(REFRESH_GRACE_MS + 1);
    const thief = await refresh(stolen);
    assert.equal(thief.status, 401);
    assert.equal(thief.body.error.code, 'verification_failed');
    assert.equal((await refresh(owner.body.refreshToken)).status, 401, 'the owner must sign in again');
    assert.equal(await active(owner.body.token), false);
  });

  test('the thief refreshes first: when the owner next refreshes, reuse ends the thief’s tokens too', async () => {
    const victim = await enrol('victim-2');
    const s = await login(victim);
    const thief = await refresh(s.refreshToken);
    assert.equal(thief.status, 200, 'a bearer token works for whoever holds it first');
    assert.equal(await active(thief.body.token), true);
    h.clock.advance(REFRESH_GRACE_MS + 1);
    const owner = await refresh(s.refreshToken);
    assert.equal(owner.status, 401);
    assert.equal(await active(thief.body.token), false, "the thief's access token is inactive");
    assert.equal((await refresh(thief.body.refreshToken)).status, 401, "the thief's refresh token is dead");
    const audit = await client.audit({ userId: 'victim-2', limit: 10 });
    const reasons = (audit.body as { records: Array<{ reason: string | null }> }).records.map(
      (r) => r.reason,
    );
    assert.ok(reasons.includes('refresh_reuse'));
  });

  test('a refresh token is bound to its app: another app refuses it and it stays usable', async () => {
    const u = await enrol('cross-app');
    const s = await login(u);
    const { app: other } = await createApp(h.deps, { name: 'other', origins: ['https://o.example'] });
    assert.equal((await refresh(s.refreshToken, other.id)).status, 401);
    assert.equal((await call('/v1/logout', { appId: other.id, refreshToken: s.refreshToken })).status, 204);
    assert.equal((await refresh(s.refreshToken)).status, 200, 'neither call touched the session');
  });

  test('an access token is not a refresh token', async () => {
    const u = await enrol('access-as-refresh');
    const s = await login(u);
    const r = await refresh(s.token);
    assert.equal(r.status, 401);
    assert.equal(await active(s.token), true);
  });

  test('a device key replaced on the phone (same deviceId) ends the sessions the old key started', async () => {
    const old = await enrol('replaced', 'phone-1');
    const s = await login(old);
    await enrol('replaced', 'phone-1');
    assert.equal((await refresh(s.refreshToken)).status, 401);
    assert.equal(await active(s.token), false);
  });
});

describe('guessing', () => {
  test('guessed refresh tokens are rate-limited per client IP and do not grow the audit log', async () => {
    const before = (await h.store.audit.list(h.app.id, { limit: 1000 })).length;
    const statuses: number[] = [];
    for (let i = 0; i < LOCKOUT * 10 + 2; i++) {
      const guess = 'srt_' + Buffer.from(String(i).padStart(32, '0')).toString('base64url').slice(0, 43);
      statuses.push((await refresh(guess)).status);
    }
    // The IP's failure budget is LOCKOUT * 10 in the window (earlier tests here spent some of it).
    const firstLimited = statuses.indexOf(429);
    assert.ok(firstLimited > 0 && firstLimited <= LOCKOUT * 10, statuses.join(','));
    assert.ok(
      statuses.slice(0, firstLimited).every((s) => s === 401),
      statuses.join(','),
    );
    assert.ok(
      statuses.slice(firstLimited).every((s) => s === 429),
      statuses.join(','),
    );
    const after = (await h.store.audit.list(h.app.id, { limit: 1000 })).length;
    assert.equal(after, before, 'anonymous failures are not audited');
  });
});

describe('at rest', () => {
  test('only SHA-256 hashes of refresh tokens are stored', async () => {
    // A fresh app: the guessing test above has rate-limited this IP on the harness app.
    const { app, secret } = await createApp(h.deps, { name: 'rest', origins: ['https://r.example'] });
    const c = createSignetClient({ baseUrl, appId: app.id, secret, now: h.clock });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await c.registerCredential('rest', {
      type: 'device',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    const ch = await call('/v1/challenges', { appId: app.id, type: 'device', userId: 'rest' });
    const s = await call('/v1/verify', {
      appId: app.id,
      type: 'device',
      userId: 'rest',
      challengeId: ch.body.challengeId,
      signature: nodeSign('sha256', Buffer.from(ch.body.challenge), privateKey).toString('base64'),
    });
    assert.equal(s.status, 200);
    const db = new BetterSqlite3(dbPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM refresh_tokens WHERE app_id = ?').all(app.id) as Array<
        Record<string, unknown>
      >;
      assert.equal(rows.length, 1);
      const expected = createHash('sha256').update(s.body.refreshToken).digest('base64url');
      assert.equal(rows[0]!['hash'], expected);
      const dump = JSON.stringify(db.prepare('SELECT * FROM session_families').all());
      assert.ok(!JSON.stringify(rows).includes(s.body.refreshToken.slice(4)));
      assert.ok(!dump.includes(s.body.refreshToken.slice(4)));
    } finally {
      db.close();
    }
  });
});
