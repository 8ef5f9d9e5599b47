import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  signTiniappRequest,
  tiniappScheme,
  verifyTiniappOffline,
  verifyTiniappRequest,
  type TiniappReplayStore,
  type TiniappVerifyInput,
} from '../../src/schemes/tiniapp/index.js';

const CLIENT = 'app_7f3Kd9-x';
const SECRET = 'first-secret-0123456789abcdef';
const SECRET2 = 'second-secret-9876543210fedcba';
const NOW = 1_700_000_000_000;
const SKEW = 300_000;
const BODY = '{"type":"device","publicKey":"MFkw…"}';

/** The replay store's contract: `remember` is true the first time a key is seen (ttl recorded). */
function memoryReplay(): TiniappReplayStore & { calls: [string, number][] } {
  const seen = new Set<string>();
  const calls: [string, number][] = [];
  return {
    calls,
    async remember(key, ttlMs) {
      calls.push([key, ttlMs]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
  };
}

const bytes = (s: string) => new TextEncoder().encode(s);

function bodyRequest(
  overrides: Partial<TiniappVerifyInput> = {},
  opts: { timestamp?: number; secret?: string; body?: string } = {},
) {
  const body = opts.body ?? BODY;
  const s = signTiniappRequest({
    clientId: CLIENT,
    secret: opts.secret ?? SECRET,
    timestamp: opts.timestamp ?? NOW,
    body,
  });
  return {
    signed: s,
    input: {
      headers: { ...s.headers },
      body: bytes(body),
      secrets: [SECRET],
      now: NOW,
      skewMs: SKEW,
      ...overrides,
    } as TiniappVerifyInput,
  };
}

test('a signed body request verifies and names its client and timestamp', async () => {
  const { input } = bodyRequest();
  assert.deepEqual(await verifyTiniappRequest(input), { ok: true, clientId: CLIENT, timestamp: NOW });
});

test('a wrong secret is signature_invalid', async () => {
  const { input } = bodyRequest({}, { secret: 'not-the-secret' });
  assert.deepEqual(await verifyTiniappRequest(input), { ok: false, code: 'signature_invalid' });
});

test('no active secret at all is signature_invalid (never a pass)', async () => {
  const { input } = bodyRequest({ secrets: [] });
  assert.deepEqual(await verifyTiniappRequest(input), { ok: false, code: 'signature_invalid' });
});

test('during rotation the second secret is accepted, and the first still is', async () => {
  const old = bodyRequest({ secrets: [SECRET2, SECRET] });
  assert.equal((await verifyTiniappRequest(old.input)).ok, true);
  const fresh = bodyRequest({ secrets: [SECRET2, SECRET] }, { secret: SECRET2 });
  assert.equal((await verifyTiniappRequest(fresh.input)).ok, true);
  const neither = bodyRequest({ secrets: [SECRET2, SECRET] }, { secret: 'third' });
  assert.deepEqual(await verifyTiniappRequest(neither.input), { ok: false, code: 'signature_invalid' });
});

test('clock window: both sides, inclusive at exactly skewMs', async () => {
  for (const [offset, ok] of [
    [-SKEW, true],
    [SKEW, true],
    [-SKEW - 1, false],
    [SKEW + 1, false],
    [-10 * SKEW, false],
    [10 * SKEW, false],
  ] as const) {
    const { input } = bodyRequest({}, { timestamp: NOW + offset });
    const result = await verifyTiniappRequest(input);
    assert.deepEqual(
      result,
      ok ? { ok: true, clientId: CLIENT, timestamp: NOW + offset } : { ok: false, code: 'timestamp_skew' },
      `offset ${offset}`,
    );
  }
});

test('skew is checked after the signature: a forged request out of the window is signature_invalid', async () => {
  const { input } = bodyRequest({}, { timestamp: NOW - 10 * SKEW, secret: 'forger' });
  assert.deepEqual(await verifyTiniappRequest(input), { ok: false, code: 'signature_invalid' });
});

test('replay: the same signature is accepted once, remembered for 2 * skew under tiniapp:clientId:signature', async () => {
  const replay = memoryReplay();
  const { input, signed } = bodyRequest({ replay });
  assert.equal((await verifyTiniappRequest(input)).ok, true);
  assert.deepEqual(await verifyTiniappRequest(input), { ok: false, code: 'replayed' });
  assert.deepEqual(replay.calls[0], [`tiniapp:${CLIENT}:${signed.signature}`, 2 * SKEW]);
  // A failed request records nothing: nobody can burn a signature they cannot make.
  const forged = bodyRequest({ replay }, { secret: 'forger', body: 'other' });
  assert.equal((await verifyTiniappRequest(forged.input)).ok, false);
  const skewed = bodyRequest({ replay }, { timestamp: NOW + 2 * SKEW });
  assert.deepEqual(await verifyTiniappRequest(skewed.input), { ok: false, code: 'timestamp_skew' });
  assert.equal(replay.calls.length, 2);
});

test('a tampered body is signature_invalid', async () => {
  const { input } = bodyRequest();
  for (const body of ['{"type":"device","publicKey":"MFkx…"}', `${BODY} `, BODY.slice(1), '']) {
    assert.deepEqual(
      await verifyTiniappRequest({ ...input, body: bytes(body) }),
      { ok: false, code: 'signature_invalid' },
      body,
    );
  }
  // One flipped bit anywhere in the body.
  const original = bytes(BODY);
  for (let i = 0; i < original.length; i++) {
    const copy = Uint8Array.from(original);
    copy[i]! ^= 0x01;
    assert.equal((await verifyTiniappRequest({ ...input, body: copy })).ok, false, `byte ${i}`);
  }
});

test('a body that is not UTF-8 is signed and verified as its exact bytes', async () => {
  const body = Uint8Array.of(0xff, 0xfe, 0x00, 0x7b, 0x80);
  const s = signTiniappRequest({ clientId: CLIENT, secret: SECRET, timestamp: NOW, body });
  const result = await verifyTiniappRequest({
    headers: s.headers,
    body,
    secrets: [SECRET],
    now: NOW,
    skewMs: SKEW,
  });
  assert.equal(result.ok, true);
  const hex = Buffer.from(`${NOW}.${CLIENT}.`).toString('hex') + Buffer.from(body).toString('hex');
  assert.deepEqual(
    verifyTiniappOffline({ scheme: 'tiniapp', secret: SECRET, messageHex: hex, signature: s.signature }),
    { ok: true },
  );
});

test('tampered headers: client id, timestamp, signature', async () => {
  const { input, signed } = bodyRequest();
  const h = signed.headers;
  const variants: Record<string, string>[] = [
    { ...h, 'x-tiniapp-client-id': 'app_7f3Kd9-y' },
    { ...h, 'x-tiniapp-timestamp': String(NOW + 1) },
    { ...h, 'x-tiniapp-signature': signed.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
  ];
  for (const headers of variants) {
    assert.deepEqual(await verifyTiniappRequest({ ...input, headers }), {
      ok: false,
      code: 'signature_invalid',
    });
  }
});

test('missing or malformed headers are signature_invalid', async () => {
  const { input, signed } = bodyRequest();
  const h = signed.headers;
  const { ['x-tiniapp-signature']: _s, ...noSignature } = h;
  const { ['x-tiniapp-timestamp']: _t, ...noTimestamp } = h;
  const { ['x-tiniapp-client-id']: _c, ...noClient } = h;
  const bad: Record<string, string | string[] | undefined>[] = [
    {},
    noSignature,
    noTimestamp,
    noClient,
    { ...h, 'x-tiniapp-signature': signed.signature.toUpperCase() },
    { ...h, 'x-tiniapp-signature': `${signed.signature} ` },
    { ...h, 'x-tiniapp-signature': signed.signature.slice(0, 62) },
    { ...h, 'x-tiniapp-signature': '' },
    { ...h, 'x-tiniapp-timestamp': `0${NOW}` },
    { ...h, 'x-tiniapp-timestamp': `+${NOW}` },
    { ...h, 'x-tiniapp-timestamp': `${NOW}.0` },
    { ...h, 'x-tiniapp-timestamp': `${NOW / 1000}` },
    { ...h, 'x-tiniapp-timestamp': '1e12' },
    { ...h, 'x-tiniapp-timestamp': '99999999999999999' },
    { ...h, 'x-tiniapp-timestamp': '' },
    { ...h, 'x-tiniapp-client-id': '' },
    { ...h, 'x-tiniapp-client-id': 'a.b' },
    { ...h, 'x-tiniapp-client-id': 'x'.repeat(129) },
    { ...h, 'x-tiniapp-signature': undefined },
  ];
  for (const headers of bad) {
    assert.deepEqual(
      await verifyTiniappRequest({ ...input, headers }),
      { ok: false, code: 'signature_invalid' },
      JSON.stringify(headers),
    );
  }
});

test('a repeated header is refused, in every shape it can arrive', async () => {
  const { input, signed } = bodyRequest();
  const h = signed.headers;
  const repeated: Record<string, string | string[] | undefined>[] = [
    // Two values in an array (what a framework may hand over).
    { ...h, 'x-tiniapp-signature': [signed.signature, signed.signature] },
    { ...h, 'x-tiniapp-timestamp': [String(NOW), String(NOW)] },
    // Node joins a repeated custom header with ", ".
    { ...h, 'x-tiniapp-signature': `${signed.signature}, ${signed.signature}` },
    { ...h, 'x-tiniapp-client-id': `${CLIENT}, ${CLIENT}` },
    // The same name twice, in two spellings of case.
    { ...h, 'X-Tiniapp-Signature': signed.signature },
    { ...h, 'X-TINIAPP-CLIENT-ID': CLIENT },
    { ...h, 'x-tiniapp-signature': [] },
  ];
  for (const headers of repeated) {
    assert.deepEqual(
      await verifyTiniappRequest({ ...input, headers }),
      { ok: false, code: 'signature_invalid' },
      JSON.stringify(headers),
    );
  }
  // One value, in another case or in a one-element array, is fine.
  const mixedCase = {
    'X-Tiniapp-Client-Id': CLIENT,
    'X-Tiniapp-Timestamp': String(NOW),
    'X-Tiniapp-Signature': signed.signature,
  };
  assert.equal((await verifyTiniappRequest({ ...input, headers: mixedCase })).ok, true);
  assert.equal(
    (await verifyTiniappRequest({ ...input, headers: { ...h, 'x-tiniapp-signature': [signed.signature] } }))
      .ok,
    true,
  );
});

test('a body-less request signs its path and query as sent, less the base path', async () => {
  const path = '/v1/users/alice%20b/credentials?limit=5&x=H%C3%A0';
  const s = signTiniappRequest({ clientId: CLIENT, secret: SECRET, timestamp: NOW, path });
  const base = { headers: s.headers, secrets: [SECRET], now: NOW, skewMs: SKEW };
  assert.equal((await verifyTiniappRequest({ ...base, path })).ok, true);
  assert.equal(
    (await verifyTiniappRequest({ ...base, path: `/signet${path}`, basePath: '/signet' })).ok,
    true,
  );
  assert.equal(
    (await verifyTiniappRequest({ ...base, path: `/signet${path}`, basePath: '/signet/' })).ok,
    true,
  );
  assert.equal((await verifyTiniappRequest({ ...base, path, basePath: '' })).ok, true);
  // Not under the base path, or a base path that is only a prefix of a segment: signed as is.
  assert.equal(
    (await verifyTiniappRequest({ ...base, path: `/signetx${path}`, basePath: '/signet' })).ok,
    false,
  );
  // The query is part of what is signed.
  for (const other of [
    path.replace('limit=5', 'limit=6'),
    path.split('?')[0]!,
    `${path}&`,
    path.replace('%20', '+'),
  ]) {
    assert.deepEqual(
      await verifyTiniappRequest({ ...base, path: other }),
      { ok: false, code: 'signature_invalid' },
      other,
    );
  }
  // A body given takes precedence over the path.
  assert.equal((await verifyTiniappRequest({ ...base, path, body: bytes('') })).ok, false);
});

test('the base path itself is signed as "/"', async () => {
  const s = signTiniappRequest({ clientId: CLIENT, secret: SECRET, timestamp: NOW, path: '/?a=1' });
  const r = await verifyTiniappRequest({
    headers: s.headers,
    path: '/signet?a=1',
    basePath: '/signet',
    secrets: [SECRET],
    now: NOW,
    skewMs: SKEW,
  });
  assert.equal(r.ok, true);
});

test('misuse throws TypeError (configuration, not input)', async () => {
  const { input } = bodyRequest();
  await assert.rejects(verifyTiniappRequest({ ...input, secrets: [SECRET, SECRET2, 'third'] }), TypeError);
  await assert.rejects(verifyTiniappRequest({ ...input, secrets: [''] }), TypeError);
  await assert.rejects(verifyTiniappRequest({ ...input, skewMs: -1 }), TypeError);
  await assert.rejects(verifyTiniappRequest({ ...input, now: Number.NaN }), TypeError);
  const { body: _b, ...noBody } = input;
  await assert.rejects(verifyTiniappRequest(noBody), TypeError);
  assert.throws(() => signTiniappRequest({ clientId: CLIENT, secret: SECRET, timestamp: NOW }), TypeError);
  assert.throws(
    () => signTiniappRequest({ clientId: CLIENT, secret: SECRET, timestamp: NOW, body: '', path: '/' }),
    TypeError,
  );
  assert.throws(
    () => signTiniappRequest({ clientId: CLIENT, secret: '', timestamp: NOW, body: '' }),
    TypeError,
  );
  assert.throws(
    () => signTiniappRequest({ clientId: 'a.b', secret: SECRET, timestamp: NOW, body: '' }),
    TypeError,
  );
  assert.throws(
    () => signTiniappRequest({ clientId: CLIENT, secret: SECRET, timestamp: 1.5, body: '' }),
    TypeError,
  );
  assert.throws(
    () => signTiniappRequest({ clientId: CLIENT, secret: SECRET, timestamp: -1, body: '' }),
    TypeError,
  );
});

test('offline lines: shapes, codes, no clock and no replay', () => {
  const s = signTiniappRequest({ clientId: CLIENT, secret: SECRET, timestamp: 1, body: BODY });
  const line = { scheme: 'tiniapp', secret: SECRET, message: s.payload, signature: s.signature };
  assert.deepEqual(verifyTiniappOffline(line), { ok: true });
  assert.deepEqual(verifyTiniappOffline(line), { ok: true }, 'offline keeps no replay record');
  assert.deepEqual(verifyTiniappOffline({ ...line, signature: undefined, signatureHex: s.signature }), {
    ok: true,
  });
  assert.deepEqual(verifyTiniappOffline({ ...line, secret: SECRET2 }), {
    ok: false,
    code: 'signature_invalid',
  });
  assert.deepEqual(verifyTiniappOffline({ ...line, message: `${s.payload}x` }), {
    ok: false,
    code: 'signature_invalid',
  });
  const malformed: Record<string, unknown>[] = [
    { ...line, secret: undefined },
    { ...line, secret: '' },
    { ...line, secret: 42 },
    { ...line, message: undefined },
    { ...line, message: 42 },
    { ...line, messageHex: 'ab' },
    { ...line, message: BODY },
    { ...line, message: s.encodedPayload },
    { ...line, message: undefined, messageHex: 'zz' },
    { ...line, signature: undefined },
    { ...line, signatureHex: s.signature },
    { ...line, signature: s.signature.toUpperCase() },
    { ...line, signature: s.signature.slice(2) },
    { ...line, signature: 7 },
  ];
  for (const m of malformed) {
    const r = verifyTiniappOffline(m as never);
    assert.equal(r.ok, false, JSON.stringify(m));
    assert.equal(r.ok ? '' : r.code, 'invalid_request', JSON.stringify(m));
  }
});

test('registry row: tiniapp has no stored credential and an offline verifier', () => {
  assert.equal(tiniappScheme.name, 'tiniapp');
  assert.equal(tiniappScheme.parseCredential, null);
  assert.equal(tiniappScheme.verifyOffline, verifyTiniappOffline);
});
