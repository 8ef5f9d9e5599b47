import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  authenticationOptions,
  parseCoseKey,
  parseRegistrationResponse,
  registrationOptions,
  verifyRegistration,
  webauthnScheme,
} from '../../src/schemes/webauthn/index.js';
import {
  findW3cExample,
  hexToBase64url,
  w3cRegistrationJson,
  W3C_ROOT_DER,
  W3C_VECTOR_NOW,
  type W3cExample,
} from '../support/webauthnVectors.js';
import { encodeCoseKey } from './softAuthenticator.js';

const reg = (info: string) => findW3cExample(info, 'registration');

function parse(e: W3cExample, attestationObject = e.attestationObject!) {
  const parsed = parseRegistrationResponse(
    w3cRegistrationJson(e, { attestationObject, transports: ['usb', 'usb', 'nfc'] }),
  );
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return parsed.value;
}
const expected = (e: W3cExample, over = {}) => ({
  challenge: hexToBase64url(e.challenge!),
  origins: ['https://example.org'],
  rpId: 'example.org',
  requireUserVerification: false,
  ...over,
});

test('registration returns the credential to store', async () => {
  const e = reg('packed.ES256');
  const r = await verifyRegistration({
    response: parse(e),
    expected: expected(e),
    now: W3C_VECTOR_NOW,
    trustedRoots: [W3C_ROOT_DER],
  });
  assert.ok(r.ok);
  assert.equal(r.credential.fmt, 'packed');
  assert.equal(r.credential.aaguid.replace(/-/g, ''), e.aaguid);
  assert.deepEqual(r.credential.transports, ['usb', 'nfc']);
  assert.equal(r.credential.counter, 0);
});

test('registration refusals carry their codes', async () => {
  const e = reg('none.ES256');
  const run = (over: object, now = W3C_VECTOR_NOW) =>
    verifyRegistration({ response: parse(e), expected: expected(e, over), now });
  assert.deepEqual(await run({ origins: ['https://other.example'] }), { ok: false, code: 'origin_mismatch' });
  assert.deepEqual(await run({ rpId: 'other.example' }), { ok: false, code: 'rp_id_mismatch' });
  // none.ES256's authData flags are 0x59 (UP, BE, BS, AT): no UV.
  assert.deepEqual(await run({ requireUserVerification: true }), {
    ok: false,
    code: 'user_verification_required',
  });
  assert.deepEqual(
    await verifyRegistration({
      response: parse(e),
      expected: expected(e),
      now: W3C_VECTOR_NOW,
      algorithms: [-8],
    }),
    { ok: false, code: 'key_invalid' },
  );
  // The authentication example's clientDataJSON is a webauthn.get: wrong ceremony.
  const auth = findW3cExample('none.ES256', 'authentication');
  const swapped = { ...e, clientDataJSON: auth.clientDataJSON!, challenge: auth.challenge! };
  assert.deepEqual(
    await verifyRegistration({ response: parse(swapped), expected: expected(swapped), now: W3C_VECTOR_NOW }),
    {
      ok: false,
      code: 'type_mismatch',
    },
  );
});

test('attestation: a tampered statement signature, an untrusted root and an expired chain are attestation_invalid', async () => {
  for (const info of ['packed.ES256', 'packed.Ed448', 'fido-u2f.ES256', 'tpm.ES256', 'android-key.ES256']) {
    const e = reg(info);
    // Flip one byte inside the attestation statement's `sig` value.
    const ao = Buffer.from(e.attestationObject!, 'hex');
    const sigAt = ao.indexOf(Buffer.from('63736967', 'hex')); // text "sig"
    assert.ok(sigAt > 0, info);
    ao[sigAt + 4 + 10]! ^= 0x01;
    const tampered = await verifyRegistration({
      response: parse(e, ao.toString('hex')),
      expected: expected(e),
      now: W3C_VECTOR_NOW,
      trustedRoots: [W3C_ROOT_DER],
    });
    assert.deepEqual(tampered, { ok: false, code: 'attestation_invalid' }, info);
    // Formats verified by Signet itself use the `now` passed in; @simplewebauthn's (packed with
    // a known algorithm, apple) read the system clock, so the expiry check runs on Signet's own.
    if (info === 'packed.ES256') continue;
    const expired = await verifyRegistration({
      response: parse(e),
      expected: expected(e),
      now: Date.parse('3030-01-01'),
      trustedRoots: [W3C_ROOT_DER],
    });
    assert.deepEqual(expired, { ok: false, code: 'attestation_invalid' }, `${info} expired`);
  }
  // android-key without the test root: only Google's roots are trusted by default.
  const e = reg('android-key.ES256');
  assert.deepEqual(
    await verifyRegistration({ response: parse(e), expected: expected(e), now: W3C_VECTOR_NOW }),
    {
      ok: false,
      code: 'attestation_invalid',
    },
  );
});

test('COSE keys: curve mismatch, short points, unknown algorithms and RSA under 2048 bits are refused', () => {
  const x = new Uint8Array(32).fill(1);
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  const n = new Uint8Array(Buffer.from(small.n!, 'base64url'));
  const e = new Uint8Array(Buffer.from(small.e!, 'base64url'));
  // EC2 keys are kty 1 = 2, alg 3, crv -1, x -2, y -3; RSA keys kty 1 = 3, alg 3, n -1, e -2.
  const refused: Array<[string, [number, number | Uint8Array][]]> = [
    [
      'P-256 alg on curve 2 (P-384)',
      [
        [1, 2],
        [3, -7],
        [-1, 2],
        [-2, x],
        [-3, x],
      ],
    ],
    [
      'a 31-byte x',
      [
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, x.subarray(1)],
        [-3, x],
      ],
    ],
    [
      'an unknown algorithm',
      [
        [1, 2],
        [3, -999],
        [-1, 1],
        [-2, x],
        [-3, x],
      ],
    ],
    [
      'a point not on the curve',
      [
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, x],
        [-3, x],
      ],
    ],
    [
      'RSA with 1024 bits',
      [
        [1, 3],
        [3, -257],
        [-1, n],
        [-2, e],
      ],
    ],
  ];
  for (const [what, entries] of refused) assert.equal(parseCoseKey(encodeCoseKey(entries)).ok, false, what);
});

test('options builders give the JSON the browser expects', () => {
  const challenge = new Uint8Array(32).fill(2);
  const o = registrationOptions({
    rpId: 'example.org',
    rpName: 'Example',
    userId: 'user-42',
    userName: 'alice',
    challenge,
    userVerification: 'required',
    excludeCredentials: [{ id: new Uint8Array([1, 2, 3]), transports: ['internal'] }],
  });
  assert.deepEqual(
    o.pubKeyCredParams.map((p) => p.alg),
    [-8, -7, -257, -35, -37],
  );
  assert.equal(o.user.id, Buffer.from('user-42').toString('base64url'));
  assert.equal(o.user.displayName, 'alice');
  assert.equal(o.challenge, Buffer.from(challenge).toString('base64url'));
  assert.deepEqual(o.authenticatorSelection, {
    residentKey: 'preferred',
    requireResidentKey: false,
    userVerification: 'required',
  });
  assert.deepEqual(o.excludeCredentials, [{ type: 'public-key', id: 'AQID', transports: ['internal'] }]);
  const a = authenticationOptions({
    rpId: 'example.org',
    challenge,
    userVerification: 'discouraged',
    timeout: 60_000,
  });
  assert.deepEqual(a, {
    challenge: o.challenge,
    rpId: 'example.org',
    timeout: 60_000,
    allowCredentials: [],
    userVerification: 'discouraged',
    hints: [],
  });
  assert.throws(
    () => authenticationOptions({ rpId: 'example.org', challenge: new Uint8Array(4) }),
    TypeError,
  );
  assert.throws(
    () =>
      registrationOptions({
        ...{ rpId: 'a', rpName: 'b', userName: 'c', challenge },
        userId: new Uint8Array(65),
      }),
    TypeError,
  );
});

test('registry row: no credential parser, no offline verifier', () => {
  assert.deepEqual(webauthnScheme, { name: 'webauthn', parseCredential: null, verifyOffline: null });
});
