// examples/react-native: the screen and its Signet module type-check against react-native-biometrics'
// API (tsc on the example's own tsconfig), and the module enrols and logs in against a real
// listening Signet with a software stand-in for react-native-biometrics that encodes keys and
// signatures as the library does on Android (Base64.DEFAULT: SPKI and signature with line
// breaks) and iOS (SPKI, no line breaks).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { createApp } from '../../src/core/apps.js';
import {
  createSignetBiometrics,
  SignetBiometricsError,
  type BiometricsLike,
} from '../../examples/react-native/src/signetBiometrics.js';
import { createTestDeps, startLiveServer, type LiveServer } from '../support/liveServer.js';
import { listenOnFreePort } from '../support/network.js';

const REPO = new URL('../..', import.meta.url).pathname;

/** Base64 as Android's Base64.DEFAULT writes it. */
const wrapped = (b: Buffer): string => b.toString('base64').replace(/(.{76})/g, '$1\n') + '\n';

function softBiometrics(platform: 'android' | 'ios'): BiometricsLike & { cancel: boolean } {
  let pair: { publicKey: KeyObject; privateKey: KeyObject } | null = null;
  const self = {
    cancel: false,
    isSensorAvailable: async () => ({
      available: true,
      biometryType: platform === 'ios' ? 'FaceID' : 'Biometrics',
    }),
    createKeys: async () => {
      pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
      return { publicKey: platform === 'android' ? wrapped(spki) : spki.toString('base64') };
    },
    createSignature: async ({ payload }: { promptMessage: string; payload: string }) => {
      if (self.cancel) return { success: false, error: 'User cancellation' };
      if (!pair) return { success: false, error: 'Key not found' };
      const raw = createSign('sha256').update(payload, 'utf8').sign(pair.privateKey);
      return { success: true, signature: platform === 'android' ? wrapped(raw) : raw.toString('base64') };
    },
  };
  return self;
}

let signet: LiveServer;
let signetUrl: string;
let appId: string;
let server: SignetClient;
let backend: Server;
let enrolUrl: string;

before(async () => {
  const deps = createTestDeps();
  const created = await createApp(deps, { name: 'RN shop' });
  appId = created.app.id;
  signet = await startLiveServer({ deps });
  signetUrl = signet.url;
  server = createSignetClient({ baseUrl: signetUrl, appId, secret: created.secret });
  // The app backend: the bearer token names the signed-in user (a stand-in for a real session).
  backend = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      void (async () => {
        const userId = (req.headers.authorization ?? '').replace(/^Bearer session-/, '');
        const { publicKey, deviceId } = JSON.parse(body) as { publicKey: string; deviceId: string };
        const answer = await server.registerCredential(userId, { type: 'device', publicKey, deviceId });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      })();
    });
  });
  enrolUrl = `${await listenOnFreePort(backend)}/devices`;
});

after(async () => {
  await new Promise((resolve) => backend?.close(resolve));
  await signet?.close();
});

describe('examples/react-native', () => {
  test('type-checks (strict) against the react-native-biometrics API', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'examples/react-native/tsconfig.json'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  for (const platform of ['android', 'ios'] as const) {
    test(`${platform}: enrol through the backend, log in, and a second createKeys replaces the key`, async () => {
      const biometrics = softBiometrics(platform);
      const userId = `rn-${platform}`;
      const client = createSignetBiometrics({
        biometrics,
        signetUrl,
        appId,
        enrolUrl,
        backendHeaders: { authorization: `Bearer session-${userId}` },
        deviceId: `install-${platform}`,
      });
      assert.equal(await client.isAvailable(), true);
      const first = await client.enrol<{ id: string; userId: string }>();
      assert.equal(first.userId, userId);
      const login = await client.login(userId);
      assert.equal(login.userId, userId);
      assert.equal(login.credentialId, first.id);
      assert.equal(login.token.split('.').length, 3);

      const second = await client.enrol<{ id: string }>();
      const listed = (await server.listCredentials(userId)).body as { credentials: Array<{ id: string }> };
      assert.deepEqual(
        listed.credentials.map((c) => c.id),
        [second.id],
      );
      assert.equal((await client.login(userId)).credentialId, second.id);

      biometrics.cancel = true;
      await assert.rejects(
        client.login(userId),
        (e: unknown) => e instanceof SignetBiometricsError && e.code === 'biometrics_failed',
      );
      biometrics.cancel = false;
      await assert.rejects(
        client.login('someone-else'),
        (e: unknown) =>
          e instanceof SignetBiometricsError && e.code === 'verification_failed' && e.status === 401,
      );
    });
  }
});
