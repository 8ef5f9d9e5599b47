// A fresh red-team pass (round 3), against a real listening Signet (SQLite file, 127.0.0.1, real
// HTTP) with real signers (@wharfkit/antelope for EOS) and a real HTTP chain API. Each `finding`
// block replays an attack that worked before its fix; `holds` blocks keep attacks that failed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Bytes, PrivateKey } from '@wharfkit/antelope';
import { createApp, updateApp } from '../../src/core/apps.js';
import { REFRESH_GRACE_MS } from '../../src/core/sessions.js';
import { setAppWebhook } from '../../src/core/appWebhooks.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { fetchChainJson } from '../../src/cli/chainFetch.js';
import { signTiniappRequest, TINIAPP_HEADERS } from '../../src/schemes/tiniapp/index.js';
import { listen, startHarness, tempDir, type Harness } from '../support/harness.js';
import { makeCredential, register } from '../webauthn/softAuthenticator.js';

const ORIGIN = 'https://app.example';
const ADMIN_TOKEN = 'red-team-console-admin-token-0123456789';

let h: Harness;
let baseUrl: string;
let dir: ReturnType<typeof tempDir>;
/** The MYKEY accounts' keydata on the (real HTTP) chain: account name -> Reserved key (index 3). */
const reserved = new Map<string, PrivateKey>();
let chainApi: Server;
let chainUrl: string;

async function publicCall(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(baseUrl + path, {
    method,
    ...(body === undefined
      ? { headers }
      : { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(body));
  });
}

async function tokenSubject(appId: string, token: string): Promise<string | undefined> {
  const jwks = createRemoteJWKSet(new URL(baseUrl + '/.well-known/jwks.json'));
  const { payload } = await jwtVerify(token, jwks, { issuer: h.deps.issuer, audience: appId });
  return payload.sub;
}

const seconds = () => String(Math.floor(h.clock() / 1000));

/** An EOS proof of possession for a registration: `key` signs a challenge issued for `userId`. */
async function eosProof(appId: string, userId: string, key: PrivateKey) {
  const ch = await publicCall('POST', '/v1/challenges', { appId, type: 'eos', userId });
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  return {
    challengeId: ch.body.challengeId as string,
    signature: key.signMessage(Bytes.from(ch.body.challenge, 'utf8')).toString(),
  };
}

/** MYKEY's server calling back for `account`, signed by `key`; the page's poll of the session. */
async function mykeyLogin(appId: string, account: string, key: PrivateKey) {
  const session = await publicCall('POST', '/v1/mykey/sessions', { appId });
  assert.equal(session.status, 200);
  const uuID = session.body.uuID as string;
  const timestamp = seconds();
  const answer = await publicCall('POST', `/v1/mykey/callback/${appId}`, {
    uuID,
    ref: 'mykey',
    timestamp,
    account,
    chain: 'EOS',
    sign: key.signMessage(Bytes.from(timestamp + account + uuID + 'mykey', 'utf8')).toString(),
  });
  const view = await publicCall('GET', `/v1/mykey/sessions/${uuID}?appId=${appId}`, undefined, {
    'x-signet-poll-secret': session.body.pollSecret as string,
  });
  return { answer: answer.body as { code: number }, view: view.body as { status: string; token?: string } };
}

before(async () => {
  dir = tempDir();
  // A real Antelope chain API: mykeymanager/keydata holds each MYKEY account's Reserved key.
  chainApi = createServer(async (req, res) => {
    const q = JSON.parse(await readBody(req));
    const key = q.code === 'mykeymanager' && q.table === 'keydata' ? reserved.get(q.scope) : undefined;
    const rows = key ? [{ index: 3, key: { pubkey: key.toPublic().toString(), status: 1 } }] : [];
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ rows, more: false }));
  });
  await new Promise<void>((r) => chainApi.listen(0, '127.0.0.1', r));
  chainUrl = `http://127.0.0.1:${(chainApi.address() as { port: number }).port}`;
  h = await startHarness({
    dbPath: join(dir.dir, 'signet.db'),
    app: { origins: [ORIGIN] },
    // The production chain client (`signet serve` uses it).
    chainFetch: fetchChainJson,
    server: { adminToken: ADMIN_TOKEN },
  });
  baseUrl = await listen(h);
});

after(async () => {
  await new Promise<void>((r) => chainApi.close(() => r()));
  await h.close();
  dir.remove();
});

describe('finding 1: a registered EOS account does not take over MYKEY logins the chain proves', () => {
  // The attack: with a chain API, a MYKEY login is proved by the account's Reserved key on chain,
  // but the token used to name whoever had *registered* the account name in the app. An `eos`
  // registration proves a key, never the account (docs/security.md), so any user could register
  // the victim's account name with their own key: the victim's next MYKEY login then signed the
  // victim into the attacker's account (and the victim could never register it: 409).
  let app: { id: string };
  let c: SignetClient;

  before(async () => {
    const made = await createApp(h.deps, {
      name: 'mykey chain app',
      origins: [ORIGIN],
      settings: { chainApi: chainUrl } as never,
    });
    app = made.app;
    c = createSignetClient({ baseUrl, appId: made.app.id, secret: made.secret, now: h.clock });
  });

  test('mallory registers the victim’s account with her own key (proof and all): the victim’s MYKEY login does not name her', async () => {
    const victimReserved = PrivateKey.generate('K1');
    reserved.set('rtvictim', victimReserved);
    const malloryKey = PrivateKey.generate('K1');
    const squat = await c.registerWallet('rt-mallory', {
      type: 'eos',
      account: 'rtvictim',
      publicKey: malloryKey.toPublic().toString(),
      proof: await eosProof(app.id, 'rt-mallory', malloryKey),
    });
    assert.equal(squat.status, 201, 'an eos registration proves a key, not the account (documented)');

    const login = await mykeyLogin(app.id, 'rtvictim', victimReserved);
    assert.equal(login.answer.code, 0, 'the chain proves the account: the login itself goes on');
    const subject = await tokenSubject(app.id, login.view.token!);
    assert.notEqual(subject, 'rt-mallory', 'the victim was signed into the attacker’s account');
    assert.equal(subject, 'mykey:eos:rtvictim', 'nobody proved the account: the account names itself');

    // Mallory's key is no MYKEY key of the account: her own callbacks are refused.
    const forged = await mykeyLogin(app.id, 'rtvictim', malloryKey);
    assert.equal(forged.answer.code, 2);
    assert.equal(forged.view.token, undefined);
  });

  test('the owner who registered the account with its Reserved key is still named', async () => {
    const key = PrivateKey.generate('K1');
    reserved.set('rtowner', key);
    const reg = await c.registerWallet('rt-owner', {
      type: 'eos',
      account: 'rtowner',
      publicKey: key.toPublic().toString(),
      proof: await eosProof(app.id, 'rt-owner', key),
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const login = await mykeyLogin(app.id, 'rtowner', key);
    assert.equal(login.answer.code, 0);
    assert.equal(await tokenSubject(app.id, login.view.token!), 'rt-owner');
  });
});

describe('finding 2: the chain API and Ethereum RPC client follows no redirect', () => {
  // The attack: the chain API / RPC is a third party the operator names; an answer of 307 sent
  // Signet's POST (and a 302 a GET) on to any address, internal ones included (a cloud metadata
  // service, an admin port on localhost), and the internal answer was read as the chain's.
  test('a chain API answering 307 to an internal address: nothing reaches it, the login fails closed', async () => {
    const internalHits: string[] = [];
    const internal = createServer(async (req, res) => {
      internalHits.push(`${req.method} ${req.url} ${await readBody(req)}`);
      res.setHeader('content-type', 'application/json');
      // What an internal service might answer: read as the chain's, it would even verify.
      const key = reserved.get('rtredirect');
      res.end(
        JSON.stringify({ rows: key ? [{ index: 3, key: { pubkey: key.toPublic().toString() } }] : [] }),
      );
    });
    await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
    const internalUrl = `http://127.0.0.1:${(internal.address() as { port: number }).port}/internal/admin`;
    const redirecting = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 307;
        res.setHeader('location', internalUrl);
        res.end();
      });
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    try {
      const made = await createApp(h.deps, {
        name: 'redirected chain',
        origins: [ORIGIN],
        settings: {
          chainApi: `http://127.0.0.1:${(redirecting.address() as { port: number }).port}`,
        } as never,
      });
      reserved.set('rtredirect', PrivateKey.generate('K1'));
      const session = await publicCall('POST', '/v1/mykey/sessions', { appId: made.app.id });
      const timestamp = seconds();
      const text = timestamp + 'rtredirect' + session.body.uuID + 'mykey';
      const answer = await publicCall('POST', `/v1/mykey/callback/${made.app.id}`, {
        uuID: session.body.uuID,
        ref: 'mykey',
        timestamp,
        account: 'rtredirect',
        chain: 'EOS',
        sign: reserved.get('rtredirect')!.signMessage(Bytes.from(text, 'utf8')).toString(),
      });
      assert.deepEqual(internalHits, [], 'the redirect was followed to the internal address');
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'store_unavailable');
    } finally {
      await new Promise<void>((r) => redirecting.close(() => r()));
      await new Promise<void>((r) => internal.close(() => r()));
    }
  });
});

describe('finding 3: the console shows no URL part that may carry a provider key', () => {
  // The attack: the console already cut the Ethereum RPC URL to its scheme and host (providers
  // put API keys in the path or query), but showed the chain API URL, the FIDO metadata URL and
  // the webhook URL's query whole, to anyone with a console session or a look at the screen.
  test('chain API, metadata and webhook URLs are cut like the RPC URL; the stored ones are untouched', async () => {
    const KEY = 'prov1derApiKey0123456789';
    const made = await createApp(h.deps, { name: 'keys in urls', origins: [ORIGIN] });
    await updateApp(h.deps, made.app.id, {
      settings: {
        chainApi: `https://eos.provider.example/v1/${KEY}`,
        fidoMds: `https://mds.mirror.example/blob?key=${KEY}`,
      },
    });
    await setAppWebhook(h.deps, made.app.id, { url: `https://hooks.example/signet?token=${KEY}` });
    const r = await fetch(`${baseUrl}/console/api/apps`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(r.status, 200);
    const text = await r.text();
    const app = (
      JSON.parse(text) as { apps: Array<{ appId: string; settings: Record<string, unknown> }> }
    ).apps.find((a) => a.appId === made.app.id)!;
    assert.ok(!text.includes(KEY), 'a provider key reached the console');
    assert.equal(app.settings['chainApi'], 'https://eos.provider.example/…');
    assert.equal(app.settings['fidoMds'], 'https://mds.mirror.example/…');
    assert.equal(app.settings['webhookUrl'], 'https://hooks.example/signet?…');
    const stored = (await h.store.apps.get(made.app.id))!.settings;
    assert.equal(stored.chainApi, `https://eos.provider.example/v1/${KEY}`);
    assert.equal(stored.webhookUrl, `https://hooks.example/signet?token=${KEY}`);
  });
});

describe('finding 4: the decoy for a user without a passkey is not told apart by its length', () => {
  // The attack: `POST /v1/challenges { type: "webauthn", userId }` answers the user's passkey ids,
  // or one decoy for anyone else. The decoy was always 32 bytes, while Android / Google Password
  // Manager ids are 16 bytes and Apple's 20: anyone could ask for a name and read from the
  // length alone that the person has a passkey (docs/api.md promised "asking reveals nothing").
  test('one 16-byte passkey looks like the decoys of users who have none; decoys are stable', async () => {
    const made = await createApp(h.deps, { name: 'passkeys', origins: [ORIGIN], rpId: 'app.example' });
    const c = createSignetClient({ baseUrl, appId: made.app.id, secret: made.secret, now: h.clock });
    const options = (await c.webauthnRegistrationOptions({ userId: 'rt-passkey', userName: 'rt-passkey' }))
      .body as { challengeId: string; options: { challenge: string } };
    const credential = makeCredential('ES256', 0x42); // a 16-byte id, as Android's
    const registered = await c.webauthnRegistrationVerify({
      challengeId: options.challengeId,
      response: register(credential, {
        challenge: Buffer.from(options.options.challenge, 'base64url'),
        origin: ORIGIN,
        rpId: 'app.example',
      }),
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const allowed = async (userId: string): Promise<string[]> => {
      const ch = await publicCall('POST', '/v1/challenges', { appId: made.app.id, type: 'webauthn', userId });
      assert.equal(ch.status, 200, JSON.stringify(ch.body));
      return (ch.body.options.allowCredentials as Array<{ id: string }>).map((a) => a.id);
    };
    const shape = (ids: string[]) => ids.map((id) => Buffer.from(id, 'base64url').length).join(',');
    const real = await allowed('rt-passkey');
    assert.deepEqual(real, [credential.idB64]);

    const decoys = new Map<string, string[]>();
    for (let i = 0; i < 64; i++) decoys.set(`rt-nobody-${i}`, await allowed(`rt-nobody-${i}`));
    const shapes = new Set([...decoys.values()].map(shape));
    assert.ok(shapes.has(shape(real)), `decoy shapes ${[...shapes].join(' / ')}: a 16-byte id is a tell`);
    for (const s of shapes) assert.ok(['16', '20', '32', '64'].includes(s), s);
    assert.deepEqual(await allowed('rt-nobody-7'), decoys.get('rt-nobody-7'), 'a decoy is stable');
  });
});

describe('holds: attacks of this pass that failed, kept as regression tests', () => {
  let c: SignetClient;
  before(() => {
    c = createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret, now: h.clock });
  });

  /** One raw HTTP/1.1 exchange (repeated headers stay repeated); answers status and body. */
  function rawHttp(request: string): Promise<{ status: number; body: string }> {
    const { port } = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(request));
      let text = '';
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () =>
        resolve({
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]),
          body: text.split('\r\n\r\n')[1] ?? '',
        }),
      );
    });
  }

  async function enrolDevice(userId: string): Promise<KeyObject> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const r = await c.registerCredential(userId, {
      type: 'device',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return privateKey;
  }

  async function deviceLogin(userId: string, key: KeyObject) {
    const ch = await publicCall('POST', '/v1/challenges', { appId: h.app.id, type: 'device', userId });
    return publicCall('POST', '/v1/verify', {
      appId: h.app.id,
      type: 'device',
      userId,
      challengeId: ch.body.challengeId,
      signature: nodeSign('sha256', Buffer.from(ch.body.challenge), key).toString('base64'),
    });
  }

  test('a Tiniapp header sent twice (one good value, one bad) authenticates nothing', async () => {
    const s = signTiniappRequest({
      clientId: h.app.id,
      secret: h.secret,
      timestamp: h.clock(),
      path: '/v1/audit',
    });
    const request = (signatures: string[]) =>
      [
        'GET /v1/audit HTTP/1.1',
        'Host: 127.0.0.1',
        `X-Tiniapp-Client-Id: ${s.headers[TINIAPP_HEADERS.clientId]}`,
        `X-Tiniapp-Timestamp: ${s.headers[TINIAPP_HEADERS.timestamp]}`,
        ...signatures.map((v) => `X-Tiniapp-Signature: ${v}`),
        'Connection: close',
      ].join('\r\n') + '\r\n\r\n';
    const twice = await rawHttp(request(['0'.repeat(64), s.signature]));
    assert.equal(twice.status, 401, twice.body);
    assert.equal(JSON.parse(twice.body).error.code, 'unauthenticated');
    // The good value alone authenticates (and the refused request above did not spend it).
    const once = await rawHttp(request([s.signature]));
    assert.equal(once.status, 200, once.body);
  });

  test('HEAD on a server-API route is authenticated like its GET', async () => {
    for (const path of ['/v1/audit', '/v1/users/alice/credentials']) {
      const r = await fetch(baseUrl + path, { method: 'HEAD' });
      assert.equal(r.status, 401, path);
    }
  });

  test('headers past 16 KiB answer 431 in the error shape, never a 5xx', async () => {
    const r = await rawHttp(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(r.status, 431);
    assert.equal(JSON.parse(r.body).error.code, 'headers_too_large');
  });

  test('userIds are compared as given: NFC "é" and NFD "é" are two users, a lone surrogate is no user', async () => {
    const nfc = 'rt-caf\u00e9';
    const nfd = 'rt-cafe\u0301';
    const key = await enrolDevice(nfc);
    const own = await deviceLogin(nfc, key);
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(await tokenSubject(h.app.id, own.body.token), nfc);
    const other = await deviceLogin(nfd, key);
    assert.equal(other.status, 401, 'the NFD spelling is another user, holding no key');
    const lone = await deviceLogin('rt-\ud800', key);
    assert.ok(lone.status === 400 || lone.status === 401, String(lone.status));
  });

  test('six refreshes racing with one token: one spends it, one retry its successor, the rest end the family', async () => {
    const key = await enrolDevice('rt-racer');
    const s = await deviceLogin('rt-racer', key);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        publicCall('POST', '/v1/tokens/refresh', { appId: h.app.id, refreshToken: s.body.refreshToken }),
      ),
    );
    // Inside the retry grace (docs/tokens.md) a second racer takes the first one's place; the
    // third finds that successor used: reuse, and no racer keeps a session.
    const won = answers.filter((a) => a.status === 200);
    assert.equal(won.length, 2, JSON.stringify(answers.map((a) => a.status)));
    assert.ok(answers.every((a) => a.status === 200 || a.status === 401));
    for (const w of won) {
      const again = await publicCall('POST', '/v1/tokens/refresh', {
        appId: h.app.id,
        refreshToken: w.body.refreshToken,
      });
      assert.equal(again.status, 401);
    }
  });

  test('a "__proto__" member of a transaction is hashed as a member, not hidden as a prototype', async () => {
    const plain = await publicCall('POST', '/v1/challenges', {
      appId: h.app.id,
      type: 'device',
      transaction: { amount: 5 },
    });
    const sneaky = await fetch(baseUrl + '/v1/challenges', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"appId":"${h.app.id}","type":"device","transaction":{"amount":5,"__proto__":{"amount":1}}}`,
    });
    assert.equal(plain.status, 200);
    assert.equal(sneaky.status, 200);
    assert.notEqual(((await sneaky.json()) as { txn: string }).txn, plain.body.txn);
    const polluted = await fetch(baseUrl + '/v1/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"appId":"${h.app.id}","type":"device","__proto__":{"userId":"alice"}}`,
    });
    assert.equal(polluted.status, 400);
    assert.equal(({} as Record<string, unknown>)['userId'], undefined, 'Object.prototype untouched');
  });
});

describe('holds: no secret, token or refresh token reaches a log line', () => {
  test('a run of logins, refreshes, reuse, logout, introspection, MYKEY polls and console sign-ins at trace level', async () => {
    const lines: string[] = [];
    const ADMIN = 'log-test-admin-token-0123456789abcdef';
    const METRICS = 'log-test-metrics-token-0123456789abcdef';
    const logged = await startHarness({
      app: { origins: [ORIGIN] },
      server: {
        adminToken: ADMIN,
        metricsToken: METRICS,
        // As `signet serve` configures it (src/cli/commands/serve.ts), at the most verbose level.
        logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
      },
    });
    const base = await listen(logged);
    try {
      const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
        const r = await fetch(base + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
        const text = await r.text();
        return { status: r.status, body: text ? JSON.parse(text) : null };
      };
      const c = createSignetClient({
        baseUrl: base,
        appId: logged.app.id,
        secret: logged.secret,
        now: logged.clock,
      });
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await c.registerCredential('log-user', {
        type: 'device',
        publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      });
      const ch = await post('/v1/challenges', { appId: logged.app.id, type: 'device', userId: 'log-user' });
      const login = await post('/v1/verify', {
        appId: logged.app.id,
        type: 'device',
        userId: 'log-user',
        challengeId: ch.body.challengeId,
        signature: nodeSign('sha256', Buffer.from(ch.body.challenge), privateKey).toString('base64'),
      });
      assert.equal(login.status, 200);
      const next = await post('/v1/tokens/refresh', {
        appId: logged.app.id,
        refreshToken: login.body.refreshToken,
      });
      assert.equal(next.status, 200);
      await c.introspect(next.body.token);
      // Reuse of the spent token past the retry grace (logged as a warning), then an unknown
      // one, then a logout.
      logged.clock.advance(REFRESH_GRACE_MS + 1);
      assert.equal(
        (await post('/v1/tokens/refresh', { appId: logged.app.id, refreshToken: login.body.refreshToken }))
          .status,
        401,
      );
      await post('/v1/tokens/refresh', { appId: logged.app.id, refreshToken: `srt_${'A'.repeat(43)}` });
      await post('/v1/logout', { appId: logged.app.id, refreshToken: next.body.refreshToken });
      const mykey = await post('/v1/mykey/sessions', { appId: logged.app.id });
      await fetch(`${base}/v1/mykey/sessions/${mykey.body.uuID}?appId=${logged.app.id}`, {
        headers: { 'x-signet-poll-secret': mykey.body.pollSecret },
      });
      await post('/console/api/session', { token: 'wrong-admin-token-but-long-enough-000' });
      const signIn = await fetch(`${base}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: ADMIN }),
      });
      assert.equal(signIn.status, 204);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      await fetch(`${base}/console/api/apps`, { headers: { cookie } });
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
      await fetch(`${base}/v1/audit`, { headers: { 'x-tiniapp-client-id': logged.app.id } });

      const log = lines.join('');
      assert.ok(lines.length > 5, 'the run was logged');
      const secrets: Array<[string, string]> = [
        ['app secret', logged.secret],
        ['access token', login.body.token],
        ['refreshed access token', next.body.token],
        ['refresh token', login.body.refreshToken],
        ['rotated refresh token', next.body.refreshToken],
        ['poll secret', mykey.body.pollSecret],
        ['admin token', ADMIN],
        ['console cookie', cookie.split('=')[1]!],
        ['metrics token', METRICS],
      ];
      for (const [name, value] of secrets) assert.ok(!log.includes(value), `the ${name} is in the log`);
    } finally {
      await logged.close();
    }
  });
});
