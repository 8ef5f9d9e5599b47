// Signed webhooks end to end (docs/protocols.md "Signed webhooks"): the operator turns them on
// with `signet app set --webhook-url`, a real listening Signet on a SQLite file emits events from
// real logins, registrations and revocations over HTTP, the delivery worker `signet serve` runs
// (`startWebhookDelivery`) POSTs them to a real local receiver, and the receiver verifies every
// one with the `standardwebhooks` library; then rotation, dead letters and "redeliver" through the
// console API, and webhooks turned off.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { PrivateKey } from '@wharfkit/antelope';
import type { SignetClient } from '../../src/client/createSignetClient.js';
import { startWebhookDelivery } from '../../src/cli/webhookDelivery.js';
import { deriveMasterKey, generateMasterKey } from '../../src/core/sealer.js';
import {
  createTestClock,
  listenWithClient,
  startHarness,
  tempDir,
  type Harness,
} from '../support/harness.js';
import { attemptDeviceLogin, enrolDeviceKey, type DeviceKey } from '../support/deviceKeys.js';
import { runCliCaptured } from '../support/cli.js';
import { registerEosKey, signEosText } from '../support/eosKeys.js';
import { fetchJson } from '../support/http.js';
import { eventually } from '../cluster/services.js';
import { startReceiver, type ReceivedEvent, type Receiver } from './receiver.js';
import { FLAG, assert as passkeyAssert, makeCredential, register } from '../webauthn/softAuthenticator.js';

const ADMIN_TOKEN = 'webhook-wiring-admin-token-0123456789abcdef';
const masterKey = generateMasterKey();
const dir = tempDir();
const dbPath = join(dir.dir, 'signet.db');
const env = { SIGNET_MASTER_KEY: masterKey };

let receiver: Receiver;
let h: Harness;
let baseUrl: string;
let client: SignetClient;
let appId: string;
let webhookSecret: string;
let stopDelivery: () => Promise<void>;
const clock = createTestClock();

const cli = (args: string[]) => runCliCaptured([...args, '--db', `sqlite:${dbPath}`], env);

const publicCall = (path: string, body: unknown) => fetchJson(baseUrl + path, { body });

const admin = (method: string, path: string) =>
  fetchJson(`${baseUrl}/console/api${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

/** Waits for the next event of `type` after `seen` events of that type, and returns it. */
async function nextEvent(type: string, seen: number): Promise<ReceivedEvent> {
  await eventually(async () => receiver.ofType(type).length > seen, 15_000, `a ${type} webhook`);
  return receiver.ofType(type)[seen]!;
}

function assertSigned(event: ReceivedEvent, secret = webhookSecret): void {
  assert.ok(receiver.verifies(event, secret), `standardwebhooks verifies ${event.body.type}`);
  assert.match(event.id, /^msg_/);
  assert.equal(event.body.data['appId'], appId);
  assert.ok(!Number.isNaN(Date.parse(event.body.timestamp)));
  assert.deepEqual(Object.keys(event.body).sort(), ['data', 'timestamp', 'type']);
}

const enrol = (userId: string): Promise<DeviceKey> => enrolDeviceKey(client, userId);

/** A device login's `/v1/verify` answer, whatever it is. */
const login = (userId: string, privateKey: KeyObject) =>
  attemptDeviceLogin(baseUrl, appId, { userId, privateKey });

function outboxRows(): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM webhook_outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

before(async () => {
  receiver = await startReceiver();
  const created = await cli([
    'app',
    'create',
    '--name',
    'hooks',
    '--origin',
    'https://app.example',
    '--json',
  ]);
  assert.equal(created.code, 0, created.stderr);
  ({ appId } = JSON.parse(created.stdout) as { appId: string });
  const appSecret = (JSON.parse(created.stdout) as { secret: string }).secret;
  const set = await cli(['app', 'set', appId, '--webhook-url', receiver.url, '--json']);
  assert.equal(set.code, 0, set.stderr);
  const shown = JSON.parse(set.stdout) as Record<string, any>;
  webhookSecret = shown['webhookSecret'];
  assert.match(webhookSecret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(shown['settings']['webhookUrl'], receiver.url);
  assert.equal(shown['activeWebhookSecrets'], 1);
  assert.equal(shown['settings']['webhookSecrets'], undefined, 'no sealed secret in the output');
  h = await startHarness({
    dbPath,
    clock,
    masterKey: deriveMasterKey(masterKey),
    existingApp: { id: appId, secret: appSecret },
    server: { adminToken: ADMIN_TOKEN },
  });
  ({ baseUrl, client } = await listenWithClient(h));
  // The delivery worker as `signet serve` starts it, polling fast for the test.
  stopDelivery = startWebhookDelivery(
    h.deps,
    { concurrency: 20, timeoutMs: 2000, deadAfterMs: 60_000 },
    { pollIntervalMs: 20, retry: { baseMs: 5000, jitter: 0 } },
  );
});

after(async () => {
  await stopDelivery();
  await h.close();
  await receiver.close();
  dir.remove();
});

describe('signet app set --webhook-url', () => {
  test('the secret is sealed at rest: neither the database nor app list shows it', async () => {
    const file = readFileSync(dbPath);
    assert.equal(file.includes(Buffer.from(webhookSecret)), false);
    assert.equal(file.includes(Buffer.from(webhookSecret.slice(6))), false);
    const list = await cli(['app', 'list', '--json']);
    assert.equal(list.stdout.includes(webhookSecret.slice(6)), false);
    const apps = await admin('GET', '/apps');
    assert.equal(apps.status, 200);
    assert.equal(JSON.stringify(apps.body).includes('sealed'), false);
  });

  test('a URL that is not http(s), or carries a password, is refused with the app unchanged', async () => {
    for (const bad of [
      'ftp://hooks.example/x',
      'https://user:pw@hooks.example/x',
      'not a url',
      'javascript:alert(1)',
    ]) {
      const r = await cli(['app', 'set', appId, '--webhook-url', bad, '--name', 'renamed']);
      assert.notEqual(r.code, 0, bad);
      assert.equal(r.stderr.includes('unexpected error'), false, r.stderr);
    }
    const app = await h.store.apps.get(appId);
    assert.equal(app?.name, 'hooks');
    assert.equal(app?.settings.webhookUrl, receiver.url);
  });

  test('setting the URL again keeps the secret (printed only when new)', async () => {
    const r = await cli(['app', 'set', appId, '--webhook-url', receiver.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout)['webhookSecret'], undefined);
  });
});

describe('events over HTTP, verified with standardwebhooks', () => {
  let alice: DeviceKey;

  test('credential.created on registration', async () => {
    const seen = receiver.ofType('credential.created').length;
    alice = await enrol('alice');
    const e = await nextEvent('credential.created', seen);
    assertSigned(e);
    assert.deepEqual(e.body.data, {
      appId,
      userId: 'alice',
      credentialId: alice.credentialId,
      type: 'device',
      deviceId: null,
      account: null,
    });
  });

  test('login.succeeded on a login; the body carries no token', async () => {
    const seen = receiver.ofType('login.succeeded').length;
    const ok = await login('alice', alice.privateKey);
    assert.equal(ok.status, 200);
    const e = await nextEvent('login.succeeded', seen);
    assertSigned(e);
    assert.equal(e.body.data['userId'], 'alice');
    assert.equal(e.body.data['credentialId'], alice.credentialId);
    assert.equal(e.body.data['scheme'], 'device');
    assert.equal(e.body.data['ip'], '127.0.0.1');
    assert.equal(e.raw.includes(ok.body.token), false);
    assert.equal(e.raw.includes(ok.body.refreshToken), false);
  });

  test('login.failed with its reason on a wrong signature', async () => {
    const seen = receiver.ofType('login.failed').length;
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bad = await login('alice', other.privateKey);
    assert.equal(bad.status, 401);
    const e = await nextEvent('login.failed', seen);
    assertSigned(e);
    assert.equal(e.body.data['userId'], 'alice');
    assert.equal(e.body.data['reason'], 'signature_invalid');
    assert.equal(e.body.data['scheme'], 'device');
  });

  test('a failure naming no user is not sent (anyone can cause it): no outbox row', async () => {
    const before = outboxRows();
    const r = await publicCall('/v1/verify', {
      appId,
      type: 'eth',
      challengeId: 'ch_doesnotexist',
      address: '0x' + '11'.repeat(20),
      signature: '0x' + '22'.repeat(65),
    });
    assert.equal(r.status, 401);
    assert.equal(outboxRows(), before);
  });

  test('token.revoked on the revoke API and on logout', async () => {
    const seen = receiver.ofType('token.revoked').length;
    const ok = await login('alice', alice.privateKey);
    assert.equal(ok.status, 200);
    const r = await client.revokeTokens({ userId: 'alice' });
    assert.equal(r.status, 200);
    const e = await nextEvent('token.revoked', seen);
    assertSigned(e);
    assert.equal(e.body.data['userId'], 'alice');
    assert.equal(e.body.data['reason'], 'revoked');
    assert.ok((e.body.data['revoked'] as number) >= 1);
    const again = await login('alice', alice.privateKey);
    assert.equal(
      (await publicCall('/v1/logout', { appId, refreshToken: again.body.refreshToken })).status,
      204,
    );
    const out = await nextEvent('token.revoked', seen + 1);
    assertSigned(out);
    assert.equal(out.body.data['reason'], 'logout');
    assert.equal(out.body.data['revoked'], 1);
    assert.equal(typeof out.body.data['sessionId'], 'string');
    assert.equal(out.raw.includes(again.body.refreshToken), false);
    // A refresh token used twice: the session is revoked as `refresh_reuse`.
    const third = await login('alice', alice.privateKey);
    const first = await publicCall('/v1/tokens/refresh', { appId, refreshToken: third.body.refreshToken });
    assert.equal(first.status, 200);
    // Its successor used too, so that the replay is reuse even inside the retry grace.
    const next = await publicCall('/v1/tokens/refresh', { appId, refreshToken: first.body.refreshToken });
    assert.equal(next.status, 200);
    const reuse = await publicCall('/v1/tokens/refresh', { appId, refreshToken: third.body.refreshToken });
    assert.equal(reuse.status, 401);
    const stolen = await nextEvent('token.revoked', seen + 2);
    assertSigned(stolen);
    assert.equal(stolen.body.data['reason'], 'refresh_reuse');
    assert.equal(stolen.body.data['userId'], 'alice');
  });

  test('credential.deleted on revocation of the credential', async () => {
    const seen = receiver.ofType('credential.deleted').length;
    const r = await client.revokeCredential('alice', alice.credentialId);
    assert.equal(r.status, 204);
    const e = await nextEvent('credential.deleted', seen);
    assertSigned(e);
    assert.equal(e.body.data['credentialId'], alice.credentialId);
    assert.equal(e.body.data['reason'], 'revoked');
  });

  test('passkeys: credential.created on WebAuthn registration, login.succeeded and login.failed (scheme webauthn)', async () => {
    const created = receiver.ofType('credential.created').length;
    const options = await client.webauthnRegistrationOptions({ userId: 'pat', userName: 'pat@example.com' });
    assert.equal(options.status, 200);
    const { challengeId, options: o } = options.body as { challengeId: string; options: any };
    const cred = makeCredential('ES256', 0x51);
    const response = register(cred, {
      challenge: Buffer.from(o.challenge, 'base64url'),
      origin: 'https://app.example',
      rpId: 'app.example',
    });
    const done = await client.webauthnRegistrationVerify({ challengeId, response });
    assert.equal(done.status, 201, JSON.stringify(done.body));
    const e = await nextEvent('credential.created', created);
    assertSigned(e);
    assert.equal(e.body.data['type'], 'webauthn');
    assert.equal(e.body.data['userId'], 'pat');
    assert.equal(e.body.data['credentialId'], cred.idB64);

    const passkeyLogin = async (origin: string, counter: number) => {
      const ch = await publicCall('/v1/challenges', { appId, type: 'webauthn', userId: 'pat' });
      assert.equal(ch.status, 200);
      const assertion = passkeyAssert(cred, {
        challenge: Buffer.from(ch.body.challenge, 'base64url'),
        origin,
        rpId: 'app.example',
        counter,
        flags: FLAG.UP | FLAG.UV,
      });
      return publicCall('/v1/verify', {
        appId,
        type: 'webauthn',
        challengeId: ch.body.challengeId,
        response: assertion,
      });
    };
    const ok = receiver.ofType('login.succeeded').length;
    assert.equal((await passkeyLogin('https://app.example', 1)).status, 200);
    const s = await nextEvent('login.succeeded', ok);
    assertSigned(s);
    assert.equal(s.body.data['scheme'], 'webauthn');
    assert.equal(s.body.data['credentialId'], cred.idB64);

    const failed = receiver.ofType('login.failed').length;
    assert.equal((await passkeyLogin('https://evil.example', 2)).status, 401);
    const f = await nextEvent('login.failed', failed);
    assertSigned(f);
    assert.equal(f.body.data['scheme'], 'webauthn');
    assert.equal(f.body.data['userId'], 'pat');
    assert.equal(f.body.data['reason'], 'origin_mismatch');
  });

  test('MYKEY: login.succeeded (scheme mykey) on a signed callback', async () => {
    const key = PrivateKey.generate('K1');
    const reg = await registerEosKey(client, baseUrl, appId, { userId: 'mia', account: 'miaaccount11', key });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const seen = receiver.ofType('login.succeeded').length;
    const session = await publicCall('/v1/mykey/sessions', { appId });
    assert.equal(session.status, 200);
    const { uuID } = session.body as { uuID: string };
    const timestamp = String(Math.floor(clock() / 1000));
    const callback = await publicCall(`/v1/mykey/callback/${appId}`, {
      protocol: 'SimpleWallet',
      version: '1.0',
      dapp_key: 'dappkey',
      uuID,
      ref: 'mykey',
      timestamp,
      account: 'miaaccount11',
      chain: 'EOS',
      sign: signEosText(key, timestamp + 'miaaccount11' + uuID + 'mykey'),
    });
    assert.deepEqual(callback.body, { code: 0, message: 'success' });
    const e = await nextEvent('login.succeeded', seen);
    assertSigned(e);
    assert.equal(e.body.data['scheme'], 'mykey');
    assert.equal(e.body.data['userId'], 'mia');
  });

  test('each event id is delivered once when the receiver answers 2xx', () => {
    const ids = receiver.received.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('secret rotation', () => {
  test('during a rotation a receiver holding either secret verifies; after --drop-old-webhook-secret only the new', async () => {
    const rotated = await cli(['app', 'set', appId, '--rotate-webhook-secret', '--json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const fresh = JSON.parse(rotated.stdout)['webhookSecret'] as string;
    assert.match(fresh, /^whsec_/);
    assert.notEqual(fresh, webhookSecret);
    assert.equal(JSON.parse(rotated.stdout)['activeWebhookSecrets'], 2);
    const human = await cli(['app', 'set', appId, '--rotate-webhook-secret']);
    assert.equal(human.code, 0);
    const newest = /webhookSecret: (whsec_\S+)/.exec(human.stdout)?.[1] as string;
    assert.ok(newest, human.stdout);
    // Two rotations: the newest and the one before it (`fresh`) sign; the first is gone.
    const seen = receiver.ofType('credential.created').length;
    await enrol('rita');
    const e = await nextEvent('credential.created', seen);
    assert.ok(receiver.verifies(e, newest), 'the new secret verifies');
    assert.ok(receiver.verifies(e, fresh), 'the previous secret verifies');
    assert.equal(receiver.verifies(e, webhookSecret), false, 'the secret before that no longer does');
    assert.equal(e.headers['webhook-signature']!.split(' ').length, 2);

    const dropped = await cli(['app', 'set', appId, '--drop-old-webhook-secret', '--json']);
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.equal(JSON.parse(dropped.stdout)['activeWebhookSecrets'], 1);
    await enrol('rudy');
    const f = await nextEvent('credential.created', seen + 1);
    assert.ok(receiver.verifies(f, newest));
    assert.equal(receiver.verifies(f, fresh), false);
    webhookSecret = newest;
  });
});

describe('dead letters and redeliver (console API)', () => {
  test('a message failing past the dead-letter window is listed, and redeliver sends it again', async () => {
    receiver.setFallback(500);
    const seen = receiver.ofType('credential.created').length;
    const { credentialId } = await enrol('dora');
    const first = await nextEvent('credential.created', seen);
    assert.equal(first.body.data['credentialId'], credentialId);
    // The retry is due 5 s later; past the 60 s window it is dead-lettered.
    clock.advance(61_000);
    let dead: any[] = [];
    await eventually(
      async () => {
        const r = await admin('GET', `/apps/${appId}/webhooks/dead`);
        dead = r.body?.messages ?? [];
        return dead.some((m) => m.id === first.id);
      },
      15_000,
      'the dead letter',
    );
    const letter = dead.find((m) => m.id === first.id);
    assert.equal(letter.type, 'credential.created');
    assert.equal(letter.lastError, 'http_500');
    assert.ok(letter.attempts >= 2);
    assert.equal(JSON.parse(letter.payload).data.credentialId, credentialId);

    receiver.setFallback(204);
    const count = receiver.received.filter((e) => e.id === first.id).length;
    const redo = await admin('POST', `/apps/${appId}/webhooks/${first.id}/redeliver`);
    assert.equal(redo.status, 200);
    assert.deepEqual(redo.body, { redelivered: true, id: first.id });
    await eventually(
      async () => receiver.received.filter((e) => e.id === first.id).length > count,
      15_000,
      'the redelivery',
    );
    const again = receiver.received.filter((e) => e.id === first.id).at(-1)!;
    assertSigned(again);
    assert.equal(again.raw, first.raw, 'the same body under the same webhook-id');
    await eventually(
      async () => (await h.store.webhooks.get(appId, first.id))?.status === 'delivered',
      15_000,
      'delivered',
    );
    const list = await admin('GET', `/apps/${appId}/webhooks/dead`);
    assert.equal(
      list.body.messages.some((m: { id: string }) => m.id === first.id),
      false,
    );
  });

  test('redeliver of a message that is not dead is 404; bad ids 400; no admin 401', async () => {
    const r = await admin('POST', `/apps/${appId}/webhooks/msg_nosuchmessage/redeliver`);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'not_found');
    assert.equal((await admin('GET', `/apps/nosuchapp/webhooks/dead`)).status, 404);
    assert.equal((await admin('GET', `/apps/${appId}/webhooks/dead?limit=0`)).status, 400);
    assert.equal((await admin('POST', `/apps/${appId}/webhooks/bad%20id/redeliver`)).status, 400);
    const anon = await fetch(`${baseUrl}/console/api/apps/${appId}/webhooks/dead`);
    assert.equal(anon.status, 401);
    const anonPost = await fetch(`${baseUrl}/console/api/apps/${appId}/webhooks/x/redeliver`, {
      method: 'POST',
    });
    assert.equal(anonPost.status, 401);
  });
});

describe('--webhook-url none', () => {
  test('turns webhooks off: no outbox rows for new events, the secrets are forgotten', async () => {
    const off = await cli(['app', 'set', appId, '--webhook-url', 'none', '--json']);
    assert.equal(off.code, 0, off.stderr);
    const shown = JSON.parse(off.stdout);
    assert.equal(shown.settings.webhookUrl, null);
    assert.equal(shown.activeWebhookSecrets, 0);
    const rows = outboxRows();
    const { privateKey } = await enrol('olga');
    assert.equal((await login('olga', privateKey)).status, 200);
    assert.equal(outboxRows(), rows);
    const rotate = await cli(['app', 'set', appId, '--rotate-webhook-secret']);
    assert.notEqual(rotate.code, 0);
    assert.match(rotate.stderr, /webhook URL/);
    assert.equal(rotate.stderr.includes('unexpected error'), false);
    // On again: a new secret, printed once.
    const on = await cli(['app', 'set', appId, '--webhook-url', receiver.url, '--json']);
    assert.match(JSON.parse(on.stdout).webhookSecret, /^whsec_/);
  });
});
