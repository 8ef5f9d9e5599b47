// Attacks on the console's app and audit routes, against a real listening server:
// - a cross-site page riding the operator's session cookie to create an app, edit one (add its own
//   origin) or rotate a secret (to read the new one);
// - reading a secret back after it was shown;
// - audit filters that try SQL or LIKE wildcards, and a cursor naming another app's record,
//   to read records the filter (or the app) should not show.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/core/apps.js';
import { silentLogger, type Deps } from '../../src/core/deps.js';
import { createSealer } from '../../src/core/sealer.js';
import { buildServer } from '../../src/server/buildServer.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import type { App, Store } from '../../src/store/types.js';

const TOKEN = randomBytes(32).toString('base64url');
let server: FastifyInstance;
let store: Store;
let url: string;
let app: App;
let other: App;
let cookie: string;

before(async () => {
  store = createSqliteStore({ path: ':memory:', clock: () => Date.now() });
  const deps: Deps = {
    store,
    clock: () => Date.now(),
    random: (n) => randomBytes(n),
    sealer: createSealer(randomBytes(32)),
    issuer: 'http://signet.test',
    log: silentLogger,
    chainFetch: async () => ({ rows: [] }),
  };
  app = (await createApp(deps, { name: 'victim', origins: ['https://shop.example'] })).app;
  other = (await createApp(deps, { name: 'other tenant' })).app;
  const now = Date.now();
  for (let i = 0; i < 6; i++) {
    await store.audit.append({
      id: `au_v${i}`,
      appId: app.id,
      at: now - 1000,
      scheme: 'device',
      action: 'login',
      outcome: i % 2 ? 'failure' : 'success',
      reason: i % 2 ? 'signature_invalid' : null,
      userId: i < 3 ? 'alice' : 'bob',
      credentialId: null,
      ip: null,
    });
  }
  await store.audit.append({
    id: 'au_other',
    appId: other.id,
    at: now - 1000,
    scheme: 'device',
    action: 'login',
    outcome: 'success',
    reason: null,
    userId: 'alice-of-other',
    credentialId: null,
    ip: null,
  });
  server = await buildServer({ deps, adminToken: TOKEN });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
  const signIn = await fetch(`${url}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: TOKEN }),
  });
  cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
});

after(async () => {
  await server?.close();
  await store?.close();
});

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${url}/console/api/${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as any) : null };
}

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('console: cross-site requests with the session cookie', () => {
  for (const site of ['cross-site', 'same-site']) {
    test(`${site}: create, edit and rotate are refused and change nothing`, async () => {
      const headers = { cookie, 'sec-fetch-site': site, origin: 'https://evil.example' };
      const before = JSON.stringify(await store.apps.list());
      const attempts = [
        await call('POST', 'apps', headers, { name: 'evil', origins: ['https://evil.example'] }),
        await call('PATCH', `apps/${app.id}`, headers, { origins: ['https://evil.example'] }),
        await call('POST', `apps/${app.id}/secrets`, headers),
      ];
      for (const r of attempts) {
        assert.equal(r.status, 401, r.text);
        assert.equal(r.json.error.code, 'unauthenticated');
        assert.ok(!/"secret"/.test(r.text));
      }
      assert.equal(JSON.stringify(await store.apps.list()), before);
    });
  }
});

describe('console: a shown secret cannot be read back', () => {
  test('after create and rotate, no console answer carries the secret, and the store holds it sealed', async () => {
    const created = await call('POST', 'apps', bearer, { name: 'fresh' });
    assert.equal(created.status, 201);
    const rotated = await call('POST', `apps/${created.json.app.appId}/secrets`, bearer);
    assert.equal(rotated.status, 201);
    const secrets = [created.json.secret as string, rotated.json.secret as string];
    const answers = [
      await call('GET', 'apps', bearer),
      await call('PATCH', `apps/${created.json.app.appId}`, bearer, { name: 'fresh 2' }),
      await call('GET', `apps/${created.json.app.appId}/audit`, bearer),
      await call('GET', `apps/${created.json.app.appId}/attempts`, bearer),
      await call('GET', 'vocabulary', bearer),
    ];
    const stored = JSON.stringify(await store.apps.get(created.json.app.appId));
    for (const s of secrets) {
      for (const a of answers) assert.ok(!a.text.includes(s));
      assert.ok(!stored.includes(s));
    }
  });
});

describe('console: audit filters and cursors stay inside the filter and the app', () => {
  const ids = async (query: string) => {
    const r = await call('GET', `apps/${app.id}/audit?${query}`, bearer);
    return {
      status: r.status,
      code: r.json?.error?.code,
      ids: (r.json?.records ?? []).map((x: { id: string }) => x.id),
    };
  };

  test('SQL and LIKE wildcards in the user prefix match nothing they should not', async () => {
    for (const prefix of [
      "' OR '1'='1",
      '%',
      '_',
      'a%',
      'al_ce',
      "alice' --",
      'alice"; DROP TABLE audit_events; --',
    ]) {
      const r = await ids(`userPrefix=${encodeURIComponent(prefix)}`);
      assert.equal(r.status, 200, prefix);
      assert.deepEqual(r.ids, [], prefix);
    }
    assert.equal((await ids('userPrefix=al')).ids.length, 3);
    assert.equal((await store.audit.list(app.id, { limit: 100 })).length, 6, 'the table is intact');
  });

  test('scheme, reason and outcome values outside their patterns are refused, not interpreted', async () => {
    for (const q of [
      "scheme=device'--",
      'reason=signature_invalid%20OR%201',
      'outcome=success%27',
      'action=LOGIN',
    ]) {
      const r = await ids(q);
      assert.equal(r.status, 400, q);
      assert.equal(r.code, 'invalid_request', q);
    }
  });

  test("a cursor naming another app's record, or a forged one, never shows that app's records", async () => {
    const now = Date.now();
    for (const cursor of [
      `${now}.au_other`,
      `${now + 10_000}.au_other`,
      `${now}.au_v5`,
      `999999999999999.x`,
    ]) {
      const r = await ids(`cursor=${encodeURIComponent(cursor)}`);
      assert.equal(r.status, 200, cursor);
      assert.ok(!r.ids.includes('au_other'), cursor);
      assert.ok(
        r.ids.every((id: string) => id.startsWith('au_v')),
        cursor,
      );
    }
    const foreign = await call('GET', `apps/${other.id}/audit?userPrefix=alice`, bearer);
    assert.deepEqual(
      foreign.json.records.map((r: { id: string }) => r.id),
      ['au_other'],
    );
  });
});

describe('console: sign-out ends the session on the server, not only in the browser', () => {
  test('a copied session cookie stops working once its session signs out; other sessions stay open', async () => {
    const open = async (): Promise<string> => {
      const r = await fetch(`${url}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: TOKEN }),
      });
      assert.equal(r.status, 204);
      return r.headers.get('set-cookie')!.split(';')[0]!;
    };
    const stolen = await open();
    const other = await open();
    assert.notEqual(stolen, other, 'each sign-in opens its own session');
    assert.equal((await call('GET', 'apps', { cookie: stolen })).status, 200);

    // The operator signs out; an attacker kept a copy of the cookie.
    const out = await call('DELETE', 'session', { cookie: stolen, 'sec-fetch-site': 'same-origin' });
    assert.equal(out.status, 204);
    const replayed = await call('GET', 'apps', { cookie: stolen });
    assert.equal(replayed.status, 401, replayed.text);
    assert.equal(replayed.json.error.code, 'unauthenticated');
    assert.equal((await call('GET', 'session', { cookie: stolen })).status, 401);
    assert.equal((await call('GET', 'apps', { cookie: other })).status, 200, 'another session is untouched');

    // A cross-site page cannot sign the operator out.
    const cross = await call('DELETE', 'session', { cookie: other, 'sec-fetch-site': 'cross-site' });
    assert.equal(cross.status, 401);
    assert.equal((await call('GET', 'apps', { cookie: other })).status, 200);
  });
});
