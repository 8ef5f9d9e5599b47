// MYKEY sessions as refresh-token families, and the red-team pass over issues 9-11, against a
// real listening Signet (SQLite file, 127.0.0.1, real HTTP) with real EOS signatures
// (@wharfkit/antelope). Each `finding` block replays an attack that worked before its fix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { Bytes, PrivateKey } from '@wharfkit/antelope';
import { Wallet } from 'ethers';
import { createApp } from '../../src/core/apps.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import type { App } from '../../src/store/types.js';
import { listen, startHarness, tempDir, type Harness } from '../support/harness.js';

const ADMIN_TOKEN = 'console-admin-token-for-the-red-team-test';

let h: Harness;
let baseUrl: string;
let dir: ReturnType<typeof tempDir>;
let dbPath: string;
let client: SignetClient;
/** A second app, with its own secret: the "other app" of the cross-app attacks. */
let other: { app: App; client: SignetClient };

async function publicCall(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(baseUrl + path, {
    method,
    ...(body === undefined
      ? { headers }
      : {
          headers: { ...headers, 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: kept as text, asserted on by the caller */
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

function headerNames(headers: Headers): string[] {
  const names: string[] = [];
  headers.forEach((_value, name) => names.push(name));
  return names;
}

const seconds = () => String(Math.floor(h.clock() / 1000));

/** Registers `account` for `userId` in `c`'s app with a proof of possession by `key`. */
async function registerEos(c: SignetClient, appId: string, userId: string, account: string, key: PrivateKey) {
  const ch = await publicCall('POST', '/v1/challenges', { appId, type: 'eos', userId });
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  const r = await c.registerCredential(userId, {
    type: 'eos',
    account,
    publicKey: key.toPublic().toString(),
    proof: {
      challengeId: ch.body.challengeId,
      signature: key.signMessage(Bytes.from(ch.body.challenge, 'utf8')).toString(),
    },
  } as never);
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

/** A MYKEY session started by the app's page. */
async function startSession(appId: string): Promise<{ uuID: string; pollSecret: string }> {
  const s = await publicCall('POST', '/v1/mykey/sessions', { appId });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  return s.body;
}

function callbackBody(uuID: string, account: string, key: PrivateKey) {
  const timestamp = seconds();
  return {
    uuID,
    ref: 'mykey',
    timestamp,
    account,
    chain: 'EOS',
    sign: key.signMessage(Bytes.from(timestamp + account + uuID + 'mykey', 'utf8')).toString(),
  };
}

function sdkBody(appId: string, uuID: string, account: string, key: PrivateKey) {
  const timestamp = seconds();
  const base = timestamp + account + uuID + 'mykey';
  return {
    appId,
    uuID,
    account,
    chain: 'EOS',
    timestamp,
    mykeyUID: 'uid-1',
    origin: 'mykey',
    signature: key.signMessage(Bytes.from(base, 'utf8')).toString(),
    mykeyUIDSignature: key.signMessage(Bytes.from(base + 'uid-1', 'utf8')).toString(),
  };
}

const poll = (appId: string, uuID: string, pollSecret?: string) =>
  publicCall(
    'GET',
    `/v1/mykey/sessions/${uuID}?appId=${appId}`,
    undefined,
    pollSecret === undefined ? {} : { 'x-signet-poll-secret': pollSecret },
  );

/** A complete MYKEY login through MYKEY's callback; the creator's poll answer. */
async function mykeyLogin(appId: string, account: string, key: PrivateKey) {
  const s = await startSession(appId);
  const answer = await publicCall('POST', `/v1/mykey/callback/${appId}`, callbackBody(s.uuID, account, key));
  assert.deepEqual(answer.body, { code: 0, message: 'success' });
  const view = await poll(appId, s.uuID, s.pollSecret);
  assert.equal(view.status, 200);
  return { session: s, view: view.body };
}

const introspect = async (c: SignetClient, token: string) =>
  (await c.introspect(token)).body as { active: boolean; sid?: string; sub?: string };

before(async () => {
  dir = tempDir();
  dbPath = join(dir.dir, 'signet.db');
  h = await startHarness({
    dbPath,
    server: { adminToken: ADMIN_TOKEN },
    // A real HTTP chain API, for the apps that configure one (the race below).
    chainFetch: async (url, body) =>
      (await fetch(url, { method: 'POST', body: JSON.stringify(body) })).json(),
  });
  baseUrl = await listen(h);
  client = createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret, now: h.clock });
  const made = await createApp(h.deps, { name: 'other app', origins: ['https://other.example'] });
  other = {
    app: made.app,
    client: createSignetClient({ baseUrl, appId: made.app.id, secret: made.secret, now: h.clock }),
  };
});

after(async () => {
  await h.close();
  dir.remove();
});

describe('a verified MYKEY session starts a session family', () => {
  test('callback path: the creator polls an access token with sid and a refresh token that rotates', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-fam-1', 'mkfamone', key);
    const { view } = await mykeyLogin(h.app.id, 'mkfamone', key);
    assert.equal(view.status, 'verified');
    assert.match(view.refreshToken, /^srt_[A-Za-z0-9_-]{43}$/);
    assert.equal(typeof view.refreshExpiresAt, 'number');
    assert.ok(view.refreshExpiresAt > Math.floor(h.clock() / 1000));
    const claims = decodeJwt(view.token);
    assert.equal(claims.sub, 'mk-fam-1');
    assert.equal(typeof claims['sid'], 'string');
    const info = await introspect(client, view.token);
    assert.equal(info.active, true);
    assert.equal(info.sid, claims['sid']);

    const next = await publicCall('POST', '/v1/tokens/refresh', {
      appId: h.app.id,
      refreshToken: view.refreshToken,
    });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal(decodeJwt(next.body.token)['sid'], claims['sid']);
    assert.deepEqual(decodeJwt(next.body.token)['amr'], ['mykey']);

    // logout ends the family: both access tokens become inactive.
    const out = await publicCall('POST', '/v1/logout', {
      appId: h.app.id,
      refreshToken: next.body.refreshToken,
    });
    assert.equal(out.status, 204);
    assert.equal((await introspect(client, view.token)).active, false);
    assert.equal((await introspect(client, next.body.token)).active, false);
  });

  test('revoke by userId and by token reaches MYKEY sessions', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-fam-2', 'mkfamtwo', key);
    const a = (await mykeyLogin(h.app.id, 'mkfamtwo', key)).view;
    const b = (await mykeyLogin(h.app.id, 'mkfamtwo', key)).view;
    const byToken = await client.revokeTokens({ token: a.token });
    assert.deepEqual(byToken.body, { revoked: 1 });
    assert.equal((await introspect(client, a.token)).active, false);
    assert.equal((await introspect(client, b.token)).active, true);
    const byUser = await client.revokeTokens({ userId: 'mk-fam-2' });
    assert.deepEqual(byUser.body, { revoked: 1 });
    assert.equal((await introspect(client, b.token)).active, false);
  });

  test('SDK path: /v1/mykey/verify answers the refresh token too', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-fam-3', 'mkfamthree', key);
    const s = await startSession(h.app.id);
    const r = await publicCall('POST', '/v1/mykey/verify', sdkBody(h.app.id, s.uuID, 'mkfamthree', key));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.refreshToken, /^srt_/);
    assert.equal(typeof r.body.refreshExpiresAt, 'number');
    assert.equal((await introspect(client, r.body.token)).active, true);
    // The creator's poll gives the same grant.
    const view = (await poll(h.app.id, s.uuID, s.pollSecret)).body;
    assert.equal(view.refreshToken, r.body.refreshToken);
    assert.equal(view.token, r.body.token);
  });

  test('without the poll secret (or with another session’s) no token and no refresh token', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-fam-4', 'mkfamfour', key);
    const { session } = await mykeyLogin(h.app.id, 'mkfamfour', key);
    const mine = await startSession(h.app.id);
    for (const secret of [undefined, mine.pollSecret, 'x'.repeat(43)]) {
      const r = await poll(h.app.id, session.uuID, secret);
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'verified');
      assert.equal(r.body.token, undefined);
      assert.equal(r.body.refreshToken, undefined);
      // Finding 4: the uuID is in the QR code; it must not tell who signed in.
      assert.equal(r.body.account, undefined, 'the account is the creator’s to see');
      assert.equal(r.body.chain, undefined);
    }
    const creator = await poll(h.app.id, session.uuID, session.pollSecret);
    assert.equal(creator.body.account, 'mkfamfour');
    // The right secret through another app: that app has no such session.
    assert.equal((await poll(other.app.id, session.uuID, session.pollSecret)).status, 404);
  });

  test('at rest: neither the access token nor the refresh token is in the database file', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-fam-5', 'mkfamfive', key);
    const { view } = await mykeyLogin(h.app.id, 'mkfamfive', key);
    const bytes = readFileSync(dbPath);
    const wal = (() => {
      try {
        return readFileSync(dbPath + '-wal');
      } catch {
        return Buffer.alloc(0);
      }
    })();
    for (const secret of [view.token as string, view.refreshToken as string]) {
      assert.equal(bytes.includes(secret), false);
      assert.equal(wal.includes(secret), false);
    }
  });
});

describe('finding 1: a MYKEY session outlived the deletion of the wallet credential that produced it', () => {
  test('deleting the eos credential ends the MYKEY sessions it started (refresh refused, token inactive)', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-del', 'mkdeleted', key);
    const { view } = await mykeyLogin(h.app.id, 'mkdeleted', key);
    const listed = (await client.listCredentials('mk-del')).body as { credentials: Array<{ id: string }> };
    const credentialId = listed.credentials[0]!.id;
    const info = (await client.introspect(view.token)).body as { active: boolean; cid?: string };
    assert.equal(info.active, true);
    assert.equal(info.cid, credentialId, 'the token names the credential whose key verified');
    assert.equal((await client.revokeCredential('mk-del', credentialId)).status, 204);
    const r = await publicCall('POST', '/v1/tokens/refresh', {
      appId: h.app.id,
      refreshToken: view.refreshToken,
    });
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'verification_failed');
    assert.equal((await introspect(client, view.token)).active, false);
  });

  test('revoke { credentialId } reaches MYKEY sessions', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-rev-cred', 'mkrevcred', key);
    const { view } = await mykeyLogin(h.app.id, 'mkrevcred', key);
    const cid = decodeJwt(view.token)['cid'];
    assert.equal(typeof cid, 'string', 'the MYKEY token names its credential');
    assert.deepEqual((await client.revokeTokens({ credentialId: cid as string })).body, { revoked: 1 });
    assert.equal((await introspect(client, view.token)).active, false);
  });
});

describe('finding 2: an app user could take the subject of a MYKEY account (`mykey:…`)', () => {
  test('a userId starting with "mykey:" cannot get a credential, so no login names a MYKEY subject but MYKEY', async () => {
    const victim = Wallet.createRandom();
    const address = victim.address.toLowerCase();
    // The victim signs in with MYKEY (Ethereum); nobody registered the address: sub = mykey:eth:<address>.
    const s = await startSession(h.app.id);
    const timestamp = seconds();
    const text = timestamp + address + s.uuID + 'mykey';
    const cb = await publicCall('POST', `/v1/mykey/callback/${h.app.id}`, {
      uuID: s.uuID,
      ref: 'mykey',
      timestamp,
      account: address,
      chain: 'ETH',
      sign: await victim.signMessage(text),
    });
    assert.deepEqual(cb.body, { code: 0, message: 'success' });
    const view = (await poll(h.app.id, s.uuID, s.pollSecret)).body;
    const subject = decodeJwt(view.token).sub;
    assert.equal(subject, `mykey:eth:${address}`);

    // The attacker signs up at the app with that name as username and their own device key.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const reg = await client.registerCredential(subject!, {
      type: 'device',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    if (reg.status === 201) {
      // Before the fix: a device login then gave a token naming the victim's MYKEY subject.
      const ch = await publicCall('POST', '/v1/challenges', {
        appId: h.app.id,
        type: 'device',
        userId: subject,
      });
      const login = await publicCall('POST', '/v1/verify', {
        appId: h.app.id,
        type: 'device',
        userId: subject,
        challengeId: ch.body.challengeId,
        signature: nodeSign('sha256', Buffer.from(ch.body.challenge), privateKey).toString('base64'),
      });
      assert.notEqual(
        decodeJwt(login.body.token).sub,
        subject,
        'the attacker holds a token naming the victim',
      );
    }
    assert.equal(reg.status, 400, JSON.stringify(reg.body));
    assert.equal((reg.body as { error: { code: string } }).error.code, 'invalid_request');
    for (const id of ['mykey:eos:someone', 'MYKEY:eth:0xabc', 'mykey:']) {
      const r = await client.registerCredential(id, {
        type: 'device',
        publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      });
      assert.equal(r.status, 400, id);
    }
    const passkey = await client.webauthnRegistrationOptions({ userId: 'mykey:eos:someone', userName: 'x' });
    assert.equal(passkey.status, 400, 'passkey registration refuses the reserved names too');
  });
});

describe('attacks that held', () => {
  test('fuzzing the new routes: every answer is a 4xx in the error shape (or a 2xx), never a 5xx', async () => {
    const admin = 'Bearer ' + ADMIN_TOKEN;
    const values: unknown[] = [
      null,
      -1,
      1e308,
      true,
      [],
      {},
      '',
      'srt_' + 'A'.repeat(43),
      '\u0000',
      'a'.repeat(600),
      { $ne: 1 },
      '__proto__',
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    ];
    const seen: string[] = [];
    const check = (label: string, r: { status: number; body: any }) => {
      if (r.status >= 500 || (r.status >= 400 && typeof r.body?.error?.code !== 'string'))
        seen.push(`${label} -> ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
    };
    for (const v of values) {
      const text = String(typeof v === 'object' ? JSON.stringify(v) : v);
      for (const path of ['/v1/tokens/refresh', '/v1/logout']) {
        check(path, await publicCall('POST', path, { appId: h.app.id, refreshToken: v }));
        check(path, await publicCall('POST', path, { appId: v, refreshToken: 'srt_' + 'A'.repeat(43) }));
        check(path, await publicCall('POST', path, v));
      }
      check('introspect', await client.introspect(v as string));
      for (const by of [{ token: v }, { userId: v }, { credentialId: v }, v])
        check('revoke', await client.revokeTokens(by as never));
      check('mykey sessions', await publicCall('POST', '/v1/mykey/sessions', { appId: v }));
      check(
        'mykey poll',
        await poll(
          h.app.id,
          encodeURIComponent(text.slice(0, 200)) || 'x',
          text.replace(/[^ -~]/g, '').trim() || 'z',
        ),
      );
      check(
        'mykey callback',
        await publicCall('POST', `/v1/mykey/callback/${h.app.id}`, {
          uuID: v,
          ref: v,
          timestamp: v,
          account: v,
          sign: v,
          chain: v,
        }),
      );
      check(
        'mykey verify',
        await publicCall('POST', '/v1/mykey/verify', {
          appId: h.app.id,
          uuID: v,
          account: v,
          signature: v,
          mykeyUID: v,
          mykeyUIDSignature: v,
          timestamp: v,
          chain: v,
          origin: v,
        }),
      );
      check(
        'console sessions',
        await publicCall(
          'GET',
          `/console/api/apps/${h.app.id}/users/${encodeURIComponent(text.slice(0, 300)) || 'x'}/sessions`,
          undefined,
          { authorization: admin },
        ),
      );
      check(
        'console sign out',
        await publicCall(
          'DELETE',
          `/console/api/apps/${encodeURIComponent(text.slice(0, 300)) || 'x'}/users/x/sessions`,
          undefined,
          { authorization: admin },
        ),
      );
      check(
        'challenge',
        await publicCall('POST', '/v1/challenges', {
          appId: h.app.id,
          type: 'eth',
          userId: v,
          transaction: v,
        }),
      );
      check(
        'wallet proof',
        await client.registerCredential('fuzz-user', {
          type: 'eth',
          address: '0x' + '1'.repeat(40),
          proof: v,
        } as never),
      );
    }
    for (const raw of ['{', '[]', '"x"', 'null', '{"__proto__":{"appId":"x"}}']) {
      for (const path of ['/v1/tokens/refresh', '/v1/logout', '/v1/mykey/verify', '/v1/mykey/sessions'])
        check(path + ' ' + raw, await publicCall('POST', path, raw));
    }
    for (const path of [
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration/x',
      '/v1/mykey/sessions/%ZZ?appId=x',
      '/v1/mykey/callback/%00',
    ]) {
      check('GET ' + path, await publicCall('GET', path));
      check('POST ' + path, await publicCall('POST', path, {}));
    }
    assert.deepEqual(seen, []);
    // The console calls above were authenticated: the same route answers a real user.
    const listed = await publicCall(
      'GET',
      `/console/api/apps/${h.app.id}/users/fuzz-user/sessions`,
      undefined,
      {
        authorization: admin,
      },
    );
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
  });

  test('/v1/challenges answers a registered and an unknown user alike (no credentials needed to ask)', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'enum-known', 'enumknown', key);
    const shape = (r: { status: number; body: any; headers: Headers }) => ({
      status: r.status,
      keys: Object.keys(r.body).sort(),
      headers: headerNames(r.headers)
        .filter((k) => !['date', 'content-length', 'x-request-id'].includes(k))
        .sort(),
    });
    for (const type of ['device', 'eos', 'eth']) {
      const known = await publicCall('POST', '/v1/challenges', {
        appId: h.app.id,
        type,
        userId: 'enum-known',
      });
      const unknown = await publicCall('POST', '/v1/challenges', {
        appId: h.app.id,
        type,
        userId: 'enum-nobody',
      });
      assert.equal(known.status, 200);
      assert.deepEqual(shape(known), shape(unknown), type);
    }
  });

  test('refresh and logout answer alike for unknown, foreign-app, spent and revoked tokens', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-same', 'mksame', key);
    const first = (await mykeyLogin(h.app.id, 'mksame', key)).view;
    const spentToken = first.refreshToken as string;
    const next = await publicCall('POST', '/v1/tokens/refresh', {
      appId: h.app.id,
      refreshToken: spentToken,
    });
    assert.equal(next.status, 200);
    // Its successor used too, so that presenting spentToken is reuse even inside the retry grace.
    const later = await publicCall('POST', '/v1/tokens/refresh', {
      appId: h.app.id,
      refreshToken: next.body.refreshToken,
    });
    assert.equal(later.status, 200);
    const second = (await mykeyLogin(h.app.id, 'mksame', key)).view;
    const cases: Array<[string, string]> = [
      ['unknown', 'srt_' + 'B'.repeat(43)],
      ['foreign app', second.refreshToken],
      ['spent', spentToken],
      ['revoked', spentToken],
    ];
    for (const [label, refreshToken] of cases) {
      const appId = label === 'foreign app' ? other.app.id : h.app.id;
      const r = await publicCall('POST', '/v1/tokens/refresh', { appId, refreshToken });
      assert.equal(r.status, 401, label);
      assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message'], label);
      assert.equal(r.body.error.code, 'verification_failed', label);
      const out = await publicCall('POST', '/v1/logout', { appId, refreshToken });
      assert.equal(out.status, 204, label);
    }
    // The foreign-app attempts touched nothing: the second session still refreshes.
    const still = await publicCall('POST', '/v1/tokens/refresh', {
      appId: h.app.id,
      refreshToken: second.refreshToken,
    });
    assert.equal(still.status, 200);
  });

  test('a malicious app with its own secret cannot read or end another app’s sessions', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-victim', 'mkvictimx', key);
    const { view } = await mykeyLogin(h.app.id, 'mkvictimx', key);
    const cid = decodeJwt(view.token)['cid'] as string;
    assert.deepEqual((await other.client.introspect(view.token)).body, { active: false });
    for (const by of [
      { token: view.token },
      { token: view.refreshToken },
      { userId: 'mk-victim' },
      { credentialId: cid },
    ])
      assert.deepEqual((await other.client.revokeTokens(by as never)).body, { revoked: 0 });
    const creds = await other.client.listCredentials('mk-victim');
    assert.deepEqual((creds.body as { credentials: unknown[] }).credentials, []);
    assert.equal((await other.client.revokeCredential('mk-victim', cid)).status, 404);
    const audit = (await other.client.audit({ userId: 'mk-victim', limit: 100 })).body as {
      records: unknown[];
    };
    assert.deepEqual(audit.records, []);
    assert.equal((await introspect(client, view.token)).active, true, 'the victim’s session is untouched');
  });

  test('a MYKEY session cannot be completed through another app’s callback or read through its poll', async () => {
    const key = PrivateKey.generate('K1');
    await registerEos(client, h.app.id, 'mk-cross', 'mkcross', key);
    // The same account registered in the other app to the attacker, with the same key.
    await registerEos(other.client, other.app.id, 'mk-cross-attacker', 'mkcross', key);
    const s = await startSession(h.app.id);
    const cb = await publicCall(
      'POST',
      `/v1/mykey/callback/${other.app.id}`,
      callbackBody(s.uuID, 'mkcross', key),
    );
    assert.deepEqual(cb.body, { code: 2, message: 'verification failed' });
    const sdk = await publicCall('POST', '/v1/mykey/verify', {
      ...sdkBody(other.app.id, s.uuID, 'mkcross', key),
    });
    assert.equal(sdk.status, 404);
    assert.equal((await poll(h.app.id, s.uuID, s.pollSecret)).body.status, 'pending');
  });
});

describe('finding 3: bogus callbacks relayed by MYKEY’s server locked every user out of MYKEY callbacks', () => {
  test('past the callback failure budget of MYKEY’s IP, a correct callback for a pending session still logs in', async () => {
    // A small budget (lockoutMaxFailures 1: ten callback failures per client IP and window).
    const made = await createApp(h.deps, {
      name: 'mykey budget app',
      origins: ['https://budget.example'],
      settings: { lockoutMaxFailures: 1 } as never,
    });
    const appId = made.app.id;
    const c = createSignetClient({ baseUrl, appId, secret: made.secret, now: h.clock });
    const victimKey = PrivateKey.generate('K1');
    await registerEos(c, appId, 'budget-victim', 'budgetvictim', victimKey);
    const victimSession = await startSession(appId);

    // The attacker shows MYKEY QR codes naming this app's callback and uuIDs that are no pending
    // session; MYKEY's server (here: 127.0.0.1, like every callback) posts each one, correctly signed.
    const attackerKey = PrivateKey.generate('K1');
    const budget = 10;
    for (let i = 0; i <= budget; i++) {
      const r = await publicCall(
        'POST',
        `/v1/mykey/callback/${appId}`,
        callbackBody(`stale-${i}`, 'attacker', attackerKey),
      );
      if (i < budget) assert.deepEqual(r.body, { code: 2, message: 'verification failed' });
      else {
        assert.equal(r.status, 429, 'the attacker’s calls are still refused past the budget');
        assert.equal(r.body.error.code, 'rate_limited');
      }
    }
    // A malformed call past the budget is refused too, before any work.
    const malformed = await publicCall('POST', `/v1/mykey/callback/${appId}`, { uuID: 'x' });
    assert.equal(malformed.status, 429);

    // Past the budget a pending session goes on, but takes one failed call (lockoutMaxFailures)
    // only: the attacker's own sessions buy no unbounded verification work.
    const own = await startSession(appId);
    const first = await publicCall(
      'POST',
      `/v1/mykey/callback/${appId}`,
      callbackBody(own.uuID, 'attacker', attackerKey),
    );
    assert.deepEqual(first.body, { code: 2, message: 'verification failed' });
    const second = await publicCall(
      'POST',
      `/v1/mykey/callback/${appId}`,
      callbackBody(own.uuID, 'attacker', attackerKey),
    );
    assert.equal(second.status, 429);

    // The victim's genuine callback, from the same MYKEY server.
    const genuine = await publicCall(
      'POST',
      `/v1/mykey/callback/${appId}`,
      callbackBody(victimSession.uuID, 'budgetvictim', victimKey),
    );
    assert.deepEqual(genuine.body, { code: 0, message: 'success' });
    const view = (await poll(appId, victimSession.uuID, victimSession.pollSecret)).body;
    assert.equal(view.status, 'verified');
    assert.equal(decodeJwt(view.token).sub, 'budget-victim');
    // Completed now: replaying the same callback past the budget is refused.
    const replay = await publicCall(
      'POST',
      `/v1/mykey/callback/${appId}`,
      callbackBody(victimSession.uuID, 'budgetvictim', victimKey),
    );
    assert.equal(replay.status, 429);
  });
});

describe('racing completions of one MYKEY session', () => {
  test('of concurrent callbacks and SDK checks, one wins and only its session stays active', async () => {
    // A real, slow chain API (the Reserved-key path): every completion is still in flight when
    // the others read the session, so they all verify and race to complete it.
    const chainKey = PrivateKey.generate('K1');
    const chain = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ rows: [{ index: 3, key: { pubkey: chainKey.toPublic().toString() } }] }));
        }, 300),
      );
    });
    await new Promise<void>((r) => chain.listen(0, '127.0.0.1', r));
    try {
      const made = await createApp(h.deps, {
        name: 'race app',
        origins: ['https://race.example'],
        settings: {
          chainApi: `http://127.0.0.1:${(chain.address() as { port: number }).port}`,
          requireWalletProof: false,
        } as never,
      });
      const appId = made.app.id;
      const c = createSignetClient({ baseUrl, appId, secret: made.secret, now: h.clock });
      // Registered with the Reserved key: only then does the chain's login name the user.
      const reg = await c.registerCredential('mk-race', {
        type: 'eos',
        account: 'mkrace',
        publicKey: chainKey.toPublic().toString(),
      });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      const s = await startSession(appId);
      const attempts = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 2 === 0
            ? publicCall('POST', `/v1/mykey/callback/${appId}`, callbackBody(s.uuID, 'mkrace', chainKey))
            : publicCall('POST', '/v1/mykey/verify', sdkBody(appId, s.uuID, 'mkrace', chainKey)),
        ),
      );
      const won = attempts.filter(
        (r) => r.body?.code === 0 || (r.status === 200 && r.body?.status === 'verified'),
      );
      assert.equal(won.length, 1, JSON.stringify(attempts.map((r) => [r.status, r.body])));
      const sessions = await publicCall(
        'GET',
        `/console/api/apps/${appId}/users/mk-race/sessions`,
        undefined,
        {
          authorization: 'Bearer ' + ADMIN_TOKEN,
        },
      );
      assert.equal(sessions.status, 200);
      assert.equal(sessions.body.sessions.length, 1, 'a losing completion leaves no active session behind');
      const view = (await poll(appId, s.uuID, s.pollSecret)).body;
      assert.equal(decodeJwt(view.token).sub, 'mk-race');
      assert.equal((await introspect(c, view.token)).active, true);
    } finally {
      await new Promise<void>((r) => chain.close(() => r()));
    }
  });
});
