// signet-auth/miniapp against a simulated Tiki runtime (simulatedMy.ts, as the seeds describe) and a
// real listening Signet: enrolment through the app's own backend (which holds the secret and calls
// Signet's server API), login through my.request, on Android (SPKI base64 with line breaks) and iOS
// (PKCS#1) key encodings; createKey deleting earlier keys (and Signet replacing the old key of the
// slot); the phone-side failures; client-built challenges.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { createApp } from '../../src/core/apps.js';
import { createSignetMiniappClient, readSupported, SignetMiniappError } from '../../src/miniapp/index.js';
import { createTestDeps, startLiveServer, type LiveServer } from '../support/liveServer.js';
import { listenOnFreePort } from '../support/network.js';
import { createSimulatedMy, type Platform } from './simulatedMy.js';

const ISSUER = 'http://signet.test';
let signet: LiveServer;
let signetUrl: string;
let appId: string;
let clientChallengeAppId: string;
let server: SignetClient;
let backend: Server;
let backendUrl: string;
/** What the backend registered, by user. */
const registered: Array<{ userId: string; status: number }> = [];

before(async () => {
  const deps = createTestDeps({ issuer: ISSUER });
  const created = await createApp(deps, { name: 'Tiki shop' });
  appId = created.app.id;
  const withClientChallenges = await createApp(deps, {
    name: 'Tiki shop (client challenges)',
    settings: { clientChallenges: true },
  });
  clientChallengeAppId = withClientChallenges.app.id;
  signet = await startLiveServer({ deps });
  signetUrl = signet.url;
  server = createSignetClient({ baseUrl: signetUrl, appId, secret: created.secret });
  const clients: Record<string, SignetClient> = {
    [appId]: server,
    [clientChallengeAppId]: createSignetClient({
      baseUrl: signetUrl,
      appId: clientChallengeAppId,
      secret: withClientChallenges.secret,
    }),
  };

  // The app's backend: it knows who is signed in (here: the body says so) and holds the secret.
  backend = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      void (async () => {
        const input = JSON.parse(body) as {
          userId: string;
          publicKey: string;
          deviceId: string;
          app?: string;
        };
        const client = clients[input.app ?? appId]!;
        const answer = await client.registerCredential(input.userId, {
          type: 'device',
          publicKey: input.publicKey,
          deviceId: input.deviceId,
          label: 'Tiki mini-app',
        });
        registered.push({ userId: input.userId, status: answer.status });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      })();
    });
  });
  backendUrl = await listenOnFreePort(backend);
});

after(async () => {
  await new Promise((resolve) => backend?.close(resolve));
  await signet?.close();
});

async function verifyToken(token: string) {
  const jwks = createRemoteJWKSet(new URL(`${signetUrl}/.well-known/jwks.json`));
  return (await jwtVerify(token, jwks, { issuer: ISSUER, audience: appId })).payload;
}

async function rejects(work: Promise<unknown>, code: string): Promise<SignetMiniappError> {
  try {
    await work;
  } catch (e) {
    assert.ok(e instanceof SignetMiniappError, `a SignetMiniappError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

for (const platform of ['android', 'ios'] as Platform[]) {
  describe(`signet-auth/miniapp on ${platform}`, () => {
    const userId = `${platform}-user`;

    test('the key encoding is the platform one', async () => {
      const my = createSimulatedMy(platform);
      const signetMy = createSignetMiniappClient({ my, signetUrl, appId });
      const { publicKey } = await signetMy.createKey();
      if (platform === 'android') {
        assert.match(publicKey, /\n/, 'Base64.DEFAULT line breaks');
        assert.equal(Buffer.from(publicKey, 'base64')[0], 0x30);
        // An SPKI starts with the rsaEncryption AlgorithmIdentifier.
        assert.ok(Buffer.from(publicKey, 'base64').includes(Buffer.from('2a864886f70d010101', 'hex')));
      } else {
        assert.doesNotMatch(publicKey, /\s/);
        assert.ok(
          !Buffer.from(publicKey, 'base64').includes(Buffer.from('2a864886f70d010101', 'hex')),
          'PKCS#1, no OID',
        );
      }
    });

    test('enrol through the app backend, then log in: a token Signet signed for this user and key', async () => {
      const my = createSimulatedMy(platform);
      const signetMy = createSignetMiniappClient({
        my,
        signetUrl,
        appId,
        prompt: 'Đăng nhập bằng sinh trắc học',
      });
      assert.equal(await signetMy.isSupported(), true);
      const credential = await signetMy.enroll<{
        id: string;
        type: string;
        userId: string;
        deviceId: string;
      }>({
        backendUrl: `${backendUrl}/devices`,
        body: { userId },
      });
      assert.equal(credential.type, 'device');
      assert.equal(credential.userId, userId);
      assert.match(credential.deviceId, /^tiki-[0-9a-f]{24}$/);

      const login = await signetMy.login({ userId });
      assert.equal(login.verified, true);
      assert.equal(login.userId, userId);
      assert.equal(login.credentialId, credential.id);
      const claims = await verifyToken(login.token);
      assert.equal(claims.sub, userId);
      assert.equal(claims['cid'], credential.id);
      assert.deepEqual(claims['amr'], ['device']);
      assert.deepEqual(my.prompts, ['Đăng nhập bằng sinh trắc học']);
      // Only Signet's public API and the app's backend were called from the phone.
      assert.deepEqual(
        my.requests.map((r) => r.replace(signetUrl, 'SIGNET').replace(backendUrl, 'BACKEND')),
        ['POST BACKEND/devices', 'POST SIGNET/v1/challenges', 'POST SIGNET/v1/verify'],
      );

      // createKey again: the phone deletes the old key, the backend registers the new one for the
      // same slot, and Signet drops the old key: a signature by it no longer logs in.
      const again = await signetMy.enroll<{ id: string; deviceId: string }>({
        backendUrl: `${backendUrl}/devices`,
        body: { userId },
      });
      assert.equal(again.deviceId, credential.deviceId, 'the slot is kept in my storage');
      const listed = (await server.listCredentials(userId)).body as { credentials: Array<{ id: string }> };
      assert.deepEqual(
        listed.credentials.map((c) => c.id),
        [again.id],
      );
      assert.equal(my.history.length, 2);
      const challenge = await fetch(`${signetUrl}/v1/challenges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appId, type: 'device', userId }),
      }).then((r) => r.json() as Promise<{ challengeId: string; challenge: string }>);
      const oldSignature = createSign('sha256').update(challenge.challenge).sign(my.history[0]!.privateKey);
      const withOld = await fetch(`${signetUrl}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          appId,
          type: 'device',
          challengeId: challenge.challengeId,
          userId,
          signature: oldSignature.toString('base64'),
        }),
      });
      assert.equal(withOld.status, 401);
      assert.equal(((await withOld.json()) as { error: { code: string } }).error.code, 'verification_failed');
      const fresh = await signetMy.login({ userId });
      assert.equal(fresh.credentialId, again.id);
    });
  });
}

describe('signet-auth/miniapp failures', () => {
  test('a phone without biometrics: isSupported is false and nothing is requested', async () => {
    const my = createSimulatedMy('android');
    my.supported = false;
    const signetMy = createSignetMiniappClient({ my, signetUrl, appId });
    assert.equal(await signetMy.isSupported(), false);
    await rejects(signetMy.login({ userId: 'anyone' }), 'biometrics_unsupported');
    await rejects(
      signetMy.enroll({ backendUrl: `${backendUrl}/devices`, body: { userId: 'x' } }),
      'biometrics_unsupported',
    );
    assert.deepEqual(my.requests, []);
  });

  test('no key on the phone, or a cancelled prompt: biometrics_failed with the runtime detail', async () => {
    const my = createSimulatedMy('ios');
    const signetMy = createSignetMiniappClient({ my, signetUrl, appId });
    const noKey = await rejects(signetMy.login({ userId: 'ios-user' }), 'biometrics_failed');
    assert.match(noKey.message, /key not found/);
    await signetMy.enroll({ backendUrl: `${backendUrl}/devices`, body: { userId: 'carol' } });
    my.cancelNextPrompt = true;
    const cancelled = await rejects(signetMy.login({ userId: 'carol' }), 'biometrics_failed');
    assert.match(cancelled.message, /cancelled/);
    // The challenge that prompt was for is never sent; the next login works.
    assert.equal((await signetMy.login({ userId: 'carol' })).userId, 'carol');
  });

  test("another user's name with this phone's key: Signet's verification_failed, status 401", async () => {
    const my = createSimulatedMy('android');
    const signetMy = createSignetMiniappClient({ my, signetUrl, appId });
    await signetMy.enroll({ backendUrl: `${backendUrl}/devices`, body: { userId: 'dave' } });
    const e = await rejects(signetMy.login({ userId: 'erin' }), 'verification_failed');
    assert.equal(e.status, 401);
  });

  test('an unknown app or an unreachable Signet: the stable code, or network_error', async () => {
    const my = createSimulatedMy('android');
    await createSignetMiniappClient({ my, signetUrl, appId }).enroll({
      backendUrl: `${backendUrl}/devices`,
      body: { userId: 'frank' },
    });
    const unknownApp = createSignetMiniappClient({ my, signetUrl, appId: 'no-such-app' });
    const e = await rejects(unknownApp.login({ userId: 'frank' }), 'not_found');
    assert.equal(e.status, 404);
    const down = createSignetMiniappClient({ my, signetUrl: 'http://127.0.0.1:9', appId });
    await rejects(down.login({ userId: 'frank' }), 'network_error');
    assert.throws(() => createSignetMiniappClient({ my, signetUrl: 'not a url', appId }), TypeError);
    assert.throws(() => createSignetMiniappClient({ my: {} as never, signetUrl, appId }), TypeError);
  });

  test('isSupported answers of other runtimes are read', () => {
    assert.equal(readSupported(true), true);
    assert.equal(readSupported({ supported: true }), true);
    assert.equal(readSupported({ success: false }), false);
    assert.equal(readSupported({ isSupported: 'yes' }), false);
    assert.equal(readSupported(null), false);
  });
});

describe('signet-auth/miniapp with client-built challenges', () => {
  test('the phone builds `${Date.now()}-...`, Signet accepts it once per user', async () => {
    const my = createSimulatedMy('ios');
    const signetMy = createSignetMiniappClient({ my, signetUrl, appId: clientChallengeAppId });
    await signetMy.enroll({
      backendUrl: `${backendUrl}/devices`,
      body: { userId: 'gina', app: clientChallengeAppId },
    });
    const login = await signetMy.login({ userId: 'gina', clientChallenge: true });
    assert.equal(login.userId, 'gina');
    assert.ok(!my.requests.some((r) => r.endsWith('/v1/challenges')), 'no challenge was requested');
    // The app that does not allow them refuses a client-built challenge.
    const strict = createSignetMiniappClient({ my, signetUrl, appId });
    await rejects(strict.login({ userId: 'gina', clientChallenge: true }), 'invalid_request');
  });
});

describe('signet-auth/miniapp has no dependencies', () => {
  test('its modules import only each other (no Node module, no package): it runs in the mini-app', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../src/miniapp/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 3);
    for (const file of files) {
      // Code only: the TSDoc examples show `import ... from 'signet-auth/miniapp'`.
      const source = readFileSync(new URL(file, dir), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      const specifiers = [...source.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/g)].map(
        (m) => m[1] ?? m[2],
      );
      assert.ok(
        specifiers.every((s) => s!.startsWith('./')),
        `${file} imports ${specifiers.join(', ')}`,
      );
      assert.doesNotMatch(source, /\bprocess\.|\brequire\(|\bBuffer\b/, file);
    }
  });
});
