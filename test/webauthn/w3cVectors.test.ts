import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  loadCredentialPublicKey,
  parseAuthenticationResponse,
  parseRegistrationResponse,
  verifyAuthentication,
  verifyRegistration,
  type CredentialPublicKey,
  type WebAuthnExpectations,
} from '../../src/schemes/webauthn/index.js';
import {
  hexToBase64url,
  w3cAuthenticationJson,
  w3cRegistrationJson,
  W3C_EXAMPLES,
  W3C_ROOT_DER,
  W3C_VECTOR_NOW,
  type W3cExample,
} from '../support/webauthnVectors.js';

// The 30 W3C WebAuthn L3 examples (test/vectors/webauthn/README.md, SOURCES.md), read as data.
const rootDer = new Uint8Array(W3C_ROOT_DER);

function expectations(e: W3cExample): WebAuthnExpectations {
  return {
    challenge: hexToBase64url(e.challenge),
    origins: [e.origin],
    rpId: e.rpId,
    requireUserVerification: false,
    allowCrossOrigin: true,
    ...(e.topOrigin !== undefined ? { topOrigins: [e.topOrigin] } : {}),
  };
}

const registrations = W3C_EXAMPLES.filter((e) => e.ceremony === 'registration');
const authentications = W3C_EXAMPLES.filter((e) => e.ceremony === 'authentication');
const keys = new Map<string, { stored: unknown; parsed: CredentialPublicKey }>();

test('the vector file holds 15 registrations and 15 authentications', () => {
  assert.equal(registrations.length, 15);
  assert.equal(authentications.length, 15);
});

for (const e of registrations) {
  test(`W3C registration verifies: ${e.hkdfInfo}`, async () => {
    const parsed = parseRegistrationResponse(w3cRegistrationJson(e));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    const result = await verifyRegistration({
      response: parsed.value,
      expected: expectations(e),
      now: W3C_VECTOR_NOW,
      trustedRoots: [rootDer],
    });
    assert.ok(result.ok, result.ok ? '' : result.code);
    assert.equal(result.credential.id, hexToBase64url(e.credential_id!));
    assert.equal(result.credential.publicKey.alg, e.derived.credentialPublicKeyAlg);
    // The storable form loads back into a working key.
    const loaded = loadCredentialPublicKey(JSON.parse(JSON.stringify(result.credential.publicKey)));
    assert.ok(loaded.ok);
    keys.set(e.hkdfInfo, { stored: result.credential.publicKey, parsed: loaded.value });
  });

  test(`W3C registration refused with a wrong challenge: ${e.hkdfInfo}`, async () => {
    const parsed = parseRegistrationResponse(w3cRegistrationJson(e));
    assert.ok(parsed.ok);
    const wrong = { ...expectations(e), challenge: new Uint8Array(32).fill(7) };
    const result = await verifyRegistration({
      response: parsed.value,
      expected: wrong,
      now: W3C_VECTOR_NOW,
      trustedRoots: [rootDer],
    });
    assert.deepEqual(result, { ok: false, code: 'challenge_mismatch' });
  });
}

for (const e of authentications) {
  const verify = (json: unknown): { ok: boolean; code?: string } => {
    const key = keys.get(e.hkdfInfo);
    assert.ok(key, 'the paired registration ran first');
    const parsed = parseAuthenticationResponse(json);
    if (!parsed.ok) return parsed;
    return verifyAuthentication({
      response: parsed.value,
      credential: {
        id: e.derived.credentialId!.length ? hexToBase64url(e.derived.credentialId!) : '',
        publicKey: key.parsed,
        counter: 0,
      },
      expected: expectations(e),
    });
  };

  test(`W3C authentication verifies with its registration's key: ${e.hkdfInfo}`, () => {
    const result = verify(w3cAuthenticationJson(e));
    assert.equal(result.ok, true, JSON.stringify(result));
  });

  test(`W3C authentication fails with any one byte flipped: ${e.hkdfInfo}`, () => {
    const fields = { sig: e.signature!, ad: e.authenticatorData!, cdj: e.clientDataJSON } as const;
    let checked = 0;
    for (const [field, hex] of Object.entries(fields)) {
      const bytes = Buffer.from(hex, 'hex');
      for (let i = 0; i < bytes.length; i++) {
        const copy = Buffer.from(bytes);
        copy[i]! ^= 0x01;
        const result = verify(w3cAuthenticationJson(e, { [field]: copy.toString('base64url') }));
        assert.equal(result.ok, false, `${field}[${i}] flipped still verified`);
        checked++;
      }
    }
    assert.ok(checked > 100);
  });
}
