import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sha256 } from '../../src/crypto/index.js';
import { decodeHex, encodeHex, utf8Bytes } from '../../src/encoding/index.js';
import {
  eosPublicKeyFromPrivate,
  formatEosPrivateKey,
  parseEosPrivateKey,
  parseEosPublicKey,
  parseEosSignature,
  recoverEosPublicKeyFromDigest,
  signEosDigest,
  toLegacyEosPublicKey,
  verifyEosDigest,
  type EosPublicKey,
} from '../../src/schemes/eos/index.js';

interface KeyPair {
  name: string;
  curve: string;
  privateKeyWif?: string;
  privateKeyPVT?: string;
  privateKeyHex?: string;
  publicKey: string;
  publicKeyLegacy?: string;
  publicKeyLegacyFIO?: string;
  publicKeyHex?: string;
  computed?: { privateKeyHex?: string; publicKeyHex?: string };
}
interface SignatureVector {
  name: string;
  signature: string;
  publicKey: string;
  privateKeyWif: string;
  signedBytes: string;
  digest: string;
  computed: { recoveryByte: number; r: string; s: string };
}
interface Antelope {
  keyPairs: KeyPair[];
  signatures: SignatureVector[];
  serialization: { name: string; abiType: string; string: string; abiHex: string }[];
  invalid: { name: string; string: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../vectors/eos/antelope.json', import.meta.url), 'utf8'),
) as Antelope;

function publicKey(s: string): EosPublicKey {
  const parsed = parseEosPublicKey(s);
  assert.ok(parsed.ok, `${s} should parse`);
  return parsed.value;
}

test('every key pair: private key strings give the stated public key; legacy and PUB_K1 compare equal', () => {
  assert.equal(vectors.keyPairs.length, 8);
  let checks = 0;
  for (const kp of vectors.keyPairs) {
    const pub = publicKey(kp.publicKey);
    assert.equal(pub.string, kp.publicKey, kp.name);
    assert.equal(pub.type, kp.curve === 'secp256k1' ? 'K1' : 'R1', kp.name);
    const hex = kp.publicKeyHex ?? kp.computed?.publicKeyHex;
    if (hex) assert.equal(encodeHex(pub.compressed), hex, kp.name);
    for (const s of [kp.privateKeyWif, kp.privateKeyPVT]) {
      if (s === undefined) continue;
      const priv = parseEosPrivateKey(s);
      assert.ok(priv.ok, `${kp.name}: ${s}`);
      assert.equal(eosPublicKeyFromPrivate(priv.value).string, kp.publicKey, kp.name);
      const privHex = kp.privateKeyHex ?? kp.computed?.privateKeyHex;
      if (privHex) assert.equal(encodeHex(priv.value.bytes), privHex, kp.name);
      if (kp.privateKeyPVT) assert.equal(formatEosPrivateKey(priv.value), kp.privateKeyPVT, kp.name);
      if (kp.privateKeyWif)
        assert.equal(formatEosPrivateKey(priv.value, { wif: true }), kp.privateKeyWif, kp.name);
      checks++;
    }
    if (kp.publicKeyLegacy) {
      const legacy = publicKey(kp.publicKeyLegacy);
      assert.equal(legacy.string, pub.string, `${kp.name}: EOS… and PUB_K1_… are one key`);
      assert.equal(toLegacyEosPublicKey(pub), kp.publicKeyLegacy, kp.name);
    }
    if (kp.publicKeyLegacyFIO) assert.equal(toLegacyEosPublicKey(pub, 'FIO'), kp.publicKeyLegacyFIO, kp.name);
    if (pub.type === 'R1') assert.throws(() => toLegacyEosPublicKey(pub), RangeError);
  }
  assert.equal(checks, 10);
});

test('the 3 eosjs signatures (header 27/28) verify against their key and stated digest, and recover to it', () => {
  assert.equal(vectors.signatures.length, 3);
  for (const v of vectors.signatures) {
    const digest = decodeHex(v.digest)!;
    assert.equal(encodeHex(sha256(decodeHex(v.signedBytes)!)), v.digest, `${v.name}: digest formula`);
    const sig = parseEosSignature(v.signature);
    assert.ok(sig.ok, v.name);
    assert.equal(sig.value.header, v.computed.recoveryByte, v.name);
    assert.ok(sig.value.header === 27 || sig.value.header === 28, v.name);
    assert.equal(encodeHex(sig.value.compact), v.computed.r + v.computed.s, v.name);
    const key = publicKey(v.publicKey);
    assert.deepEqual(verifyEosDigest(key, digest, v.signature), { ok: true }, v.name);
    assert.equal(recoverEosPublicKeyFromDigest(digest, v.signature)?.string, v.publicKey, v.name);
    // the same signature over another digest, or checked with another vector's key, fails
    assert.deepEqual(verifyEosDigest(key, sha256(utf8Bytes('some string')), v.signature), {
      ok: false,
      code: 'signature_invalid',
    });
    const other = vectors.signatures.find((o) => o.publicKey !== v.publicKey)!;
    assert.equal(verifyEosDigest(publicKey(other.publicKey), digest, v.signature).ok, false, v.name);
    // our signer makes a canonical 31+recid signature over the same digest that verifies
    const priv = parseEosPrivateKey(v.privateKeyWif);
    assert.ok(priv.ok);
    const mine = signEosDigest(priv.value, digest);
    const mineParsed = parseEosSignature(mine);
    assert.ok(mineParsed.ok && mineParsed.value.header >= 31, v.name);
    assert.deepEqual(verifyEosDigest(key, digest, mine), { ok: true }, v.name);
  }
});

test('serialization vectors: K1 strings decode to the ABI bytes; WA strings are refused as unsupported', () => {
  let seen = 0;
  for (const v of vectors.serialization) {
    const abi = v.abiHex;
    if (v.string.startsWith('PUB_K1_')) {
      assert.equal('00' + encodeHex(publicKey(v.string).compressed), abi, v.name);
    } else if (v.string.startsWith('SIG_K1_')) {
      const sig = parseEosSignature(v.string);
      assert.ok(sig.ok, v.name);
      assert.equal('00' + sig.value.header.toString(16) + encodeHex(sig.value.compact), abi, v.name);
      assert.equal(sig.value.header, 32, v.name);
      assert.equal(sig.value.recid, 1, v.name);
    } else if (v.string.startsWith('PUB_WA_')) {
      const r = parseEosPublicKey(v.string);
      assert.equal(r.ok, false, v.name);
      assert.equal(!r.ok && r.code, 'invalid_request');
      assert.match(!r.ok ? r.message : '', /not supported/);
    } else if (v.string.startsWith('SIG_WA_')) {
      const r = parseEosSignature(v.string);
      assert.equal(r.ok, false, v.name);
      assert.match(!r.ok ? r.message : '', /not supported/);
    } else {
      assert.fail(`unexpected vector ${v.name}`);
    }
    seen++;
  }
  assert.equal(seen, 4);
});

test('invalid entries (bad checksums, all-zero keys) are refused', () => {
  assert.equal(vectors.invalid.length, 5);
  for (const v of vectors.invalid) {
    const r = parseEosPrivateKey(v.string);
    assert.equal(r.ok, false, v.name);
    assert.equal(!r.ok && r.code, 'invalid_request', v.name);
  }
});
