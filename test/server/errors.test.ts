// The error model over `inject`: every refusal is a 4xx with a stable code from the one table,
// nothing answers 5xx, a failed request leaves no half-written state, and no answer or log line
// carries a secret, a private key or a stack.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { signTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;

before(async () => {
  h = await startHarness({ app: { origins: ['https://app.example'], rpId: 'app.example' } });
});
after(() => h.close());

function assertError(response: { statusCode: number; body: string }, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.equal(ERROR_CODES[code as keyof typeof ERROR_CODES].status, status);
  assert.doesNotMatch(response.body, /at .*\.(ts|js):\d+|stack/i);
}

describe('malformed input on public routes', () => {
  const cases: Array<[string, string, string | undefined, number, string]> = [
    ['malformed JSON', '/v1/challenges', '{"appId": ', 400, 'invalid_request'],
    ['JSON that is not an object', '/v1/challenges', '[1,2,3]', 400, 'invalid_request'],
    ['a wrong type', '/v1/challenges', JSON.stringify({ appId: 42, type: 'device' }), 400, 'invalid_request'],
    [
      'an unknown scheme',
      '/v1/challenges',
      JSON.stringify({ appId: 'x', type: 'passwords' }),
      400,
      'invalid_request',
    ],
    [
      'an unknown field',
      '/v1/challenges',
      JSON.stringify({ appId: 'x', type: 'device', admin: true }),
      400,
      'invalid_request',
    ],
    [
      'a huge string',
      '/v1/challenges',
      JSON.stringify({ appId: 'a'.repeat(50_000), type: 'device' }),
      400,
      'invalid_request',
    ],
    [
      'deeply nested JSON',
      '/v1/verify',
      '{"appId":"x","type":"webauthn","response":' + '{"a":'.repeat(200) + '1' + '}'.repeat(201),
      400,
      'invalid_request',
    ],
    ['an empty body', '/v1/verify', '', 400, 'invalid_request'],
    [
      'an oversized body',
      '/v1/verify',
      JSON.stringify({ appId: 'x', type: 'device', signature: 'A'.repeat(70 * 1024) }),
      413,
      'payload_too_large',
    ],
    ['invalid UTF-8', '/v1/challenges', '{"appId":"\xff\xfe","type":"device"}', 400, 'invalid_request'],
  ];
  for (const [name, path, body, status, code] of cases) {
    test(name, async () => {
      const payload =
        name === 'invalid UTF-8'
          ? Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])
          : body;
      const r = await h.server.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json' },
        payload: payload as never,
      });
      assertError(r, status, code);
    });
  }

  test('a body that is not JSON is 415 unsupported_media_type', async () => {
    const r = await h.server.inject({
      method: 'POST',
      url: '/v1/challenges',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    assertError(r, 415, 'unsupported_media_type');
  });

  test('an unknown app is 404 not_found; an unknown route is 404', async () => {
    assertError(
      await h.call('POST', '/v1/challenges', { appId: 'app_nope', type: 'device' }),
      404,
      'not_found',
    );
    assertError(await h.call('GET', '/v1/nothing-here'), 404, 'not_found');
  });

  test('bad base64 in a signature is invalid_request, and does not consume the challenge', async () => {
    await h.signed('POST', '/v1/users/u1/credentials', { type: 'device', publicKey: pem });
    const ch = JSON.parse(
      (await h.call('POST', '/v1/challenges', { appId: h.app.id, type: 'device', userId: 'u1' })).body,
    );
    assertError(
      await h.call('POST', '/v1/verify', {
        appId: h.app.id,
        type: 'device',
        challengeId: ch.challengeId,
        userId: 'u1',
        signature: '***not base64***',
      }),
      400,
      'invalid_request',
    );
    const signature = nodeSign('sha256', Buffer.from(ch.challenge), privateKey).toString('base64');
    const ok = await h.call('POST', '/v1/verify', {
      appId: h.app.id,
      type: 'device',
      challengeId: ch.challengeId,
      userId: 'u1',
      signature,
    });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('unknown and expired challenges', async () => {
    assertError(
      await h.call('POST', '/v1/verify', {
        appId: h.app.id,
        type: 'device',
        challengeId: 'ch_unknown',
        userId: 'u1',
        signature: 'AAAA',
      }),
      401,
      'challenge_unknown',
    );
    const ch = JSON.parse(
      (await h.call('POST', '/v1/challenges', { appId: h.app.id, type: 'device', userId: 'u1' })).body,
    );
    h.clock.advance(h.app.settings.challengeTtlMs + 1);
    const proof = {
      appId: h.app.id,
      type: 'device',
      challengeId: ch.challengeId,
      userId: 'u1',
      signature: nodeSign('sha256', Buffer.from(ch.challenge), privateKey).toString('base64'),
    };
    assertError(await h.call('POST', '/v1/verify', proof), 401, 'challenge_expired');
    // and consumed: a second try no longer finds it
    assertError(await h.call('POST', '/v1/verify', proof), 401, 'challenge_unknown');
  });

  test('a challenge of another scheme does not verify here', async () => {
    const ch = JSON.parse((await h.call('POST', '/v1/challenges', { appId: h.app.id, type: 'eth' })).body);
    assertError(
      await h.call('POST', '/v1/verify', {
        appId: h.app.id,
        type: 'device',
        challengeId: ch.challengeId,
        userId: 'u1',
        signature: 'AAAA',
      }),
      401,
      'challenge_unknown',
    );
  });

  test('an eth challenge is a valid EIP-4361 nonce; a webauthn challenge carries options', async () => {
    const eth = JSON.parse((await h.call('POST', '/v1/challenges', { appId: h.app.id, type: 'eth' })).body);
    assert.match(eth.challenge, /^[A-Za-z0-9]{8,}$/);
    const wa = JSON.parse(
      (await h.call('POST', '/v1/challenges', { appId: h.app.id, type: 'webauthn' })).body,
    );
    assert.equal(wa.options.challenge, wa.challenge);
  });
});

describe('server API authentication', () => {
  test('no signature, a wrong one, a stale one and a replayed one are 401; the audit keeps the reason', async () => {
    assertError(await h.call('GET', '/v1/users/u1/credentials'), 401, 'unauthenticated');
    const good = signTiniappRequest({
      clientId: h.app.id,
      secret: h.secret,
      timestamp: h.clock(),
      path: '/v1/users/u1/credentials',
    });
    const wrong = { ...good.headers, 'x-tiniapp-signature': '0'.repeat(64) };
    assertError(await h.call('GET', '/v1/users/u1/credentials', undefined, wrong), 401, 'unauthenticated');
    const stale = signTiniappRequest({
      clientId: h.app.id,
      secret: h.secret,
      timestamp: h.clock() - 301_000,
      path: '/v1/users/u1/credentials',
    });
    assertError(
      await h.call('GET', '/v1/users/u1/credentials', undefined, stale.headers),
      401,
      'timestamp_skew',
    );
    assert.equal((await h.call('GET', '/v1/users/u1/credentials', undefined, good.headers)).statusCode, 200);
    const replay = await h.call('GET', '/v1/users/u1/credentials', undefined, good.headers);
    assertError(replay, 401, 'unauthenticated');
    assert.equal(JSON.parse(replay.body).error.reason, 'replayed');
    const unknownApp = signTiniappRequest({
      clientId: 'app_nobody',
      secret: h.secret,
      timestamp: h.clock(),
      path: '/v1/audit',
    });
    assertError(await h.call('GET', '/v1/audit', undefined, unknownApp.headers), 401, 'unauthenticated');
  });

  test('a body request signs the exact bytes: a re-serialised body does not verify', async () => {
    const text = '{"type":"device",  "publicKey":' + JSON.stringify(pem) + '}';
    const s = signTiniappRequest({
      clientId: h.app.id,
      secret: h.secret,
      timestamp: h.clock(),
      body: JSON.stringify(JSON.parse(text)),
    });
    const r = await h.server.inject({
      method: 'POST',
      url: '/v1/users/u9/credentials',
      headers: { ...s.headers, 'content-type': 'application/json' },
      payload: text,
    });
    assertError(r, 401, 'unauthenticated');
  });

  test('server-API answers carry the precise reason; public ones do not', async () => {
    const bad = await h.signed('POST', '/v1/users/u2/credentials', {
      type: 'device',
      publicKey: 'not a key',
    });
    assertError(bad, 400, 'invalid_request');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      format: 'pem',
      type: 'spki',
    });
    assertError(
      await h.signed('POST', '/v1/users/u2/credentials', { type: 'device', publicKey: weak }),
      400,
      'invalid_request',
    );
    assertError(
      await h.signed('POST', '/v1/users/u2/credentials', { type: 'webauthn', publicKey: pem }),
      400,
      'invalid_request',
    );
  });
});

describe('an app without a WebAuthn rpId', () => {
  test('webauthn challenges and registration options are invalid_request, naming the setting', async () => {
    // No web origin, so no default rpId (it is the host of the first web origin).
    const bare = await startHarness({ app: { origins: [], rpId: null } });
    try {
      const challenge = await bare.call('POST', '/v1/challenges', { appId: bare.app.id, type: 'webauthn' });
      assertError(challenge, 400, 'invalid_request');
      assert.match(JSON.parse(challenge.body).error.message, /--rp-id/);
      const options = await bare.signed('POST', '/v1/webauthn/registration/options', {
        userId: 'u',
        userName: 'u',
      });
      assertError(options, 400, 'invalid_request');
      assert.equal(
        (await bare.call('POST', '/v1/challenges', { appId: bare.app.id, type: 'device' })).statusCode,
        200,
      );
    } finally {
      await bare.close();
    }
  });
});

describe('rate limits beyond logins', () => {
  test('failed MYKEY SDK-result checks count per account: the limit answers 429', async () => {
    const max = h.app.settings.lockoutMaxFailures;
    const statuses: number[] = [];
    for (let i = 0; i <= max; i++) {
      const s = JSON.parse((await h.call('POST', '/v1/mykey/sessions', { appId: h.app.id })).body);
      const r = await h.call('POST', '/v1/mykey/verify', {
        appId: h.app.id,
        uuID: s.uuID,
        account: 'limitedacct',
        chain: 'EOS',
        timestamp: String(Math.floor(h.clock() / 1000)),
        mykeyUID: 'uid',
        signature: 'SIG_K1_x',
        mykeyUIDSignature: 'SIG_K1_x',
      });
      statuses.push(r.statusCode);
    }
    assert.deepEqual(statuses, [...Array(max).fill(401), 429]);
  });
});

describe('nothing half-written', () => {
  test('a refused registration leaves no credential; a refused passkey registration burns only its challenge', async () => {
    await h.signed('POST', '/v1/users/clean/credentials', { type: 'device', publicKey: 'AAAA' });
    await h.signed('POST', '/v1/users/clean/credentials', {
      type: 'eos',
      account: 'UPPER',
      publicKey: 'EOS1',
    });
    await h.signed('POST', '/v1/users/clean/credentials', { type: 'eth', address: '0x123' });
    const options = JSON.parse(
      (await h.signed('POST', '/v1/webauthn/registration/options', { userId: 'clean', userName: 'clean' }))
        .body,
    );
    const bogus = {
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA' },
    };
    const r = await h.signed('POST', '/v1/webauthn/registration/verify', {
      challengeId: options.challengeId,
      response: bogus,
    });
    assert.equal(r.statusCode >= 400 && r.statusCode < 500, true, r.body);
    const list = JSON.parse((await h.signed('GET', '/v1/users/clean/credentials')).body);
    assert.deepEqual(list.credentials, []);
  });

  test('a user holds at most 20 credentials: the 21st is 409 conflict and not stored', async () => {
    for (let i = 0; i < 20; i++) {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ format: 'der', type: 'spki' })
        .toString('base64');
      assert.equal(
        (await h.signed('POST', '/v1/users/many/credentials', { type: 'device', publicKey: key })).statusCode,
        201,
      );
    }
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'der', type: 'spki' })
      .toString('base64');
    assertError(
      await h.signed('POST', '/v1/users/many/credentials', { type: 'device', publicKey: key }),
      409,
      'conflict',
    );
    assert.equal(
      JSON.parse((await h.signed('GET', '/v1/users/many/credentials')).body).credentials.length,
      20,
    );
  });
});

describe('no secrets in answers or logs', () => {
  test('log lines carry no app secret, no signature header, no private key', async () => {
    const lines: string[] = [];
    const { buildServer } = await import('../../src/server/buildServer.js');
    const stream = { write: (s: string) => void lines.push(s) };
    const server = await buildServer({
      deps: h.deps,
      logger: { level: 'trace', stream, redact: ['req.headers["x-tiniapp-signature"]'] },
    });
    const s = signTiniappRequest({
      clientId: h.app.id,
      secret: h.secret,
      timestamp: h.clock(),
      body: '{"type":"device","publicKey":"AAAA"}',
    });
    await server.inject({
      method: 'POST',
      url: '/v1/users/x/credentials',
      headers: { ...s.headers, 'content-type': 'application/json' },
      payload: '{"type":"device","publicKey":"AAAA"}',
    });
    await server.inject({
      method: 'POST',
      url: '/v1/challenges',
      headers: { 'content-type': 'application/json' },
      payload: '{bad json',
    });
    const wrong = { ...s.headers, 'x-tiniapp-signature': 'f'.repeat(64) };
    await server.inject({ method: 'GET', url: '/v1/audit', headers: wrong });
    await server.inject({
      method: 'POST',
      url: '/v1/verify',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        appId: h.app.id,
        type: 'device',
        challengeId: 'ch_nope',
        userId: 'x',
        signature: 'AAAA',
      }),
    });
    await server.close();
    const all = lines.join('\n');
    // The attempts were logged with their precise reasons...
    assert.match(all, /"reason":"signature_invalid"/);
    assert.match(all, /"reason":"challenge_unknown"/);
    assert.ok(!all.includes(h.secret), 'secret in a log line');
    assert.ok(!all.includes(s.signature), 'signature in a log line');
    assert.ok(!/PRIVATE KEY|"d":"/.test(all));
    assert.doesNotMatch(all, /"stack"/);
  });
});
