// MYKEY sessions as refresh-token families, and the red-team pass over issues 9-11, against a
// real listening Signet (SQLite file, 127.0.0.1, real HTTP) with real EOS signatures
// (@wharfkit/antelope). Each `finding` block replays an attack that worked before its fix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { Bytes, PrivateKey } from '@wharfkit/antelope';
import { Wallet } from 'ethers';
import { createApp } from '../../src/core/apps.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import type { App } from '../../src/store/types.js';
import { listen, startHarness, tempDir, type Harness } from '../support/harness.js';

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
  h = await startHarness({ dbPath });
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
    }
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
