import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isInnerList,
  parseDictionary,
  serializeInnerList,
  signHttpRequest,
  verifyHttpSignature,
  type HttpSigVerifyKey,
} from '../../src/schemes/httpsig/index.js';

const NOW = 1_767_225_600_000;
const ed = generateKeyPairSync('ed25519');

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE'),
  authority: fc.constantFrom('signet.example', 'localhost:3000'),
  target: fc.stringMatching(/^\/[A-Za-z0-9/_.~%-]{0,40}(?:\?[A-Za-z0-9=&%_.~-]{0,40})?$/),
  body: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }),
  secret: fc.string({ minLength: 1, maxLength: 64 }),
  useEd: fc.boolean(),
});

describe('httpsig properties', () => {
  it('sign then verify holds; flipping any byte of the signature, or any character of the path, fails', async () => {
    await fc.assert(
      fc.asyncProperty(request, fc.nat(), async (r, pick) => {
        const { headers } = signHttpRequest({
          request: { method: r.method, authority: r.authority, target: r.target, headers: {} },
          ...(r.body ? { body: r.body } : {}),
          keyid: 'k',
          key: r.useEd
            ? { alg: 'ed25519', privateKey: ed.privateKey }
            : { alg: 'hmac-sha256', secret: r.secret },
          created: NOW / 1000,
        });
        const keys: HttpSigVerifyKey[] = [
          r.useEd ? { alg: 'ed25519', publicKey: ed.publicKey } : { alg: 'hmac-sha256', secret: r.secret },
        ];
        const check = (h: Record<string, string>, target = r.target) =>
          verifyHttpSignature({
            request: {
              method: r.method,
              authority: r.authority,
              target,
              headers: h,
              ...(r.body ? { body: r.body } : {}),
            },
            resolveKeys: () => keys,
            now: NOW,
            skewMs: 60_000,
          });
        assert.equal((await check(headers)).ok, true);

        const sig = parseDictionary(headers['signature'])!.get('sig')!;
        assert.ok(!isInnerList(sig) && sig.value.type === 'bytes');
        const bytes = Uint8Array.from(sig.value.value);
        bytes[pick % bytes.length]! ^= 1 << (pick % 8);
        const flipped = { ...headers, signature: `sig=:${Buffer.from(bytes).toString('base64')}:` };
        assert.deepEqual(await check(flipped), { ok: false, code: 'signature_invalid' });

        const i = pick % r.target.length;
        const c = r.target[i] === 'a' ? 'b' : 'a';
        const moved = r.target.slice(0, i) + c + r.target.slice(i + 1);
        assert.equal((await check(headers, moved)).ok, false);
      }),
      { numRuns: 150 },
    );
  });

  it('structured fields: a serialised Inner List parses back to itself', () => {
    const str = fc.stringMatching(/^[\x20-\x7e]{0,20}$/);
    const key = fc.stringMatching(/^[a-z*][a-z0-9_.*-]{0,8}$/);
    const bare = fc.oneof(
      fc
        .integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 })
        .map((value) => ({ type: 'integer' as const, value })),
      str.map((value) => ({ type: 'string' as const, value })),
      fc
        .stringMatching(/^[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]{0,10}$/)
        .map((value) => ({ type: 'token' as const, value })),
      fc.uint8Array({ maxLength: 40 }).map((value) => ({ type: 'bytes' as const, value })),
      fc.boolean().map((value) => ({ type: 'boolean' as const, value })),
    );
    const params = fc
      .uniqueArray(fc.tuple(key, bare), { selector: ([k]) => k, maxLength: 4 })
      .map((e) => new Map(e));
    const list = fc.record({
      items: fc.array(fc.record({ value: bare, params }), { maxLength: 6 }),
      params,
    });
    fc.assert(
      fc.property(key, list, (k, l) => {
        const text = `${k}=${serializeInnerList(l)}`;
        const parsed = parseDictionary(text)?.get(k);
        assert.ok(parsed && isInnerList(parsed), text);
        assert.equal(serializeInnerList(parsed), serializeInnerList(l));
      }),
    );
  });

  it('structured fields: arbitrary text never throws, only parses or answers null', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const d = parseDictionary(s);
        assert.ok(d === null || d instanceof Map);
      }),
      { numRuns: 2000 },
    );
    for (const bad of [
      'a=',
      'a=(',
      'a=("x"',
      'a=1,',
      'a=1,,b=2',
      'A=1',
      'a=1;B=2',
      'a=:ab$:',
      'a="\\x"',
      'a=1, a=2',
      'a=1;p;p',
      'a=1234567890123456',
      'a=1.2345',
      'a="é"',
    ]) {
      assert.equal(parseDictionary(bad), null, bad);
    }
    assert.equal(parseDictionary('x'.repeat(9000)), null, 'longer than MAX_FIELD_LENGTH');
  });
});
