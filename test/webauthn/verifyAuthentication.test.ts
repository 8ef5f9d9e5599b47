import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseAuthenticationResponse,
  prepareExpectations,
  verifyAuthentication,
  type WebAuthnExpectations,
} from '../../src/schemes/webauthn/index.js';
import {
  ALGS,
  FLAG,
  assert as makeAssertion,
  makeCredential,
  type AlgName,
  type AssertionOptions,
} from './softAuthenticator.js';

const CHALLENGE = new Uint8Array(32).fill(0xab);
const APK_ORIGIN = 'android:apk-key-hash:lMzFTSHfHIR9Yz4GdkmOw3Aq5eN7z5n2LRiGJ6bPIHg';

function expected(over: Partial<WebAuthnExpectations> = {}): WebAuthnExpectations {
  return {
    challenge: CHALLENGE,
    origins: ['https://example.org'],
    rpId: 'example.org',
    requireUserVerification: false,
    ...over,
  };
}

function run(
  alg: AlgName,
  o: Partial<AssertionOptions>,
  opts: { counter?: number; expected?: Partial<WebAuthnExpectations>; backupEligible?: boolean } = {},
) {
  const cred = makeCredential(alg);
  const json = makeAssertion(cred, { challenge: CHALLENGE, ...o });
  const parsed = parseAuthenticationResponse(json);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return verifyAuthentication({
    response: parsed.value,
    credential: {
      id: cred.idB64,
      publicKey: cred.publicKey,
      counter: opts.counter ?? 0,
      ...(opts.backupEligible !== undefined ? { backupEligible: opts.backupEligible } : {}),
    },
    expected: expected(opts.expected),
  });
}

for (const alg of Object.keys(ALGS) as AlgName[]) {
  test(`${alg}: a fresh assertion verifies and reports its flags`, () => {
    const result = run(alg, {
      flags: FLAG.UP | FLAG.UV | FLAG.BE,
      counter: 5,
      userHandle: new Uint8Array([1, 2, 3]),
    });
    assert.deepEqual(result, {
      ok: true,
      newCounter: 5,
      userVerified: true,
      backupEligible: true,
      backupState: false,
      userHandle: 'AQID',
    });
  });

  test(`${alg}: each check is refused with its own code`, () => {
    assert.deepEqual(run(alg, { type: 'webauthn.create' }), { ok: false, code: 'type_mismatch' });
    assert.deepEqual(run(alg, { challenge: new Uint8Array(32).fill(1) }), {
      ok: false,
      code: 'challenge_mismatch',
    });
    assert.deepEqual(run(alg, { origin: 'https://evil.example' }), { ok: false, code: 'origin_mismatch' });
    assert.deepEqual(run(alg, { rpId: 'evil.example' }), { ok: false, code: 'rp_id_mismatch' });
    assert.deepEqual(run(alg, { flags: FLAG.UV }), { ok: false, code: 'user_presence_required' });
    assert.deepEqual(run(alg, { flags: FLAG.UP }, { expected: { requireUserVerification: true } }), {
      ok: false,
      code: 'user_verification_required',
    });
    assert.deepEqual(run(alg, { flags: FLAG.UP | FLAG.BS }), { ok: false, code: 'backup_state_invalid' });
    assert.deepEqual(run(alg, { flags: FLAG.UP | FLAG.BE }, { backupEligible: false }), {
      ok: false,
      code: 'backup_state_invalid',
    });
  });
}

test('UV not required: an assertion without UV verifies and says so', () => {
  const result = run('ES256', { flags: FLAG.UP });
  assert.equal(result.ok && result.userVerified, false);
  assert.equal(result.ok, true);
});

test('counter rule: both zero fine; otherwise strictly greater', () => {
  assert.deepEqual(run('ES256', { counter: 0 }, { counter: 0 }), {
    ok: true,
    newCounter: 0,
    userVerified: true,
    backupEligible: false,
    backupState: false,
  });
  assert.equal(run('ES256', { counter: 8 }, { counter: 7 }).ok, true);
  assert.deepEqual(run('ES256', { counter: 7 }, { counter: 7 }), { ok: false, code: 'counter_regression' });
  assert.deepEqual(run('ES256', { counter: 3 }, { counter: 7 }), { ok: false, code: 'counter_regression' });
  // The authenticator stopped counting (new 0, stored 7): refused.
  assert.deepEqual(run('ES256', { counter: 0 }, { counter: 7 }), { ok: false, code: 'counter_regression' });
  // Stored 0, new non-zero: the first count, accepted.
  assert.equal(run('ES256', { counter: 1 }, { counter: 0 }).ok, true);
  assert.equal(run('ES256', { counter: 0xffffffff }, { counter: 0xfffffffe }).ok, true);
});

test('the signature is checked before the counter: a bad signature with a low counter is signature_invalid', () => {
  const cred = makeCredential('ES256');
  const other = makeCredential('EdDSA');
  const json = makeAssertion(cred, { challenge: CHALLENGE, counter: 1 });
  const parsed = parseAuthenticationResponse(json);
  assert.ok(parsed.ok);
  const result = verifyAuthentication({
    response: parsed.value,
    credential: { id: cred.idB64, publicKey: other.publicKey, counter: 100 },
    expected: expected(),
  });
  assert.deepEqual(result, { ok: false, code: 'signature_invalid' });
});

test('a credential id that is not the stored one is credential_unknown', () => {
  const cred = makeCredential('ES256');
  const parsed = parseAuthenticationResponse(makeAssertion(cred, { challenge: CHALLENGE }));
  assert.ok(parsed.ok);
  const result = verifyAuthentication({
    response: parsed.value,
    credential: { id: new Uint8Array(16).fill(9), publicKey: cred.publicKey, counter: 0 },
    expected: expected(),
  });
  assert.deepEqual(result, { ok: false, code: 'credential_unknown' });
});

test('android:apk-key-hash origins are accepted when allowed, refused otherwise', () => {
  assert.equal(
    run('ES256', { origin: APK_ORIGIN }, { expected: { origins: ['https://example.org', APK_ORIGIN] } }).ok,
    true,
  );
  assert.deepEqual(run('ES256', { origin: APK_ORIGIN }), { ok: false, code: 'origin_mismatch' });
});

test('cross-origin client data needs allowCrossOrigin, and topOrigin must be listed when topOrigins is given', () => {
  assert.deepEqual(run('ES256', { crossOrigin: true }), { ok: false, code: 'origin_mismatch' });
  assert.equal(run('ES256', { crossOrigin: true }, { expected: { allowCrossOrigin: true } }).ok, true);
  const top = { crossOrigin: true, topOrigin: 'https://top.example' };
  assert.equal(run('ES256', top, { expected: { allowCrossOrigin: true } }).ok, true);
  assert.equal(
    run('ES256', top, { expected: { allowCrossOrigin: true, topOrigins: ['https://top.example'] } }).ok,
    true,
  );
  assert.deepEqual(
    run('ES256', top, { expected: { allowCrossOrigin: true, topOrigins: ['https://x.example'] } }),
    {
      ok: false,
      code: 'origin_mismatch',
    },
  );
});

test('expectations may be prepared once and reused; challenge may be base64url', () => {
  const cred = makeCredential('ES256');
  const prepared = prepareExpectations(expected({ challenge: Buffer.from(CHALLENGE).toString('base64url') }));
  for (let counter = 1; counter <= 3; counter++) {
    const parsed = parseAuthenticationResponse(makeAssertion(cred, { challenge: CHALLENGE, counter }));
    assert.ok(parsed.ok);
    const r = verifyAuthentication({
      response: parsed.value,
      credential: { id: cred.id, publicKey: cred.publicKey, counter: counter - 1 },
      expected: prepared,
    });
    assert.equal(r.ok && r.newCounter, counter);
  }
});

test('programmer mistakes throw TypeError', () => {
  assert.throws(() => prepareExpectations(expected({ challenge: new Uint8Array(4) })), TypeError);
  assert.throws(() => prepareExpectations(expected({ origins: [] })), TypeError);
  assert.throws(
    () => prepareExpectations({ ...expected(), requireUserVerification: 'yes' as never }),
    TypeError,
  );
});

test('§7.2 step 6: a returned userHandle must be the owner’s; a login naming no user must carry one', () => {
  const cred = makeCredential('ES256');
  const verifyWith = (
    userHandle: Uint8Array | undefined,
    owner: Uint8Array | undefined,
    requireUserHandle: boolean,
  ) => {
    const json = makeAssertion(cred, { challenge: CHALLENGE, ...(userHandle ? { userHandle } : {}) });
    const parsed = parseAuthenticationResponse(json);
    assert.ok(parsed.ok);
    return verifyAuthentication({
      response: parsed.value,
      credential: {
        id: cred.idB64,
        publicKey: cred.publicKey,
        counter: 0,
        ...(owner ? { userHandle: owner } : {}),
      },
      expected: expected(),
      requireUserHandle,
    });
  };
  const alice = new TextEncoder().encode('alice');
  const mallory = new TextEncoder().encode('mallory');
  assert.equal(verifyWith(alice, alice, true).ok, true);
  assert.equal(verifyWith(alice, alice, false).ok, true);
  assert.equal(verifyWith(undefined, alice, false).ok, true);
  assert.deepEqual(verifyWith(mallory, alice, false), { ok: false, code: 'user_handle_mismatch' });
  assert.deepEqual(verifyWith(mallory, alice, true), { ok: false, code: 'user_handle_mismatch' });
  assert.deepEqual(verifyWith(undefined, alice, true), { ok: false, code: 'user_handle_mismatch' });
  // One byte off is a different handle.
  assert.deepEqual(verifyWith(new TextEncoder().encode('alicf'), alice, false), {
    ok: false,
    code: 'user_handle_mismatch',
  });
});
