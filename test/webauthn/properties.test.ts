import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeCbor,
  parseAuthenticationResponse,
  parseAuthenticatorData,
  parseClientData,
  parseCoseKey,
  parseRegistrationResponse,
  loadCredentialPublicKey,
  verifyAuthentication,
} from '../../src/schemes/webauthn/index.js';
import {
  ALGS,
  FLAG,
  assert as makeAssertion,
  flip,
  makeCredential,
  type AlgName,
} from './softAuthenticator.js';

const ALG_NAMES = Object.keys(ALGS) as AlgName[];
const CREDS = Object.fromEntries(ALG_NAMES.map((a) => [a, makeCredential(a)])) as Record<
  AlgName,
  ReturnType<typeof makeCredential>
>;

function check(json: unknown, alg: AlgName, challenge: Uint8Array, counter = 0, uv = false) {
  const parsed = parseAuthenticationResponse(json);
  if (!parsed.ok) return parsed;
  return verifyAuthentication({
    response: parsed.value,
    credential: { id: CREDS[alg].idB64, publicKey: CREDS[alg].publicKey, counter },
    expected: {
      challenge,
      origins: ['https://example.org'],
      rpId: 'example.org',
      requireUserVerification: uv,
    },
  });
}

test('property: sign then verify holds (any alg, challenge, counter, flags)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ALG_NAMES),
      fc.uint8Array({ minLength: 16, maxLength: 64 }),
      fc.integer({ min: 1, max: 0xffffffff }),
      fc.boolean(),
      fc.boolean(),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      (alg, challenge, counter, uv, be, userHandle) => {
        const flags = FLAG.UP | (uv ? FLAG.UV : 0) | (be ? FLAG.BE | FLAG.BS : 0);
        const json = makeAssertion(CREDS[alg], { challenge, counter, flags, userHandle });
        const result = check(json, alg, challenge, counter - 1, uv);
        assert.deepEqual(result, {
          ok: true,
          newCounter: counter,
          userVerified: uv,
          backupEligible: be,
          backupState: be,
          userHandle: Buffer.from(userHandle).toString('base64url'),
        });
      },
    ),
    { numRuns: 150 },
  );
});

test('property: any flipped byte of signature, authenticatorData or clientDataJSON fails', () => {
  const challenge = new Uint8Array(32).fill(3);
  const assertions = Object.fromEntries(
    ALG_NAMES.map((a) => [a, makeAssertion(CREDS[a], { challenge, counter: 1 })]),
  ) as Record<AlgName, ReturnType<typeof makeAssertion>>;
  fc.assert(
    fc.property(
      fc.constantFrom(...ALG_NAMES),
      fc.constantFrom('signature', 'authenticatorData', 'clientDataJSON'),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (alg, field, index, mask) => {
        const valid = assertions[alg];
        const response = {
          ...valid.response,
          [field]: flip(valid.response[field as 'signature'], index, mask),
        };
        assert.equal(check({ ...valid, response }, alg, challenge).ok, false);
      },
    ),
    { numRuns: 600 },
  );
});

test('property: the parsers return a value for any unknown input, never throw', () => {
  const anyInput = fc.oneof(
    fc.anything(),
    fc.jsonValue(),
    // Near-valid shapes: the right keys with random values.
    fc.record({
      id: fc.oneof(fc.string(), fc.constant('AQID')),
      rawId: fc.oneof(fc.string(), fc.constant('AQID')),
      type: fc.oneof(fc.string(), fc.constant('public-key')),
      response: fc.dictionary(
        fc.constantFrom(
          'clientDataJSON',
          'authenticatorData',
          'signature',
          'userHandle',
          'attestationObject',
          'transports',
        ),
        fc.oneof(
          fc.string(),
          fc.base64String().map((s) => s.replace(/=/g, '').replace(/\+/g, '-').replace(/\//g, '_')),
          fc.anything(),
        ),
      ),
      clientExtensionResults: fc.anything(),
    }),
  );
  fc.assert(
    fc.property(anyInput, (input) => {
      for (const parse of [parseAuthenticationResponse, parseRegistrationResponse, loadCredentialPublicKey]) {
        const r = parse(input);
        if (!r.ok) assert.equal(r.code, 'invalid_request');
      }
    }),
    { numRuns: 1500 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      for (const parse of [parseClientData, parseAuthenticatorData, parseCoseKey]) {
        const r = parse(bytes);
        if (!r.ok) assert.equal(r.code, 'invalid_request');
      }
      decodeCbor(bytes); // null or a value, never a throw
    }),
    { numRuns: 1500 },
  );
});

test('property: authenticatorData with a random tail after a valid 37-byte head never throws', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 37, maxLength: 37 }),
      fc.uint8Array({ maxLength: 300 }),
      (headBytes, tail) => {
        const bytes = new Uint8Array([...headBytes, ...tail]);
        bytes[32] = bytes[32]! | 0x40; // AT set: exercise the attested-data and CBOR paths
        const r = parseAuthenticatorData(bytes);
        assert.equal(typeof r.ok, 'boolean');
      },
    ),
    { numRuns: 1000 },
  );
});

/**
 * Best-of-`runs` time of `batch` calls, in ns. The minimum is what other load on the machine
 * and GC pauses cannot inflate, so the ratio below measures the parser, not the neighbours.
 */
function fastest(f: () => void, runs = 9, batch = 5): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) f();
    best = Math.min(best, Number(process.hrtime.bigint() - t));
  }
  return best;
}

test('linear time: 10x larger input takes well under 100x the time', () => {
  // CBOR: an array of n one-byte integers (the worst case for item count per byte).
  const cbor = (n: number) =>
    new Uint8Array([
      0x9a,
      n >>> 24,
      (n >> 16) & 0xff,
      (n >> 8) & 0xff,
      n & 0xff,
      ...new Uint8Array(n).fill(1),
    ]);
  const small = cbor(1_000);
  const large = cbor(10_000);
  decodeCbor(small);
  const tSmall = fastest(() => assert.ok(decodeCbor(small)), 25, 20);
  const tLarge = fastest(() => assert.ok(decodeCbor(large)), 25, 20);
  assert.ok(tLarge / tSmall < 40, `CBOR ratio ${(tLarge / tSmall).toFixed(1)}`);

  // The response parser on clientDataJSON of growing size (up to its bound).
  const json = (n: number) => {
    const cdj = Buffer.from(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: 'AAAAAAAAAAAAAAAAAAAAAA',
        origin: 'https://example.org',
        pad: 'x'.repeat(n),
      }),
    );
    return {
      id: 'AQID',
      rawId: 'AQID',
      type: 'public-key',
      response: {
        clientDataJSON: cdj.toString('base64url'),
        authenticatorData: Buffer.alloc(37, 1).toString('base64url'),
        signature: 'AQID',
      },
    };
  };
  const a = json(700);
  const b = json(7000);
  const ta = fastest(() => parseAuthenticationResponse(a), 25, 20);
  const tb = fastest(() => parseAuthenticationResponse(b), 25, 20);
  assert.ok(tb / ta < 40, `parser ratio ${(tb / ta).toFixed(1)}`);
});
