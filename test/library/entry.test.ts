// The package entries (`signet-auth`, `signet-auth/verify`, `/client`, `/server`): the library
// works without the server. That the light entries load no server module is checked on the packed
// tarball by test/library/pack.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import * as signet from '../../src/index.js';
import * as verifyEntry from '../../src/verify.js';
import * as clientEntry from '../../src/client/index.js';
import * as serverEntry from '../../src/server/index.js';

test('the entry exports every scheme, the registry and the error table', () => {
  for (const name of ['device', 'webauthn', 'eos', 'eth', 'tiniapp', 'http-signature'] as const) {
    assert.equal(signet.findScheme(name)?.name, name);
  }
  assert.equal(signet.ERROR_CODES.rate_limited.status, 429);
  assert.equal(signet.MIN_RSA_BITS, 2048);
  for (const f of [
    'createSignetClient',
    'verifySiwe',
    'verifyAuthentication',
    'verifyEosSignature',
    'verifyTiniappRequest',
    'verifyHttpSignature',
    'signHttpRequest',
    'createHttpSignatureSigner',
    'canonicalizeJson',
    'transactionHash',
    'signWebhook',
    'verifyWebhook',
  ]) {
    assert.equal(typeof (signet as Record<string, unknown>)[f], 'function', f);
  }
});

test('each subpath entry exports its part, and the root is verify + client', () => {
  assert.equal(typeof verifyEntry.verifyDeviceSignature, 'function');
  assert.equal(verifyEntry.findScheme('tiniapp')?.name, 'tiniapp');
  assert.equal('createSignetClient' in verifyEntry, false);
  assert.equal(typeof clientEntry.createSignetClient, 'function');
  // The webhook outbox's dispatcher runs in the server; receivers verify with the client's verifyWebhook.
  assert.equal(typeof serverEntry.createWebhookDispatcher, 'function');
  assert.equal('createWebhookDispatcher' in clientEntry, false);
  assert.equal(typeof clientEntry.signTiniappRequest, 'function');
  for (const f of ['buildServer', 'openStore', 'checkStoreConfig', 'createSealer', 'createRandomSource']) {
    assert.equal(typeof (serverEntry as Record<string, unknown>)[f], 'function', f);
    assert.equal(f in signet, false, `the root does not export ${f}`);
  }
  assert.deepEqual(
    Object.keys(signet).sort(),
    [...new Set([...Object.keys(verifyEntry), ...Object.keys(clientEntry)])].sort(),
  );
});

test('a device key and a Tiniapp request verified with the library alone', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = signet.parseDevicePublicKey(publicKey.export({ format: 'pem', type: 'spki' }));
  assert.ok(key.ok);
  const message = new TextEncoder().encode('challenge');
  assert.deepEqual(signet.verifyDeviceSignature(key.value, message, sign('sha256', message, privateKey)), {
    ok: true,
  });
  assert.equal(signet.verifyDeviceSignature(key.value, message, new Uint8Array(256)).ok, false);

  const now = 1_700_000_000_000;
  const signed = signet.signTiniappRequest({
    clientId: 'app1',
    secret: 's3cret',
    timestamp: now,
    body: '{"a":1}',
  });
  const ok = await signet.verifyTiniappRequest({
    headers: signed.headers,
    body: new TextEncoder().encode('{"a":1}'),
    secrets: ['s3cret'],
    now,
    skewMs: 300_000,
  });
  assert.equal(ok.ok, true);
  const bad = await signet.verifyTiniappRequest({
    headers: signed.headers,
    body: new TextEncoder().encode('{"a":2}'),
    secrets: ['s3cret'],
    now,
    skewMs: 300_000,
  });
  assert.deepEqual(bad, { ok: false, code: 'signature_invalid' });
});

test('createSignetClient types its answers: ok narrows the body to the answer or the error', async () => {
  const answers: Array<[number, unknown]> = [
    [200, { credentials: [{ id: 'cred_1', type: 'device', userId: 'u', counter: 0 }] }],
    [401, { error: { code: 'unauthenticated', message: 'no', reason: 'signature_invalid' } }],
  ];
  const client = clientEntry.createSignetClient({
    baseUrl: 'http://signet.test',
    appId: 'app1',
    secret: 's3cret',
    fetch: async () => {
      const [status, body] = answers.shift()!;
      return new Response(JSON.stringify(body), { status });
    },
  });
  const good = await client.listCredentials('u');
  assert.equal(good.ok, true);
  if (good.ok) assert.equal(good.body.credentials[0]?.id, 'cred_1');
  const bad = await client.listCredentials('u');
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.equal(bad.body.error.code, 'unauthenticated');
});
