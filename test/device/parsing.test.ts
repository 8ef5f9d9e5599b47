import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import {
  decodeDevicePublicKey,
  deviceScheme,
  loadDevicePublicKey,
  parseDeviceCredential,
  parseDevicePublicKey,
  parseDeviceSignature,
  verifyDeviceOffline,
} from '../../src/schemes/device/index.js';
import { androidWrap, b64, b64url, derTlv, generateP256, generateRsa, p256Point, pem } from './support.js';

const rsa = generateRsa(2048);
const ec = generateP256();
const rsaSpki = rsa.spki;
const rsaPkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'der' });
const point = p256Point(ec.publicKey);

function refusedAs(input: unknown, code: 'invalid_request' | 'key_invalid', why: string) {
  const decoded = decodeDevicePublicKey(input);
  assert.equal(decoded.ok, false, `${why}: accepted`);
  assert.equal(decoded.ok ? '' : decoded.code, code, why);
  const parsed = parseDevicePublicKey(input);
  assert.equal(parsed.ok ? '' : parsed.code, 'invalid_request', why);
}

test('malformed public keys are invalid_request, never a throw', () => {
  const cases: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['number', 42],
    ['object', { kty: 'RSA' }],
    ['array', [b64(rsaSpki)]],
    ['empty', ''],
    ['blanks', ' \n\t '],
    ['not base64', 'not a key!'],
    ['mixed base64 alphabets', `${b64(rsaSpki).slice(0, 20)}-_${b64(rsaSpki).slice(22)}`],
    ['non-canonical trailing bits', b64(Buffer.of(0x04, ...point.subarray(1))).replace(/.$/, 'B')],
    ['too long', 'A'.repeat(8193)],
    ['truncated SPKI', b64(rsaSpki.subarray(0, rsaSpki.length - 1))],
    ['SPKI with trailing bytes', b64(Buffer.concat([rsaSpki, Buffer.of(0, 0)]))],
    ['PKCS#1 with trailing bytes', b64(Buffer.concat([rsaPkcs1, Buffer.of(5)]))],
    [
      'SPKI with BER long-form length',
      b64(Buffer.concat([Buffer.of(0x30, 0x83, 0x00), rsaSpki.subarray(2)])),
    ],
    [
      'compressed point (33 bytes)',
      b64(Buffer.concat([Buffer.of(2 + (point[64]! & 1)), point.subarray(1, 33)])),
    ],
    ['hybrid point (0x06)', b64(Buffer.concat([Buffer.of(6 + (point[64]! & 1)), point.subarray(1)]))],
    ['point not on the curve', b64(Buffer.concat([point.subarray(0, 64), Buffer.of(point[64]! ^ 1)]))],
    ['zero point', b64(Buffer.concat([Buffer.of(4), Buffer.alloc(64)]))],
    ['64-byte raw x||y without 04', b64(point.subarray(1))],
    ['random DER-ish bytes', b64(Buffer.from('3003020101', 'hex'))],
    ['PEM: label mismatch', pem('PUBLIC KEY', rsaSpki).replace('END PUBLIC KEY', 'END RSA PUBLIC KEY')],
    ['PEM: PKCS#1 body under PUBLIC KEY', pem('PUBLIC KEY', rsaPkcs1)],
    ['PEM: SPKI body under RSA PUBLIC KEY', pem('RSA PUBLIC KEY', rsaSpki)],
    ['PEM: CERTIFICATE label', pem('CERTIFICATE', rsaSpki)],
    ['PEM: EC point under PUBLIC KEY', pem('PUBLIC KEY', point)],
    ['PEM: private key', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string],
    ['PEM: PKCS#1 private key', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string],
    ['PEM: EC private key', ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string],
    ['PEM: two blocks', pem('PUBLIC KEY', rsaSpki) + pem('PUBLIC KEY', ec.spki)],
    ['PEM: text after END', `${pem('PUBLIC KEY', rsaSpki)}trailing`],
    ['PEM: text before BEGIN', `x${pem('PUBLIC KEY', rsaSpki)}`],
    ['PEM: header lines', pem('PUBLIC KEY', rsaSpki).replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\n\n')],
    ['PEM: base64url body', pem('PUBLIC KEY', rsaSpki).replace(/\+/g, '-').replace(/\//g, '_')],
    ['PEM: no END', pem('PUBLIC KEY', rsaSpki).split('-----END')[0]],
    ['PEM: empty body', '-----BEGIN PUBLIC KEY----------END PUBLIC KEY-----'],
    ['PEM: only dashes', '-----'],
    ['private key DER (PKCS#8) as base64', b64(rsa.privateKey.export({ type: 'pkcs8', format: 'der' }))],
  ];
  // Sanity: the key these are made from is accepted (so each refusal is about the mutation).
  assert.ok(parseDevicePublicKey(b64(rsaSpki)).ok);
  for (const [why, input] of cases) refusedAs(input, 'invalid_request', why);
});

test('non-canonical DER of a real key is refused, not read leniently as OpenSSL would', () => {
  const rsaAlg = Buffer.from('300d06092a864886f70d0101010500', 'hex');
  const rsaAlgNoNull = Buffer.from('300b06092a864886f70d010101', 'hex');
  const ecAlg = Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex');
  const spkiOf = (alg: Buffer, key: Buffer, unusedBits = 0) =>
    derTlv(0x30, Buffer.concat([alg, derTlv(0x03, Buffer.concat([Buffer.of(unusedBits), key]))]));
  const n = Buffer.from(rsa.publicKey.export({ format: 'jwk' }).n as string, 'base64url');
  const e = Buffer.from('010001', 'hex');
  const pkcs1Of = (modulus: Buffer) => derTlv(0x30, Buffer.concat([derTlv(0x02, modulus), derTlv(0x02, e)]));
  // Sanity: the canonical builds are the node exports, and are accepted.
  assert.deepEqual(spkiOf(rsaAlg, rsaPkcs1), rsaSpki);
  assert.deepEqual(pkcs1Of(Buffer.concat([Buffer.of(0), n])), rsaPkcs1);
  assert.ok(parseDevicePublicKey(b64(spkiOf(rsaAlg, rsaPkcs1))).ok);
  const cases: [string, Buffer][] = [
    ['bytes after the key inside the BIT STRING', spkiOf(rsaAlg, Buffer.concat([rsaPkcs1, Buffer.of(1, 2)]))],
    ['rsaEncryption without its NULL parameters', spkiOf(rsaAlgNoNull, rsaPkcs1)],
    ['BIT STRING with unused bits', spkiOf(rsaAlg, rsaPkcs1, 1)],
    ['modulus with a needless leading zero', pkcs1Of(Buffer.concat([Buffer.of(0, 0), n]))],
    ['modulus encoded negative (no leading zero)', pkcs1Of(n)],
    [
      'SPKI of a modulus with a needless leading zero',
      spkiOf(rsaAlg, pkcs1Of(Buffer.concat([Buffer.of(0, 0), n]))),
    ],
    ['EC point followed by a byte', spkiOf(ecAlg, Buffer.concat([point, Buffer.of(0)]))],
    // X9.62 hybrid form (0x06 | parity of y): OpenSSL reads it and writes it back unchanged, so
    // only an explicit check keeps it from being a second spelling of the same key.
    [
      'EC point in hybrid form',
      spkiOf(ecAlg, Buffer.concat([Buffer.of(0x06 | (point[64]! & 1)), point.subarray(1)])),
    ],
  ];
  for (const [why, der] of cases) {
    refusedAs(b64(der), 'invalid_request', why);
    refusedAs(
      pem(why.startsWith('modulus') ? 'RSA PUBLIC KEY' : 'PUBLIC KEY', der),
      'invalid_request',
      `PEM ${why}`,
    );
  }
});

test('a private key is never accepted in place of a public key, whatever its wrapping', () => {
  for (const k of [rsa, ec]) {
    for (const type of ['pkcs8', k.kind === 'rsa' ? 'pkcs1' : 'sec1'] as const) {
      const der = k.privateKey.export({ type, format: 'der' });
      for (const text of [
        b64(der),
        b64url(der),
        androidWrap(der),
        k.privateKey.export({ type, format: 'pem' }) as string,
      ]) {
        assert.equal(parseDevicePublicKey(text).ok, false, `${k.name} ${type}`);
      }
    }
  }
});

test('the canonical SPKI is the same for every spelling, and is what a credential stores', () => {
  const spellings = [
    b64(rsaSpki),
    androidWrap(rsaSpki),
    b64url(rsaSpki),
    pem('RSA PUBLIC KEY', rsaPkcs1),
    b64(rsaPkcs1),
  ];
  const stored = spellings.map((publicKey) => {
    const r = parseDeviceCredential({ type: 'device', publicKey });
    assert.ok(r.ok);
    return r.value.publicKey;
  });
  for (const s of stored) assert.deepEqual(s, { kind: 'rsa', spki: b64url(rsaSpki) });
  // A P-256 key given as SPKI with a compressed point is stored uncompressed: one key, one spelling.
  const compressed = parseDevicePublicKey(ec.forms['base64 SPKI with a compressed point']);
  const raw = parseDevicePublicKey(b64(point));
  assert.ok(compressed.ok && raw.ok);
  assert.equal(compressed.value.spki, raw.value.spki);
  assert.equal(raw.value.spki, b64url(ec.spki));
});

test('parseDeviceCredential: fields, deviceId and label rules', () => {
  const publicKey = b64(rsaSpki);
  const good = parseDeviceCredential({
    type: 'device',
    publicKey,
    deviceId: 'iPhone15.2:A1B2-c3_d4',
    label: 'Lan’s phone — Hà Nội',
  });
  assert.deepEqual(good, {
    ok: true,
    value: {
      publicKey: { kind: 'rsa', spki: b64url(rsaSpki) },
      account: null,
      deviceId: 'iPhone15.2:A1B2-c3_d4',
      label: 'Lan’s phone — Hà Nội',
    },
  });
  assert.deepEqual(parseDeviceCredential({ type: 'device', publicKey: b64(point) }), {
    ok: true,
    value: { publicKey: { kind: 'p256', spki: b64url(ec.spki) }, account: null, deviceId: null, label: null },
  });
  assert.deepEqual(
    parseDeviceCredential({ type: 'device', publicKey, deviceId: null, label: null }).ok,
    true,
  );
  assert.equal(
    parseDeviceCredential({ type: 'device', publicKey, deviceId: 'x'.repeat(128), label: 'y'.repeat(128) })
      .ok,
    true,
  );
  const bad: unknown[] = [
    null,
    'device',
    [],
    { publicKey },
    { type: 'eos', publicKey },
    { type: 'device' },
    { type: 'device', publicKey: 'nope' },
    { type: 'device', publicKey, deviceId: '' },
    { type: 'device', publicKey, deviceId: 'x'.repeat(129) },
    { type: 'device', publicKey, deviceId: 'iPhone15,2' },
    { type: 'device', publicKey, deviceId: 'a b' },
    { type: 'device', publicKey, deviceId: 'a/b' },
    { type: 'device', publicKey, deviceId: 'ä' },
    { type: 'device', publicKey, deviceId: 7 },
    { type: 'device', publicKey, label: 'y'.repeat(129) },
    { type: 'device', publicKey, label: 'a\nb' },
    { type: 'device', publicKey, label: 'a\u0000b' },
    { type: 'device', publicKey, label: 'a\u007fb' },
    { type: 'device', publicKey, label: 5 },
    { type: 'device', publicKey: b64(generateRsa(1024).spki) },
  ];
  for (const body of bad) {
    const r = parseDeviceCredential(body);
    assert.equal(r.ok, false, JSON.stringify(body));
    assert.equal(r.ok ? '' : r.code, 'invalid_request');
  }
});

test('loadDevicePublicKey re-imports what a credential stores, and nothing else', () => {
  for (const k of [rsa, ec]) {
    const draft = parseDeviceCredential({ type: 'device', publicKey: b64(k.spki) });
    assert.ok(draft.ok);
    const stored = JSON.parse(JSON.stringify(draft.value.publicKey)) as Record<string, unknown>;
    const key = loadDevicePublicKey(stored);
    assert.ok(key);
    assert.equal(key.kind, k.kind);
    assert.equal(key.spki, stored.spki);
    assert.equal(key.key.asymmetricKeyType, k.kind === 'rsa' ? 'rsa' : 'ec');
  }
  const spki = b64url(rsaSpki);
  for (const stored of [
    {},
    { kind: 'rsa' },
    { spki },
    { kind: 'p256', spki },
    { kind: 'RSA', spki },
    { kind: 'rsa', spki: b64(rsaSpki).replace(/=+$/, '') + '!' },
    { kind: 'rsa', spki: b64url(rsaPkcs1) },
    { kind: 'rsa', spki: b64url(Buffer.concat([rsaSpki, Buffer.of(0)])) },
    { kind: 'rsa', spki: pem('PUBLIC KEY', rsaSpki) },
    { kind: 'p256', spki: b64url(point) },
    { kind: 'rsa', spki: 42 },
    { kind: 'rsa', spki: 'A'.repeat(10_000) },
  ]) {
    assert.equal(
      loadDevicePublicKey(stored as Record<string, unknown>),
      null,
      JSON.stringify(stored).slice(0, 80),
    );
  }
});

test('parseDeviceSignature: base64 / base64url, line breaks, bounds', () => {
  const sig = nodeSign('sha256', Buffer.from('c'), rsa.privateKey);
  for (const text of [b64(sig), b64url(sig), androidWrap(sig), androidWrap(sig).replace(/\n/g, '\r\n')]) {
    const r = parseDeviceSignature(text);
    assert.ok(r.ok);
    assert.deepEqual(Buffer.from(r.value), sig);
  }
  assert.equal(parseDeviceSignature(b64(Buffer.alloc(1024, 1))).ok, true);
  for (const bad of [
    undefined,
    null,
    42,
    [b64(sig)],
    '',
    '=',
    '====',
    'A',
    `${b64(sig)} `,
    ` ${b64(sig)}`,
    b64(sig).replace(/.{10}/, '$& '),
    `${b64(sig).slice(0, 10)}-+${b64(sig).slice(12)}`,
    b64(Buffer.alloc(1025, 1)),
    'A'.repeat(2049),
    'QQ=', // bad padding
    'QR==', // non-canonical trailing bits
  ]) {
    const r = parseDeviceSignature(bad);
    assert.equal(r.ok, false, String(bad).slice(0, 40));
    assert.equal(r.ok ? '' : r.code, 'invalid_request');
  }
});

test('verifyDeviceOffline: each field, each code', () => {
  const message = '1716000000000-test@gmail.com/test';
  const sig = nodeSign('sha256', Buffer.from(message), rsa.privateKey);
  const ecSig = nodeSign('sha256', Buffer.from(message), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
  const line = { scheme: 'device', publicKey: pem('PUBLIC KEY', rsaSpki), message, signature: b64(sig) };
  assert.deepEqual(verifyDeviceOffline(line), { ok: true });
  assert.deepEqual(verifyDeviceOffline({ ...line, publicKey: b64url(point), signature: b64url(ecSig) }), {
    ok: true,
  });
  assert.deepEqual(verifyDeviceOffline({ ...line, message: `${message}x` }), {
    ok: false,
    code: 'signature_invalid',
  });
  assert.deepEqual(verifyDeviceOffline({ ...line, publicKey: b64(point) }), {
    ok: false,
    code: 'signature_invalid',
  });
  assert.deepEqual(verifyDeviceOffline({ ...line, signature: b64(ecSig) }), {
    ok: false,
    code: 'signature_invalid',
  });
  assert.deepEqual(
    verifyDeviceOffline({
      ...line,
      message: undefined,
      messageHex: `0x${Buffer.from(message).toString('hex')}`,
      signature: undefined,
      signatureHex: sig.toString('hex'),
    }),
    { ok: true },
  );
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  assert.deepEqual(
    verifyDeviceOffline({
      ...line,
      publicKey: weak.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      signature: b64(nodeSign('sha256', Buffer.from(message), weak.privateKey)),
    }),
    { ok: false, code: 'key_invalid' },
  );
  const malformed: Record<string, unknown>[] = [
    { ...line, publicKey: undefined },
    { ...line, publicKey: 'garbage' },
    { ...line, message: undefined },
    { ...line, messageHex: 'ab' },
    { ...line, message: 5 },
    { ...line, message: 'x'.repeat(64 * 1024 + 1) },
    { ...line, message: undefined, messageHex: 'abc' },
    { ...line, message: undefined, messageHex: 5 },
    { ...line, signature: undefined },
    { ...line, signatureHex: sig.toString('hex') },
    { ...line, signature: '' },
    { ...line, signature: 'not base64!' },
    { ...line, signature: undefined, signatureHex: '' },
    { ...line, signature: undefined, signatureHex: 'zz' },
    { ...line, signature: undefined, signatureHex: 'ab'.repeat(1025) },
  ];
  for (const m of malformed) {
    const r = verifyDeviceOffline(m as never);
    assert.equal(r.ok ? '' : r.code, 'invalid_request', JSON.stringify(m).slice(0, 120));
  }
});

test('registry row: deviceScheme is wired to its parsers', () => {
  assert.equal(deviceScheme.name, 'device');
  assert.equal(deviceScheme.parseCredential, parseDeviceCredential);
  assert.equal(deviceScheme.verifyOffline, verifyDeviceOffline);
});
