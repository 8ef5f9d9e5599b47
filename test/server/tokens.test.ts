// Tokens and sessions (CONTRACT.md) against a real listening Signet server on a SQLite file:
// refresh rotation, reuse detection, logout, introspection, revocation by user and credential,
// signing-key revocation, and discovery. Logins are real device-key signatures (node:crypto).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  SignJWT,
  generateKeyPair,
} from 'jose';
import { createApp } from '../../src/core/apps.js';
import { createTokenService } from '../../src/core/tokens.js';
import { REFRESH_GRACE_MS } from '../../src/core/sessions.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { runCli } from '../../src/cli/runCli.js';
import { buildServer } from '../../src/server/buildServer.js';
import { createSignetBrowserClient } from '../../src/browser/index.js';
import { captureIo, listenWithClient, startHarness, tempDir, type Harness } from '../support/harness.js';
import { enrolDeviceKey, logInWithDeviceKey, type DeviceKey } from '../support/deviceKeys.js';
import { fetchJson } from '../support/http.js';
import { listenOnLoopback } from '../support/liveServer.js';

let h: Harness;
let baseUrl: string;
let client: SignetClient;
let dir: ReturnType<typeof tempDir>;
let dbPath: string;
/** The master key the server and the CLI share (the CLI seals the successor of a revoked key). */
const MASTER_KEY = randomBytes(32).toString('hex');

const call = (path: string, body?: unknown) => fetchJson(baseUrl + path, { body });

const enrol = (userId: string): Promise<DeviceKey> => enrolDeviceKey(client, userId);

const login = (d: DeviceKey): Promise<any> => logInWithDeviceKey(baseUrl, h.app.id, d);

const refresh = (refreshToken: string, appId = h.app.id) =>
  call('/v1/tokens/refresh', { appId, refreshToken });

async function active(token: string, c: SignetClient = client): Promise<boolean> {
  const r = await c.introspect(token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body as { active: boolean }).active;
}

async function auditReasons(userId: string): Promise<Array<string | null>> {
  const { body } = await client.audit({ userId, limit: 100 });
  return (body as { records: Array<{ reason: string | null }> }).records.map((r) => r.reason);
}

before(async () => {
  dir = tempDir();
  dbPath = join(dir.dir, 'signet.db');
  h = await startHarness({ dbPath, masterKey: Buffer.from(MASTER_KEY, 'hex') });
  ({ baseUrl, client } = await listenWithClient(h));
});

after(async () => {
  await h.close();
  dir.remove();
});

describe('login answers with a session', () => {
  test('refreshToken (256-bit, opaque) and refreshExpiresAt (Unix seconds, 30 days); the token carries sid', async () => {
    const d = await enrol('alice');
    const ok = await login(d);
    assert.match(ok.refreshToken, /^srt_[A-Za-z0-9_-]{43}$/);
    const nowSec = Math.floor(h.clock() / 1000);
    assert.ok(Math.abs(ok.refreshExpiresAt - (nowSec + 30 * 86_400)) <= 2, String(ok.refreshExpiresAt));
    const claims = decodeJwt(ok.token);
    assert.match(String(claims['sid']), /^sid_/);
    assert.equal(claims['cid'], d.credentialId);
    assert.equal(await active(ok.token), true);
    // The store keeps only a hash: the token's text is nowhere in the database file.
    const { readFileSync } = await import('node:fs');
    const files = ['', '-wal'].map((s) => {
      try {
        return readFileSync(dbPath + s).toString('latin1');
      } catch {
        return '';
      }
    });
    assert.ok(!files.some((f) => f.includes(ok.refreshToken.slice(4))), 'refresh token stored in plaintext');
  });
});

describe('refresh', () => {
  test('rotation: each refresh gives a new refresh token and a new access token in the same family', async () => {
    const d = await enrol('bob');
    const first = await login(d);
    const r1 = await refresh(first.refreshToken);
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    assert.notEqual(r1.body.refreshToken, first.refreshToken);
    assert.equal(r1.body.refreshExpiresAt, first.refreshExpiresAt, 'a refresh never extends the family');
    const c0 = decodeJwt(first.token);
    const c1 = decodeJwt(r1.body.token);
    assert.equal(c1['sid'], c0['sid']);
    assert.equal(c1.sub, 'bob');
    assert.deepEqual(c1['amr'], ['device']);
    assert.equal(c1['cid'], d.credentialId);
    assert.notEqual(c1.jti, c0.jti);
    assert.equal(await active(r1.body.token), true);
    const r2 = await refresh(r1.body.refreshToken);
    assert.equal(r2.status, 200);
    assert.ok((await auditReasons('bob')).filter((r) => r === null).length >= 3);
  });

  test('reuse: a spent refresh token revokes the whole family; every token of it goes inactive', async () => {
    const d = await enrol('carol');
    const first = await login(d);
    const r1 = await refresh(first.refreshToken);
    assert.equal(r1.status, 200);

    // Past the retry grace (test/security/refreshRetry.test.ts covers a retry inside it).
    h.clock.advance(REFRESH_GRACE_MS + 1);
    const reuse = await refresh(first.refreshToken);
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.error.code, 'verification_failed');
    assert.equal(reuse.body.error.reason, undefined, 'the public answer carries no reason');

    // The legitimate holder's current token died with the family.
    const next = await refresh(r1.body.refreshToken);
    assert.equal(next.status, 401);
    assert.equal(await active(first.token), false);
    assert.equal(await active(r1.body.token), false);
    const reasons = await auditReasons('carol');
    assert.ok(reasons.includes('refresh_reuse'), reasons.join(','));
    assert.ok(reasons.includes('session_revoked'), reasons.join(','));

    // Another session of the same user is untouched.
    const other = await login(d);
    assert.equal((await refresh(other.refreshToken)).status, 200);
  });

  test('three concurrent refreshes with one token: the second is a retry inside the grace, the third reuse; the family is revoked', async () => {
    const d = await enrol('dave');
    const first = await login(d);
    const answers = await Promise.all([1, 2, 3].map(() => refresh(first.refreshToken)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 401]);
    for (const winner of answers.filter((a) => a.status === 200)) {
      assert.equal((await refresh(winner.body.refreshToken)).status, 401);
      assert.equal(await active(winner.body.token), false);
    }
  });

  test('unknown, malformed and foreign-app refresh tokens are verification_failed; bad bodies invalid_request', async () => {
    const d = await enrol('erin');
    const ok = await login(d);
    assert.equal((await refresh('srt_' + 'A'.repeat(43))).body.error.code, 'verification_failed');
    assert.equal((await refresh('not a token')).body.error.code, 'verification_failed');
    const { app: other } = await createApp(h.deps, { name: 'other', origins: ['https://other.example'] });
    const foreign = await refresh(ok.refreshToken, other.id);
    assert.equal(foreign.status, 401);
    assert.equal((await refresh(ok.refreshToken)).status, 200, 'the foreign attempt did not spend it');
    const bad = await call('/v1/tokens/refresh', { appId: h.app.id, refreshToken: 42 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
    const extra = await call('/v1/tokens/refresh', { appId: h.app.id, refreshToken: 'x', more: 1 });
    assert.equal(extra.status, 400);
  });

  test('an expired family refuses refresh (session_expired)', async () => {
    const d = await enrol('frank');
    const ok = await login(d);
    // The clock only moves forward (signed server-API timestamps must grow).
    h.clock.advance(31 * 86_400_000);
    const late = await refresh(ok.refreshToken);
    assert.equal(late.status, 401);
    assert.ok((await auditReasons('frank')).includes('session_expired'));
  });
});

describe('logout', () => {
  test('204; the family is revoked: refresh refused, access token inactive; unknown tokens also 204', async () => {
    const d = await enrol('grace');
    const ok = await login(d);
    const out = await call('/v1/logout', { appId: h.app.id, refreshToken: ok.refreshToken });
    assert.equal(out.status, 204);
    assert.equal((await refresh(ok.refreshToken)).status, 401);
    assert.equal(await active(ok.token), false);
    const unknown = await call('/v1/logout', { appId: h.app.id, refreshToken: 'srt_' + 'B'.repeat(43) });
    assert.equal(unknown.status, 204);
    const noApp = await call('/v1/logout', { appId: 'nope', refreshToken: ok.refreshToken });
    assert.equal(noApp.status, 404);
  });
});

describe('introspection', () => {
  test('active token: RFC 7662 fields', async () => {
    const d = await enrol('heidi');
    const ok = await login(d);
    const r = await client.introspect(ok.token);
    const body = r.body as Record<string, unknown>;
    assert.equal(body['active'], true);
    assert.equal(body['sub'], 'heidi');
    assert.equal(body['aud'], h.app.id);
    assert.equal(body['iss'], h.deps.issuer);
    assert.equal(body['cid'], d.credentialId);
    assert.deepEqual(body['amr'], ['device']);
    for (const k of ['exp', 'iat']) assert.equal(typeof body[k], 'number');
    assert.equal(typeof body['jti'], 'string');
  });

  test('inactive: expired, foreign-app, forged (other key, altered payload, alg none), garbage', async () => {
    const d = await enrol('ivan');
    const ok = await login(d);

    const fresh = await login(d);
    h.clock.advance(3601_000);
    assert.equal(await active(ok.token), false, 'expired');
    assert.equal(await active(fresh.token), false, 'expired');
    const ok2 = await login(d);

    const { app: other, secret } = await createApp(h.deps, {
      name: 'other2',
      origins: ['https://o.example'],
    });
    const otherClient = createSignetClient({ baseUrl, appId: other.id, secret, now: h.clock });
    assert.equal(await active(ok2.token, otherClient), false, 'foreign app');

    // Signed by a key that is not Signet's, with Signet's kid and claims.
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const claims = decodeJwt(ok2.token);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: decodeProtectedHeader(ok2.token).kid! })
      .sign(privateKey);
    assert.equal(await active(forged), false, 'other key');

    const [head, , sig] = ok2.token.split('.');
    const altered = Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url');
    assert.equal(await active(`${head}.${altered}.${sig}`), false, 'altered payload');
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    assert.equal(await active(`${none}.${altered}.`), false, 'alg none');
    assert.equal(await active('garbage'), false);

    const unsigned = await fetch(baseUrl + '/v1/tokens/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: ok2.token }),
    });
    assert.equal(unsigned.status, 401, 'introspection is server API');
  });
});

describe('revocation', () => {
  test('by userId revokes every session of the user; by token (access or refresh) one', async () => {
    const d = await enrol('judy');
    const s1 = await login(d);
    const s2 = await login(d);
    const s3 = await login(d);
    const byAccess = await client.revokeTokens({ token: s1.token });
    assert.deepEqual(byAccess.body, { revoked: 1 });
    assert.equal(await active(s1.token), false);
    assert.equal(await active(s2.token), true);
    const byRefresh = await client.revokeTokens({ token: s2.refreshToken });
    assert.deepEqual(byRefresh.body, { revoked: 1 });
    assert.equal((await refresh(s2.refreshToken)).status, 401);

    const s4 = await login(d);
    const byUser = await client.revokeTokens({ userId: 'judy' });
    assert.deepEqual(byUser.body, { revoked: 2 });
    for (const s of [s3, s4]) {
      assert.equal(await active(s.token), false);
      assert.equal((await refresh(s.refreshToken)).status, 401);
    }
    assert.deepEqual((await client.revokeTokens({ userId: 'judy' })).body, { revoked: 0 });
    assert.deepEqual((await client.revokeTokens({ token: 'not-a-token' })).body, { revoked: 0 });
  });

  test('by credentialId, and deleting a credential, revoke the sessions it started', async () => {
    const phone = await enrol('ken');
    const laptop = await enrol('ken');
    const p1 = await login(phone);
    const l1 = await login(laptop);
    assert.deepEqual((await client.revokeTokens({ credentialId: phone.credentialId })).body, { revoked: 1 });
    assert.equal(await active(p1.token), false);
    assert.equal(await active(l1.token), true);

    const l2 = await login(laptop);
    const del = await client.revokeCredential('ken', laptop.credentialId);
    assert.equal(del.status, 204);
    for (const s of [l1, l2]) {
      assert.equal(await active(s.token), false);
      assert.equal((await refresh(s.refreshToken)).status, 401);
    }
  });

  test('exactly one selector: none, two or unknown fields are invalid_request', async () => {
    for (const body of [{}, { userId: 'a', credentialId: 'b' }, { user: 'a' }]) {
      const r = await client.request('POST', '/v1/tokens/revoke', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal((r.body as any).error.code, 'invalid_request');
    }
  });
});

describe('signing keys', () => {
  test('keys revoke: the key leaves the JWKS at once, its tokens introspect inactive, a new key signs', async () => {
    const d = await enrol('leo');
    const ok = await login(d);
    const kid = decodeProtectedHeader(ok.token).kid!;
    const before = (await call('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    assert.ok(before.includes(kid));

    const io = captureIo({ SIGNET_MASTER_KEY: MASTER_KEY });
    // The CLI on the same database file as the running server.
    const code = await runCli(['keys', 'revoke', kid, '--db', `sqlite:${dbPath}`, '--json'], io);
    assert.equal(code, 0, io.stderr());
    const out = JSON.parse(io.stdout());
    assert.equal(out.revoked, true);
    assert.ok(!out.published.includes(kid));

    const jwks = (await call('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    assert.ok(!jwks.includes(kid), 'revoked key still published');
    assert.equal(await active(ok.token), false);
    await assert.rejects(
      jwtVerify(ok.token, createLocalJWKSet({ keys: (await call('/.well-known/jwks.json')).body.keys }), {
        issuer: h.deps.issuer,
        audience: h.app.id,
      }),
      'an offline verifier with a fresh JWKS refuses it too',
    );

    // The server's cached signing key is re-read within 10 s; move the clock past that.
    h.clock.advance(11_000);
    const next = await login(d);
    const newKid = decodeProtectedHeader(next.token).kid!;
    assert.notEqual(newKid, kid);
    assert.equal(await active(next.token), true);
    const bad = await runCli(
      ['keys', 'revoke', 'nosuchkid', '--db', `sqlite:${dbPath}`],
      captureIo({ SIGNET_MASTER_KEY: MASTER_KEY }),
    );
    assert.equal(bad, 1);
  });

  test('scheduled rotation: rotateIfOlderThan rotates only a key that old; the old key stays published', async () => {
    const tokens = createTokenService(h.deps);
    await tokens.rotate();
    assert.equal(await tokens.rotateIfOlderThan(86_400_000), null, 'a fresh key is not due');
    const activeBefore = (await h.store.signingKeys.list()).find((k) => k.retiredAt === null)!;
    h.clock.advance(86_400_000);
    const kid = await tokens.rotateIfOlderThan(86_400_000);
    assert.notEqual(kid, null);
    const published = (await tokens.jwks()).keys.map((k) => k.kid);
    assert.ok(published.includes(kid!));
    assert.ok(published.includes(activeBefore.kid), 'the retired key stays until its tokens expire');
  });
});

describe('discovery', () => {
  test('both documents: issuer = every token iss; absolute endpoints under the issuer', async () => {
    const d = await enrol('mia');
    const ok = await login(d);
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const doc = (await call(path)).body;
      assert.equal(doc.issuer, h.deps.issuer);
      assert.equal(doc.issuer, decodeJwt(ok.token).iss);
      assert.equal(doc.jwks_uri, `${h.deps.issuer}/.well-known/jwks.json`);
      assert.equal(doc.token_endpoint, `${h.deps.issuer}/v1/tokens/refresh`);
      assert.equal(doc.introspection_endpoint, `${h.deps.issuer}/v1/tokens/introspect`);
      assert.equal(doc.revocation_endpoint, `${h.deps.issuer}/v1/tokens/revoke`);
      // Both ways of signing a server-API call are announced for the two server-API endpoints.
      assert.deepEqual(doc.introspection_endpoint_auth_methods_supported, [
        'tiniapp_signature',
        'http_message_signature',
      ]);
      assert.deepEqual(doc.revocation_endpoint_auth_methods_supported, [
        'tiniapp_signature',
        'http_message_signature',
      ]);
      assert.deepEqual(doc.id_token_signing_alg_values_supported, ['EdDSA']);
    }
    // Never taken from the Host header.
    const spoofed = await fetch(baseUrl + '/.well-known/openid-configuration', {
      headers: { host: 'evil.example' },
    });
    assert.equal(((await spoofed.json()) as { issuer: string }).issuer, h.deps.issuer);
  });
});

describe('console API: a user sessions and "sign out everywhere"', () => {
  test('GET lists the active sessions (no token material); DELETE revokes them all', async () => {
    const adminToken = randomBytes(32).toString('base64url');
    const consoleServer = await buildServer({ deps: h.deps, adminToken });
    const consoleUrl = await listenOnLoopback(consoleServer);
    const admin = (method: string, path: string, token = adminToken) =>
      fetch(consoleUrl + path, { method, headers: { authorization: `Bearer ${token}` } });
    try {
      const d = await enrol('nina');
      const s1 = await login(d);
      h.clock.advance(1000);
      const s2 = await login(d);
      await call('/v1/logout', { appId: h.app.id, refreshToken: s2.refreshToken });
      h.clock.advance(1000);
      const s3 = await login(d);
      const path = `/console/api/apps/${h.app.id}/users/nina/sessions`;

      const listed = await admin('GET', path);
      assert.equal(listed.status, 200);
      const text = await listed.text();
      const { sessions } = JSON.parse(text) as { sessions: Array<Record<string, unknown>> };
      assert.deepEqual(
        sessions.map((s) => s['id']),
        [decodeJwt(s3.token)['sid'], decodeJwt(s1.token)['sid']],
        'active ones, newest first',
      );
      assert.equal(sessions[0]!['credentialId'], d.credentialId);
      assert.equal(sessions[0]!['amr'], 'device');
      assert.match(String(sessions[0]!['expiresAt']), /^\d{4}-\d\d-\d\dT/);
      for (const s of [s1, s3]) assert.ok(!text.includes(s.refreshToken.slice(4)), 'no token in the view');

      assert.equal((await admin('GET', path, 'x'.repeat(43))).status, 401, 'admin only');
      assert.equal((await admin('DELETE', `/console/api/apps/nope/users/nina/sessions`)).status, 404);

      const out = await admin('DELETE', path);
      assert.equal(out.status, 200);
      assert.deepEqual(await out.json(), { revoked: 2 });
      for (const s of [s1, s3]) {
        assert.equal(await active(s.token), false);
        assert.equal((await refresh(s.refreshToken)).status, 401);
      }
      assert.deepEqual(await (await admin('GET', path)).json(), { sessions: [] });
    } finally {
      await consoleServer.close();
    }
  });
});

describe('signet/browser: refresh and logout', () => {
  test('concurrent refreshes of one token in a page share one request (no self-inflicted reuse); logout ends it', async () => {
    const d = await enrol('olga');
    const s = await login(d);
    const browserClient = createSignetBrowserClient({ baseUrl, appId: h.app.id });
    const [a, b] = await Promise.all([
      browserClient.refresh(s.refreshToken),
      browserClient.refresh(s.refreshToken),
    ]);
    assert.equal(a.refreshToken, b.refreshToken);
    assert.equal(await active(a.token), true, 'the session survived');
    const next = await browserClient.refresh(a.refreshToken);
    await browserClient.logout(next.refreshToken);
    assert.equal(await active(next.token), false);
    await assert.rejects(browserClient.refresh(next.refreshToken), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'verification_failed');
      return true;
    });
  });
});
