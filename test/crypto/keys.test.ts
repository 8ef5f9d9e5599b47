// The key importers take exactly the public-key encoding they name: OpenSSL alone would also
// read a private key or ignore trailing bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { importPkcs1, importSpki } from '../../src/crypto/index.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

test('importSpki accepts the exact SPKI and refuses private keys and trailing bytes', () => {
  for (const pair of [rsa, ec]) {
    const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
    assert.ok(importSpki(spki));
    assert.equal(importSpki(Buffer.concat([spki, Buffer.from([0])])), null);
    assert.equal(importSpki(pair.privateKey.export({ format: 'der', type: 'pkcs8' })), null);
  }
});

test('importPkcs1 accepts the exact RSAPublicKey and refuses the private key and trailing bytes', () => {
  const pkcs1 = rsa.publicKey.export({ format: 'der', type: 'pkcs1' });
  assert.ok(importPkcs1(pkcs1));
  assert.equal(importPkcs1(Buffer.concat([pkcs1, Buffer.from([0, 0])])), null);
  assert.equal(importPkcs1(rsa.privateKey.export({ format: 'der', type: 'pkcs1' })), null);
});
