// The one key policy (src/crypto/keyPolicy.ts): sound keys of every supported kind pass; weak,
// off-curve and small-order ones are refused. Small-order Ed25519 points come from
// test/vectors/ed25519-small-order (their orders re-derived here with @noble/curves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { checkPublicKeyPolicy } from '../../src/crypto/index.js';

const vectors = JSON.parse(
  readFileSync(new URL('../vectors/ed25519-small-order/small-order.json', import.meta.url), 'utf8'),
) as { points: Array<{ hex: string; order: number; canonical: boolean }> };

const okpKey = (crv: 'Ed25519' | 'Ed448', bytes: Buffer): KeyObject | null => {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv, x: bytes.toString('base64url') }, format: 'jwk' });
  } catch {
    return null;
  }
};

test('sound keys of every kind pass', () => {
  const keys: KeyObject[] = [
    generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
    generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey,
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
    generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey,
    generateKeyPairSync('ed25519').publicKey,
    generateKeyPairSync('ed448').publicKey,
  ];
  for (const key of keys) {
    assert.deepEqual(checkPublicKeyPolicy(key), { ok: true }, `${key.asymmetricKeyType}`);
  }
});

test('RSA: e = 1, an even e, and moduli outside 2048-4096 bits are refused', () => {
  const n = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }).n!;
  for (const e of ['AQ', 'AQAA', 'Ag']) {
    const key = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
    assert.equal(checkPublicKeyPolicy(key).ok, false, `e=${e}`);
  }
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
  assert.equal(checkPublicKeyPolicy(small).ok, false);
  const big = createPublicKey(
    readFileSync(new URL('../device/fixtures/rsa-8192.spki.pem', import.meta.url), 'utf8'),
  );
  assert.equal(checkPublicKeyPolicy(big).ok, false);
});

test('the small-order vectors are what they claim (re-derived with @noble/curves)', () => {
  assert.equal(vectors.points.length, 14);
  for (const p of vectors.points) {
    const point = ed25519.Point.fromHex(p.hex, true);
    let q = point;
    let order = 0;
    for (let k = 1; k <= 8; k++) {
      if (q.equals(ed25519.Point.ZERO)) {
        order = k;
        break;
      }
      q = q.add(point);
    }
    assert.equal(order, p.order, p.hex);
    assert.equal(Buffer.from(point.toBytes()).toString('hex') === p.hex, p.canonical, p.hex);
  }
});

test('every small-order Ed25519 encoding is refused; random keys are not', () => {
  let checked = 0;
  for (const p of vectors.points) {
    const key = okpKey('Ed25519', Buffer.from(p.hex, 'hex'));
    if (key === null) continue; // OpenSSL refused to import it at all: also safe
    checked++;
    assert.equal(checkPublicKeyPolicy(key).ok, false, p.hex);
  }
  assert.ok(checked >= 8, `OpenSSL imports the canonical ones (${checked})`);
  for (let i = 0; i < 50; i++) {
    assert.equal(checkPublicKeyPolicy(generateKeyPairSync('ed25519').publicKey).ok, true);
  }
});

test('Ed448: the identity is refused', () => {
  const identity = Buffer.alloc(57);
  identity[0] = 1;
  const key = okpKey('Ed448', identity);
  if (key !== null) assert.equal(checkPublicKeyPolicy(key).ok, false);
});

test('other key types are refused', () => {
  assert.equal(checkPublicKeyPolicy(generateKeyPairSync('x25519').publicKey).ok, false);
  assert.equal(
    checkPublicKeyPolicy(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey).ok,
    false,
  );
});
