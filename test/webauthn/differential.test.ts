import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { parseAuthenticationResponse, verifyAuthentication } from '../../src/schemes/webauthn/index.js';
import { derChildren, readDer } from '../../src/schemes/webauthn/der.js';
import {
  ALGS,
  FLAG,
  assert as makeAssertion,
  flip,
  makeCredential,
  type AlgName,
  type AssertionJSON,
} from './softAuthenticator.js';

// Differential test: Signet's verifyAuthentication and @simplewebauthn/server's
// verifyAuthenticationResponse judge the same freshly made assertions, valid and tampered.
// One known, deliberate difference: @simplewebauthn re-reads an ECDSA signature leniently, so an
// ECDSA signature whose DER header was altered (e.g. the SEQUENCE length byte) can still pass
// there; Signet hands the bytes to OpenSSL, which demands strict DER (WebAuthn L3 §6.5.6 says
// ECDSA signatures are ASN.1 DER Ecdsa-Sig-Value). Such cases are checked to be non-DER and
// refused by Signet, and counted, rather than counted as agreement.

/** True when `sig` is exactly SEQUENCE { INTEGER, INTEGER } in DER with nothing around it. */
function isStrictDerSignature(b64: string): boolean {
  const sig = Buffer.from(b64, 'base64url');
  const seq = readDer(sig, 0, sig.length);
  if (seq === null || seq.tag !== 16 || seq.end !== sig.length) return false;
  const parts = derChildren(sig, seq);
  return parts !== null && parts.length === 2 && parts.every((p) => p.tag === 2);
}

const CHALLENGE = new Uint8Array(32).fill(0x5a);
const ORIGIN = 'https://example.org';

async function peer(
  json: AssertionJSON,
  cred: ReturnType<typeof makeCredential>,
  counter: number,
  uv: boolean,
) {
  try {
    const r = await verifyAuthenticationResponse({
      response: json as never,
      expectedChallenge: Buffer.from(CHALLENGE).toString('base64url'),
      expectedOrigin: ORIGIN,
      expectedRPID: 'example.org',
      credential: { id: cred.idB64, publicKey: new Uint8Array(cred.cose), counter },
      requireUserVerification: uv,
    });
    return r.verified;
  } catch {
    return false;
  }
}

function ours(
  json: AssertionJSON,
  cred: ReturnType<typeof makeCredential>,
  counter: number,
  uv: boolean,
): boolean {
  const parsed = parseAuthenticationResponse(json);
  if (!parsed.ok) return false;
  return verifyAuthentication({
    response: parsed.value,
    credential: { id: cred.idB64, publicKey: cred.publicKey, counter },
    expected: { challenge: CHALLENGE, origins: [ORIGIN], rpId: 'example.org', requireUserVerification: uv },
  }).ok;
}

for (const alg of Object.keys(ALGS) as AlgName[]) {
  test(`${alg}: Signet and @simplewebauthn/server agree on valid and tampered assertions`, async () => {
    const cred = makeCredential(alg);
    const cases: { name: string; json: AssertionJSON; counter: number; uv: boolean }[] = [];
    const base = { challenge: CHALLENGE, counter: 10, flags: FLAG.UP | FLAG.UV };
    const valid = makeAssertion(cred, base);
    cases.push({ name: 'valid', json: valid, counter: 9, uv: true });
    cases.push({
      name: 'valid, zero counters',
      json: makeAssertion(cred, { ...base, counter: 0 }),
      counter: 0,
      uv: true,
    });
    cases.push({ name: 'counter regression', json: valid, counter: 10, uv: true });
    cases.push({
      name: 'wrong challenge',
      json: makeAssertion(cred, { ...base, challenge: new Uint8Array(32) }),
      counter: 0,
      uv: true,
    });
    cases.push({
      name: 'wrong origin',
      json: makeAssertion(cred, { ...base, origin: 'https://evil.example' }),
      counter: 0,
      uv: true,
    });
    cases.push({
      name: 'wrong rpId',
      json: makeAssertion(cred, { ...base, rpId: 'evil.example' }),
      counter: 0,
      uv: true,
    });
    cases.push({
      name: 'wrong type',
      json: makeAssertion(cred, { ...base, type: 'webauthn.create' }),
      counter: 0,
      uv: true,
    });
    cases.push({
      name: 'UV missing',
      json: makeAssertion(cred, { ...base, flags: FLAG.UP }),
      counter: 0,
      uv: true,
    });
    cases.push({
      name: 'UV missing, not required',
      json: makeAssertion(cred, { ...base, flags: FLAG.UP }),
      counter: 0,
      uv: false,
    });
    cases.push({
      name: 'BS without BE',
      json: makeAssertion(cred, { ...base, flags: FLAG.UP | FLAG.UV | FLAG.BS }),
      counter: 0,
      uv: true,
    });
    const sigLen = Buffer.from(valid.response.signature, 'base64url').length;
    for (let i = 0; i < 8; i++) {
      const at = Math.floor((i * sigLen) / 8) + 1;
      cases.push({
        name: `signature[${at}]`,
        json: { ...valid, response: { ...valid.response, signature: flip(valid.response.signature, at) } },
        counter: 0,
        uv: true,
      });
    }
    for (const at of [0, 31, 33, 36]) {
      cases.push({
        name: `authenticatorData[${at}]`,
        json: {
          ...valid,
          response: {
            ...valid.response,
            authenticatorData: flip(valid.response.authenticatorData, at, 0x40 >> (at % 2)),
          },
        },
        counter: 0,
        uv: true,
      });
    }
    for (const at of [15, 40, 70]) {
      cases.push({
        name: `clientDataJSON[${at}]`,
        json: {
          ...valid,
          response: { ...valid.response, clientDataJSON: flip(valid.response.clientDataJSON, at) },
        },
        counter: 0,
        uv: true,
      });
    }
    let accepted = 0;
    let lenientDer = 0;
    const ecdsa = alg === 'ES256' || alg === 'ES384';
    for (const c of cases) {
      const a = ours(c.json, cred, c.counter, c.uv);
      const b = await peer(c.json, cred, c.counter, c.uv);
      if (ecdsa && !a && b && !isStrictDerSignature(c.json.response.signature)) {
        lenientDer++;
        continue;
      }
      assert.equal(a, b, `${alg} ${c.name}: Signet ${a}, simplewebauthn ${b}`);
      if (a) accepted++;
    }
    assert.equal(accepted, 3, 'the three valid cases pass, every tampered one fails');
    assert.ok(lenientDer <= 2, `non-DER signatures accepted by the peer: ${lenientDer}`);
  });
}
