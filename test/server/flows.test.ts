// Every flow of docs/api.md against a real listening Signet server on a SQLite file, with real
// signers: node:crypto keys, the `signet device` stand-in, a software passkey authenticator,
// @wharfkit/antelope for EOS, ethers for Ethereum, and a real HTTP chain API for MYKEY.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { PrivateKey } from '@wharfkit/antelope';
import { Wallet } from 'ethers';
import { updateApp } from '../../src/core/apps.js';
import { createTokenService } from '../../src/core/tokens.js';
import type { SignetClient } from '../../src/client/createSignetClient.js';
import { runCli } from '../../src/cli/runCli.js';
import { fetchChainJson } from '../../src/cli/chainFetch.js';
import { formatSiweMessage } from '../../src/schemes/eth/index.js';
import { FLAG, assert as passkeyAssert, makeCredential, register } from '../webauthn/softAuthenticator.js';
import { captureIo, listenWithClient, startHarness, tempDir, type Harness } from '../support/harness.js';
import { registerEosKey, signEosText } from '../support/eosKeys.js';
import { fetchJson } from '../support/http.js';

const ORIGIN = 'https://app.example';
const RP_ID = 'app.example';
const METRICS_TOKEN = 'flows-metrics-token-0123';

let h: Harness;
let baseUrl: string;
let client: SignetClient;
let dir: ReturnType<typeof tempDir>;

/** A public (unsigned) JSON request. */
const publicCall = (method: string, path: string, body?: unknown) =>
  fetchJson(baseUrl + path, { method, body });

const challenge = (type: string, userId?: string) =>
  publicCall('POST', '/v1/challenges', { appId: h.app.id, type, ...(userId ? { userId } : {}) });

const verify = (proof: Record<string, unknown>) =>
  publicCall('POST', '/v1/verify', { appId: h.app.id, ...proof });

async function auditReasons(userId: string): Promise<Array<string | null>> {
  const { status, body } = await client.audit({ userId, limit: 100 });
  assert.equal(status, 200);
  return (body as { records: Array<{ reason: string | null }> }).records.map((r) => r.reason);
}

/** Checks a login token against the server's JWKS as a relying app would. */
async function assertToken(token: string, sub: string, amr: string, cid?: string): Promise<void> {
  const jwks = createRemoteJWKSet(new URL(baseUrl + '/.well-known/jwks.json'));
  const { payload } = await jwtVerify(token, jwks, {
    issuer: h.deps.issuer,
    audience: h.app.id,
    algorithms: ['EdDSA'],
  });
  assert.equal(payload.sub, sub);
  assert.deepEqual(payload.amr, [amr]);
  if (cid !== undefined) assert.equal(payload['cid'], cid);
  assert.equal(typeof payload.jti, 'string');
  assert.ok(payload.exp! > payload.iat!);
}

function rsaKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** Android's `Base64.DEFAULT`: 76-character lines with `\n`. */
function androidBase64(der: Buffer): string {
  return der.toString('base64').replace(/.{76}/g, '$&\n') + '\n';
}

before(async () => {
  dir = tempDir();
  h = await startHarness({
    dbPath: join(dir.dir, 'signet.db'),
    app: { origins: [ORIGIN], rpId: RP_ID, settings: { clientChallenges: true } },
    chainFetch: fetchChainJson,
    server: { metricsToken: METRICS_TOKEN },
  });
  ({ baseUrl, client } = await listenWithClient(h));
});

after(async () => {
  await h.close();
  dir.remove();
});

describe('device', () => {
  test('RSA key from Android getEncoded() with line breaks: register, challenge, sign, verify, token', async () => {
    const { privateKey, publicKey } = rsaKey();
    const reg = await client.registerCredential('alice', {
      type: 'device',
      publicKey: androidBase64(publicKey.export({ format: 'der', type: 'spki' })),
      deviceId: 'phone-1',
      label: 'Pixel',
    });
    assert.equal(reg.status, 201);
    const cred = reg.body as { id: string; type: string; userId: string; label: string };
    assert.equal(cred.type, 'device');
    assert.equal(cred.userId, 'alice');
    assert.equal(cred.label, 'Pixel');

    const ch = await challenge('device', 'alice');
    assert.equal(ch.status, 200);
    const signature = nodeSign('sha256', Buffer.from(ch.body.challenge, 'utf8'), privateKey).toString(
      'base64',
    );
    const ok = await verify({ type: 'device', challengeId: ch.body.challengeId, userId: 'alice', signature });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.verified, true);
    assert.equal(ok.body.credentialId, cred.id);
    await assertToken(ok.body.token, 'alice', 'device', cred.id);

    // The challenge was consumed: the same proof again is refused.
    const again = await verify({
      type: 'device',
      challengeId: ch.body.challengeId,
      userId: 'alice',
      signature,
    });
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, 'challenge_unknown');

    const list = await client.listCredentials('alice');
    const listed = (list.body as { credentials: Array<{ id: string; lastUsedAt: string | null }> })
      .credentials;
    assert.equal(listed.length, 1);
    assert.notEqual(listed[0]!.lastUsedAt, null);
  });

  test('a wrong signature is verification_failed to the public, signature_invalid in the audit; the challenge is gone', async () => {
    const { publicKey } = rsaKey();
    const other = rsaKey();
    assert.equal(
      (
        await client.registerCredential('bob', {
          type: 'device',
          publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
        })
      ).status,
      201,
    );
    const ch = await challenge('device', 'bob');
    const signature = nodeSign('sha256', Buffer.from(ch.body.challenge), other.privateKey).toString(
      'base64url',
    );
    const bad = await verify({ type: 'device', challengeId: ch.body.challengeId, userId: 'bob', signature });
    assert.equal(bad.status, 401);
    assert.deepEqual(Object.keys(bad.body.error).sort(), ['code', 'message']);
    assert.equal(bad.body.error.code, 'verification_failed');
    assert.equal((await auditReasons('bob'))[0], 'signature_invalid');
    const retry = await verify({
      type: 'device',
      challengeId: ch.body.challengeId,
      userId: 'bob',
      signature,
    });
    assert.equal(retry.body.error.code, 'challenge_unknown');
  });

  test('P-256 key as an uncompressed point (Secure Enclave) with raw r||s and DER signatures', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x!, 'base64url'),
      Buffer.from(jwk.y!, 'base64url'),
    ]);
    assert.equal(
      (await client.registerCredential('carol', { type: 'device', publicKey: point.toString('base64') }))
        .status,
      201,
    );
    for (const dsaEncoding of ['ieee-p1363', 'der'] as const) {
      const ch = await challenge('device', 'carol');
      const signature = nodeSign('sha256', Buffer.from(ch.body.challenge), {
        key: privateKey,
        dsaEncoding,
      }).toString('base64');
      const ok = await verify({
        type: 'device',
        challengeId: ch.body.challengeId,
        userId: 'carol',
        signature,
      });
      assert.equal(ok.status, 200, `${dsaEncoding}: ${JSON.stringify(ok.body)}`);
    }
  });

  test('iOS PKCS#1 RSA key; a new key with the same deviceId replaces the old one', async () => {
    const first = rsaKey();
    const second = rsaKey();
    const pkcs1 = (k: KeyObject) => k.export({ format: 'der', type: 'pkcs1' }).toString('base64');
    assert.equal(
      (
        await client.registerCredential('dave', {
          type: 'device',
          publicKey: pkcs1(first.publicKey),
          deviceId: 'iphone',
        })
      ).status,
      201,
    );
    const replaced = await client.registerCredential('dave', {
      type: 'device',
      publicKey: pkcs1(second.publicKey),
      deviceId: 'iphone',
    });
    assert.equal(replaced.status, 201);
    const list = (await client.listCredentials('dave')).body as { credentials: Array<{ id: string }> };
    assert.deepEqual(
      list.credentials.map((c) => c.id),
      [(replaced.body as { id: string }).id],
    );
    const ch = await challenge('device', 'dave');
    const oldSig = nodeSign('sha256', Buffer.from(ch.body.challenge), first.privateKey).toString('base64');
    assert.equal(
      (await verify({ type: 'device', challengeId: ch.body.challengeId, userId: 'dave', signature: oldSig }))
        .status,
      401,
    );
    const ch2 = await challenge('device', 'dave');
    const newSig = nodeSign('sha256', Buffer.from(ch2.body.challenge), second.privateKey).toString('base64');
    assert.equal(
      (await verify({ type: 'device', challengeId: ch2.body.challengeId, userId: 'dave', signature: newSig }))
        .status,
      200,
    );
  });

  test('the `signet device` stand-in plays the phone: create-key, sign, delete-key', async () => {
    const keyFile = join(dir.dir, 'phone', 'device-key.pem');
    const io = captureIo();
    assert.equal(await runCli(['device', 'create-key', '--key-file', keyFile, '--json'], io), 0);
    const { publicKey } = JSON.parse(io.stdout()) as { publicKey: string };
    assert.equal(
      (await client.registerCredential('erin', { type: 'device', publicKey, deviceId: 'cli' })).status,
      201,
    );
    const ch = await challenge('device', 'erin');
    const signIo = captureIo();
    assert.equal(
      await runCli(
        // `=`: a base64url challenge may begin with '-', which would read as an option.
        ['device', 'sign', `--challenge=${ch.body.challenge}`, '--key-file', keyFile, '--json'],
        signIo,
      ),
      0,
    );
    const { signature } = JSON.parse(signIo.stdout()) as { signature: string };
    const ok = await verify({ type: 'device', challengeId: ch.body.challengeId, userId: 'erin', signature });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const delIo = captureIo();
    assert.equal(await runCli(['device', 'delete-key', '--key-file', keyFile, '--json'], delIo), 0);
    assert.deepEqual(JSON.parse(delIo.stdout()), { deleted: true });
    assert.equal(await runCli(['device', 'sign', '--challenge', 'x', '--key-file', keyFile], captureIo()), 2);
  });

  test("client-built challenges (the seed's `${Date.now()}-...`): accepted once, within the skew window", async () => {
    const { privateKey, publicKey } = rsaKey();
    assert.equal(
      (
        await client.registerCredential('frank', {
          type: 'device',
          publicKey: publicKey.export({ format: 'pem', type: 'pkcs1' }),
        })
      ).status,
      201,
    );
    const proof = (text: string) => ({
      type: 'device',
      userId: 'frank',
      challenge: text,
      signature: nodeSign('sha256', Buffer.from(text), privateKey).toString('base64'),
    });
    const text = `${h.clock()}-login-nonce-1`;
    assert.equal((await verify(proof(text))).status, 200);
    const replay = await verify(proof(text));
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'verification_failed');
    const stale = await verify(proof(`${h.clock() - 400_000}-old`));
    assert.equal(stale.status, 401);
    const future = await verify(proof(`${h.clock() + 400_000}-future`));
    assert.equal(future.status, 401);
    const reasons = await auditReasons('frank');
    assert.deepEqual(reasons.slice(0, 3), ['timestamp_skew', 'timestamp_skew', 'replayed']);
    const notTimestamp = await verify(proof('no-timestamp-here'));
    assert.equal(notTimestamp.status, 400);
  });

  test('revoking a credential: 204, then its key no longer logs in; unknown id is 404', async () => {
    const { privateKey, publicKey } = rsaKey();
    const reg = await client.registerCredential('gina', {
      type: 'device',
      publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
    });
    const id = (reg.body as { id: string }).id;
    assert.equal((await client.revokeCredential('gina', id)).status, 204);
    assert.equal((await client.revokeCredential('gina', id)).status, 404);
    const ch = await challenge('device', 'gina');
    const signature = nodeSign('sha256', Buffer.from(ch.body.challenge), privateKey).toString('base64');
    assert.equal(
      (await verify({ type: 'device', challengeId: ch.body.challengeId, userId: 'gina', signature })).status,
      401,
    );
    assert.equal((await auditReasons('gina'))[0], 'credential_unknown');
  });
});

describe('webauthn', () => {
  async function registerPasskey(userId: string, alg: 'ES256' | 'RS256' | 'EdDSA', idByte: number) {
    const options = await client.webauthnRegistrationOptions({ userId, userName: `${userId}@example.com` });
    assert.equal(options.status, 200);
    const { challengeId, options: o } = options.body as { challengeId: string; options: any };
    assert.equal(o.rp.id, RP_ID);
    assert.ok(o.pubKeyCredParams.some((p: { alg: number }) => p.alg === -7));
    const cred = makeCredential(alg, idByte);
    const response = register(cred, {
      challenge: Buffer.from(o.challenge, 'base64url'),
      origin: ORIGIN,
      rpId: RP_ID,
    });
    const done = await client.webauthnRegistrationVerify({ challengeId, response });
    assert.equal(done.status, 201, JSON.stringify(done.body));
    assert.equal((done.body as { id: string }).id, cred.idB64);
    return cred;
  }

  async function login(
    cred: ReturnType<typeof makeCredential>,
    opts: { userId?: string; counter: number; origin?: string; userHandle?: string },
  ) {
    const ch = await challenge('webauthn', opts.userId);
    assert.equal(ch.status, 200);
    assert.equal(ch.body.options.challenge, ch.body.challenge);
    assert.equal(ch.body.options.rpId, RP_ID);
    const response = passkeyAssert(cred, {
      challenge: Buffer.from(ch.body.challenge, 'base64url'),
      origin: opts.origin ?? ORIGIN,
      rpId: RP_ID,
      counter: opts.counter,
      flags: FLAG.UP | FLAG.UV,
      // A discoverable credential returns its user handle (WebAuthn L3 §7.2 step 6 needs it).
      ...(opts.userHandle === undefined ? {} : { userHandle: Buffer.from(opts.userHandle, 'utf8') }),
    });
    return { ch, result: await verify({ type: 'webauthn', challengeId: ch.body.challengeId, response }) };
  }

  test('register ES256, RS256 and EdDSA passkeys; log in with and without userId', async () => {
    let idByte = 0x40;
    for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
      const userId = `pk-${alg}`;
      const cred = await registerPasskey(userId, alg, idByte++);
      const named = await login(cred, { userId, counter: 1 });
      assert.deepEqual(
        named.ch.body.options.allowCredentials.map((c: { id: string }) => c.id),
        [cred.idB64],
      );
      assert.equal(named.result.status, 200, `${alg}: ${JSON.stringify(named.result.body)}`);
      await assertToken(named.result.body.token, userId, 'webauthn', cred.idB64);
      const discoverable = await login(cred, { counter: 2, userHandle: userId });
      assert.equal(discoverable.ch.body.options.allowCredentials?.length ?? 0, 0);
      assert.equal(discoverable.result.status, 200);
      assert.equal(discoverable.result.body.userId, userId);
    }
  });

  test('a cloned authenticator whose counter went back is refused: counter_regression', async () => {
    const cred = await registerPasskey('clone-victim', 'ES256', 0x50);
    assert.equal((await login(cred, { userId: 'clone-victim', counter: 10 })).result.status, 200);
    const cloned = await login(cred, { userId: 'clone-victim', counter: 5 });
    assert.equal(cloned.result.status, 401);
    assert.equal(cloned.result.body.error.code, 'verification_failed');
    assert.equal((await auditReasons('clone-victim'))[0], 'counter_regression');
  });

  test('an assertion made on a foreign origin is refused: origin_mismatch', async () => {
    const cred = await registerPasskey('phish-target', 'ES256', 0x51);
    const phished = await login(cred, {
      userId: 'phish-target',
      counter: 1,
      origin: 'https://app.example.evil.test',
    });
    assert.equal(phished.result.status, 401);
    assert.equal((await auditReasons('phish-target'))[0], 'origin_mismatch');
  });

  test('a second passkey for one user; a challenge for a user without passkeys still has allowCredentials', async () => {
    await registerPasskey('two-keys', 'ES256', 0x52);
    await registerPasskey('two-keys', 'EdDSA', 0x53);
    const ch = await challenge('webauthn', 'two-keys');
    assert.equal(ch.body.options.allowCredentials.length, 2);
    const nobody1 = await challenge('webauthn', 'nobody-here');
    const nobody2 = await challenge('webauthn', 'nobody-here');
    assert.equal(nobody1.body.options.allowCredentials.length, 1);
    assert.deepEqual(nobody1.body.options.allowCredentials, nobody2.body.options.allowCredentials);
  });
});

describe('eos', () => {
  test('register an EOS legacy key; log in with a SIG_K1_ signature over the challenge', async () => {
    const key = PrivateKey.generate('K1');
    // Proof of possession: the key signs a challenge issued for this user, as a login would.
    const reg = await registerEosKey(client, baseUrl, h.app.id, {
      userId: 'eos-user',
      account: 'alice.eos',
      key,
      publicKey: key.toPublic().toLegacyString(),
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const ch = await challenge('eos', 'eos-user');
    const signature = signEosText(key, ch.body.challenge);
    assert.match(signature, /^SIG_K1_/);
    const ok = await verify({
      type: 'eos',
      challengeId: ch.body.challengeId,
      account: 'alice.eos',
      signature,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await assertToken(ok.body.token, 'eos-user', 'eos');
    const ch2 = await challenge('eos');
    const wrong = signEosText(PrivateKey.generate('K1'), ch2.body.challenge);
    assert.equal(
      (
        await verify({
          type: 'eos',
          challengeId: ch2.body.challengeId,
          account: 'alice.eos',
          signature: wrong,
        })
      ).status,
      401,
    );
  });
});

describe('eth', () => {
  test('EIP-191 personal_sign over the challenge, and Sign-In with Ethereum with the challenge as nonce', async () => {
    const wallet = Wallet.createRandom();
    const proofCh = await challenge('eth', 'eth-user');
    const reg = await client.registerCredential('eth-user', {
      type: 'eth',
      address: wallet.address,
      proof: {
        challengeId: proofCh.body.challengeId,
        signature: await wallet.signMessage(proofCh.body.challenge),
      },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));

    const ch = await challenge('eth', 'eth-user');
    assert.match(ch.body.challenge, /^[A-Za-z0-9]{8,}$/);
    const signature = await wallet.signMessage(ch.body.challenge);
    const ok = await verify({
      type: 'eth',
      challengeId: ch.body.challengeId,
      address: wallet.address,
      signature,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await assertToken(ok.body.token, 'eth-user', 'eth');

    const ch2 = await challenge('eth');
    const message = formatSiweMessage({
      domain: 'app.example',
      address: wallet.address,
      statement: 'Sign in to the example app.',
      uri: 'https://app.example/login',
      version: '1',
      chainId: 1,
      nonce: ch2.body.challenge,
      issuedAt: new Date(h.clock()).toISOString(),
    });
    const siwe = await verify({
      type: 'eth',
      challengeId: ch2.body.challengeId,
      address: wallet.address,
      message,
      signature: await wallet.signMessage(message),
    });
    assert.equal(siwe.status, 200, JSON.stringify(siwe.body));

    // A SIWE message for another domain is refused with the precise reason in the audit.
    const ch3 = await challenge('eth');
    const foreign = message
      .replace('app.example wants', 'evil.example wants')
      .replace(ch2.body.challenge, ch3.body.challenge);
    const refused = await verify({
      type: 'eth',
      challengeId: ch3.body.challengeId,
      address: wallet.address,
      message: foreign,
      signature: await wallet.signMessage(foreign),
    });
    assert.equal(refused.status, 401);
    assert.equal((await auditReasons('eth-user'))[0], 'domain_mismatch');
  });

  test('a mixed-case address with a bad EIP-55 checksum is refused at registration', async () => {
    const wallet = Wallet.createRandom();
    const bad =
      wallet.address.slice(0, 2) +
      [...wallet.address.slice(2)]
        .map((c) => (/[a-f]/.test(c) ? c.toUpperCase() : /[A-F]/.test(c) ? c.toLowerCase() : c))
        .join('');
    if (bad === wallet.address) return; // an all-digit address has no checksum letters (vanishingly rare)
    const r = await client.registerCredential('eth-bad', { type: 'eth', address: bad });
    assert.equal(r.status, 400);
    assert.equal((r.body as { error: { code: string } }).error.code, 'invalid_request');
  });
});

describe('mykey', () => {
  let chainApi: Server;
  let chainKey: PrivateKey;
  let chainCalls: unknown[];

  before(async () => {
    chainKey = PrivateKey.generate('K1');
    chainCalls = [];
    // A real HTTP Antelope chain API answering get_table_rows for mykeymanager/keydata.
    chainApi = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const q = JSON.parse(body);
        chainCalls.push({ path: req.url, ...q });
        const rows =
          q.code === 'mykeymanager' && q.table === 'keydata' && q.scope === 'chainacct'
            ? [{ index: 3, key: { pubkey: chainKey.toPublic().toString(), status: 1 } }]
            : [];
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ rows, more: false }));
      });
    });
    await new Promise<void>((r) => chainApi.listen(0, '127.0.0.1', r));
  });

  after(() => new Promise<void>((r) => chainApi.close(() => r())));

  const seconds = () => String(Math.floor(h.clock() / 1000));

  test('EOS callback signed with the registered key completes the session once', async () => {
    const key = PrivateKey.generate('K1');
    assert.equal(
      (await registerEosKey(client, baseUrl, h.app.id, { userId: 'mk-user', account: 'mkaccount', key }))
        .status,
      201,
    );
    const session = await publicCall('POST', '/v1/mykey/sessions', { appId: h.app.id });
    assert.equal(session.status, 200);
    assert.equal(session.body.callbackUrl, `${h.deps.issuer}/v1/mykey/callback/${h.app.id}`);
    const uuID = session.body.uuID;
    const pollSecret = session.body.pollSecret as string;
    const timestamp = seconds();
    const ref = 'mykey';
    const body = {
      protocol: 'SimpleWallet',
      version: '1.0',
      dapp_key: 'dappkey',
      uuID,
      ref,
      timestamp,
      account: 'mkaccount',
      chain: 'EOS',
      sign: signEosText(key, timestamp + 'mkaccount' + uuID + ref),
    };
    const pending = await publicCall('GET', `/v1/mykey/sessions/${uuID}?appId=${h.app.id}`);
    assert.equal(pending.body.status, 'pending');
    const first = await publicCall('POST', `/v1/mykey/callback/${h.app.id}`, body);
    assert.deepEqual(first.body, { code: 0, message: 'success' });
    const second = await publicCall('POST', `/v1/mykey/callback/${h.app.id}`, body);
    assert.notEqual(second.body.code, 0);
    const done = (await (
      await fetch(`${baseUrl}/v1/mykey/sessions/${uuID}?appId=${h.app.id}`, {
        headers: { 'x-signet-poll-secret': pollSecret },
      })
    ).json()) as { status: string; account: string; token: string };
    assert.equal(done.status, 'verified');
    assert.equal(done.account, 'mkaccount');
    await assertToken(done.token, 'mk-user', 'mykey');
  });

  test('a public_key in the body is never trusted on its own', async () => {
    const attacker = PrivateKey.generate('K1');
    const { body: s } = await publicCall('POST', '/v1/mykey/sessions', { appId: h.app.id });
    const timestamp = seconds();
    const answer = await publicCall('POST', `/v1/mykey/callback/${h.app.id}`, {
      uuID: s.uuID,
      ref: 'mykey',
      timestamp,
      account: 'mkaccount',
      chain: 'EOS',
      public_key: attacker.toPublic().toString(),
      sign: signEosText(attacker, timestamp + 'mkaccount' + s.uuID + 'mykey'),
    });
    assert.equal(answer.body.code, 2);
    assert.equal(
      (await publicCall('GET', `/v1/mykey/sessions/${s.uuID}?appId=${h.app.id}`)).body.status,
      'pending',
    );
  });

  test('ETH callback by EIP-191 recovery, the hex form of the message accepted too', async () => {
    const wallet = Wallet.createRandom();
    for (const hexForm of [false, true]) {
      const { body: s } = await publicCall('POST', '/v1/mykey/sessions', { appId: h.app.id });
      const timestamp = seconds();
      const text = timestamp + wallet.address + s.uuID + 'mykey';
      const sign = await wallet.signMessage(hexForm ? '0x' + Buffer.from(text).toString('hex') : text);
      const answer = await publicCall('POST', `/v1/mykey/callback/${h.app.id}`, {
        uuID: s.uuID,
        ref: 'mykey',
        timestamp,
        account: wallet.address,
        chain: 'ETH',
        sign,
      });
      assert.equal(answer.body.code, 0, `hexForm=${hexForm}`);
      // The account is shown to the session's creator (its poll secret) only.
      const done = (await (
        await fetch(`${baseUrl}/v1/mykey/sessions/${s.uuID}?appId=${h.app.id}`, {
          headers: { 'x-signet-poll-secret': s.pollSecret },
        })
      ).json()) as { chain: string; account: string };
      assert.equal(done.chain, 'ETH');
      assert.equal(done.account, wallet.address.toLowerCase());
    }
  });

  test('with a chain API configured, the Reserved key (mykeymanager/keydata index 3) is used', async () => {
    await updateApp(h.deps, h.app.id, {
      settings: { chainApi: `http://127.0.0.1:${(chainApi.address() as { port: number }).port}` },
    });
    try {
      const { body: s } = await publicCall('POST', '/v1/mykey/sessions', { appId: h.app.id });
      const timestamp = seconds();
      const sign = signEosText(chainKey, timestamp + 'chainacct' + s.uuID + 'mykey');
      const answer = await publicCall('POST', `/v1/mykey/callback/${h.app.id}`, {
        uuID: s.uuID,
        ref: 'mykey',
        timestamp,
        account: 'chainacct',
        chain: 'EOS',
        sign,
      });
      assert.equal(answer.body.code, 0, JSON.stringify(answer.body));
      assert.deepEqual(chainCalls.at(-1), {
        path: '/v1/chain/get_table_rows',
        json: true,
        code: 'mykeymanager',
        scope: 'chainacct',
        table: 'keydata',
        lower_bound: '3',
        upper_bound: '3',
        limit: 1,
      });

      // The SDK-result check: signature and mykeyUIDSignature both by the account's key.
      const { body: s2 } = await publicCall('POST', '/v1/mykey/sessions', { appId: h.app.id });
      const ts2 = seconds();
      const base = ts2 + 'chainacct' + s2.uuID + 'mykey';
      const sdk = {
        appId: h.app.id,
        uuID: s2.uuID,
        account: 'chainacct',
        chain: 'EOS',
        timestamp: ts2,
        mykeyUID: 'uid-123',
        origin: 'mykey',
        pubKey: PrivateKey.generate('K1').toPublic().toString(),
        signature: signEosText(chainKey, base),
        mykeyUIDSignature: signEosText(chainKey, base + 'uid-123'),
      };
      const verified = await publicCall('POST', '/v1/mykey/verify', sdk);
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      assert.equal(verified.body.status, 'verified');
      const twice = await publicCall('POST', '/v1/mykey/verify', sdk);
      assert.equal(twice.status, 401);
    } finally {
      await updateApp(h.deps, h.app.id, { settings: { chainApi: null } });
    }
  });
});

describe('tokens and operations', () => {
  test('keys rotate: a new kid signs, the old key stays in the JWKS so its tokens still verify', async () => {
    const { privateKey, publicKey } = rsaKey();
    await client.registerCredential('rot', {
      type: 'device',
      publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
    });
    const login = async () => {
      const ch = await challenge('device', 'rot');
      const signature = nodeSign('sha256', Buffer.from(ch.body.challenge), privateKey).toString('base64');
      return (await verify({ type: 'device', challengeId: ch.body.challengeId, userId: 'rot', signature }))
        .body.token as string;
    };
    const before = await login();
    const { kid } = await createTokenService(h.deps).rotate();
    h.clock.advance(11_000); // past the server's active-key recheck interval
    const afterToken = await login();
    assert.equal(decodeProtectedHeader(afterToken).kid, kid);
    assert.notEqual(decodeProtectedHeader(before).kid, kid);
    const jwks = await publicCall('GET', '/.well-known/jwks.json');
    const kids = jwks.body.keys.map((k: { kid: string }) => k.kid);
    assert.ok(kids.includes(kid) && kids.includes(decodeProtectedHeader(before).kid));
    await assertToken(before, 'rot', 'device');
    await assertToken(afterToken, 'rot', 'device');
  });

  test('failed attempts per user answer 429 rate_limited; other users are unaffected', async () => {
    const { publicKey } = rsaKey();
    await client.registerCredential('limited', {
      type: 'device',
      publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
    });
    const max = h.app.settings.lockoutMaxFailures;
    const statuses: number[] = [];
    for (let i = 0; i <= max; i++) {
      const ch = await challenge('device', 'limited');
      statuses.push(
        (
          await verify({
            type: 'device',
            challengeId: ch.body.challengeId,
            userId: 'limited',
            signature: 'AAAA',
          })
        ).status,
      );
    }
    assert.deepEqual(statuses, [...Array(max).fill(401), 429]);
    const last = await verify({
      type: 'device',
      challengeId: 'whatever',
      userId: 'limited',
      signature: 'AAAA',
    });
    assert.equal(last.body.error.code, 'rate_limited');
  });

  test('health, readiness, metrics, OpenAPI', async () => {
    assert.equal((await publicCall('GET', '/healthz')).status, 200);
    assert.equal((await publicCall('GET', '/readyz')).status, 200);
    const metrics = await (
      await fetch(baseUrl + '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    assert.match(metrics, /signet_verifications_total\{scheme="device",outcome="success"/);
    assert.match(metrics, /signet_http_requests_total/);
    const openapi = await publicCall('GET', '/openapi.json');
    assert.equal(openapi.status, 200);
    for (const path of [
      '/v1/users/{userId}/credentials',
      '/v1/challenges',
      '/v1/verify',
      '/v1/mykey/sessions',
      '/v1/audit',
      '/v1/webauthn/registration/verify',
    ]) {
      assert.ok(openapi.body.paths[path], `OpenAPI lacks ${path}`);
    }
  });

  test('CORS: an app origin is allowed, another is not', async () => {
    const allowed = await fetch(baseUrl + '/v1/challenges', {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(allowed.headers.get('access-control-allow-origin'), ORIGIN);
    const denied = await fetch(baseUrl + '/v1/challenges', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
  });
});
