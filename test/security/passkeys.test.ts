// Enterprise passkeys over HTTP on a real listening Signet server (docs/passkeys.md): attestation
// chains anchored to a root the app configures, AAGUID lists, a FIDO MDS3 BLOB that revokes a
// model, and WebAuthn Related Origin Requests. Every certificate, attestation and BLOB is made in
// the test (test/webauthn/attestationFixtures.ts); nothing is mocked on Signet's side.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createApp, updateApp } from '../../src/core/apps.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import type { AppSettings } from '../../src/store/types.js';
import {
  captureIo,
  createTestClock,
  listen,
  startHarness,
  tempDir,
  type Harness,
} from '../support/harness.js';
import { openStore } from '../../src/store/openStore.js';
import {
  deleteRedisPrefix,
  dropSchema,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from '../cluster/services.js';
import { runCli } from '../../src/cli/runCli.js';
import { FLAG, assert as passkeyAssert, makeCredential } from '../webauthn/softAuthenticator.js';
import {
  makeAttestationHierarchy,
  makeCert,
  makeMetadataBlob,
  packedRegistration,
  type TestCert,
} from '../webauthn/attestationFixtures.js';

const RP_ID = 'example.org';
const ORIGIN = 'https://example.org';
const RELATED = 'https://shop.example';
const AAGUID = '2fc0579f-8113-47ea-b116-bb5a8db9202a';
const OTHER_AAGUID = 'ee882879-721c-4913-9775-3dfcce97072a';

let h: Harness;
let dir: { dir: string; remove(): void };
let baseUrl: string;
let client: SignetClient;
let hierarchy: { root: TestCert; intermediate: TestCert; leaf: TestCert };
let mdsRoot: TestCert;
let mdsSigner: TestCert;
let idByte = 0x10;

async function publicCall(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(baseUrl + path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A GET with an explicit Host header (fetch does not let one set it). */
function getWithHost(path: string, host: string): Promise<{ status: number; type: string; body: any }> {
  const url = new URL(baseUrl + path);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, headers: { host } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body: JSON.parse(text),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function setSettings(settings: Partial<AppSettings>) {
  await updateApp(h.deps, h.app.id, { settings });
}

async function auditReasons(userId: string): Promise<Array<string | null>> {
  const { status, body } = await client.audit({ userId, limit: 100 });
  assert.equal(status, 200);
  return (body as { records: Array<{ reason: string | null }> }).records.map((r) => r.reason);
}

type Attest = { kind: 'chain'; x5c: Uint8Array[]; key: TestCert } | { kind: 'self' } | { kind: 'none' };

/** Runs options -> packed registration -> verify over HTTP; returns the verify answer. */
async function registerWith(userId: string, attest: Attest, o: { aaguid?: string; origin?: string } = {}) {
  const options = await client.webauthnRegistrationOptions({ userId, userName: `${userId}@example.org` });
  assert.equal(options.status, 200, JSON.stringify(options.body));
  const { challengeId, options: creation } = options.body as { challengeId: string; options: any };
  const cred = makeCredential('ES256', idByte++);
  const response = packedRegistration(cred, {
    challenge: creation.challenge,
    origin: o.origin ?? ORIGIN,
    rpId: RP_ID,
    aaguid: o.aaguid ?? AAGUID,
    ...(attest.kind === 'chain' ? { x5c: attest.x5c, attestationKey: attest.key.privateKey } : {}),
    ...(attest.kind === 'none' ? { none: true } : {}),
  });
  const done = await client.webauthnRegistrationVerify({ challengeId, response });
  return { creation, done: done as { status: number; body: any }, cred };
}

const chain = (): Attest => ({
  kind: 'chain',
  x5c: [hierarchy.leaf.der, hierarchy.intermediate.der],
  key: hierarchy.leaf,
});

const schema = uniqueName();
const prefix = `${uniqueName()}:`;
after(async () => {
  await dropSchema(schema);
  await deleteRedisPrefix(prefix);
});

suite('sqlite');
suite('postgres+redis');

/** The whole walk, on an SQLite file and on Postgres + Redis (a unique schema and key prefix). */
function suite(kind: 'sqlite' | 'postgres+redis') {
  describe(kind, () => {
    before(async () => {
      dir = tempDir();
      hierarchy = await makeAttestationHierarchy('Acme');
      mdsRoot = await makeCert({ subject: 'CN=Test FIDO MDS Root', ca: true });
      mdsSigner = await makeCert({ subject: 'CN=mds.test', issuer: mdsRoot, ca: false });
      const clock = createTestClock();
      const store =
        kind === 'sqlite'
          ? undefined
          : await openStore({
              databaseUrl: `${TEST_DATABASE_URL}?schema=${schema}`,
              redisUrl: `${TEST_REDIS_URL}?prefix=${encodeURIComponent(prefix)}`,
              clock,
            });
      h = await startHarness({
        clock,
        ...(store ? { store } : { dbPath: join(dir.dir, 'signet.db') }),
        app: { origins: [ORIGIN, RELATED], rpId: RP_ID },
        // The BLOB is read from files made below; its signing chain must reach the test's MDS root.
        metadata: { metadataFetch: (source) => readFile(source, 'utf8'), metadataRoots: [mdsRoot.pem] },
      });
      assert.equal(h.store.kind, kind);
      baseUrl = await listen(h);
      client = createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret, now: h.clock });
    });

    after(async () => {
      await h.close();
      dir.remove();
    });

    describe('attestation trust', () => {
      test('direct: a packed attestation whose chain anchors to the configured root registers', async () => {
        await setSettings({ attestation: 'direct', attestationRoots: [hierarchy.root.pem] });
        const { creation, done } = await registerWith('acme-alice', chain());
        assert.equal(creation.attestation, 'direct', 'the options ask for direct attestation');
        assert.equal(done.status, 201, JSON.stringify(done.body));
        assert.equal(done.body.type, 'webauthn');
        assert.deepEqual(await auditReasons('acme-alice'), [null]);
      });

      test('direct: the same chain is refused when its root is not configured (attestation_untrusted)', async () => {
        const other = await makeAttestationHierarchy('Other');
        await setSettings({ attestation: 'direct', attestationRoots: [other.root.pem] });
        const { done } = await registerWith('acme-bob', chain());
        assert.equal(done.status, 401);
        assert.equal(done.body.error.code, 'verification_failed');
        assert.equal(done.body.error.reason, 'attestation_untrusted');
        assert.deepEqual(await auditReasons('acme-bob'), ['attestation_untrusted']);
        const listed = await client.listCredentials('acme-bob');
        assert.deepEqual((listed.body as { credentials: unknown[] }).credentials, [], 'nothing stored');
      });

      test('direct: a leaf alone (intermediate missing) or an attacker-made chain with the same names is refused', async () => {
        await setSettings({ attestation: 'direct', attestationRoots: [hierarchy.root.pem] });
        const alone = await registerWith('acme-carol', {
          kind: 'chain',
          x5c: [hierarchy.leaf.der],
          key: hierarchy.leaf,
        });
        assert.equal(alone.done.body.error?.reason, 'attestation_untrusted');
        const twin = await makeAttestationHierarchy('Acme'); // same subject names, other keys
        const forged = await registerWith('acme-carol', {
          kind: 'chain',
          x5c: [twin.leaf.der, twin.intermediate.der],
          key: twin.leaf,
        });
        assert.equal(forged.done.status, 401);
        assert.equal(forged.done.body.error.reason, 'attestation_untrusted');
      });

      test('direct and enterprise refuse none and self attestation (attestation_required)', async () => {
        for (const attestation of ['direct', 'enterprise'] as const) {
          await setSettings({ attestation, attestationRoots: [hierarchy.root.pem] });
          const none = await registerWith(`acme-${attestation}-none`, { kind: 'none' });
          assert.equal(none.creation.attestation, attestation);
          assert.equal(none.done.status, 401);
          assert.equal(none.done.body.error.reason, 'attestation_required');
          const self = await registerWith(`acme-${attestation}-self`, { kind: 'self' });
          assert.equal(self.done.body.error.reason, 'attestation_required');
          assert.deepEqual(await auditReasons(`acme-${attestation}-self`), ['attestation_required']);
        }
      });

      test('none (the default) still accepts none and self attestation', async () => {
        await setSettings({ attestation: 'none', attestationRoots: [] });
        const none = await registerWith('plain-none', { kind: 'none' });
        assert.equal(none.creation.attestation, 'none');
        assert.equal(none.done.status, 201, JSON.stringify(none.done.body));
        const self = await registerWith('plain-self', { kind: 'self' });
        assert.equal(self.done.status, 201, JSON.stringify(self.done.body));
      });

      test('settings that cannot work are refused when set: direct without anchors, a leaf as a root', async () => {
        await assert.rejects(
          updateApp(h.deps, h.app.id, { settings: { attestation: 'direct', attestationRoots: [] } }),
          {
            code: 'invalid_request',
          },
        );
        await assert.rejects(
          updateApp(h.deps, h.app.id, {
            settings: { attestation: 'direct', attestationRoots: [hierarchy.leaf.pem] },
          }),
          { code: 'invalid_request' },
        );
        await assert.rejects(updateApp(h.deps, h.app.id, { settings: { attestation: 'always' as never } }), {
          code: 'invalid_request',
        });
        await assert.rejects(updateApp(h.deps, h.app.id, { settings: { aaguidDeny: ['not-a-uuid'] } }), {
          code: 'invalid_request',
        });
      });
    });

    describe('AAGUID lists', () => {
      test('deny-list refuses the model (aaguid_refused); other models still register', async () => {
        await setSettings({
          attestation: 'direct',
          attestationRoots: [hierarchy.root.pem],
          aaguidDeny: [AAGUID],
        });
        const denied = await registerWith('deny-alice', chain());
        assert.equal(denied.done.status, 401);
        assert.equal(denied.done.body.error.reason, 'aaguid_refused');
        assert.deepEqual(await auditReasons('deny-alice'), ['aaguid_refused']);
        const other = await registerWith('deny-bob', chain(), { aaguid: OTHER_AAGUID });
        assert.equal(other.done.status, 201, JSON.stringify(other.done.body));
        await setSettings({ aaguidDeny: [] });
      });

      test('allow-list admits only the listed models', async () => {
        await setSettings({ attestation: 'none', attestationRoots: [], aaguidAllow: [OTHER_AAGUID] });
        const refused = await registerWith('allow-alice', { kind: 'none' });
        assert.equal(refused.done.body.error?.reason, 'aaguid_refused');
        const admitted = await registerWith('allow-bob', { kind: 'none' }, { aaguid: OTHER_AAGUID });
        assert.equal(admitted.done.status, 201, JSON.stringify(admitted.done.body));
        await setSettings({ aaguidAllow: [] });
      });
    });

    describe('FIDO Metadata Service', () => {
      function writeBlob(name: string, jwt: string): string {
        const file = join(dir.dir, name);
        writeFileSync(file, jwt);
        return file;
      }

      test('a BLOB marking the AAGUID REVOKED refuses registration (authenticator_revoked)', async () => {
        const file = writeBlob(
          'revoked.jwt',
          await makeMetadataBlob({ signer: mdsSigner, entries: [{ aaguid: AAGUID, status: 'REVOKED' }] }),
        );
        await setSettings({ attestation: 'direct', attestationRoots: [hierarchy.root.pem], fidoMds: file });
        const revoked = await registerWith('mds-alice', chain());
        assert.equal(revoked.done.status, 401);
        assert.equal(revoked.done.body.error.reason, 'authenticator_revoked');
        assert.deepEqual(await auditReasons('mds-alice'), ['authenticator_revoked']);
        // A model the BLOB does not mark is still accepted.
        const other = await registerWith('mds-bob', chain(), { aaguid: OTHER_AAGUID });
        assert.equal(other.done.status, 201, JSON.stringify(other.done.body));
      });

      test("the metadata statement's attestationRootCertificates anchor that AAGUID's chain", async () => {
        const file = writeBlob(
          'roots.jwt',
          await makeMetadataBlob({
            signer: mdsSigner,
            entries: [{ aaguid: AAGUID, status: 'FIDO_CERTIFIED_L1', roots: [hierarchy.root] }],
          }),
        );
        // No app root: only the BLOB vouches for the Acme root, and only for AAGUID.
        const other = await makeAttestationHierarchy('Other');
        await setSettings({ attestation: 'direct', attestationRoots: [other.root.pem], fidoMds: file });
        const anchored = await registerWith('mds-carol', chain());
        assert.equal(anchored.done.status, 201, JSON.stringify(anchored.done.body));
        const otherModel = await registerWith('mds-dave', chain(), { aaguid: OTHER_AAGUID });
        assert.equal(otherModel.done.body.error?.reason, 'attestation_untrusted');
      });

      test('a BLOB not signed under the configured MDS root is never used: registration answers 503', async () => {
        const rogueRoot = await makeCert({ subject: 'CN=Test FIDO MDS Root', ca: true });
        const rogueSigner = await makeCert({ subject: 'CN=mds.test', issuer: rogueRoot, ca: false });
        const file = writeBlob(
          'rogue.jwt',
          await makeMetadataBlob({
            signer: rogueSigner,
            entries: [{ aaguid: AAGUID, status: 'FIDO_CERTIFIED_L1', roots: [hierarchy.root] }],
          }),
        );
        const other = await makeAttestationHierarchy('Other');
        await setSettings({ attestation: 'direct', attestationRoots: [other.root.pem], fidoMds: file });
        const { done } = await registerWith('mds-erin', chain());
        assert.equal(done.status, 503);
        assert.equal(done.body.error.code, 'store_unavailable');
        await setSettings({ fidoMds: null, attestation: 'none', attestationRoots: [] });
      });

      test(
        'signet app set --fido-mds refuses a BLOB that does not verify, and accepts one that does',
        { skip: kind !== 'sqlite' && 'the CLI runs on its own SQLite file: once is enough' },
        async () => {
          const good = writeBlob('cli.jwt', await makeMetadataBlob({ signer: mdsSigner, entries: [] }));
          const cliDir = tempDir();
          try {
            const db = `sqlite:${join(cliDir.dir, 'cli.db')}`;
            const env = { SIGNET_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
            const io = captureIo(env);
            assert.equal(
              await runCli(['app', 'create', '--name', 'ent', '--origin', ORIGIN, '--json', '--db', db], io),
              0,
              io.stderr(),
            );
            const appId = JSON.parse(io.stdout()).appId as string;
            const rootFile = join(cliDir.dir, 'root.pem');
            writeFileSync(rootFile, hierarchy.root.pem);
            // The CLI checks BLOBs against the real FIDO root: a test BLOB is refused, nothing changes.
            const refused = captureIo(env);
            const code = await runCli(
              [
                'app',
                'set',
                appId,
                '--db',
                db,
                '--attestation',
                'direct',
                '--attestation-root',
                rootFile,
                '--fido-mds',
                good,
              ],
              refused,
            );
            assert.notEqual(code, 0);
            assert.match(refused.stderr(), /does not verify/);
            const set = captureIo(env);
            assert.equal(
              await runCli(
                [
                  'app',
                  'set',
                  appId,
                  '--db',
                  db,
                  '--json',
                  '--attestation',
                  'direct',
                  '--attestation-root',
                  rootFile,
                  '--aaguid-deny',
                  AAGUID.toUpperCase(),
                ],
                set,
              ),
              0,
              set.stderr(),
            );
            const settings = JSON.parse(set.stdout()).settings as AppSettings;
            assert.equal(settings.attestation, 'direct');
            assert.deepEqual(settings.attestationRoots, [hierarchy.root.pem]);
            assert.deepEqual(settings.aaguidDeny, [AAGUID]);
          } finally {
            cliDir.remove();
          }
        },
      );
    });

    describe('WebAuthn Related Origin Requests', () => {
      test('GET /.well-known/webauthn on the rpId host lists the app origins; another host gets 404', async () => {
        const served = await getWithHost('/.well-known/webauthn', RP_ID);
        assert.equal(served.status, 200);
        assert.match(served.type, /^application\/json/);
        assert.deepEqual(served.body, { origins: [ORIGIN, RELATED] });
        const withPort = await getWithHost('/.well-known/webauthn', `${RP_ID.toUpperCase()}:8443`);
        assert.deepEqual(withPort.body, { origins: [ORIGIN, RELATED] });
        const unknown = await getWithHost('/.well-known/webauthn', 'attacker.example');
        assert.equal(unknown.status, 404);
        assert.equal(unknown.body.error.code, 'not_found');
      });

      test('a passkey registers and logs in from the related origin; an unlisted origin is refused', async () => {
        await setSettings({ attestation: 'none', attestationRoots: [], aaguidAllow: [], aaguidDeny: [] });
        const { done, cred } = await registerWith('related-alice', { kind: 'self' }, { origin: RELATED });
        assert.equal(done.status, 201, JSON.stringify(done.body));
        const login = async (origin: string, counter: number) => {
          const ch = await publicCall('POST', '/v1/challenges', {
            appId: h.app.id,
            type: 'webauthn',
            userId: 'related-alice',
          });
          assert.equal(ch.status, 200);
          const response = passkeyAssert(cred, {
            challenge: Buffer.from(ch.body.challenge, 'base64url'),
            origin,
            rpId: RP_ID,
            counter,
            flags: FLAG.UP | FLAG.UV,
          });
          return publicCall('POST', '/v1/verify', {
            appId: h.app.id,
            type: 'webauthn',
            challengeId: ch.body.challengeId,
            response,
          });
        };
        const ok = await login(RELATED, 1);
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.userId, 'related-alice');
        const refused = await login('https://evil.example', 2);
        assert.equal(refused.status, 401);
        assert.equal(refused.body.error.code, 'verification_failed');
        assert.equal((await auditReasons('related-alice'))[0], 'origin_mismatch');
        const unlisted = await registerWith(
          'related-bob',
          { kind: 'self' },
          { origin: 'https://evil.example' },
        );
        assert.equal(unlisted.done.body.error?.reason, 'origin_mismatch');
      });

      test('an app added later is served after the short cache', async () => {
        await createApp(h.deps, {
          name: 'second',
          origins: ['https://second.example'],
          rpId: 'second.example',
        });
        h.clock.advance(11_000);
        const served = await getWithHost('/.well-known/webauthn', 'second.example');
        assert.equal(served.status, 200);
        assert.deepEqual(served.body, { origins: ['https://second.example'] });
      });
    });
  });
}
