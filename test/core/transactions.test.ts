import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_TRANSACTION_BYTES,
  MAX_TRANSACTION_DEPTH,
  parseTransaction,
  readBoundTransaction,
  transactionChallengeData,
  transactionHash,
  transactionResource,
} from '../../src/core/transactions.js';

const payment = { to: 'X', amount: 125000, currency: 'VND', memo: 'Tiki đơn hàng #42' };
const PAYMENT_CANONICAL = '{"amount":125000,"currency":"VND","memo":"Tiki đơn hàng #42","to":"X"}';

describe('signed transactions: parseTransaction and transactionHash', () => {
  it('hashes the RFC 8785 form: base64url(SHA-256(UTF-8(JCS))), as OpenSSL computes it', () => {
    const parsed = parseTransaction(payment);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.canonical, PAYMENT_CANONICAL);
    const expected = createHash('sha256').update(PAYMENT_CANONICAL, 'utf8').digest('base64url');
    assert.equal(parsed.value.hash, expected);
    assert.equal(transactionHash(payment), expected);
    assert.match(expected, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(parsed.value.transaction, payment, 'the object as given, to echo');
  });

  it('the same transaction written in another order, or spelled 125000.0 / 1.25e5, has the same hash', () => {
    const reordered = JSON.parse(
      '{"memo":"Tiki \\u0111\\u01a1n h\\u00e0ng #42","currency":"VND","amount":1.25e5,"to":"X"}',
    );
    assert.equal(transactionHash(reordered), transactionHash(payment));
    assert.notEqual(transactionHash({ ...payment, amount: 125001 }), transactionHash(payment));
  });

  it('refuses what is not a JSON object: arrays, primitives, null, class instances', () => {
    for (const bad of [[], [payment], 'tx', 1, true, null, undefined, new Date(0), new Map()]) {
      const r = parseTransaction(bad);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.code, 'invalid_request');
      assert.throws(() => transactionHash(bad), TypeError);
    }
  });

  it('refuses non-I-JSON members: NaN, Infinity, lone surrogates, undefined, functions, holes, a Date inside', () => {
    const bad: unknown[] = [
      { a: Number.NaN },
      { a: [1, Infinity] },
      { a: '\uD800' },
      { ['\uDFFF']: 1 },
      { a: undefined },
      { a: () => 1 },
      { a: [1, , 2] },
      { a: { at: new Date(0) } },
    ];
    for (const b of bad) assert.equal(parseTransaction(b).ok, false, JSON.stringify(b));
  });

  it(`accepts exactly ${MAX_TRANSACTION_BYTES} canonical bytes, refuses one more (bytes, not characters)`, () => {
    const overhead = '{"p":""}'.length;
    const fits = { p: 'a'.repeat(MAX_TRANSACTION_BYTES - overhead) };
    assert.ok(parseTransaction(fits).ok);
    assert.equal(parseTransaction({ p: 'a'.repeat(MAX_TRANSACTION_BYTES - overhead + 1) }).ok, false);
    // "đ" is 2 bytes in UTF-8: half as many characters reach the limit.
    const half = (MAX_TRANSACTION_BYTES - overhead) / 2;
    assert.ok(parseTransaction({ p: 'đ'.repeat(half) }).ok);
    assert.equal(parseTransaction({ p: 'đ'.repeat(half + 1) }).ok, false);
    // Escapes count as written: a control character is 6 bytes (\u0001) in the canonical form.
    assert.equal(parseTransaction({ p: '\u0001'.repeat(700) }).ok, false);
  });

  it('refuses a huge object early and without throwing (a million members, a 10 MB string)', () => {
    const many: Record<string, number> = {};
    for (let i = 0; i < 1_000_000; i++) many[`k${i}`] = i;
    assert.equal(parseTransaction(many).ok, false);
    assert.equal(parseTransaction({ s: 'x'.repeat(10_000_000) }).ok, false);
  });

  it(`nests at most ${MAX_TRANSACTION_DEPTH} levels; a cycle is refused, not followed`, () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_TRANSACTION_DEPTH; i++) deep = { d: deep };
    assert.ok(parseTransaction(deep).ok, `${MAX_TRANSACTION_DEPTH} nested objects`);
    assert.equal(parseTransaction({ d: deep }).ok, false);
    const cycle: Record<string, unknown> = { a: 1 };
    cycle['self'] = cycle;
    assert.equal(parseTransaction(cycle).ok, false);
  });

  it('property: any JSON object that fits parses, and its hash ignores member order', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }),
        (o) => {
          const v = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
          const r = parseTransaction(v);
          // Only a transaction too large may fail.
          if (!r.ok)
            return assert.ok(Buffer.byteLength(JSON.stringify(v), 'utf8') > MAX_TRANSACTION_BYTES / 2);
          assert.ok(Buffer.byteLength(r.value.canonical, 'utf8') <= MAX_TRANSACTION_BYTES);
          const reversed = Object.fromEntries(Object.entries(v).reverse());
          assert.equal(transactionHash(reversed), r.value.hash);
        },
      ),
    );
  });
});

describe('signed transactions: challenge data and the SIWE resource', () => {
  it('transactionChallengeData and readBoundTransaction round-trip; a plain challenge reads as null', () => {
    const parsed = parseTransaction(payment);
    assert.ok(parsed.ok);
    const data = { userName: 'alice', ...transactionChallengeData(parsed.value) };
    assert.deepEqual(readBoundTransaction(data), { transaction: payment, txn: parsed.value.hash });
    // Through JSON (as a store keeps it): the same.
    assert.deepEqual(readBoundTransaction(JSON.parse(JSON.stringify(data))), {
      transaction: payment,
      txn: parsed.value.hash,
    });
    assert.equal(readBoundTransaction(null), null);
    assert.equal(readBoundTransaction({ userName: 'alice' }), null);
  });

  it('inconsistent stored data is invalid: a hash without its transaction, the reverse, a hash of another transaction', () => {
    const parsed = parseTransaction(payment);
    assert.ok(parsed.ok);
    assert.equal(readBoundTransaction({ txn: parsed.value.hash }), 'invalid');
    assert.equal(readBoundTransaction({ transaction: payment }), 'invalid');
    assert.equal(
      readBoundTransaction({ transaction: { ...payment, amount: 1 }, txn: parsed.value.hash }),
      'invalid',
    );
    assert.equal(readBoundTransaction({ transaction: [payment], txn: parsed.value.hash }), 'invalid');
  });

  it('transactionResource is a URI with the 43-character hash; anything else is misuse', () => {
    const hash = transactionHash(payment);
    assert.equal(transactionResource(hash), `urn:signet:txn:${hash}`);
    assert.throws(() => transactionResource('short'), TypeError);
    assert.throws(() => transactionResource(`${hash}=`), TypeError);
  });
});
