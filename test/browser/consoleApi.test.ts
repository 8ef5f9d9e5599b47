// The admin console's credential and JSON routes without a browser (inject), and the chart's
// bucketing. The browser side is console.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { createApp } from '../../src/core/apps.js';
import { registerCredential } from '../../src/core/credentials.js';
import type { Deps } from '../../src/core/deps.js';
import { buildServer } from '../../src/server/buildServer.js';
import { createAdminAuth, readCookie } from '../../src/server/console/adminAuth.js';
import {
  attemptKind,
  bucketAttempts,
  chartWindow,
  collectAttempts,
} from '../../src/server/console/attempts.js';
import { CONSOLE_MAX_FAILURES } from '../../src/server/routes/console.js';
import { readAdminToken } from '../../src/cli/config.js';
import { UsageError } from '../../src/cli/io.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import type { App, AuditRecord, Store } from '../../src/store/types.js';
import { createTestClock, errorCode, type TestClock } from '../support/harness.js';
import { createTestDeps } from '../support/liveServer.js';

const TOKEN = randomBytes(32).toString('base64url');

interface Console {
  server: FastifyInstance;
  store: Store;
  clock: TestClock;
  app: App;
  deps: Deps;
  logs: () => string;
  get(path: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

async function startConsole(
  options: { adminToken?: string | null; basePath?: string } = {},
): Promise<Console> {
  const clock = createTestClock();
  const deps = createTestDeps({ clock });
  const { store } = deps;
  const { app } = await createApp(deps, { name: 'shop', origins: ['https://shop.example'] });
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const adminToken = options.adminToken === undefined ? TOKEN : options.adminToken;
  const server = await buildServer({
    deps,
    basePath: options.basePath ?? '',
    adminToken,
    logger: { level: 'debug', stream },
  });
  const base = options.basePath ?? '';
  return {
    server,
    store,
    clock,
    app,
    deps,
    logs: () => lines.join(''),
    get: (path, headers = {}) => server.inject({ method: 'GET', url: base + path, headers }),
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

const bearer = { authorization: `Bearer ${TOKEN}` };

async function signIn(
  c: Console,
  token = TOKEN,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return c.server.inject({
    method: 'POST',
    url: '/console/api/session',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ token }),
  });
}

function sessionCookie(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const value = Array.isArray(header) ? header[0] : header;
  assert.ok(value, 'a Set-Cookie header');
  return value.split(';')[0]!;
}

describe('console credential', () => {
  test('no admin token: no console (404 like any unknown path)', async () => {
    const c = await startConsole({ adminToken: null });
    try {
      for (const path of ['/console', '/console/console.js', '/console/api/apps']) {
        const r = await c.get(path, bearer);
        assert.equal(r.statusCode, 404, path);
        assert.equal(errorCode(r), 'not_found');
      }
    } finally {
      await c.close();
    }
  });

  test('a short or spaced admin token is refused when the server is built, and by the CLI config', async () => {
    await assert.rejects(startConsole({ adminToken: 'short' }), TypeError);
    await assert.rejects(startConsole({ adminToken: `${'a'.repeat(20)} ${'b'.repeat(20)}` }), TypeError);
    assert.throws(() => readAdminToken({ SIGNET_ADMIN_TOKEN: 'x'.repeat(31) }), UsageError);
    assert.throws(() => readAdminToken({ SIGNET_ADMIN_TOKEN: `${'x'.repeat(31)}\t` }), UsageError);
    assert.equal(readAdminToken({ SIGNET_ADMIN_TOKEN: TOKEN }), TOKEN);
    assert.equal(readAdminToken({ SIGNET_ADMIN_TOKEN: '' }), null);
    assert.equal(readAdminToken({}), null);
  });

  test('bearer token: missing or wrong is 401 unauthenticated; right lists the apps without secrets', async () => {
    const c = await startConsole();
    try {
      const none = await c.get('/console/api/apps');
      assert.equal(none.statusCode, 401);
      assert.equal(errorCode(none), 'unauthenticated');
      const wrong = await c.get('/console/api/apps', { authorization: `Bearer ${TOKEN.slice(0, -1)}x` });
      assert.equal(errorCode(wrong), 'unauthenticated');
      const ok = await c.get('/console/api/apps', bearer);
      assert.equal(ok.statusCode, 200);
      const body = ok.json() as { apps: Array<Record<string, unknown>> };
      assert.equal(body.apps.length, 1);
      assert.equal(body.apps[0]!['appId'], c.app.id);
      assert.equal(body.apps[0]!['activeSecrets'], 1);
      assert.doesNotMatch(ok.body, /sealed|secrets"/);
    } finally {
      await c.close();
    }
  });

  test('sign-in sets an HttpOnly SameSite=Strict cookie scoped to the console; it authenticates until it expires', async () => {
    const c = await startConsole();
    try {
      const wrong = await signIn(c, 'x'.repeat(40));
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.headers['set-cookie'], undefined);
      const ok = await signIn(c);
      assert.equal(ok.statusCode, 204);
      const header = String(ok.headers['set-cookie']);
      assert.match(header, /; HttpOnly/);
      assert.match(header, /; SameSite=Strict/);
      assert.match(header, /; Path=\/console(;|$)/);
      assert.doesNotMatch(header, /; Secure/, 'plain http: no Secure flag');
      assert.ok(!header.includes(TOKEN));
      const cookie = sessionCookie(ok);
      assert.equal((await c.get('/console/api/session', { cookie })).statusCode, 200);
      assert.equal(
        (await c.get('/console/api/apps', { cookie, 'sec-fetch-site': 'same-origin' })).statusCode,
        200,
      );

      // A request from another site carrying the cookie is refused.
      const cross = await c.get('/console/api/apps', { cookie, 'sec-fetch-site': 'cross-site' });
      assert.equal(cross.statusCode, 401);
      // A tampered cookie is not a session.
      const tampered = cookie.replace(/.$/, (ch) => (ch === '0' ? '1' : '0'));
      assert.equal((await c.get('/console/api/apps', { cookie: tampered })).statusCode, 401);
      // Eight hours later the session is over.
      c.clock.advance(8 * 3600_000 + 1);
      assert.equal((await c.get('/console/api/apps', { cookie })).statusCode, 401);
      // Sign-out clears the cookie.
      const out = await c.server.inject({ method: 'DELETE', url: '/console/api/session' });
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers['set-cookie']), /^signet_console=; Max-Age=0/);
    } finally {
      await c.close();
    }
  });

  test('under a base path the cookie and the page are scoped to it; over https the cookie is Secure', async () => {
    const c = await startConsole({ basePath: '/signet' });
    try {
      const ok = await c.server.inject({
        method: 'POST',
        url: '/signet/console/api/session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ token: TOKEN }),
      });
      assert.equal(ok.statusCode, 204);
      assert.match(String(ok.headers['set-cookie']), /; Path=\/signet\/console;/);
      const page = await c.get('/console');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /src="\/signet\/console\/console\.js"/);
    } finally {
      await c.close();
    }
    const proxied = await startConsole();
    try {
      const ok = await signIn(proxied, TOKEN, { 'x-forwarded-proto': 'https' });
      assert.match(String(ok.headers['set-cookie']), /; SameSite=Strict; Secure$/);
    } finally {
      await proxied.close();
    }
    const auth = createAdminAuth({ token: TOKEN, clock: () => 0, cookiePath: '/console' });
    assert.match(auth.sessionCookie(true), /; Secure$/);
  });

  test('failed credentials are rate-limited per IP: then even the right token waits', async () => {
    const c = await startConsole();
    try {
      for (let i = 0; i < CONSOLE_MAX_FAILURES; i++) {
        const r =
          i % 2 === 0
            ? await signIn(c, `wrong-${i}`.padEnd(40, 'x'))
            : await c.get('/console/api/apps', { authorization: 'Bearer nope' });
        assert.equal(r.statusCode, 401);
      }
      const limited = await signIn(c);
      assert.equal(limited.statusCode, 429);
      assert.equal(errorCode(limited), 'rate_limited');
      assert.equal(errorCode(await c.get('/console/api/apps', bearer)), 'rate_limited');
      // Visits without a credential never counted: a fresh window lets the admin in again.
      c.clock.advance(15 * 60_000 + 1);
      assert.equal((await c.get('/console/api/apps', bearer)).statusCode, 200);
    } finally {
      await c.close();
    }
  });

  test('the admin token never reaches the log', async () => {
    const c = await startConsole();
    try {
      await signIn(c);
      await signIn(c, TOKEN.slice(1) + 'A');
      await c.get('/console/api/apps', bearer);
      await c.get('/console/api/apps', { authorization: `Bearer ${TOKEN}zz` });
      assert.ok(c.logs().includes('console: signed in'), 'the log is captured');
      assert.ok(!c.logs().includes(TOKEN), 'no token in the log');
      assert.ok(!c.logs().includes(TOKEN.slice(1)), 'no wrong token either');
    } finally {
      await c.close();
    }
  });

  test('the page and its assets carry a strict CSP and no-store; the script is JavaScript', async () => {
    const c = await startConsole();
    try {
      const page = await c.get('/console');
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
      assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
      assert.equal(page.headers['x-frame-options'], 'DENY');
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.doesNotMatch(page.body, /<script>(?!<\/script>)/, 'no inline script');
      const script = await c.get('/console/console.js');
      assert.match(String(script.headers['content-type']), /^text\/javascript/);
      assert.doesNotMatch(script.body, /\binterface\b|: string\)/, 'transpiled, no TypeScript left');
      assert.match(script.body, /import\.meta\.url/);
      assert.equal((await c.get('/console/console.css')).statusCode, 200);
      assert.equal(
        (await c.get('/console/api/apps?x=1', bearer)).statusCode,
        400,
        'unknown query parameters are refused',
      );
    } finally {
      await c.close();
    }
  });
});

describe('console JSON routes', () => {
  test("a user's credentials, revoke, unknown app or credential 404", async () => {
    const c = await startConsole();
    try {
      const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        format: 'pem',
        type: 'spki',
      });
      const credential = await registerCredential(c.deps, c.app, 'alice/ä', { type: 'device', publicKey });
      const path = `/console/api/apps/${c.app.id}/users/${encodeURIComponent('alice/ä')}/credentials`;
      const list = await c.get(path, bearer);
      assert.equal(list.statusCode, 200);
      assert.deepEqual(
        (list.json() as { credentials: Array<{ id: string }> }).credentials.map((x) => x.id),
        [credential.id],
      );
      const del = () =>
        c.server.inject({ method: 'DELETE', url: `${path}/${credential.id}`, headers: bearer });
      assert.equal((await del()).statusCode, 204);
      assert.equal(errorCode(await del()), 'not_found');
      assert.equal(
        errorCode(await c.get(`/console/api/apps/nosuchapp/users/alice/credentials`, bearer)),
        'not_found',
      );
      assert.equal(
        errorCode(await c.get(`/console/api/apps/bad!id/users/alice/credentials`, bearer)),
        'invalid_request',
      );
      assert.ok(c.logs().includes('console: credential revoked'));
    } finally {
      await c.close();
    }
  });

  test('the audit log: newest first, by user, with limit and before; bad queries are 400', async () => {
    const c = await startConsole();
    try {
      const t0 = c.clock();
      for (let i = 0; i < 5; i++) {
        await c.store.audit.append({
          id: `au_${i}`,
          appId: c.app.id,
          at: t0 - i * 1000,
          scheme: 'device',
          action: 'login',
          outcome: i % 2 === 0 ? 'success' : 'failure',
          reason: i % 2 === 0 ? null : 'signature_invalid',
          userId: i < 3 ? 'alice' : 'bob',
          credentialId: null,
          ip: null,
        });
      }
      const base = `/console/api/apps/${c.app.id}/audit`;
      const all = (await c.get(base, bearer)).json() as { records: Array<{ id: string; at: string }> };
      assert.deepEqual(
        all.records.map((r) => r.id),
        ['au_0', 'au_1', 'au_2', 'au_3', 'au_4'],
      );
      assert.equal(all.records[0]!.at, new Date(t0).toISOString());
      const alice = (await c.get(`${base}?userId=alice&limit=2`, bearer)).json() as {
        records: Array<{ id: string }>;
      };
      assert.deepEqual(
        alice.records.map((r) => r.id),
        ['au_0', 'au_1'],
      );
      const older = (await c.get(`${base}?before=${t0 - 2500}`, bearer)).json() as {
        records: Array<{ id: string }>;
      };
      assert.deepEqual(
        older.records.map((r) => r.id),
        ['au_3', 'au_4'],
      );
      const ids = async (query: string) => {
        const r = await c.get(base + query, bearer);
        assert.equal(r.statusCode, 200, query);
        const body = r.json() as { records: Array<{ id: string }>; nextCursor: string | null };
        return { ids: body.records.map((x) => x.id), next: body.nextCursor };
      };
      assert.deepEqual((await ids('?outcome=failure')).ids, ['au_1', 'au_3']);
      assert.deepEqual((await ids('?userPrefix=al&outcome=success')).ids, ['au_0', 'au_2']);
      assert.deepEqual((await ids('?userPrefix=b&reason=signature_invalid')).ids, ['au_3']);
      assert.deepEqual((await ids('?scheme=device&action=login&userPrefix=bo')).ids, ['au_3', 'au_4']);
      assert.deepEqual((await ids('?scheme=eth')).ids, []);
      // Paging: a full page carries the cursor of its last record; the last page carries null.
      const pages: string[][] = [];
      let next: string | null = null;
      do {
        const page = await ids(`?limit=2${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
        pages.push(page.ids);
        next = page.next;
      } while (next !== null && pages.length < 10);
      assert.deepEqual(pages, [['au_0', 'au_1'], ['au_2', 'au_3'], ['au_4']]);
      for (const bad of [
        '?limit=abc',
        '?limit=12345',
        '?before=-1',
        '?userId=',
        '?userPrefix=',
        '?outcome=maybe',
        '?scheme=ETH',
        "?reason=x'--",
        '?cursor=abc',
        '?cursor=1.a.b',
        '?role=admin',
      ]) {
        assert.equal(errorCode(await c.get(base + bad, bearer)), 'invalid_request', bad);
      }
    } finally {
      await c.close();
    }
  });

  test('the attempts chart: series by scheme and outcome over aligned buckets; bounds checked', async () => {
    const c = await startConsole();
    try {
      c.clock.set(Date.UTC(2024, 0, 2, 12, 30));
      const now = c.clock();
      const add = (
        i: number,
        at: number,
        scheme: string,
        outcome: 'success' | 'failure',
        action = 'login',
        reason: string | null = outcome === 'failure' ? 'signature_invalid' : null,
      ) =>
        c.store.audit.append({
          id: `au_${i}`,
          appId: c.app.id,
          at,
          scheme,
          action,
          outcome,
          reason,
          userId: null,
          credentialId: null,
          ip: null,
        });
      await add(1, now, 'webauthn', 'success');
      await add(2, now - 3600_000, 'webauthn', 'failure');
      await add(3, now - 3600_000 - 1, 'device', 'success');
      await add(4, now - 25 * 3600_000, 'device', 'success'); // outside the day
      await add(5, now - 60_000, 'webauthn', 'success', 'register');
      await add(6, now - 60_000, 'eth', 'failure', 'register', 'replayed');
      await add(7, now - 120_000, 'mykey', 'failure', 'mykey_callback', 'replayed');
      const r = await c.get(`/console/api/apps/${c.app.id}/attempts?hours=24&buckets=24`, bearer);
      assert.equal(r.statusCode, 200);
      const chart = r.json() as {
        from: number;
        to: number;
        bucketMs: number;
        series: Array<{ kind: string; scheme: string; outcome: string; counts: number[]; total: number }>;
        summary: Array<{ kind: string; attempts: number; failures: number; failureRate: number }>;
        reasons: Array<{ reason: string; count: number }>;
      };
      assert.equal(chart.bucketMs, 3600_000);
      assert.equal(chart.to, Date.UTC(2024, 0, 2, 13));
      assert.equal(chart.from, Date.UTC(2024, 0, 1, 13));
      assert.deepEqual(
        chart.series.map((s) => [s.kind, s.scheme, s.outcome, s.total, s.counts.indexOf(1)]),
        [
          ['login', 'device', 'success', 1, 22],
          ['login', 'mykey', 'failure', 1, 23],
          ['login', 'webauthn', 'success', 1, 23],
          ['login', 'webauthn', 'failure', 1, 22],
          ['registration', 'eth', 'failure', 1, 23],
          ['registration', 'webauthn', 'success', 1, 23],
        ],
      );
      assert.deepEqual(chart.summary, [
        { kind: 'login', attempts: 4, failures: 2, failureRate: 0.5 },
        { kind: 'registration', attempts: 2, failures: 1, failureRate: 0.5 },
      ]);
      assert.deepEqual(chart.reasons, [
        { reason: 'replayed', count: 2 },
        { reason: 'signature_invalid', count: 1 },
      ]);
      for (const bad of ['?hours=0', '?hours=721', '?buckets=0', '?buckets=201', '?hours=1.5']) {
        assert.equal(
          errorCode(await c.get(`/console/api/apps/${c.app.id}/attempts${bad}`, bearer)),
          'invalid_request',
          bad,
        );
      }
    } finally {
      await c.close();
    }
  });
});

describe('attempts bucketing', () => {
  test('chartWindow ends with the bucket holding now, aligned to the bucket size', () => {
    const w = chartWindow(10_500, 10_000, 10);
    assert.deepEqual(w, { from: 1_000, to: 11_000, bucketMs: 1_000 });
    assert.throws(() => chartWindow(0, 1000, 0), RangeError);
  });

  test('bucketAttempts counts every record in the window exactly once (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: -50, max: 1050 }),
            scheme: fc.constantFrom('device', 'eth', 'webauthn'),
            action: fc.constantFrom('login', 'register', 'mykey_callback', 'server_api'),
            outcome: fc.constantFrom('success' as const, 'failure' as const),
            reason: fc.constantFrom('signature_invalid', 'replayed', 'origin_mismatch'),
          }),
          { maxLength: 200 },
        ),
        fc.integer({ min: 1, max: 50 }),
        (records, buckets) => {
          const bucketMs = Math.ceil(1000 / buckets);
          const window = { from: 0, to: bucketMs * buckets, bucketMs };
          const chart = bucketAttempts(records, window);
          const inside = records.filter((r) => r.at >= 0 && r.at < window.to);
          assert.equal(
            chart.series.reduce((n, s) => n + s.total, 0),
            inside.length,
          );
          for (const s of chart.series) {
            assert.equal(s.counts.length, buckets);
            assert.equal(
              s.counts.reduce((a, b) => a + b, 0),
              s.total,
            );
            assert.equal(
              s.total,
              inside.filter(
                (r) => attemptKind(r.action) === s.kind && r.scheme === s.scheme && r.outcome === s.outcome,
              ).length,
            );
          }
          // Failure rates per kind, and reasons counted over failures only, most frequent first.
          for (const k of chart.summary) {
            const ofKind = inside.filter((r) => attemptKind(r.action) === k.kind);
            const failures = ofKind.filter((r) => r.outcome === 'failure').length;
            assert.deepEqual([k.attempts, k.failures], [ofKind.length, failures]);
            assert.ok(Math.abs(k.failureRate - failures / ofKind.length) < 1e-4);
          }
          assert.equal(
            chart.summary.reduce((n, k) => n + k.attempts, 0),
            inside.length,
          );
          for (const { reason, count } of chart.reasons) {
            assert.equal(count, inside.filter((r) => r.outcome === 'failure' && r.reason === reason).length);
          }
          const counts = chart.reasons.map((r) => r.count);
          assert.deepEqual(
            counts,
            [...counts].sort((a, b) => b - a),
          );
        },
      ),
    );
  });

  test('collectAttempts pages through the store: records sharing a millisecond across a page edge are counted once', async () => {
    const clock = createTestClock(1_000_000);
    const store = createSqliteStore({ path: ':memory:', clock });
    try {
      const deps = createTestDeps({ store, clock, issuer: 'x', chainFetch: async () => null });
      const { app } = await createApp(deps, { name: 'paging' });
      const records: AuditRecord[] = [];
      // 2600 records; 700 of them share one millisecond straddling the 1000-record page edge.
      for (let i = 0; i < 2600; i++) {
        const at = i >= 800 && i < 1500 ? 900_000 : 1_000_000 - i * 10;
        records.push({
          id: `au_${String(i).padStart(5, '0')}`,
          appId: app.id,
          at,
          scheme: i % 3 === 0 ? 'eth' : 'device',
          action: 'login',
          outcome: 'success',
          reason: null,
          userId: null,
          credentialId: null,
          ip: null,
        });
      }
      for (const r of records) await store.audit.append(r);
      const window = { from: 0, to: 1_000_001, bucketMs: 1_000_001 };
      const chart = await collectAttempts(store.audit, app.id, window);
      assert.equal(chart.truncated, false);
      assert.equal(
        chart.series.reduce((n, s) => n + s.total, 0),
        2600,
      );
      assert.equal(
        chart.series.find((s) => s.scheme === 'eth')?.total,
        records.filter((r) => r.scheme === 'eth').length,
      );
      const capped = await collectAttempts(store.audit, app.id, window, 1500);
      assert.equal(capped.truncated, true);
    } finally {
      await store.close();
    }
  });

  test('readCookie finds one cookie among several', () => {
    assert.equal(readCookie('a=1; signet_console=v1.x; b=2', 'signet_console'), 'v1.x');
    assert.equal(readCookie('xsignet_console=1', 'signet_console'), null);
    assert.equal(readCookie(undefined, 'a'), null);
  });
});
