import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secp256k1, secp256k1Verify, sha256 } from '../../src/crypto/index.js';
import { encodeHex, utf8Bytes } from '../../src/encoding/index.js';
import {
  eosPublicKeyFromPoint,
  eosPublicKeyFromPrivate,
  eosScheme,
  formatEosPrivateKey,
  formatEosSignature,
  isCanonicalEosSignature,
  isEosAccountName,
  parseEosPrivateKey,
  parseEosPublicKey,
  parseEosSignature,
  signEos,
  verifyEosDigest,
  verifyEosSignature,
  type EosPrivateKey,
} from '../../src/schemes/eos/index.js';

const privateKeys = fc
  .tuple(fc.constantFrom('K1' as const, 'R1' as const), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([type, seed]): EosPrivateKey => ({ type, bytes: sha256(seed) }));

test('sign then verify holds (K1 and R1), through the offline batch verifier too', () => {
  fc.assert(
    fc.property(privateKeys, fc.uint8Array({ maxLength: 100 }), (priv, message) => {
      const key = eosPublicKeyFromPrivate(priv);
      const sig = signEos(priv, message);
      assert.deepEqual(verifyEosSignature(key, message, sig), { ok: true });
      assert.deepEqual(verifyEosDigest(key, sha256(message), sig), { ok: true });
      assert.deepEqual(
        eosScheme.verifyOffline!({
          scheme: 'eos',
          publicKey: key.string,
          messageHex: encodeHex(message),
          signature: sig,
        }),
        { ok: true },
      );
      assert.equal(parseEosPrivateKey(formatEosPrivateKey(priv)).ok, true);
    }),
    { numRuns: 60 },
  );
});

test('flipping any byte of r||s, of the message or of the key makes verification fail', () => {
  fc.assert(
    fc.property(
      privateKeys,
      fc.uint8Array({ minLength: 1, maxLength: 60 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (priv, message, at, mask) => {
        const key = eosPublicKeyFromPrivate(priv);
        const parsed = parseEosSignature(signEos(priv, message));
        assert.ok(parsed.ok);
        const sig = parsed.value;
        const badSig = Uint8Array.from(sig.compact);
        badSig[at % 64]! ^= mask;
        const reencoded = formatEosSignature(sig.type, badSig, sig.recid);
        assert.equal(verifyEosSignature(key, message, reencoded).ok, false);
        const badMessage = Uint8Array.from(message);
        badMessage[at % message.length]! ^= mask;
        assert.equal(verifyEosSignature(key, badMessage, sig).ok, false);
        const badPoint = Uint8Array.from(key.compressed);
        badPoint[1 + (at % 32)]! ^= mask;
        const otherKey = eosPublicKeyFromPoint(key.type, badPoint);
        if (otherKey !== null) assert.equal(verifyEosSignature(otherKey, message, sig).ok, false);
        // a K1 signature is refused for an R1 key of the same bytes and vice versa
        const crossKey = eosPublicKeyFromPoint(key.type === 'K1' ? 'R1' : 'K1', key.compressed);
        if (crossKey !== null) assert.equal(verifyEosSignature(crossKey, message, sig).ok, false);
      },
    ),
    { numRuns: 80 },
  );
});

test('K1: non-canonical (top bit of r set) and high-S signatures are refused even when the math holds', () => {
  const priv = parseEosPrivateKey('5KQvfsPJ9YvGuVbLRLXVWPNubed6FWvV8yax6cNSJEzB4co3zFu');
  assert.ok(priv.ok);
  const key = eosPublicKeyFromPrivate(priv.value);
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  let seen = 0;
  for (let i = 0; seen < 5 && i < 200; i++) {
    const message = utf8Bytes(`m${i}`);
    const sig = parseEosSignature(signEos(priv.value, message));
    assert.ok(sig.ok);
    const s = BigInt('0x' + encodeHex(sig.value.compact.subarray(32)));
    const high = Uint8Array.from(sig.value.compact);
    high.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
    assert.deepEqual(verifyEosSignature(key, message, formatEosSignature('K1', high, sig.value.recid ^ 1)), {
      ok: false,
      code: 'signature_invalid',
    });
    seen++;
  }
  assert.equal(seen, 5);
  // plain RFC 6979 signatures whose r has its top bit set: valid ECDSA, but not EOSIO-canonical
  let nonCanonical = 0;
  for (let i = 0; nonCanonical < 5 && i < 200; i++) {
    const message = utf8Bytes(`n${i}`);
    const raw = secp256k1.sign(sha256(message), priv.value.bytes);
    if (!((raw.signature[0] as number) & 0x80)) continue;
    assert.equal(isCanonicalEosSignature(raw.signature), false);
    assert.equal(secp256k1Verify(raw.signature, sha256(message), key.compressed), true);
    assert.deepEqual(verifyEosSignature(key, message, formatEosSignature('K1', raw.signature, raw.recid)), {
      ok: false,
      code: 'signature_invalid',
    });
    nonCanonical++;
  }
  assert.equal(nonCanonical, 5);
});

test('parsers and the registry entry never throw on random input', () => {
  const prefixed = fc
    .tuple(
      fc.constantFrom(
        'PUB_K1_',
        'PUB_R1_',
        'PUB_WA_',
        'EOS',
        'PVT_K1_',
        'PVT_R1_',
        'SIG_K1_',
        'SIG_R1_',
        '5',
        '',
      ),
      fc.string({ maxLength: 120 }),
    )
    .map(([p, s]) => p + s);
  fc.assert(
    fc.property(fc.oneof(fc.anything(), prefixed), (input) => {
      for (const r of [parseEosPublicKey(input), parseEosPrivateKey(input), parseEosSignature(input)]) {
        if (!r.ok) assert.equal(r.code, 'invalid_request');
      }
      const cred = eosScheme.parseCredential!({ type: 'eos', account: input, publicKey: input });
      assert.equal(cred.ok, false);
      const off = eosScheme.verifyOffline!({
        scheme: 'eos',
        publicKey: input,
        message: input,
        signature: input,
      });
      assert.equal(off.ok, false);
      isEosAccountName(input);
    }),
    { numRuns: 500 },
  );
});

test('credential parser: account names by Antelope rules, key stored canonical', () => {
  const good = {
    type: 'eos',
    account: 'mykeymanager',
    publicKey: 'EOS6RrvujLQN1x5Tacbep1KAk8zzKpSThAQXBCKYFfGUYeABhJRin',
  };
  assert.deepEqual(eosScheme.parseCredential!(good), {
    ok: true,
    value: {
      publicKey: { key: 'PUB_K1_6RrvujLQN1x5Tacbep1KAk8zzKpSThAQXBCKYFfGUYeACcSRFs' },
      account: 'mykeymanager',
      deviceId: null,
      label: null,
    },
  });
  for (const account of ['a', 'eosio.token', 'abcdefghij12', 'abcdefghij12j', '1.2'])
    assert.ok(isEosAccountName(account), account);
  for (const account of [
    '',
    'Alice',
    'alice.',
    'a6',
    'abcdefghij12p',
    'abcdefghij12k',
    'abcdefghij12.',
    'a b',
    'toolongaccount1',
  ]) {
    assert.equal(isEosAccountName(account), false, account);
    assert.equal(eosScheme.parseCredential!({ ...good, account }).ok, false, account);
  }
  assert.equal(eosScheme.parseCredential!({ ...good, type: 'eth' }).ok, false);
  assert.equal(eosScheme.parseCredential!({ ...good, label: 7 }).ok, false);
  assert.equal(eosScheme.parseCredential!({ ...good, label: 'phone' }).ok, true);
  const offline = eosScheme.verifyOffline!({
    scheme: 'eos',
    publicKey: good.publicKey,
    message: 'x',
    messageHex: '78',
    signature: 'SIG_K1_x',
  });
  assert.equal(offline.ok === false && offline.code, 'invalid_request');
});
