// The console's app routes against a real listening server: create (the secret shown once and
// working), edit (origins, rpId, lockout, token TTL: stored and in effect), rotate and end a
// rotation, and every bad body answered 4xx in the one error shape, with the secret never listed
// or logged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import { enrolDeviceKey, logInWithDeviceKey } from '../support/deviceKeys.js';
import { fetchJson, type JsonAnswer } from '../support/http.js';
import { startLiveServer, type LiveServer } from '../support/liveServer.js';

const TOKEN = randomBytes(32).toString('base64url');
const bearer = { authorization: `Bearer ${TOKEN}` };

let live: LiveServer;
let url: string;
const logLines: string[] = [];

before(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  live = await startLiveServer({ server: { adminToken: TOKEN, logger: { level: 'debug', stream } } });
  url = live.url;
});

after(async () => {
  await live?.close();
});

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = bearer) =>
  fetchJson(`${url}/console/api/${path}`, { method, body, headers });

/** A 4xx in the one error shape, with its code. */
function assertError(r: JsonAnswer, status: number, code: string, what: string): void {
  assert.equal(r.status, status, what);
  assert.equal(r.body?.error?.code, code, what);
  assert.equal(typeof r.body.error.message, 'string', what);
}

/** A device login (P-256) for `userId` with the app's public API; the token's lifetime in seconds. */
async function deviceLogin(appId: string, secret: string, userId: string): Promise<number> {
  const client = createSignetClient({ baseUrl: url, appId, secret });
  const { token } = await logInWithDeviceKey(url, appId, await enrolDeviceKey(client, userId));
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  return claims.exp - claims.iat;
}

describe('console app routes', () => {
  let appId = '';
  let secret = '';

  test('create: 201 with the app and its secret, once; the secret works; no list or log shows it', async () => {
    const r = await call('POST', 'apps', {
      name: 'Shop',
      origins: ['https://shop.example', 'https://m.shop.example'],
      settings: { tokenTtlSec: 900, lockoutMaxFailures: 5 },
    });
    assert.equal(r.status, 201, r.text);
    appId = r.body.app.appId;
    secret = r.body.secret;
    assert.match(secret, /^[A-Za-z0-9]{64}$/);
    assert.equal(r.body.app.name, 'Shop');
    assert.equal(r.body.app.rpId, 'shop.example');
    assert.deepEqual(r.body.app.origins, ['https://shop.example', 'https://m.shop.example']);
    assert.equal(r.body.app.settings.tokenTtlSec, 900);
    assert.equal(r.body.app.settings.lockoutMaxFailures, 5);
    assert.equal(r.body.app.activeSecrets, 1);

    assert.equal(await deviceLogin(appId, secret, 'alice'), 900);

    const list = await call('GET', 'apps');
    assert.equal(list.status, 200);
    assert.ok(list.body.apps.some((a: { appId: string }) => a.appId === appId));
    assert.ok(!list.text.includes(secret), 'the list never carries a secret');
    const stored = await live.store.apps.get(appId);
    assert.ok(stored && !JSON.stringify(stored).includes(secret), 'stored sealed');
    assert.ok(!logLines.join('').includes(secret), 'the secret never reaches the log');
    assert.match(logLines.join(''), /console: app created/);
  });

  test('edit: origins, rpId, lockout and token TTL are stored and in effect; other settings stay', async () => {
    const r = await call('PATCH', `apps/${appId}`, {
      name: 'Shop (prod)',
      origins: ['https://shop.example'],
      rpId: 'shop.example',
      settings: {
        lockoutMaxFailures: 20,
        lockoutWindowMs: 600_000,
        tokenTtlSec: 120,
        challengeTtlMs: 60_000,
      },
    });
    assert.equal(r.status, 200, r.text);
    assert.ok(!('secret' in r.body));
    const stored = (await live.store.apps.get(appId))!;
    assert.equal(stored.name, 'Shop (prod)');
    assert.deepEqual(stored.origins, ['https://shop.example']);
    assert.equal(stored.rpId, 'shop.example');
    assert.deepEqual(
      [
        stored.settings.lockoutMaxFailures,
        stored.settings.lockoutWindowMs,
        stored.settings.tokenTtlSec,
        stored.settings.challengeTtlMs,
        stored.settings.skewMs,
      ],
      [20, 600_000, 120, 60_000, 300_000],
    );
    assert.equal(await deviceLogin(appId, secret, 'bob'), 120);

    // CORS follows the new origins: the dropped one is no longer allowed.
    const preflight = async (origin: string) =>
      (
        await fetch(`${url}/v1/challenges`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        })
      ).headers.get('access-control-allow-origin');
    assert.equal(await preflight('https://shop.example'), 'https://shop.example');
    assert.notEqual(await preflight('https://m.shop.example'), 'https://m.shop.example');

    const cleared = await call('PATCH', `apps/${appId}`, { rpId: null });
    assert.equal(cleared.status, 200);
    assert.equal((await live.store.apps.get(appId))!.rpId, null);
  });

  test('rotate: a new secret once, both verify; ending the rotation retires the old one', async () => {
    const r = await call('POST', `apps/${appId}/secrets`);
    assert.equal(r.status, 201, r.text);
    const fresh = r.body.secret as string;
    assert.match(fresh, /^[A-Za-z0-9]{64}$/);
    assert.notEqual(fresh, secret);
    assert.equal(r.body.app.activeSecrets, 2);
    const listWith = (s: string) =>
      createSignetClient({ baseUrl: url, appId, secret: s }).listCredentials('alice');
    assert.equal((await listWith(secret)).status, 200);
    assert.equal((await listWith(fresh)).status, 200);
    const ended = await call('PATCH', `apps/${appId}`, { dropOldSecret: true });
    assert.equal(ended.body.app.activeSecrets, 1);
    assert.equal((await listWith(secret)).status, 401);
    assert.equal((await listWith(fresh)).status, 200);
    assert.ok(!logLines.join('').includes(fresh));
  });

  test('bad bodies answer 4xx in the one error shape and change nothing', async () => {
    const before = JSON.stringify(await live.store.apps.get(appId));
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', 'apps', {}, 400, 'invalid_request'],
      ['POST', 'apps', { name: '' }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x'.repeat(101) }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', role: 'admin' }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', origins: ['ftp://x.example'] }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', origins: ['not a url'] }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', origins: 'https://x.example' }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', rpId: 'Shop.Example' }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', rpId: 'https://shop.example' }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', settings: { tokenTtlSec: 0 } }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', settings: { tokenTtlSec: 1.5 } }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', settings: { tokenTtlSec: '60' } }, 400, 'invalid_request'],
      ['POST', 'apps', { name: 'x', settings: { chainApi: 'javascript:alert(1)' } }, 400, 'invalid_request'],
      ['POST', 'apps', '{"name": "x"', 400, 'invalid_request'],
      [
        'POST',
        'apps',
        { name: 'x', origins: ['https://a.example'], pad: 'x'.repeat(17_000) },
        413,
        'payload_too_large',
      ],
      ['PATCH', `apps/${appId}`, {}, 400, 'invalid_request'],
      ['PATCH', `apps/${appId}`, { settings: { lockoutMaxFailures: -1 } }, 400, 'invalid_request'],
      ['PATCH', `apps/${appId}`, { settings: { skewMs: 3_600_001 } }, 400, 'invalid_request'],
      ['PATCH', `apps/${appId}`, { origins: ['https://a.example/path'] }, 400, 'invalid_request'],
      ['PATCH', `apps/${appId}`, { secrets: [] }, 400, 'invalid_request'],
      ['PATCH', 'apps/no-such-app', { name: 'x' }, 404, 'not_found'],
      ['PATCH', 'apps/bad%20id', { name: 'x' }, 400, 'invalid_request'],
      ['POST', 'apps/no-such-app/secrets', undefined, 404, 'not_found'],
    ];
    const appsBefore = (await live.store.apps.list()).length;
    for (const [method, path, body, status, code] of cases) {
      assertError(
        await call(method, path, body),
        status,
        code,
        `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`,
      );
    }
    assert.equal((await live.store.apps.list()).length, appsBefore, 'no app was created');
    assert.equal(JSON.stringify(await live.store.apps.get(appId)), before, 'the app is unchanged');
  });

  test('without the admin credential, or cross-site with the cookie, nothing is created or changed', async () => {
    const appsBefore = (await live.store.apps.list()).length;
    assertError(await call('POST', 'apps', { name: 'x' }, {}), 401, 'unauthenticated', 'no credential');
    assertError(
      await call('POST', 'apps', { name: 'x' }, { authorization: `Bearer ${'x'.repeat(43)}` }),
      401,
      'unauthenticated',
      'wrong bearer',
    );
    assertError(await call('POST', `apps/${appId}/secrets`, undefined, {}), 401, 'unauthenticated', 'rotate');
    assertError(await call('PATCH', `apps/${appId}`, { name: 'pwned' }, {}), 401, 'unauthenticated', 'edit');
    const signIn = await fetch(`${url}/console/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    assertError(
      await call('POST', 'apps', { name: 'csrf' }, { cookie, 'sec-fetch-site': 'cross-site' }),
      401,
      'unauthenticated',
      'cross-site with the cookie',
    );
    assert.equal((await live.store.apps.list()).length, appsBefore);
    const same = await call(
      'POST',
      'apps',
      { name: 'from the console' },
      { cookie, 'sec-fetch-site': 'same-origin' },
    );
    assert.equal(same.status, 201);
  });
});
