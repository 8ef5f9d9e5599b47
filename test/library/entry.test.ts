// The package entry (`import … from 'signet'`): the library works without the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import * as signet from '../../src/index.js';

test('the entry exports every scheme, the registry and the error table', () => {
  for (const name of ['device', 'webauthn', 'eos', 'eth', 'tiniapp', 'http-signature'] as const) {
    assert.equal(signet.findScheme(name)?.name, name);
  }
  assert.equal(signet.ERROR_CODES.rate_limited.status, 429);
  assert.equal(signet.MIN_RSA_BITS, 2048);
  for (const f of [
    'buildServer',
    'openStore',
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
    'createWebhookDispatcher',
  ]) {
    assert.equal(typeof (signet as Record<string, unknown>)[f], 'function', f);
  }
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
