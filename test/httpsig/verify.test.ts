import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, describe, it } from 'node:test';
import {
  parseDictionary,
  parseHttpSigPublicKey,
  signHttpRequest,
  verifyHttpSigOffline,
  verifyHttpSignature,
  type HttpSigRequest,
  type HttpSigSignKey,
  type HttpSigVerifyInput,
  type HttpSigVerifyKey,
} from '../../src/schemes/httpsig/index.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';

const NOW = 1_767_225_600_000;
const SKEW = 300_000;
const APP = 'app_shop';
const SECRET = 'sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const OLD_SECRET = 'sk_live_old_0123456789abcdef0123456789ab';
const ed = generateKeyPairSync('ed25519');
const otherEd = generateKeyPairSync('ed25519');

const store = createSqliteStore({ path: ':memory:', clock: () => NOW });
after(() => store.close());

const appKeys: HttpSigVerifyKey[] = [
  { alg: 'hmac-sha256', secret: SECRET },
  { alg: 'hmac-sha256', secret: OLD_SECRET },
  { alg: 'ed25519', publicKey: ed.publicKey },
];

const base: HttpSigRequest = {
  method: 'POST',
  authority: 'signet.example',
  target: '/v1/challenges?lang=vi',
  headers: { 'content-type': 'application/json' },
};
const BODY = '{"appId":"app_shop","type":"device","userId":"u-1"}';

let n = 0;
function sign(
  overrides: Partial<Parameters<typeof signHttpRequest>[0]> = {},
  key: HttpSigSignKey = { alg: 'hmac-sha256', secret: SECRET },
) {
  return signHttpRequest({
    request: base,
    body: BODY,
    keyid: APP,
    key,
    created: NOW / 1000,
    nonce: `n${++n}`,
    ...overrides,
  });
}

function verify(
  headers: Record<string, string>,
  over: Partial<HttpSigRequest> & { body?: Uint8Array | null } = {},
  options: Partial<HttpSigVerifyInput> = {},
) {
  const { body, ...request } = over;
  return verifyHttpSignature({
    request: {
      ...base,
      ...request,
      headers: { ...base.headers, ...headers, ...request.headers },
      ...(body === null ? {} : { body: body ?? new Uint8Array(Buffer.from(BODY)) }),
    },
    resolveKeys: (keyid) => (keyid === APP ? appKeys : []),
    now: NOW,
    skewMs: SKEW,
    replay: store.replay,
    ...options,
  });
}

describe('verifyHttpSignature: what it accepts', () => {
  it('hmac-sha256 with the active secret, the old one during rotation, and ed25519 with the app’s key', async () => {
    for (const key of [
      { alg: 'hmac-sha256', secret: SECRET },
      { alg: 'hmac-sha256', secret: OLD_SECRET },
      { alg: 'ed25519', privateKey: ed.privateKey },
    ] as HttpSigSignKey[]) {
      const { headers } = sign({}, key);
      const r = await verify(headers);
      assert.equal(r.ok, true, key.alg);
      if (r.ok) {
        assert.equal(r.keyid, APP);
        assert.equal(r.alg, key.alg);
        assert.deepEqual(r.components, ['@method', '@authority', '@path', '@query', 'content-digest']);
      }
    }
  });

  it('a body-less GET without a query needs only @method, @authority, @path', async () => {
    const request = { ...base, method: 'GET', target: '/v1/users/u-1/credentials' };
    const { headers } = signHttpRequest({
      request,
      keyid: APP,
      key: { alg: 'hmac-sha256', secret: SECRET },
      created: NOW / 1000,
    });
    assert.equal(headers['content-digest'], undefined);
    const r = await verify(headers, { method: 'GET', target: '/v1/users/u-1/credentials', body: null });
    assert.equal(r.ok, true);
  });

  it('the authority is compared normalised (case, the scheme’s default port)', async () => {
    const { headers } = sign({ request: { ...base, authority: 'Signet.Example:443', scheme: 'https' } });
    assert.equal((await verify(headers, { scheme: 'https' })).ok, true);
  });

  it('several signatures: the one named by label is checked', async () => {
    const a = sign({ label: 'proxy' }, { alg: 'hmac-sha256', secret: 'someone-else' });
    const b = sign({ label: 'app' });
    const headers = {
      'content-digest': b.headers['content-digest']!,
      'signature-input': `${a.headers['signature-input']}, ${b.headers['signature-input']}`,
      signature: `${a.headers['signature']}, ${b.headers['signature']}`,
    };
    assert.deepEqual(
      await verify(headers),
      { ok: false, code: 'signature_invalid' },
      'ambiguous without a label',
    );
    const r = await verify(headers, {}, { label: 'app' });
    assert.equal(r.ok, true);
  });
});

/** Verifies an honest signature whose Signature-Input header was then edited by `edit`. */
function verifyEditedInput(edit: (signatureInput: string) => string) {
  const h = sign();
  return verify({ ...h.headers, 'signature-input': edit(h.headers['signature-input']!) });
}

describe('verifyHttpSignature: what it refuses', () => {
  const cases: [string, () => Promise<unknown>, string][] = [
    ['another method', async () => verify(sign().headers, { method: 'PUT' }), 'signature_invalid'],
    [
      'another authority',
      async () => verify(sign().headers, { authority: 'evil.example' }),
      'signature_invalid',
    ],
    ['another path', async () => verify(sign().headers, { target: '/v1/apps?lang=vi' }), 'signature_invalid'],
    [
      'another query',
      async () => verify(sign().headers, { target: '/v1/challenges?lang=en' }),
      'signature_invalid',
    ],
    [
      'the query dropped',
      async () => verify(sign().headers, { target: '/v1/challenges' }),
      'signature_invalid',
    ],
    [
      'another body (digest kept)',
      async () => verify(sign().headers, { body: new Uint8Array(Buffer.from(BODY.replace('u-1', 'u-2'))) }),
      'digest_mismatch',
    ],
    [
      'another body with its own digest (signature covers the digest)',
      async () => {
        const h = sign().headers;
        const other = sign({ body: BODY.replace('u-1', 'u-2') }).headers;
        return verify(
          { ...h, 'content-digest': other['content-digest']! },
          { body: new Uint8Array(Buffer.from(BODY.replace('u-1', 'u-2'))) },
        );
      },
      'signature_invalid',
    ],
    ['an unknown keyid', async () => verify(sign({ keyid: 'app_other' }).headers), 'signature_invalid'],
    [
      'a secret that is not the app’s',
      async () => verify(sign({}, { alg: 'hmac-sha256', secret: 'guess' }).headers),
      'signature_invalid',
    ],
    [
      'an ed25519 key that is not the app’s',
      async () => verify(sign({}, { alg: 'ed25519', privateKey: otherEd.privateKey }).headers),
      'signature_invalid',
    ],
    [
      'alg says ed25519 but an HMAC signature is sent',
      async () => verifyEditedInput((input) => input.replace('alg="hmac-sha256"', 'alg="ed25519"')),
      'signature_invalid',
    ],
    [
      'an algorithm Signet does not accept',
      async () => verifyEditedInput((input) => input.replace('hmac-sha256', 'rsa-pss-sha512')),
      'signature_invalid',
    ],
    [
      'no @method covered',
      async () => verify(sign({ components: ['@authority', '@path', '@query', 'content-digest'] }).headers),
      'components_missing',
    ],
    [
      'no @query covered on a request with a query',
      async () => verify(sign({ components: ['@method', '@authority', '@path', 'content-digest'] }).headers),
      'components_missing',
    ],
    [
      'no content-digest covered on a request with a body',
      async () => verify(sign({ components: ['@method', '@authority', '@path', '@query'] }).headers),
      'components_missing',
    ],
    [
      'created too old',
      async () => verify(sign({ created: (NOW - SKEW - 1000) / 1000 }).headers),
      'timestamp_skew',
    ],
    [
      'created too far ahead',
      async () => verify(sign({ created: (NOW + SKEW + 1000) / 1000 }).headers),
      'timestamp_skew',
    ],
    [
      'expired',
      async () => verify(sign({ created: NOW / 1000 - 60, expires: NOW / 1000 }).headers),
      'message_expired',
    ],
    [
      'no created',
      async () => verifyEditedInput((input) => input.replace(/;created=\d+/, '')),
      'signature_invalid',
    ],
    [
      'an unknown signature parameter',
      async () => verifyEditedInput((input) => `${input};extra=1`),
      'signature_invalid',
    ],
    [
      'a component with parameters (;req, ;sf …)',
      async () => verifyEditedInput((input) => input.replace('"@method"', '"@method";req')),
      'signature_invalid',
    ],
    [
      'a repeated component',
      // Signed honestly over a repeated @method (the signer refuses to build it, so by hand).
      async () => verifyEditedInput((input) => input.replace('("@method"', '("@method" "@method"')),
      'signature_invalid',
    ],
    [
      'no Signature header',
      async () =>
        verify({
          'signature-input': sign().headers['signature-input']!,
          'content-digest': sign().headers['content-digest']!,
        }),
      'signature_invalid',
    ],
    [
      'a Signature that is not a byte sequence',
      async () => {
        const h = sign();
        return verify({ ...h.headers, signature: 'sig="abc"' });
      },
      'signature_invalid',
    ],
    [
      'Signature-Input repeated with another case',
      async () => {
        const h = sign();
        return verify({ ...h.headers, 'Signature-Input': h.headers['signature-input']! });
      },
      'signature_invalid',
    ],
    [
      'garbage in the fields',
      async () => verify({ 'signature-input': 'sig=("@method"', signature: 'sig=:!!:' }),
      'signature_invalid',
    ],
  ];
  // Found by the structured-field property test: a Token at the very end of a field looped
  // forever (the empty string counted as a tchar), so one header could pin a CPU.
  cases.push([
    'a token at the end of a field (used to hang the parser)',
    async () => {
      const h = sign();
      return verify({ ...h.headers, signature: 'sig=abc' });
    },
    'signature_invalid',
  ]);
  cases.push([
    'a token as the last parameter of Signature-Input',
    async () => verifyEditedInput((input) => `${input};tag=t`),
    'signature_invalid',
  ]);
  for (const [name, run, code] of cases) {
    it(name, async () => assert.deepEqual(await run(), { ok: false, code }));
  }

  it('each signature is accepted once (replay through the store’s ReplayStore)', async () => {
    const { headers } = sign();
    assert.equal((await verify(headers)).ok, true);
    assert.deepEqual(await verify(headers), { ok: false, code: 'replayed' });
  });

  it('identical requests in the same second differ by nonce; without one the second is a replay', async () => {
    const a = signHttpRequest({
      request: base,
      body: BODY,
      keyid: APP,
      key: { alg: 'hmac-sha256', secret: SECRET },
      created: NOW / 1000 + 1,
    });
    const b = signHttpRequest({
      request: base,
      body: BODY,
      keyid: APP,
      key: { alg: 'hmac-sha256', secret: SECRET },
      created: NOW / 1000 + 1,
    });
    assert.equal(a.headers['signature'], b.headers['signature']);
    assert.equal((await verify(a.headers)).ok, true);
    assert.deepEqual(await verify(b.headers), { ok: false, code: 'replayed' });
  });

  it('a bad signature is refused before the replay record is written (a forger cannot burn a signature)', async () => {
    const good = sign();
    const forged = {
      ...good.headers,
      'signature-input': good.headers['signature-input']!.replace(/nonce="[^"]+"/, 'nonce="x"'),
    };
    assert.deepEqual(await verify(forged), { ok: false, code: 'signature_invalid' });
    assert.equal((await verify(good.headers)).ok, true);
  });

  it('misuse throws TypeError: no request fields, no resolveKeys, a non-positive skew', async () => {
    await assert.rejects(
      verifyHttpSignature({
        request: { ...base, target: 1 as never },
        resolveKeys: () => [],
        now: NOW,
        skewMs: SKEW,
      }),
      TypeError,
    );
    await assert.rejects(
      verifyHttpSignature({ request: base, resolveKeys: null as never, now: NOW, skewMs: SKEW }),
      TypeError,
    );
    await assert.rejects(
      verifyHttpSignature({ request: base, resolveKeys: () => [], now: NOW, skewMs: 0 }),
      TypeError,
    );
  });
});

describe('signHttpRequest: misuse throws', () => {
  it('unknown alg, fractional created, expires before created, a keyid with a line break, a missing header component', () => {
    assert.throws(() => sign({}, { alg: 'rsa' } as never), TypeError);
    assert.throws(() => sign({ created: 1.5 }), RangeError);
    assert.throws(() => sign({ expires: NOW / 1000 - 1 }), RangeError);
    assert.throws(() => sign({ keyid: 'a\nb' }), TypeError);
    assert.throws(() => sign({ components: ['@method', 'x-missing'] }), TypeError);
    assert.throws(() => sign({}, { alg: 'hmac-sha256', secret: '' }), TypeError);
    assert.throws(() => sign({}, { alg: 'ed25519', privateKey: ed.publicKey }), TypeError);
  });
});

describe('parseHttpSigPublicKey and the offline check', () => {
  it('takes an Ed25519 SPKI PEM; refuses a private key, another key type, garbage', () => {
    const pem = ed.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    assert.equal(parseHttpSigPublicKey(pem).ok, true);
    const priv = ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    assert.equal(parseHttpSigPublicKey(priv).ok, false);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'pem',
      type: 'spki',
    });
    assert.equal(parseHttpSigPublicKey(ec.toString()).ok, false);
    for (const bad of [
      undefined,
      1,
      '',
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
      'x'.repeat(5000),
    ]) {
      assert.equal(parseHttpSigPublicKey(bad).ok, false);
    }
  });

  it('verify --batch: an HMAC signature base with a text secret', () => {
    const { base: text, headers } = sign();
    const raw = (parseDictionary(headers['signature'])!.get('sig') as { value: { value: Uint8Array } }).value
      .value;
    const signature = Buffer.from(raw).toString('base64');
    assert.deepEqual(
      verifyHttpSigOffline({ scheme: 'http-signature', secret: SECRET, message: text, signature }),
      {
        ok: true,
      },
    );
    assert.deepEqual(
      verifyHttpSigOffline({ scheme: 'http-signature', secret: OLD_SECRET, message: text, signature }),
      { ok: false, code: 'signature_invalid' },
    );
    assert.equal(
      verifyHttpSigOffline({
        scheme: 'http-signature',
        secret: SECRET,
        publicKey: 'x',
        message: text,
        signature,
      }).ok,
      false,
    );
    assert.equal(
      verifyHttpSigOffline({ scheme: 'http-signature', secret: SECRET, message: 'hello', signature }).ok,
      false,
    );
  });
});
