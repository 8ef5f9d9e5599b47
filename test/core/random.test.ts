// The pooled random source: right lengths, no byte handed out twice, refills across the pool's
// end, large draws straight from OpenSSL, programmer errors loud.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandomSource } from '../../src/core/random.js';

test('draws have the asked length and never repeat, across refills', () => {
  const random = createRandomSource(64);
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const bytes = random(16);
    assert.equal(bytes.length, 16);
    const hex = Buffer.from(bytes).toString('hex');
    assert.ok(!seen.has(hex), 'a draw repeated');
    seen.add(hex);
  }
  assert.equal(random(0).length, 0);
  assert.equal(random(1000).length, 1000); // larger than the pool
});

test('the bytes look uniform (each bit set about half the time)', () => {
  const random = createRandomSource();
  const bytes = random(4000);
  let ones = 0;
  for (const b of bytes) for (let i = 0; i < 8; i++) ones += (b >> i) & 1;
  const ratio = ones / (bytes.length * 8);
  assert.ok(ratio > 0.47 && ratio < 0.53, `ratio ${ratio}`);
});

test('a draw is a copy: changing it does not change the next one', () => {
  const random = createRandomSource(32);
  const a = random(8);
  a.fill(0);
  assert.notDeepEqual(random(8), new Uint8Array(8));
});

test('a bad length throws RangeError', () => {
  const random = createRandomSource();
  assert.throws(() => random(-1), RangeError);
  assert.throws(() => random(1.5), RangeError);
});
