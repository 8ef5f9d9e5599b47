// Login tokens: signed with a cached node:crypto key, verified by jose against the JWKS exactly
// as a relying app does; a changed byte, another audience or a past expiry do not verify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createTokenService } from '../../src/core/tokens.js';
import { startHarness } from '../support/harness.js';

test('issued tokens verify with jose against the JWKS; tampering, audience and expiry are caught', async () => {
  const h = await startHarness();
  try {
    const tokens = createTokenService(h.deps);
    const { token, expiresAt } = await tokens.issue({
      appId: 'app1',
      userId: 'alice',
      amr: 'device',
      credentialId: 'cred_1',
      ttlSec: 60,
    });
    assert.deepEqual(decodeProtectedHeader(token), {
      alg: 'EdDSA',
      kid: decodeProtectedHeader(token).kid,
      typ: 'JWT',
    });
    const jwks = createLocalJWKSet(await tokens.jwks());
    const now = new Date(h.clock());
    const { payload } = await jwtVerify(token, jwks, {
      issuer: h.deps.issuer,
      audience: 'app1',
      algorithms: ['EdDSA'],
      currentDate: now,
    });
    assert.equal(payload.sub, 'alice');
    assert.deepEqual(payload.amr, ['device']);
    assert.equal(payload['cid'], 'cred_1');
    assert.equal(payload.exp! * 1000, expiresAt);
    assert.equal(payload.exp! - payload.iat!, 60);

    const [head, body, sig] = token.split('.') as [string, string, string];
    const flipped = `${head}.${body}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
    await assert.rejects(jwtVerify(flipped, jwks, { currentDate: now }));
    await assert.rejects(jwtVerify(token, jwks, { audience: 'app2', currentDate: now }));
    await assert.rejects(jwtVerify(token, jwks, { currentDate: new Date(h.clock() + 61_000) }));
    assert.equal((await tokens.verify(token, 'app1')).sub, 'alice');
  } finally {
    await h.close();
  }
});
