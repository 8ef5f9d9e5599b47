import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  signTiniappRequest,
  verifyTiniappOffline,
  verifyTiniappRequest,
} from '../../src/schemes/tiniapp/index.js';

const NOW = 1_700_000_000_000;
const SKEW = 300_000;

const clientId = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);
const secret = fc.string({ minLength: 1, maxLength: 80 });
const timestamp = fc.integer({ min: NOW - SKEW, max: NOW + SKEW });
const target = fc.oneof(
  fc.record({ body: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ body: fc.string({ maxLength: 200 }) }),
  fc.record({
    path: fc
      .webPath()
      .chain((p) => fc.webQueryParameters().map((q) => `/${p.replace(/^\/+/, '')}${q ? `?${q}` : ''}`)),
  }),
);

test('property: sign then verify holds (request and offline)', async () => {
  await fc.assert(
    fc.asyncProperty(clientId, secret, timestamp, target, async (id, key, ts, t) => {
      const s = signTiniappRequest({ clientId: id, secret: key, timestamp: ts, ...t });
      const body =
        'body' in t ? (typeof t.body === 'string' ? new TextEncoder().encode(t.body) : t.body) : undefined;
      const result = await verifyTiniappRequest({
        headers: s.headers,
        ...(body !== undefined
          ? { body }
          : { path: `/base${(t as { path: string }).path}`, basePath: '/base' }),
        secrets: [key],
        now: NOW,
        skewMs: SKEW,
      });
      assert.deepEqual(result, { ok: true, clientId: id, timestamp: ts });
      const payloadHex =
        Buffer.from(`${ts}.${id}.`).toString('hex') +
        Buffer.from(body ?? new TextEncoder().encode((t as { path: string }).path)).toString('hex');
      assert.deepEqual(
        verifyTiniappOffline({
          scheme: 'tiniapp',
          secret: key,
          messageHex: payloadHex,
          signature: s.signature,
        }),
        { ok: true },
      );
    }),
    { numRuns: 200 },
  );
});

test('property: any changed byte of the body or character of the signature fails', async () => {
  await fc.assert(
    fc.asyncProperty(
      clientId,
      secret,
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      async (id, key, body, where, delta) => {
        const s = signTiniappRequest({ clientId: id, secret: key, timestamp: NOW, body });
        const base = { headers: s.headers, body, secrets: [key], now: NOW, skewMs: SKEW };
        const tampered = Uint8Array.from(body);
        const i = where % body.length;
        tampered[i] = (tampered[i]! + delta) & 0xff;
        assert.deepEqual(await verifyTiniappRequest({ ...base, body: tampered }), {
          ok: false,
          code: 'signature_invalid',
        });
        const j = where % 64;
        const c = s.signature[j]!;
        const other = '0123456789abcdef'[(parseInt(c, 16) + (delta % 15) + 1) % 16]!;
        const sig = s.signature.slice(0, j) + other + s.signature.slice(j + 1);
        assert.notEqual(sig, s.signature);
        assert.deepEqual(
          await verifyTiniappRequest({ ...base, headers: { ...s.headers, 'x-tiniapp-signature': sig } }),
          { ok: false, code: 'signature_invalid' },
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('property: the verifiers never throw on arbitrary headers and lines', async () => {
  const headerValue = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined));
  const headers = fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        'x-tiniapp-client-id',
        'x-tiniapp-timestamp',
        'x-tiniapp-signature',
        'X-Tiniapp-Signature',
      ),
      fc.string(),
    ),
    headerValue,
  );
  await fc.assert(
    fc.asyncProperty(headers, fc.uint8Array({ maxLength: 64 }), async (h, body) => {
      const r = await verifyTiniappRequest({ headers: h, body, secrets: ['s'], now: NOW, skewMs: SKEW });
      assert.equal(r.ok, false);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.object(), fc.anything(), fc.anything(), fc.anything(), (o, secret, message, signature) => {
      const r = verifyTiniappOffline({ ...o, scheme: 'tiniapp', secret, message, signature });
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 300 },
  );
});

test('large inputs: a 1 MiB body verifies in linear time; an oversized offline line is refused fast', async () => {
  const time = async (size: number) => {
    const body = new Uint8Array(size).fill(0x61);
    const s = signTiniappRequest({ clientId: 'c', secret: 's', timestamp: NOW, body });
    const start = process.hrtime.bigint();
    const r = await verifyTiniappRequest({
      headers: s.headers,
      body,
      secrets: ['x', 's'],
      now: NOW,
      skewMs: SKEW,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(r.ok, true);
    return ms;
  };
  await time(1 << 20); // warm-up
  const one = await time(1 << 20);
  const four = await time(4 << 20);
  // Linear: four times the bytes may cost ~4x; a quadratic verifier would cost ~16x. Generous bounds.
  assert.ok(one < 500, `1 MiB took ${one} ms`);
  assert.ok(four < one * 12 + 50, `4 MiB took ${four} ms against ${one} ms for 1 MiB`);
  const start = Date.now();
  const r = verifyTiniappOffline({
    scheme: 'tiniapp',
    secret: 's',
    message: `1.c.${'a'.repeat(2 << 20)}`,
    signature: '0'.repeat(64),
  });
  assert.equal(r.ok ? '' : r.code, 'invalid_request');
  assert.ok(Date.now() - start < 100);
});
