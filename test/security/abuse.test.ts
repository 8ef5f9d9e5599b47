// Abuse resistance (issue 10, CONTRACT.md "Abuse resistance"): each attack of the issue, run as
// an attacker would against a real listening Signet on 127.0.0.1 with real HTTP requests.
// Distinct clients are distinct X-Forwarded-For addresses through a proxy the server trusts
// (127.0.0.1, the loopback the test connects from).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { lstatSync, mkdirSync, symlinkSync, writeFileSync, chmodSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PrivateKey, Bytes } from '@wharfkit/antelope';
import Database from 'better-sqlite3';
import { signTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import { clientKey, backoffMs } from '../../src/core/rateLimit.js';
import { parseTrustProxy } from '../../src/cli/serveOptions.js';
import { loadSealer } from '../../src/cli/config.js';
import { runCli } from '../../src/cli/runCli.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import {
  FLAG,
  assert as softAssert,
  makeCredential,
  register as softRegister,
} from '../webauthn/softAuthenticator.js';
import { updateApp } from '../../src/core/apps.js';
import { captureIo, listen, startHarness, tempDir, type Harness } from '../support/harness.js';

const ORIGIN = 'https://app.example';
const ADMIN_TOKEN = 'admin-token-admin-token-admin-token-0123';
const METRICS_TOKEN = 'metrics-token-0123456789';

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(base + path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: kept as text */
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** A client at `ip`, as the trusted proxy on loopback forwards it. */
const from = (ip: string) => ({ 'x-forwarded-for': ip });

function rsaKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** Asserts the contract's error shape and returns its code. */
function shapeCode(a: Answer): string {
  assert.equal(typeof a.body, 'object', `not a JSON error: ${String(a.body)}`);
  assert.equal(typeof a.body?.error?.code, 'string', JSON.stringify(a.body));
  assert.equal(typeof a.body?.error?.message, 'string', JSON.stringify(a.body));
  return a.body.error.code as string;
}

describe('abuse resistance against a real server behind a trusted proxy', () => {
  let h: Harness;
  let base: string;
  let dir: ReturnType<typeof tempDir>;
  const keys = new Map<string, KeyObject>();
  /** Back-off waits the server asked for (recorded, not waited: no timing in tests). */
  const waits: number[] = [];

  async function register(userId: string): Promise<string> {
    const { privateKey, publicKey } = rsaKey();
    const client = createSignetClient({ baseUrl: base, appId: h.app.id, secret: h.secret, now: h.clock });
    const reg = await client.registerCredential(userId, {
      type: 'device',
      publicKey: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    keys.set(userId, privateKey);
    return (reg.body as { id: string }).id;
  }

  /** A full device login of `userId` from `ip`; `good` false signs with a wrong key. */
  async function login(userId: string, ip: string, good = true): Promise<Answer> {
    const ch = await call(
      base,
      'POST',
      '/v1/challenges',
      { appId: h.app.id, type: 'device', userId },
      from(ip),
    );
    if (ch.status !== 200) return ch;
    const key = good ? keys.get(userId)! : rsaKey().privateKey;
    const signature = nodeSign('sha256', Buffer.from(ch.body.challenge, 'utf8'), key).toString('base64');
    return call(
      base,
      'POST',
      '/v1/verify',
      { appId: h.app.id, type: 'device', challengeId: ch.body.challengeId, userId, signature },
      from(ip),
    );
  }

  /** A bogus proof naming `userId`: no challenge needed. */
  const bogus = (userId: string, ip: string) =>
    call(
      base,
      'POST',
      '/v1/verify',
      { appId: h.app.id, type: 'device', challengeId: 'no-such-challenge', userId, signature: 'AAAA' },
      from(ip),
    );

  before(async () => {
    dir = tempDir();
    h = await startHarness({
      dbPath: join(dir.dir, 'signet.db'),
      app: { origins: [ORIGIN] },
      sleep: async (ms) => void waits.push(ms),
      server: {
        trustProxy: '127.0.0.1',
        adminToken: ADMIN_TOKEN,
        metricsToken: METRICS_TOKEN,
        issueLimitPerMinute: 40,
      },
    });
    base = await listen(h);
  });

  after(async () => {
    await h.close();
    dir.remove();
  });

  test('finding 1: failures naming a user never lock that user out; the attacker gets 429 with Retry-After', async () => {
    await register('victim');
    const max = h.app.settings.lockoutMaxFailures;
    const statuses: number[] = [];
    for (let i = 0; i < max + 3; i++) statuses.push((await bogus('victim', '203.0.113.7')).status);
    assert.deepEqual(statuses.slice(0, max), Array(max).fill(401));
    assert.deepEqual(statuses.slice(max), [429, 429, 429]);
    const refused = await bogus('victim', '203.0.113.7');
    assert.equal(refused.status, 429);
    assert.equal(shapeCode(refused), 'rate_limited');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'a 429 says when to come back');
    // The victim, from its own address, logs in at once.
    const ok = await login('victim', '198.51.100.20');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.userId, 'victim');
    // And the attacker is still refused, even with a correct-looking fresh challenge.
    assert.equal((await login('victim', '203.0.113.7', false)).status, 429);
    // Back-off before the 429: the second half of the budget held the answers back, doubling.
    assert.deepEqual(waits.slice(0, max - max / 2), [100, 200, 400, 800, 1600]);
  });

  test('finding 1, passkeys: the credential id /v1/challenges hands out cannot be used to lock its owner out', async () => {
    const client = createSignetClient({ baseUrl: base, appId: h.app.id, secret: h.secret, now: h.clock });
    const options = await client.webauthnRegistrationOptions({ userId: 'pk-victim', userName: 'pk-victim' });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const { challengeId, options: o } = options.body as { challengeId: string; options: any };
    const cred = makeCredential('ES256', 0x77);
    const done = await client.webauthnRegistrationVerify({
      challengeId,
      response: softRegister(cred, {
        challenge: Buffer.from(o.challenge, 'base64url'),
        origin: ORIGIN,
        rpId: 'app.example',
      }),
    });
    assert.equal(done.status, 201, JSON.stringify(done.body));

    const attacker = '203.0.113.77';
    const passkeyLogin = async (ip: string, signer: ReturnType<typeof makeCredential>) => {
      const ch = await call(
        base,
        'POST',
        '/v1/challenges',
        { appId: h.app.id, type: 'webauthn', userId: 'pk-victim' },
        from(ip),
      );
      assert.equal(ch.status, 200);
      const response = softAssert(signer, {
        challenge: Buffer.from(ch.body.challenge, 'base64url'),
        origin: ORIGIN,
        rpId: 'app.example',
        counter: 0,
        flags: FLAG.UP | FLAG.UV,
      });
      return {
        ch,
        answer: await call(
          base,
          'POST',
          '/v1/verify',
          { appId: h.app.id, type: 'webauthn', challengeId: ch.body.challengeId, response },
          from(ip),
        ),
      };
    };
    // The attacker learns the credential id from the public challenge, and signs with its own key
    // (the soft authenticator keeps one key per algorithm, so another algorithm is another key).
    const forger = makeCredential('EdDSA', 0x77);
    assert.equal(forger.idB64, cred.idB64);
    const statuses: number[] = [];
    for (let i = 0; i < h.app.settings.lockoutMaxFailures + 2; i++) {
      const { ch, answer } = await passkeyLogin(attacker, forger);
      assert.deepEqual(
        ch.body.options.allowCredentials.map((c: { id: string }) => c.id),
        [cred.idB64],
      );
      statuses.push(answer.status);
    }
    assert.equal(statuses.at(-1), 429);
    const ok = (await passkeyLogin('198.51.100.77', cred)).answer;
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.userId, 'pk-victim');
  });

  test('finding 2 / multi-client: an attacker sweeping users is throttled while every victim logs in', async () => {
    const victims = ['v1', 'v2', 'v3', 'v4'];
    for (const v of victims) await register(v);
    const attacker = '192.0.2.66';
    const max = h.app.settings.lockoutMaxFailures;
    const ipBudget = max * 10;
    // More than a user's budget of failures naming each victim...
    for (const v of victims)
      for (let i = 0; i < max + 2; i++) assert.ok([401, 429].includes((await bogus(v, attacker)).status));
    // ...then a sweep over other names until the client's own budget stops it.
    let last: Answer | null = null;
    for (let i = 0; i < ipBudget; i++) last = await bogus(`sweep-${i}`, attacker);
    assert.equal(last?.status, 429);
    assert.equal((await bogus('a-name-never-tried', attacker)).status, 429, 'the whole client is throttled');
    // Each victim, from its own address, logs in.
    for (const [i, v] of victims.entries()) {
      const ok = await login(v, `198.51.100.${100 + i}`);
      assert.equal(ok.status, 200, `${v}: ${JSON.stringify(ok.body)}`);
    }
  });

  test('without a trusted proxy, X-Forwarded-For cannot buy an attacker fresh addresses', async () => {
    const plain = await startHarness({ app: { origins: [ORIGIN] }, sleep: async () => {} });
    const url = await listen(plain);
    try {
      let status = 0;
      for (let i = 0; i <= plain.app.settings.lockoutMaxFailures; i++) {
        status = (
          await call(
            url,
            'POST',
            '/v1/verify',
            { appId: plain.app.id, type: 'device', challengeId: 'x', userId: 'u', signature: 'AAAA' },
            from(`10.9.8.${i}`),
          )
        ).status;
      }
      assert.equal(status, 429);
    } finally {
      await plain.close();
    }
  });

  test('with a hop count, the audit records the address the trusted proxy saw, not one the client prepended', async () => {
    const hop = await startHarness({
      app: { origins: [ORIGIN] },
      sleep: async () => {},
      server: { trustProxy: 1 },
    });
    const url = await listen(hop);
    try {
      const r = await call(
        url,
        'POST',
        '/v1/verify',
        { appId: hop.app.id, type: 'device', challengeId: 'x', userId: 'hop-user', signature: 'AAAA' },
        { 'x-forwarded-for': '10.0.0.1, 203.0.113.44' },
      );
      assert.equal(r.status, 401);
      const records = await hop.store.audit.list(hop.app.id, { userId: 'hop-user', limit: 10 });
      assert.deepEqual(
        records.map((a) => a.ip),
        ['203.0.113.44'],
      );
    } finally {
      await hop.close();
    }
  });

  test('the console sign-in limit counts per client IP through the proxy', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await call(
        base,
        'POST',
        '/console/api/session',
        { token: `wrong-${i}` },
        from('203.0.113.99'),
      );
      assert.equal(r.status, 401);
    }
    const limited = await call(
      base,
      'POST',
      '/console/api/session',
      { token: 'wrong' },
      from('203.0.113.99'),
    );
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    const admin = await call(
      base,
      'POST',
      '/console/api/session',
      { token: ADMIN_TOKEN },
      from('198.51.100.7'),
    );
    assert.equal(admin.status, 204, JSON.stringify(admin.body));
  });

  test('finding 3: /metrics is private (bearer token, constant-time), and absent without a token', async () => {
    assert.equal((await call(base, 'GET', '/metrics')).status, 401);
    assert.equal(
      (await call(base, 'GET', '/metrics', undefined, { authorization: 'Bearer nope' })).status,
      401,
    );
    const ok = await call(base, 'GET', '/metrics', undefined, { authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(ok.status, 200);
    assert.match(String(ok.body), /signet_verifications_total/);
    const plain = await startHarness({ app: { origins: [ORIGIN] } });
    const url = await listen(plain);
    try {
      const none = await call(url, 'GET', '/metrics', undefined, {
        authorization: `Bearer ${METRICS_TOKEN}`,
      });
      assert.equal(none.status, 404);
      assert.equal(shapeCode(none), 'not_found');
    } finally {
      await plain.close();
    }
  });

  describe('finding 4: server-API signatures', () => {
    function signedHeaders(body: string): Record<string, string> {
      const s = signTiniappRequest({ clientId: h.app.id, secret: h.secret, timestamp: h.clock(), body });
      return { ...s.headers, 'content-type': 'application/json' };
    }

    test('the observed re-aim: a signed POST that got 400, resent as DELETE of a victim credential, is refused', async () => {
      const credentialId = await register('reaim-victim');
      // An unknown field: refused by the route's schema (before authentication, it used to be).
      const body = JSON.stringify({ type: 'device', note: 'x' });
      const headers = signedHeaders(body);
      const post = await call(base, 'POST', '/v1/users/someone/credentials', body, headers);
      assert.equal(post.status, 400, JSON.stringify(post.body));
      const del = await call(
        base,
        'DELETE',
        `/v1/users/reaim-victim/credentials/${encodeURIComponent(credentialId)}`,
        body,
        headers,
      );
      assert.equal(del.status, 401, JSON.stringify(del.body));
      assert.equal(shapeCode(del), 'unauthenticated');
      const client = createSignetClient({ baseUrl: base, appId: h.app.id, secret: h.secret, now: h.clock });
      const list = await client.listCredentials('reaim-victim');
      assert.deepEqual(
        (list.body as { credentials: Array<{ id: string }> }).credentials.map((c) => c.id),
        [credentialId],
        'the credential is still there',
      );
    });

    test('a freshly signed DELETE with a body answers 400 (after authentication)', async () => {
      const credentialId = await register('delete-body');
      const body = JSON.stringify({ any: 'thing' });
      const del = await call(
        base,
        'DELETE',
        `/v1/users/delete-body/credentials/${encodeURIComponent(credentialId)}`,
        body,
        signedHeaders(body),
      );
      assert.equal(del.status, 400);
      assert.equal(shapeCode(del), 'invalid_request');
    });

    test('authentication comes first: an unsigned request answers 401 whatever else is wrong with it', async () => {
      for (const [method, path, body, ct] of [
        ['POST', '/v1/users/u/credentials', '{not json', 'application/json'],
        ['POST', '/v1/users/u/credentials', JSON.stringify({ type: 'nope', extra: 1 }), 'application/json'],
        ['POST', '/v1/users/u/credentials', 'plain text', 'text/plain'],
        ['GET', `/v1/users/${'x'.repeat(200)}/credentials?unknown=1`, undefined, undefined],
        ['GET', '/v1/audit?limit=-4', undefined, undefined],
        ['DELETE', '/v1/users/u/credentials/c', '{"a":1}', 'application/json'],
      ] as const) {
        const r = await call(base, method, path, body, ct ? { 'content-type': ct } : {});
        assert.equal(r.status, 401, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(shapeCode(r), 'unauthenticated');
      }
    });

    test('a signature is spent the moment it is authenticated, whatever the outcome', async () => {
      const body = '{"type": "device", "bad json"';
      const headers = signedHeaders(body);
      const first = await call(base, 'POST', '/v1/users/u/credentials', body, headers);
      assert.equal(first.status, 400);
      const again = await call(base, 'POST', '/v1/users/u/credentials', body, headers);
      assert.equal(again.status, 401);
      assert.equal(shapeCode(again), 'unauthenticated');
    });
  });

  describe('finding 5: unbounded anonymous work', () => {
    test('POST /v1/challenges is limited per client IP; another client is unaffected', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 41; i++)
        statuses.push(
          (
            await call(
              base,
              'POST',
              '/v1/challenges',
              { appId: h.app.id, type: 'device' },
              from('192.0.2.10'),
            )
          ).status,
        );
      assert.deepEqual(statuses.slice(0, 40), Array(40).fill(200));
      assert.equal(statuses[40], 429);
      const other = await call(
        base,
        'POST',
        '/v1/challenges',
        { appId: h.app.id, type: 'device' },
        from('192.0.2.11'),
      );
      assert.equal(other.status, 200);
    });

    test('POST /v1/mykey/sessions is limited per client IP', async () => {
      let last: Answer | null = null;
      for (let i = 0; i < 41; i++)
        last = await call(base, 'POST', '/v1/mykey/sessions', { appId: h.app.id }, from('192.0.2.20'));
      assert.equal(last?.status, 429);
      assert.equal(shapeCode(last!), 'rate_limited');
    });

    test('bogus MYKEY callbacks are limited per client IP and aggregate into one audit record with a count', async () => {
      const ip = '192.0.2.30';
      const budget = h.app.settings.lockoutMaxFailures * 10;
      const bogusCallback = (i: number) =>
        call(
          base,
          'POST',
          `/v1/mykey/callback/${h.app.id}`,
          {
            uuID: `no-such-session-${i}`,
            account: 'mkaccount',
            ref: 'mykey',
            timestamp: Math.floor(h.clock() / 1000),
            sign: 'SIG_K1_bogus',
          },
          from(ip),
        );
      for (let i = 0; i < budget; i++) assert.equal((await bogusCallback(i)).status, 200);
      const refused = await bogusCallback(budget);
      assert.equal(refused.status, 429);
      const records = await h.store.audit.list(h.app.id, { limit: 1000 });
      const mine = records.filter((r) => r.ip === ip);
      assert.equal(mine.length, 1, 'one record for the repeats');
      assert.equal(mine[0]?.count, budget);
      assert.equal(mine[0]?.action, 'mykey_callback');
      // The app sees the count through the server API.
      const client = createSignetClient({ baseUrl: base, appId: h.app.id, secret: h.secret, now: h.clock });
      const listed = (await client.audit({ limit: 1000 })).body as {
        records: Array<{ ip: string | null; count: number }>;
      };
      assert.deepEqual(
        listed.records.filter((r) => r.ip === ip).map((r) => r.count),
        [budget],
      );
    });
  });

  test('MYKEY: the token is handed only to the holder of the poll secret and is not stored in plaintext', async () => {
    const eosKey = PrivateKey.generate('K1');
    const account = 'mkpolluser';
    const client = createSignetClient({ baseUrl: base, appId: h.app.id, secret: h.secret, now: h.clock });
    // A wallet registers with a proof of possession: the key signs a challenge for this user.
    const proofChallenge = await call(base, 'POST', '/v1/challenges', {
      appId: h.app.id,
      type: 'eos',
      userId: 'mk-poll-user',
    });
    assert.equal(proofChallenge.status, 200);
    const { challengeId, challenge } = proofChallenge.body as { challengeId: string; challenge: string };
    const reg = await client.registerCredential('mk-poll-user', {
      type: 'eos',
      publicKey: eosKey.toPublic().toString(),
      account,
      proof: { challengeId, signature: eosKey.signMessage(Bytes.from(challenge, 'utf8')).toString() },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const session = await call(
      base,
      'POST',
      '/v1/mykey/sessions',
      { appId: h.app.id },
      from('198.51.100.50'),
    );
    assert.equal(session.status, 200);
    const { uuID, pollSecret } = session.body as { uuID: string; pollSecret: string };
    assert.match(pollSecret, /^[A-Za-z0-9_-]{43}$/);
    const timestamp = String(Math.floor(h.clock() / 1000));
    const answer = await call(base, 'POST', `/v1/mykey/callback/${h.app.id}`, {
      uuID,
      account,
      ref: 'mykey',
      timestamp,
      sign: eosKey.signMessage(Bytes.from(timestamp + account + uuID + 'mykey', 'utf8')).toString(),
    });
    assert.deepEqual(answer.body, { code: 0, message: 'success' });

    const path = `/v1/mykey/sessions/${uuID}?appId=${h.app.id}`;
    const byUuidOnly = await call(base, 'GET', path);
    assert.equal(byUuidOnly.body.status, 'verified');
    assert.equal(byUuidOnly.body.token, undefined, 'knowing the uuID is not enough');
    const wrong = await call(base, 'GET', path, undefined, { 'x-signet-poll-secret': 'A'.repeat(43) });
    assert.equal(wrong.body.token, undefined);
    const mine = await call(base, 'GET', path, undefined, { 'x-signet-poll-secret': pollSecret });
    assert.equal(mine.status, 200);
    assert.equal(typeof mine.body.token, 'string');

    const db = new Database(join(dir.dir, 'signet.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT * FROM mykey_sessions WHERE uuid = ?').get(uuID) as Record<
        string,
        unknown
      >;
      const stored = JSON.stringify(row);
      assert.ok(!stored.includes(mine.body.token), 'the token is not stored in plaintext');
      assert.ok(!stored.includes(pollSecret), 'the poll secret is not stored');
    } finally {
      db.close();
    }
  });

  describe('finding 7: one error shape, no 500', () => {
    test('bad percent-encoding, over-long parameters and paths, 404, 405 and 413 have the error shape', async () => {
      const cases: Array<[string, string, unknown, number[]]> = [
        ['GET', '/v1/mykey/sessions/%E0%A4%A?appId=x', undefined, [400]],
        ['GET', `/v1/mykey/sessions/${'a'.repeat(300)}?appId=x`, undefined, [400, 414]],
        ['GET', `/v1/${'p'.repeat(5000)}`, undefined, [414]],
        ['GET', '/no/such/route', undefined, [404]],
        ['PUT', '/v1/verify', { a: 1 }, [405]],
        ['GET', '/v1/verify', undefined, [405]],
        ['POST', '/v1/verify', { appId: h.app.id, type: 'device', pad: 'x'.repeat(70 * 1024) }, [413]],
      ];
      for (const [method, path, body, statuses] of cases) {
        const r = await call(base, method, path, body);
        assert.ok(
          statuses.includes(r.status),
          `${method} ${path.slice(0, 60)}: ${r.status} ${JSON.stringify(r.body)}`,
        );
        shapeCode(r);
      }
      const r405 = await call(base, 'GET', '/v1/verify');
      assert.equal(shapeCode(r405), 'method_not_allowed');
      assert.match(r405.headers.get('allow') ?? '', /POST/);
    });

    test('an app with an rpId but no origins: every route answers without a 5xx', async () => {
      // Made with an origin so a registration ceremony can start; then the origins go.
      const bare = await startHarness({ app: { origins: [ORIGIN], rpId: 'app.example' } });
      const url = await listen(bare);
      try {
        const openapi = await call(url, 'GET', '/openapi.json');
        const paths = Object.entries(openapi.body.paths as Record<string, Record<string, unknown>>);
        assert.ok(paths.length >= 10, 'the walk covers the documented routes');
        const sign = (_method: string, path: string, body?: string) => {
          const s = signTiniappRequest({
            clientId: bare.app.id,
            secret: bare.secret,
            timestamp: bare.clock(),
            ...(body === undefined ? { path } : { body }),
          });
          return { ...s.headers };
        };
        const fill = (p: string) =>
          p
            .replace('{appId}', bare.app.id)
            .replace('{userId}', 'u1')
            .replace('{credentialId}', 'c1')
            .replace('{uuID}', 'nope');
        // Plausible bodies for each route, including a WebAuthn registration ceremony.
        const regOptions = await call(
          url,
          'POST',
          '/v1/webauthn/registration/options',
          JSON.stringify({ userId: 'u1', userName: 'u1' }),
          sign('POST', '', JSON.stringify({ userId: 'u1', userName: 'u1' })),
        );
        assert.equal(regOptions.status, 200, JSON.stringify(regOptions.body));
        await updateApp(bare.deps, bare.app.id, { origins: [] });
        assert.deepEqual((await bare.store.apps.get(bare.app.id))?.origins, []);
        // A well-formed registration from a real (software) authenticator, for an origin the
        // app no longer lists: it must be refused with a 4xx, not reach a 500.
        {
          const response = softRegister(makeCredential('ES256'), {
            challenge: Buffer.from(regOptions.body.options.challenge, 'base64url'),
            origin: ORIGIN,
            rpId: 'app.example',
          });
          const text = JSON.stringify({ challengeId: regOptions.body.challengeId, response });
          const verify = await call(url, 'POST', '/v1/webauthn/registration/verify', text, {
            'content-type': 'application/json',
            ...sign('POST', '', text),
          });
          assert.ok(
            verify.status >= 400 && verify.status < 500,
            `${verify.status} ${JSON.stringify(verify.body)}`,
          );
          shapeCode(verify);
        }
        const bodies: Record<string, unknown> = {
          '/v1/challenges': { appId: bare.app.id, type: 'webauthn' },
          '/v1/verify': {
            appId: bare.app.id,
            type: 'webauthn',
            challengeId: 'x',
            response: { id: 'AA', rawId: 'AA', type: 'public-key', response: {} },
          },
          '/v1/webauthn/registration/options': { userId: 'u2', userName: 'u2' },
          '/v1/webauthn/registration/verify': {
            challengeId: regOptions.body?.challengeId ?? 'x',
            response: {
              id: 'AAAA',
              rawId: 'AAAA',
              type: 'public-key',
              response: { clientDataJSON: 'e30', attestationObject: 'oA' },
            },
          },
          '/v1/users/{userId}/credentials': { type: 'device', publicKey: 'AAAA' },
          '/v1/mykey/sessions': { appId: bare.app.id },
          '/v1/mykey/verify': {
            appId: bare.app.id,
            uuID: 'x',
            account: 'a',
            signature: 's',
            mykeyUID: 'm',
            mykeyUIDSignature: 's',
            timestamp: '1',
          },
          '/v1/mykey/callback/{appId}': { uuID: 'x', account: 'a', sign: 's', ref: 'r', timestamp: '1' },
        };
        let walked = 0;
        for (const [template, ops] of paths) {
          for (const method of Object.keys(ops)) {
            const path = fill(template) + (template.includes('{uuID}') ? `?appId=${bare.app.id}` : '');
            const body = bodies[template];
            const text = method === 'post' && body !== undefined ? JSON.stringify(body) : undefined;
            const headers = {
              ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
              ...sign(method, path, text),
            };
            const r = await call(url, method.toUpperCase(), path, text, headers);
            walked++;
            assert.ok(
              r.status < 500,
              `${method.toUpperCase()} ${template}: ${r.status} ${JSON.stringify(r.body)}`,
            );
          }
        }
        assert.ok(walked >= 10);
      } finally {
        await bare.close();
      }
    });
  });
});

describe('signet serve: --trust-proxy, SIGNET_METRICS_TOKEN and --request-timeout reach the server', () => {
  test('the console sign-in limit counts the forwarded client, and /metrics wants its bearer token', async () => {
    const d = tempDir();
    const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        main,
        'serve',
        '--port',
        '0',
        '--db',
        `sqlite:${join(d.dir, 'signet.db')}`,
        '--trust-proxy',
        '127.0.0.1',
        '--request-timeout',
        '5',
      ],
      {
        cwd: d.dir,
        env: {
          ...process.env,
          SIGNET_MASTER_KEY: 'test-master-key-0123456789abcdef',
          SIGNET_ADMIN_TOKEN: ADMIN_TOKEN,
          SIGNET_METRICS_TOKEN: METRICS_TOKEN,
          SIGNET_LOG_LEVEL: 'warn',
        },
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (chunk) => {
          err += chunk;
          const m = /listening on (http:\/\/[^\s]+)/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
      });
      for (let i = 0; i < 10; i++)
        assert.equal(
          (await call(url, 'POST', '/console/api/session', { token: `wrong-${i}` }, from('203.0.113.5')))
            .status,
          401,
        );
      assert.equal(
        (await call(url, 'POST', '/console/api/session', { token: 'wrong' }, from('203.0.113.5'))).status,
        429,
      );
      const admin = await call(
        url,
        'POST',
        '/console/api/session',
        { token: ADMIN_TOKEN },
        from('198.51.100.9'),
      );
      assert.equal(admin.status, 204, 'the admin, from another address, signs in');
      assert.equal((await call(url, 'GET', '/metrics')).status, 401);
      assert.equal(
        (await call(url, 'GET', '/metrics', undefined, { authorization: `Bearer ${METRICS_TOKEN}` })).status,
        200,
      );
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      d.remove();
    }
  });

  test('bad values are usage errors, not stack traces', async () => {
    for (const [args, pattern] of [
      [['--trust-proxy', 'true'], /trust-proxy/],
      [['--trust-proxy', 'nope'], /not an IP address or CIDR/],
      [['--request-timeout', '0'], /request-timeout/],
    ] as const) {
      const io = captureIo({ SIGNET_MASTER_KEY: 'test-master-key-0123456789abcdef' });
      const code = await runCli(['serve', '--db', 'sqlite::memory:', ...args], io);
      assert.notEqual(code, 0);
      assert.match(io.stderr(), pattern);
      assert.doesNotMatch(io.stderr(), /unexpected error/);
    }
  });
});

describe('finding 6: slow clients are cut off', () => {
  test('trickling connections are closed once the request timeout passes', async () => {
    const h = await startHarness({ app: { origins: [ORIGIN] }, server: { requestTimeoutMs: 1000 } });
    const url = new URL(await listen(h));
    const sockets: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      const closed = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const socket = connect(Number(url.port), '127.0.0.1');
          sockets.push(socket);
          let received = '';
          socket.on('data', (d) => (received += d.toString('latin1')));
          socket.on('error', () => {});
          // Half of them trickle the headers, half send headers and then trickle the body.
          const head =
            i % 2 === 0
              ? 'POST /v1/verify HTTP/1.1\r\nHost: x\r\n'
              : 'POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{';
          socket.write(head);
          const t = setInterval(() => {
            if (!socket.destroyed && socket.writable) socket.write(i % 2 === 0 ? 'X-A: b\r\n' : ' ');
          }, 100);
          timers.push(t);
          return new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
        }),
      );
      assert.equal(closed.length, 20, 'every trickling connection was closed by the server');
      for (const text of closed) {
        if (text !== '') assert.match(text, /^HTTP\/1\.1 408/);
      }
      assert.ok(
        closed.some((t) => /"code":"request_timeout"/.test(t)),
        'the 408 carries the error shape',
      );
    } finally {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await h.close();
    }
  });
});

describe('finding 7: files', () => {
  test('the generated key file is 0600, created exclusively; a symlink, a loose mode or a non-file stops the start', async () => {
    const d = tempDir();
    try {
      const io = captureIo({});
      const db = join(d.dir, 'signet.db');
      loadSealer(`sqlite:${db}`, io);
      const st = lstatSync(`${db}.key`);
      assert.ok(st.isFile());
      assert.equal(st.mode & 0o777, 0o600);

      // A symlink planted where the key file goes: refused, and its target is left alone.
      const target = join(d.dir, 'elsewhere');
      writeFileSync(target, 'x'.repeat(43), { mode: 0o644 });
      const db2 = join(d.dir, 'two.db');
      symlinkSync(target, `${db2}.key`);
      assert.throws(() => loadSealer(`sqlite:${db2}`, captureIo({})), /symbolic link/);
      assert.equal(statSync(target).mode & 0o777, 0o644, 'the target was not chmodded');

      const db3 = join(d.dir, 'three.db');
      writeFileSync(`${db3}.key`, 'y'.repeat(43), { mode: 0o644 });
      chmodSync(`${db3}.key`, 0o644);
      assert.throws(() => loadSealer(`sqlite:${db3}`, captureIo({})), /mode 0644/);

      const db4 = join(d.dir, 'four.db');
      mkdirSync(`${db4}.key`);
      assert.throws(() => loadSealer(`sqlite:${db4}`, captureIo({})), /not a regular file/);

      // Through the CLI: a clear error, not a stack trace or `unexpected error`.
      const cli = captureIo({});
      const code = await runCli(['serve', '--db', `sqlite:${db3}`, '--port', '0'], cli);
      assert.notEqual(code, 0);
      assert.match(cli.stderr(), /master key file .* has mode 0644/);
      assert.doesNotMatch(cli.stderr(), /unexpected error|\n\s+at /);
    } finally {
      d.remove();
    }
  });

  test('SQLite files (database, -wal, -shm) are created 0600', async () => {
    const d = tempDir();
    try {
      const path = join(d.dir, 'store.db');
      const store = createSqliteStore({ path, clock: () => Date.now() });
      try {
        await store.apps.list();
        for (const f of [path, `${path}-wal`, `${path}-shm`]) {
          if (!existsSync(f)) continue;
          assert.equal(statSync(f).mode & 0o777, 0o600, f);
        }
        assert.ok(existsSync(`${path}-wal`), 'WAL mode made a -wal file to check');
      } finally {
        await store.close();
      }
    } finally {
      d.remove();
    }
  });
});

describe('client IPs and back-off (units the attacks above rely on)', () => {
  test('--trust-proxy parses false, hop counts and address/CIDR lists, and refuses the rest', () => {
    assert.equal(parseTrustProxy(undefined), false);
    assert.equal(parseTrustProxy('false'), false);
    assert.equal(parseTrustProxy('2'), 2);
    assert.deepEqual(parseTrustProxy('10.0.0.0/8, 127.0.0.1,::1,fd00::/8'), [
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
    for (const bad of ['true', '10.0.0.0/33', 'example.com', '0', '1.2.3.4/8/9'])
      assert.throws(() => parseTrustProxy(bad), /trust-proxy/, bad);
  });

  test('an IPv6 client counts as its /64; IPv4-mapped as IPv4', () => {
    assert.equal(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2::9'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
  });

  test('back-off: free for the first half of the budget, then doubling, capped', () => {
    assert.deepEqual(
      [1, 5, 6, 7, 8, 9, 10, 30].map((n) => backoffMs(n, 10)),
      [0, 0, 100, 200, 400, 800, 1600, 1600],
    );
  });
});
