import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  loadCredentialPublicKey,
  parseAuthenticationResponse,
  parseRegistrationResponse,
  verifyAuthentication,
  verifyRegistration,
  type CredentialPublicKey,
  type WebAuthnExpectations,
} from '../../src/schemes/webauthn/index.js';

// The 30 W3C WebAuthn L3 examples (test/vectors/webauthn/README.md, SOURCES.md), read as data.
interface Example {
  name: string;
  ceremony: 'registration' | 'authentication';
  hkdfInfo: string;
  rpId: string;
  origin: string;
  topOrigin?: string;
  challenge: string;
  credential_id?: string;
  clientDataJSON: string;
  attestationObject?: string;
  authenticatorData?: string;
  signature?: string;
  derived: { credentialId?: string; credentialPublicKeyAlg?: number };
}
const dir = new URL('../vectors/webauthn/', import.meta.url);
const examples = JSON.parse(readFileSync(new URL('w3c-l3-test-vectors.json', dir), 'utf8')) as Example[];
const root = JSON.parse(readFileSync(new URL('w3c-l3-attestation-root-cert.json', dir), 'utf8')) as {
  attestation_ca_cert: string;
};
const rootDer = new Uint8Array(Buffer.from(root.attestation_ca_cert, 'hex'));
// A fixed clock inside every test certificate's validity (the root and x5c run to 3024).
const NOW = Date.parse('2026-08-01T00:00:00Z');

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url');

function expectations(e: Example): WebAuthnExpectations {
  return {
    challenge: b64(e.challenge),
    origins: [e.origin],
    rpId: e.rpId,
    requireUserVerification: false,
    allowCrossOrigin: true,
    ...(e.topOrigin !== undefined ? { topOrigins: [e.topOrigin] } : {}),
  };
}

function registrationJson(e: Example): unknown {
  const id = b64(e.credential_id!);
  return {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    response: { clientDataJSON: b64(e.clientDataJSON), attestationObject: b64(e.attestationObject!) },
  };
}

function authenticationJson(e: Example, over: { cdj?: string; ad?: string; sig?: string } = {}): unknown {
  const id = b64(e.derived.credentialId!);
  return {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: over.cdj ?? b64(e.clientDataJSON),
      authenticatorData: over.ad ?? b64(e.authenticatorData!),
      signature: over.sig ?? b64(e.signature!),
    },
  };
}

const registrations = examples.filter((e) => e.ceremony === 'registration');
const authentications = examples.filter((e) => e.ceremony === 'authentication');
const keys = new Map<string, { stored: unknown; parsed: CredentialPublicKey }>();

test('the vector file holds 15 registrations and 15 authentications', () => {
  assert.equal(registrations.length, 15);
  assert.equal(authentications.length, 15);
});

for (const e of registrations) {
  test(`W3C registration verifies: ${e.hkdfInfo}`, async () => {
    const parsed = parseRegistrationResponse(registrationJson(e));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    const result = await verifyRegistration({
      response: parsed.value,
      expected: expectations(e),
      now: NOW,
      trustedRoots: [rootDer],
    });
    assert.ok(result.ok, result.ok ? '' : result.code);
    assert.equal(result.credential.id, b64(e.credential_id!));
    assert.equal(result.credential.publicKey.alg, e.derived.credentialPublicKeyAlg);
    // The storable form loads back into a working key.
    const loaded = loadCredentialPublicKey(JSON.parse(JSON.stringify(result.credential.publicKey)));
    assert.ok(loaded.ok);
    keys.set(e.hkdfInfo, { stored: result.credential.publicKey, parsed: loaded.value });
  });

  test(`W3C registration refused with a wrong challenge: ${e.hkdfInfo}`, async () => {
    const parsed = parseRegistrationResponse(registrationJson(e));
    assert.ok(parsed.ok);
    const wrong = { ...expectations(e), challenge: new Uint8Array(32).fill(7) };
    const result = await verifyRegistration({
      response: parsed.value,
      expected: wrong,
      now: NOW,
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
        id: e.derived.credentialId!.length ? b64(e.derived.credentialId!) : '',
        publicKey: key.parsed,
        counter: 0,
      },
      expected: expectations(e),
    });
  };

  test(`W3C authentication verifies with its registration's key: ${e.hkdfInfo}`, () => {
    const result = verify(authenticationJson(e));
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
        const result = verify(authenticationJson(e, { [field]: copy.toString('base64url') }));
        assert.equal(result.ok, false, `${field}[${i}] flipped still verified`);
        checked++;
      }
    }
    assert.ok(checked > 100);
  });
}
