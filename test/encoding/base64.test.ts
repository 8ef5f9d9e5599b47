import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from '../../src/encoding/base64.js';
import { decodeHex, encodeHex } from '../../src/encoding/hex.js';

test('base64 and base64url round-trip any bytes, padded or not', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes);
      assert.deepEqual(decodeBase64(encodeBase64(bytes).replace(/=+$/, '')), bytes);
      assert.deepEqual(decodeBase64(encodeBase64Url(bytes)), bytes);
      assert.deepEqual(decodeBase64Url(encodeBase64Url(bytes)), bytes);
    }),
  );
});

test('base64 refuses what Buffer would silently skip', () => {
  for (const bad of ['a b', 'aGk*', 'a', 'aGk==', 'aG=k', '+_/-', 'aGl=', '====', 'aGk\n']) {
    assert.equal(decodeBase64(bad), null, bad);
  }
  assert.equal(decodeBase64Url('a+b/'), null);
});

test('base64 accepts Android Base64.DEFAULT line breaks only when asked', () => {
  const wrapped = 'aGVsbG8g\nd29ybGQ=\n';
  assert.equal(decodeBase64(wrapped), null);
  assert.equal(Buffer.from(decodeBase64(wrapped, { allowLineBreaks: true })!).toString(), 'hello world');
});

test('base64 refuses input over maxLength before decoding', () => {
  assert.equal(decodeBase64('AAAA'.repeat(10), { maxLength: 39 }), null);
  assert.notEqual(decodeBase64('AAAA'.repeat(10), { maxLength: 40 }), null);
});

test('hex is strict about length, alphabet and prefix', () => {
  assert.deepEqual(decodeHex('0x4243', { allowPrefix: true }), new Uint8Array([0x42, 0x43]));
  assert.equal(decodeHex('0x4243'), null);
  assert.equal(decodeHex('424'), null);
  assert.equal(decodeHex('zz'), null);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (b) => assert.deepEqual(decodeHex(encodeHex(b)), b)),
  );
});
