// A restart on the same SQLite file loses nothing: apps (and their sealed secrets), credentials,
// signing keys, issued challenges, and consumed challenges stay consumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import { join } from 'node:path';
import { createTestClock, startHarness, tempDir } from '../support/harness.js';

test('a restart on the same file loses nothing', async () => {
  const dir = tempDir();
  const dbPath = join(dir.dir, 'signet.db');
  const masterKey = randomBytes(32);
  const clock = createTestClock();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sign = (text: string) => nodeSign('sha256', Buffer.from(text), privateKey).toString('base64');
  try {
    const first = await startHarness({ dbPath, masterKey, clock });
    const reg = await first.signed('POST', '/v1/users/alice/credentials', {
      type: 'device',
      publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
    });
    assert.equal(reg.statusCode, 201);
    const used = JSON.parse(
      (await first.call('POST', '/v1/challenges', { appId: first.app.id, type: 'device', userId: 'alice' }))
        .body,
    );
    const login = await first.call('POST', '/v1/verify', {
      appId: first.app.id,
      type: 'device',
      challengeId: used.challengeId,
      userId: 'alice',
      signature: sign(used.challenge),
    });
    assert.equal(login.statusCode, 200);
    const pending = JSON.parse(
      (await first.call('POST', '/v1/challenges', { appId: first.app.id, type: 'device', userId: 'alice' }))
        .body,
    );
    const jwksBefore = JSON.parse((await first.call('GET', '/.well-known/jwks.json')).body);
    const appId = first.app.id;
    const secret = first.secret;
    await first.close();

    // Same file, same master key, a new process-like start (new store, new server, new caches).
    const second = await startHarness({ dbPath, masterKey, clock, existingApp: { id: appId, secret } });
    assert.equal(second.app.id, appId);
    const list = await second.signed('GET', '/v1/users/alice/credentials');
    assert.equal(list.statusCode, 200, list.body); // the sealed secret still opens
    assert.deepEqual(
      JSON.parse(list.body).credentials.map((c: { id: string }) => c.id),
      [JSON.parse(reg.body).id],
    );
    assert.deepEqual(JSON.parse((await second.call('GET', '/.well-known/jwks.json')).body), jwksBefore);
    const replay = await second.call('POST', '/v1/verify', {
      appId,
      type: 'device',
      challengeId: used.challengeId,
      userId: 'alice',
      signature: sign(used.challenge),
    });
    assert.equal(replay.statusCode, 401);
    assert.equal(JSON.parse(replay.body).error.code, 'challenge_unknown');
    const later = await second.call('POST', '/v1/verify', {
      appId,
      type: 'device',
      challengeId: pending.challengeId,
      userId: 'alice',
      signature: sign(pending.challenge),
    });
    assert.equal(later.statusCode, 200, later.body);
    // The token was signed by the key from before the restart.
    assert.equal(
      JSON.parse(Buffer.from(JSON.parse(later.body).token.split('.')[0], 'base64url').toString()).kid,
      jwksBefore.keys[0].kid,
    );
    const audit = JSON.parse((await second.signed('GET', '/v1/audit?userId=alice')).body);
    assert.equal(audit.records.length, 3);
    await second.close();
  } finally {
    dir.remove();
  }
});
