import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import {
  decodeDevicePublicKey,
  loadDevicePublicKey,
  parseDeviceCredential,
  parseDevicePublicKey,
  parseDeviceSignature,
  verifyDeviceOffline,
  verifyDeviceSignature,
  type DevicePublicKey,
} from '../../src/schemes/device/index.js';
import { b64, b64url, generateP256, generateRsa, type GeneratedKey } from './support.js';

const RSA = generateRsa(2048);
const EC = generateP256();

function parsed(k: GeneratedKey): DevicePublicKey {
  const r = parseDevicePublicKey(b64(k.spki));
  assert.ok(r.ok);
  return r.value;
}
const KEYS: [GeneratedKey, DevicePublicKey][] = [
  [RSA, parsed(RSA)],
  [EC, parsed(EC)],
];

const sign = (k: GeneratedKey, m: Uint8Array, raw: boolean): Buffer =>
  nodeSign(
    'sha256',
    m,
    k.kind === 'p256' && raw ? { key: k.privateKey, dsaEncoding: 'ieee-p1363' } : k.privateKey,
  );

test('property: sign then verify holds (RSA, P-256 DER and raw), through the text parsers too', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...KEYS),
      fc.uint8Array({ maxLength: 512 }),
      fc.boolean(),
      ([k, key], message, raw) => {
        const sig = sign(k, message, raw);
        assert.deepEqual(verifyDeviceSignature(key, message, sig), { ok: true });
        const text = parseDeviceSignature(raw ? b64url(sig) : b64(sig));
        assert.ok(text.ok);
        assert.deepEqual(verifyDeviceSignature(key, message, text.value), { ok: true });
      },
    ),
    { numRuns: 150 },
  );
});

test('property: fresh P-256 keys (noble) as raw points verify their signatures', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 200 }),
      (seed, message) => {
        fc.pre(p256.utils.isValidSecretKey(seed));
        const key = parseDevicePublicKey(b64url(p256.getPublicKey(seed, false)));
        assert.ok(key.ok);
        assert.deepEqual(verifyDeviceSignature(key.value, message, p256.sign(message, seed)), { ok: true });
      },
    ),
    { numRuns: 60 },
  );
});

test('property: any changed byte of the signature or the message fails', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...KEYS),
      fc.uint8Array({ minLength: 1, maxLength: 256 }),
      fc.boolean(),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      fc.boolean(),
      ([k, key], message, raw, where, delta, inSignature) => {
        const sig = sign(k, message, raw);
        if (inSignature) {
          const bad = Buffer.from(sig);
          bad[where % bad.length] = (bad[where % bad.length]! + delta) & 0xff;
          assert.deepEqual(verifyDeviceSignature(key, message, bad), {
            ok: false,
            code: 'signature_invalid',
          });
        } else {
          const bad = Uint8Array.from(message);
          bad[where % bad.length] = (bad[where % bad.length]! + delta) & 0xff;
          assert.deepEqual(verifyDeviceSignature(key, bad, sig), { ok: false, code: 'signature_invalid' });
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('property: truncated or extended signatures fail', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...KEYS),
      fc.uint8Array({ maxLength: 64 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 8 }),
      ([k, key], message, raw, n) => {
        const sig = sign(k, message, raw);
        assert.equal(verifyDeviceSignature(key, message, sig.subarray(0, sig.length - n)).ok, false);
        assert.equal(verifyDeviceSignature(key, message, Buffer.concat([sig, Buffer.alloc(n)])).ok, false);
      },
    ),
    { numRuns: 100 },
  );
});

/** Calls a parser: a throw fails the property; the answer is a result object (or `null` for loaders). */
const noThrow = (f: () => unknown): void => {
  const r = f();
  assert.ok(
    r === null ||
      (typeof r === 'object' && typeof (r as { ok?: unknown }).ok === 'boolean') ||
      'kind' in (r as object),
  );
};

test('property: the parsers never throw on arbitrary strings and objects', () => {
  fc.assert(
    fc.property(fc.anything(), (x) => {
      noThrow(() => parseDevicePublicKey(x));
      noThrow(() => decodeDevicePublicKey(x));
      noThrow(() => parseDeviceSignature(x));
      noThrow(() => parseDeviceCredential(x));
      noThrow(() => parseDeviceCredential({ type: 'device', publicKey: x, deviceId: x, label: x }));
      noThrow(() => verifyDeviceOffline({ scheme: 'device', publicKey: x, message: x, signature: x }));
      noThrow(() => verifyDeviceOffline({ scheme: 'device', publicKey: x, messageHex: x, signatureHex: x }));
      if (typeof x === 'object' && x !== null && !Array.isArray(x))
        noThrow(() => loadDevicePublicKey(x as Record<string, unknown>));
      noThrow(() => loadDevicePublicKey({ kind: 'rsa', spki: x }));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 600 }), fc.base64String({ maxLength: 600 }), (s, b) => {
      for (const x of [
        s,
        b,
        `-----BEGIN PUBLIC KEY-----\n${b}\n-----END PUBLIC KEY-----`,
        `-----BEGIN RSA PUBLIC KEY-----${s}-----END RSA PUBLIC KEY-----`,
      ]) {
        noThrow(() => decodeDevicePublicKey(x));
        noThrow(() => parseDeviceSignature(x));
      }
    }),
    { numRuns: 500 },
  );
});

test('property: random bytes as a key never throw, and anything accepted is a policy-checked key', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
      for (const text of [
        b64(bytes),
        b64url(bytes),
        b64(Buffer.concat([Buffer.of(0x30, 0x82, bytes.length >> 8, bytes.length & 0xff), bytes])),
      ]) {
        const r = decodeDevicePublicKey(text);
        if (r.ok)
          assert.ok(
            (r.value.kind === 'rsa' && r.value.bits >= 2048) ||
              (r.value.kind === 'p256' && r.value.bits === 256),
          );
      }
    }),
    { numRuns: 500 },
  );
});

test('property: a mutated SPKI is refused, or accepted only as exactly the key it spells', () => {
  fc.assert(
    fc.property(fc.constantFrom(RSA, EC), fc.nat(), fc.integer({ min: 1, max: 255 }), (k, where, delta) => {
      const der = Buffer.from(k.spki);
      der[where % der.length] = (der[where % der.length]! + delta) & 0xff;
      const r = decodeDevicePublicKey(b64(der));
      // A changed modulus or point coordinate can be another valid key: then it is that key,
      // in its canonical form, which is the mutated input itself.
      if (r.ok) assert.equal(r.value.spki, b64url(der));
    }),
    { numRuns: 400 },
  );
});

test('large inputs are refused in time that does not grow with them (1 MB strings)', () => {
  const mb = 'A'.repeat(1 << 20);
  const spaces = ' '.repeat(1 << 20);
  const pemHuge = `-----BEGIN PUBLIC KEY-----\n${mb}\n-----END PUBLIC KEY-----`;
  const time = (f: () => unknown) => {
    const start = process.hrtime.bigint();
    const r = f() as { ok: boolean };
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(r.ok, false);
    return ms;
  };
  for (const [name, f] of [
    ['publicKey 1 MB base64', () => parseDevicePublicKey(mb)],
    ['publicKey 1 MB spaces', () => parseDevicePublicKey(spaces)],
    ['publicKey 1 MB PEM', () => parseDevicePublicKey(pemHuge)],
    ['signature 1 MB', () => parseDeviceSignature(mb)],
    [
      'credential 1 MB label',
      () => parseDeviceCredential({ type: 'device', publicKey: b64(RSA.spki), label: mb }),
    ],
    [
      'credential 1 MB deviceId',
      () => parseDeviceCredential({ type: 'device', publicKey: b64(RSA.spki), deviceId: mb }),
    ],
    [
      'offline 1 MB message',
      () => verifyDeviceOffline({ scheme: 'device', publicKey: b64(RSA.spki), message: mb, signature: 'AA' }),
    ],
    [
      'offline 1 MB messageHex',
      () =>
        verifyDeviceOffline({ scheme: 'device', publicKey: b64(RSA.spki), messageHex: mb, signature: 'AA' }),
    ],
    ['stored 1 MB spki', () => ({ ok: loadDevicePublicKey({ kind: 'rsa', spki: mb }) !== null })],
  ] as const) {
    f(); // warm-up
    const ms = time(f);
    assert.ok(ms < 50, `${name} took ${ms.toFixed(1)} ms`);
  }
  // Within the size bound, the parser's work is linear: 8 KiB of whitespace-laden base64.
  const big = ` ${'QUFB '.repeat(1638)}`;
  assert.ok(big.length <= 8192);
  assert.ok(time(() => parseDevicePublicKey(big)) < 50);
});
