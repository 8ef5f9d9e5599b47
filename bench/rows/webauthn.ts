import { createHash, verify } from 'node:crypto';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import {
  parseAuthenticationResponse,
  parseCoseKey,
  verifyAuthentication,
} from '../../src/schemes/webauthn/index.js';
import { webauthnFixture } from '../fixtures.js';
import type { MicroRow } from './types.js';

/**
 * WebAuthn ES256 assertion. Both libraries start from the same AuthenticationResponseJSON and
 * the same expectations (challenge, origin, rpId, UV required) and do the whole of WebAuthn
 * L3 section 7.2 (decode, parse clientDataJSON and authenticatorData, check type, challenge,
 * origin, rpIdHash, flags, signature, counter). The difference the row shows on purpose: Signet
 * verifies with the credential key it parsed once and caches (`parseCoseKey` at load), while
 * `@simplewebauthn/server` takes the stored COSE bytes and decodes and imports them per call.
 * The reference is the signature check alone on the decoded bytes, with a cached KeyObject.
 */
export function webauthnRow(): MicroRow {
  const f = webauthnFixture();
  const parsedKey = parseCoseKey(f.cosePublicKey);
  if (!parsedKey.ok) throw new Error('bench: webauthn fixture key does not parse');
  const publicKey = parsedKey.value;
  const expected = {
    challenge: f.challenge,
    origins: [f.origin],
    rpId: f.rpId,
    requireUserVerification: true,
  };
  return {
    id: 'webauthn-es256',
    title: 'WebAuthn ES256 assertion',
    work: 'JSON response -> parsed, all section 7.2 checks, ES256 signature, counter; Signet with its cached key',
    signet: {
      label: 'Signet',
      run: () => {
        const parsed = parseAuthenticationResponse(f.response);
        if (!parsed.ok) return parsed;
        return verifyAuthentication({
          response: parsed.value,
          credential: { id: f.credentialId, publicKey, counter: f.counter },
          expected,
        });
      },
      check: (r) => (r as { ok: boolean }).ok === true,
    },
    peer: {
      label: '@simplewebauthn/server',
      async: true,
      run: () =>
        verifyAuthenticationResponse({
          response: f.response,
          expectedChallenge: f.challenge,
          expectedOrigin: f.origin,
          expectedRPID: f.rpId,
          credential: { id: f.credentialId, publicKey: f.cosePublicKey, counter: f.counter },
          requireUserVerification: true,
        }),
      check: (r) => (r as { verified: boolean }).verified === true,
    },
    reference: {
      label: 'node:crypto (signature only)',
      run: () => {
        const r = f.response.response;
        const authData = Buffer.from(r.authenticatorData, 'base64url');
        const clientData = Buffer.from(r.clientDataJSON, 'base64url');
        const signed = Buffer.concat([authData, createHash('sha256').update(clientData).digest()]);
        return verify('sha256', signed, f.publicKey, Buffer.from(r.signature, 'base64url'));
      },
      check: (r) => r === true,
    },
    target: { against: 'peer', min: 6 },
  };
}
