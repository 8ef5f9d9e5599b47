// Identity binding (CONTRACT.md "Identity binding", issue 9): every proof names exactly one user.
// Each finding of the issue is replayed here as an attacker would, against a real listening
// Signet (SQLite file, 127.0.0.1, real HTTP) with real signers: node:crypto RSA / P-256 /
// Ed25519, @wharfkit/antelope for EOS, ethers for Ethereum, and a real HTTP chain API for MYKEY.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Bytes, PrivateKey } from '@wharfkit/antelope';
import { Wallet } from 'ethers';
import { createApp } from '../../src/core/apps.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { runCli } from '../../src/cli/runCli.js';
import { formatSiweMessage } from '../../src/schemes/eth/index.js';
import type { App, Credential } from '../../src/store/types.js';
import {
  FLAG,
  assert as passkeyAssert,
  encodeCoseKey,
  makeCredential,
  register,
  type SoftCredential,
} from '../webauthn/softAuthenticator.js';
import { captureIo, listen, startHarness, tempDir, type Harness } from '../support/harness.js';

const ORIGIN = 'https://app.example';
const RP_ID = 'app.example';

let h: Harness;
let baseUrl: string;
let dir: ReturnType<typeof tempDir>;
/** The harness's app: created now, so wallet proofs are required (the default for new apps). */
let client: SignetClient;
/** An app as it was before wallet proofs existed: `requireWalletProof: false`. */
let legacy: { app: App; client: SignetClient };
let chainApi: Server;
let chainKey: PrivateKey;

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

const challengeFor = (appId: string, type: string, userId?: string) =>
  publicCall('POST', '/v1/challenges', { appId, type, ...(userId === undefined ? {} : { userId }) });

const code = (r: { body: any }) => (r.body as { error?: { code?: string } } | null)?.error?.code;

async function auditReasons(c: SignetClient, userId: string): Promise<Array<string | null>> {
  const { status, body } = await c.audit({ userId, limit: 100 });
  assert.equal(status, 200);
  return (body as { records: Array<{ reason: string | null }> }).records.map((r) => r.reason);
}

async function tokenSubject(appId: string, token: string): Promise<string | undefined> {
  const jwks = createRemoteJWKSet(new URL(baseUrl + '/.well-known/jwks.json'));
  const { payload } = await jwtVerify(token, jwks, { issuer: h.deps.issuer, audience: appId });
  return payload.sub;
}

/** An EOS proof of possession: `key` signs a fresh challenge issued for `userId`. */
async function eosProof(appId: string, userId: string, key: PrivateKey) {
  const ch = await challengeFor(appId, 'eos', userId);
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  return {
    challengeId: ch.body.challengeId as string,
    signature: key.signMessage(Bytes.from(ch.body.challenge, 'utf8')).toString(),
  };
}

/** An Ethereum proof of possession: EIP-191 over a fresh challenge issued for `userId`. */
async function ethProof(appId: string, userId: string, wallet: { signMessage(m: string): Promise<string> }) {
  const ch = await challengeFor(appId, 'eth', userId);
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  return {
    challengeId: ch.body.challengeId as string,
    signature: await wallet.signMessage(ch.body.challenge),
  };
}

const seconds = () => String(Math.floor(h.clock() / 1000));

/** MYKEY's server calling back for `account`, signed by `key`. */
async function mykeyCallback(appId: string, account: string, key: PrivateKey) {
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
  // Only the session's creator, holding its poll secret, is handed the token.
  const view = await publicCall('GET', `/v1/mykey/sessions/${uuID}?appId=${appId}`, undefined, {
    'x-signet-poll-secret': session.body.pollSecret as string,
  });
  return { answer: answer.body as { code: number }, view: view.body as { status: string; token?: string } };
}

before(async () => {
  dir = tempDir();
  h = await startHarness({
    dbPath: join(dir.dir, 'signet.db'),
    app: { origins: [ORIGIN], rpId: RP_ID },
    chainFetch: async (url, body) => {
      const r = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
      return r.json();
    },
  });
  baseUrl = await listen(h);
  client = createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret, now: h.clock });
  const made = await createApp(h.deps, {
    name: 'legacy app',
    origins: [ORIGIN],
    rpId: RP_ID,
    settings: { requireWalletProof: false } as never,
  });
  legacy = {
    app: made.app,
    client: createSignetClient({ baseUrl, appId: made.app.id, secret: made.secret, now: h.clock }),
  };
  chainKey = PrivateKey.generate('K1');
  chainApi = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const q = JSON.parse(body);
      const rows =
        q.code === 'mykeymanager' && q.table === 'keydata'
          ? [{ index: 3, key: { pubkey: chainKey.toPublic().toString(), status: 1 } }]
          : [];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ rows, more: false }));
    });
  });
  await new Promise<void>((r) => chainApi.listen(0, '127.0.0.1', r));
});

after(async () => {
  await new Promise<void>((r) => chainApi.close(() => r()));
  await h.close();
  dir.remove();
});

describe('finding 1: MYKEY names the owner of the key that verified, never the first row', () => {
  test('user B registers user A’s EOS account with B’s key and signs a callback: no token names A', async () => {
    const keyA = PrivateKey.generate('K1');
    const keyB = PrivateKey.generate('K1');
    const a = await legacy.client.registerCredential('mk-alice', {
      type: 'eos',
      account: 'mkvictim',
      publicKey: keyA.toPublic().toString(),
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    h.clock.advance(1000); // A's row is the older one: the one the flaw picked
    // The attack: the server API lets B's app backend name any account.
    const b = await legacy.client.registerCredential('mk-mallory', {
      type: 'eos',
      account: 'mkvictim',
      publicKey: keyB.toPublic().toString(),
    });
    const forged = await mykeyCallback(legacy.app.id, 'mkvictim', keyB);
    if (forged.view.token !== undefined) {
      assert.notEqual(
        await tokenSubject(legacy.app.id, forged.view.token),
        'mk-alice',
        'B got a token naming A',
      );
    }
    assert.equal(forged.answer.code, 2, 'the callback signed by B’s key is refused');
    assert.equal(forged.view.status, 'pending');
    assert.equal(b.status, 409, JSON.stringify(b.body));
    assert.equal(code(b), 'conflict');

    const genuine = await mykeyCallback(legacy.app.id, 'mkvictim', keyA);
    assert.equal(genuine.answer.code, 0);
    assert.equal(await tokenSubject(legacy.app.id, genuine.view.token!), 'mk-alice');
  });

  test('/v1/mykey/verify: the same attack through the SDK-result check', async () => {
    const keyA = PrivateKey.generate('K1');
    const keyB = PrivateKey.generate('K1');
    assert.equal(
      (
        await legacy.client.registerCredential('mk2-alice', {
          type: 'eos',
          account: 'mkvictim2',
          publicKey: keyA.toPublic().toString(),
        })
      ).status,
      201,
    );
    const b = await legacy.client.registerCredential('mk2-mallory', {
      type: 'eos',
      account: 'mkvictim2',
      publicKey: keyB.toPublic().toString(),
    });
    assert.equal(b.status, 409);
    const sdk = async (key: PrivateKey) => {
      const { body: s } = await publicCall('POST', '/v1/mykey/sessions', { appId: legacy.app.id });
      const ts = seconds();
      const base = ts + 'mkvictim2' + s.uuID + 'mykey';
      return publicCall('POST', '/v1/mykey/verify', {
        appId: legacy.app.id,
        uuID: s.uuID,
        account: 'mkvictim2',
        chain: 'EOS',
        timestamp: ts,
        mykeyUID: 'uid-1',
        origin: 'mykey',
        signature: key.signMessage(Bytes.from(base, 'utf8')).toString(),
        mykeyUIDSignature: key.signMessage(Bytes.from(base + 'uid-1', 'utf8')).toString(),
      });
    };
    const forged = await sdk(keyB);
    assert.equal(forged.status, 401, JSON.stringify(forged.body));
    assert.equal(code(forged), 'verification_failed');
    const genuine = await sdk(keyA);
    assert.equal(genuine.status, 200, JSON.stringify(genuine.body));
    assert.equal(await tokenSubject(legacy.app.id, genuine.body.token), 'mk2-alice');
  });

  test('Reserved-key path: the token names the account’s single registered owner', async () => {
    const chain = `http://127.0.0.1:${(chainApi.address() as { port: number }).port}`;
    const { app, secret } = await createApp(h.deps, {
      name: 'mykey chain app',
      origins: [ORIGIN],
      settings: { chainApi: chain, requireWalletProof: false } as never,
    });
    const c = createSignetClient({ baseUrl, appId: app.id, secret, now: h.clock });
    // Registered with the account's Reserved key: a registration proves a key, not the account,
    // so only a key the chain names lets it name the user (test/security/redteam.test.ts).
    const own = chainKey;
    assert.equal(
      (
        await c.registerCredential('chain-owner', {
          type: 'eos',
          account: 'chainown',
          publicKey: own.toPublic().toString(),
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await c.registerCredential('chain-intruder', {
          type: 'eos',
          account: 'chainown',
          publicKey: PrivateKey.generate('K1').toPublic().toString(),
        })
      ).status,
      409,
    );
    const done = await mykeyCallback(app.id, 'chainown', chainKey);
    assert.equal(done.answer.code, 0);
    assert.equal(await tokenSubject(app.id, done.view.token!), 'chain-owner');
    // An account nobody registered: the token names the account itself, not a user.
    const free = await mykeyCallback(app.id, 'chainfree', chainKey);
    assert.equal(free.answer.code, 0);
    assert.equal(await tokenSubject(app.id, free.view.token!), 'mykey:eos:chainfree');
  });
});

describe('finding 2: one wallet, one user, per app', () => {
  test('an Ethereum address: a second user gets 409 conflict, the owner again is idempotent', async () => {
    const wallet = Wallet.createRandom();
    const first = await legacy.client.registerCredential('w-alice', { type: 'eth', address: wallet.address });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const id = (first.body as { id: string }).id;
    // The victim's address in another spelling (lowercase) is the same address.
    const stolen = await legacy.client.registerCredential('w-mallory', {
      type: 'eth',
      address: wallet.address.toLowerCase(),
    });
    assert.equal(stolen.status, 409, JSON.stringify(stolen.body));
    assert.equal(code(stolen), 'conflict');
    const again = await legacy.client.registerCredential('w-alice', { type: 'eth', address: wallet.address });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((again.body as { id: string }).id, id);
    const list = await legacy.client.listCredentials('w-alice');
    assert.equal((list.body as { credentials: unknown[] }).credentials.length, 1);
    assert.equal(
      ((await legacy.client.listCredentials('w-mallory')).body as { credentials: unknown[] }).credentials
        .length,
      0,
    );

    // A login without userId names the one owner.
    const ch = await challengeFor(legacy.app.id, 'eth');
    const ok = await publicCall('POST', '/v1/verify', {
      appId: legacy.app.id,
      type: 'eth',
      challengeId: ch.body.challengeId,
      address: wallet.address,
      signature: await wallet.signMessage(ch.body.challenge),
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.userId, 'w-alice');

    // Another app is another namespace.
    const elsewhere = await client.registerCredential('w-mallory', {
      type: 'eth',
      address: wallet.address,
      proof: await ethProof(h.app.id, 'w-mallory', wallet),
    });
    assert.equal(elsewhere.status, 201, JSON.stringify(elsewhere.body));
  });

  test('an EOS account: a second user gets 409, even with another key', async () => {
    const key = PrivateKey.generate('K1');
    const first = await legacy.client.registerCredential('e-alice', {
      type: 'eos',
      account: 'uniqacct',
      publicKey: key.toPublic().toString(),
    });
    assert.equal(first.status, 201);
    for (const publicKey of [key.toPublic().toString(), PrivateKey.generate('K1').toPublic().toString()]) {
      const r = await legacy.client.registerCredential('e-mallory', {
        type: 'eos',
        account: 'uniqacct',
        publicKey,
      });
      assert.equal(r.status, 409, JSON.stringify(r.body));
    }
    const again = await legacy.client.registerCredential('e-alice', {
      type: 'eos',
      account: 'uniqacct',
      publicKey: key.toPublic().toString(),
    });
    assert.equal(again.status, 200);
    assert.equal((again.body as { id: string }).id, (first.body as { id: string }).id);
  });

  test('two users racing for one address: exactly one wins, the other gets 409', async () => {
    const wallet = Wallet.createRandom();
    const results = await Promise.all(
      ['race-1', 'race-2', 'race-3', 'race-4'].map((u) =>
        legacy.client.registerCredential(u, { type: 'eth', address: wallet.address }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409]);
    for (const r of results) assert.notEqual(r.status, 500);
  });
});

describe('finding 3: wallets prove possession at registration', () => {
  test('a new app requires a proof; without one: 400 invalid_request, nothing stored', async () => {
    assert.equal((h.app.settings as { requireWalletProof?: boolean }).requireWalletProof, true);
    const wallet = Wallet.createRandom();
    const r = await client.registerCredential('p-alice', { type: 'eth', address: wallet.address });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(code(r), 'invalid_request');
    const eos = await client.registerCredential('p-alice', {
      type: 'eos',
      account: 'proofless',
      publicKey: PrivateKey.generate('K1').toPublic().toString(),
    });
    assert.equal(eos.status, 400);
    assert.equal(
      ((await client.listCredentials('p-alice')).body as { credentials: unknown[] }).credentials.length,
      0,
    );
  });

  test('Ethereum: EIP-191 and SIWE proofs register; a victim’s address without the victim’s key does not', async () => {
    const mine = Wallet.createRandom();
    const ok = await client.registerCredential('p-bob', {
      type: 'eth',
      address: mine.address,
      proof: await ethProof(h.app.id, 'p-bob', mine),
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));

    const siweWallet = Wallet.createRandom();
    const ch = await challengeFor(h.app.id, 'eth', 'p-bob');
    const message = formatSiweMessage({
      domain: RP_ID,
      address: siweWallet.address,
      statement: 'Link this wallet.',
      uri: `${ORIGIN}/wallets`,
      version: '1',
      chainId: 1,
      nonce: ch.body.challenge,
      issuedAt: new Date(h.clock()).toISOString(),
    });
    const siwe = await client.registerCredential('p-bob', {
      type: 'eth',
      address: siweWallet.address,
      proof: { challengeId: ch.body.challengeId, message, signature: await siweWallet.signMessage(message) },
    });
    assert.equal(siwe.status, 201, JSON.stringify(siwe.body));

    // The attacker signs with their own wallet and names the victim's address.
    const victim = Wallet.createRandom();
    const attacker = Wallet.createRandom();
    const forged = await client.registerCredential('p-mallory', {
      type: 'eth',
      address: victim.address,
      proof: await ethProof(h.app.id, 'p-mallory', attacker),
    });
    assert.equal(forged.status, 401, JSON.stringify(forged.body));
    assert.equal(code(forged), 'verification_failed');
    assert.equal((await auditReasons(client, 'p-mallory'))[0], 'signature_invalid');
  });

  test('the challenge must be issued for that user and scheme, and is spent once', async () => {
    const wallet = Wallet.createRandom();
    // Issued for another user.
    const other = await ethProof(h.app.id, 'someone-else', wallet);
    const r1 = await client.registerCredential('p-carol', {
      type: 'eth',
      address: wallet.address,
      proof: other,
    });
    assert.equal(r1.status, 401);
    assert.equal((await auditReasons(client, 'p-carol'))[0], 'challenge_mismatch');
    // Issued for no user.
    const anon = await challengeFor(h.app.id, 'eth');
    const r2 = await client.registerCredential('p-carol', {
      type: 'eth',
      address: wallet.address,
      proof: { challengeId: anon.body.challengeId, signature: await wallet.signMessage(anon.body.challenge) },
    });
    assert.equal(r2.status, 401);
    assert.equal((await auditReasons(client, 'p-carol'))[0], 'challenge_mismatch');
    // Issued for another scheme.
    const eosCh = await challengeFor(h.app.id, 'eos', 'p-carol');
    const r3 = await client.registerCredential('p-carol', {
      type: 'eth',
      address: wallet.address,
      proof: {
        challengeId: eosCh.body.challengeId,
        signature: await wallet.signMessage(eosCh.body.challenge),
      },
    });
    assert.equal(r3.status, 401);
    assert.equal(code(r3), 'challenge_unknown');
    // Spent once.
    const proof = await ethProof(h.app.id, 'p-carol', wallet);
    const ok = await client.registerCredential('p-carol', { type: 'eth', address: wallet.address, proof });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const replay = await client.registerCredential('p-carol', {
      type: 'eth',
      address: wallet.address,
      proof,
    });
    assert.equal(replay.status, 401);
    assert.equal(code(replay), 'challenge_unknown');
    // A malformed proof is the caller's mistake.
    const bad = await client.registerCredential('p-carol', {
      type: 'eth',
      address: wallet.address,
      proof: { challengeId: 'x', signature: 5 },
    });
    assert.equal(bad.status, 400);
  });

  test('malformed or mismatched proofs answer contract codes, never 500, and leave nothing stored', async () => {
    const wallet = Wallet.createRandom();
    const key = PrivateKey.generate('K1');
    const eth = (proof: unknown) =>
      client.registerCredential('p-frank', { type: 'eth', address: wallet.address, proof });
    const eos = (proof: unknown) =>
      client.registerCredential('p-frank', {
        type: 'eos',
        account: 'frankacct',
        publicKey: key.toPublic().toString(),
        proof,
      });
    const cases: Array<[string, () => Promise<{ status: number; body: unknown }>, number]> = [
      ['eth: empty proof', () => eth({}), 400],
      ['eth: proof is a string', () => eth('sig'), 400],
      [
        'eth: unknown field',
        async () => eth({ ...(await ethProof(h.app.id, 'p-frank', wallet)), extra: 1 }),
        400,
      ],
      ['eth: unknown challenge', () => eth({ challengeId: 'ch_nope', signature: '0x00' }), 401],
      [
        'eth: signature not hex',
        async () => eth({ ...(await ethProof(h.app.id, 'p-frank', wallet)), signature: 'zz' }),
        401,
      ],
      [
        'eth: SIWE message that is not SIWE',
        async () => eth({ ...(await ethProof(h.app.id, 'p-frank', wallet)), message: 'hello' }),
        401,
      ],
      [
        'eos: a message is not part of an eos proof',
        async () => eos({ ...(await eosProof(h.app.id, 'p-frank', key)), message: 'x' }),
        400,
      ],
      [
        'eos: signature not SIG_',
        async () => eos({ ...(await eosProof(h.app.id, 'p-frank', key)), signature: 'SIG_K1_zz' }),
        401,
      ],
      [
        'device: a proof is for wallets only',
        () =>
          client.registerCredential('p-frank', {
            type: 'device',
            publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
              format: 'pem',
              type: 'spki',
            }),
            proof: { challengeId: 'ch_x', signature: 'x' },
          }),
        400,
      ],
    ];
    for (const [name, run, status] of cases) {
      const r = await run();
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
      assert.ok(['invalid_request', 'verification_failed', 'challenge_unknown'].includes(code(r)!), name);
    }
    assert.equal(
      ((await client.listCredentials('p-frank')).body as { credentials: unknown[] }).credentials.length,
      0,
    );
    // Every refused proof that reached verification left an audit record with a precise reason.
    const reasons = await auditReasons(client, 'p-frank');
    assert.ok(reasons.length >= 4, JSON.stringify(reasons));
    assert.ok(reasons.every((r) => r !== null));
  });

  test('EOS: the key registered must sign the challenge', async () => {
    const key = PrivateKey.generate('K1');
    // The backend's own helpers: a challenge for the user, then registerWallet with the proof.
    const ch = await client.walletChallenge('p-dave', 'eos');
    assert.equal(ch.status, 200);
    assert.ok(ch.ok);
    const ok = await client.registerWallet('p-dave', {
      type: 'eos',
      account: 'proofacct',
      publicKey: key.toPublic().toString(),
      proof: {
        challengeId: ch.body.challengeId,
        signature: key.signMessage(Bytes.from(ch.body.challenge, 'utf8')).toString(),
      },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const wrong = await client.registerCredential('p-erin', {
      type: 'eos',
      account: 'proofacct2',
      publicKey: key.toPublic().toString(),
      proof: await eosProof(h.app.id, 'p-erin', PrivateKey.generate('K1')),
    });
    assert.equal(wrong.status, 401);
    assert.equal(code(wrong), 'verification_failed');
    assert.equal((await auditReasons(client, 'p-erin'))[0], 'signature_invalid');
  });

  test('a legacy app keeps registering without a proof until it is switched on; a proof it is given is checked', async () => {
    const wallet = Wallet.createRandom();
    assert.equal(
      (await legacy.client.registerCredential('l-alice', { type: 'eth', address: wallet.address })).status,
      201,
    );
    const other = Wallet.createRandom();
    const bad = await legacy.client.registerCredential('l-bob', {
      type: 'eth',
      address: other.address,
      proof: await ethProof(legacy.app.id, 'l-bob', Wallet.createRandom()),
    });
    assert.equal(bad.status, 401);
  });

  test('CLI: app create / app set --require-wallet-proof and --no-require-wallet-proof', async () => {
    const cliDir = tempDir();
    try {
      const db = `sqlite:${join(cliDir.dir, 'cli.db')}`;
      const io = captureIo({ SIGNET_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
      assert.equal(
        await runCli(['app', 'create', '--db', db, '--name', 'cli', '--json'], io),
        0,
        io.stderr(),
      );
      const created = JSON.parse(io.stdout().split('\n')[0]!);
      assert.equal(created.settings.requireWalletProof, true);
      const io2 = captureIo({ SIGNET_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
      assert.equal(
        await runCli(['app', 'set', created.appId, '--db', db, '--no-require-wallet-proof', '--json'], io2),
        0,
        io2.stderr(),
      );
      assert.equal(JSON.parse(io2.stdout()).settings.requireWalletProof, false);
      const io3 = captureIo({ SIGNET_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
      assert.equal(
        await runCli(['app', 'set', created.appId, '--db', db, '--require-wallet-proof', '--json'], io3),
        0,
        io3.stderr(),
      );
      assert.equal(JSON.parse(io3.stdout()).settings.requireWalletProof, true);
      const io4 = captureIo({ SIGNET_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
      assert.equal(
        await runCli(
          ['app', 'create', '--db', db, '--name', 'cli2', '--no-require-wallet-proof', '--json'],
          io4,
        ),
        0,
        io4.stderr(),
      );
      assert.equal(JSON.parse(io4.stdout()).settings.requireWalletProof, false);
    } finally {
      cliDir.remove();
    }
  });
});

describe('finding 4: a WebAuthn userHandle must be the credential owner’s (WebAuthn L3 §7.2 step 6)', () => {
  const handle = (userId: string) => {
    const b = Buffer.from(userId, 'utf8');
    return new Uint8Array(b.length <= 64 ? b : createHash('sha256').update(b).digest());
  };

  async function registerPasskey(userId: string, cred: SoftCredential) {
    const options = await client.webauthnRegistrationOptions({ userId, userName: userId });
    assert.equal(options.status, 200);
    const { challengeId, options: o } = options.body as { challengeId: string; options: any };
    assert.deepEqual(Buffer.from(o.user.id, 'base64url'), Buffer.from(handle(userId)));
    const done = await client.webauthnRegistrationVerify({
      challengeId,
      response: register(cred, {
        challenge: Buffer.from(o.challenge, 'base64url'),
        origin: ORIGIN,
        rpId: RP_ID,
      }),
    });
    assert.equal(done.status, 201, JSON.stringify(done.body));
  }

  async function login(
    cred: SoftCredential,
    counter: number,
    userId: string | undefined,
    userHandle?: Uint8Array,
  ) {
    const ch = await challengeFor(h.app.id, 'webauthn', userId);
    const response = passkeyAssert(cred, {
      challenge: Buffer.from(ch.body.challenge, 'base64url'),
      origin: ORIGIN,
      rpId: RP_ID,
      counter,
      flags: FLAG.UP | FLAG.UV,
      ...(userHandle ? { userHandle } : {}),
    });
    return publicCall('POST', '/v1/verify', {
      appId: h.app.id,
      type: 'webauthn',
      challengeId: ch.body.challengeId,
      response,
    });
  }

  test('an assertion carrying another user’s handle is refused, named or usernameless', async () => {
    const cred = makeCredential('ES256', 0x71);
    await registerPasskey('uh-alice', cred);
    const named = await login(cred, 1, 'uh-alice', handle('uh-mallory'));
    assert.equal(named.status, 401, JSON.stringify(named.body));
    assert.equal((await auditReasons(client, 'uh-alice'))[0], 'user_handle_mismatch');
    const anon = await login(cred, 2, undefined, handle('uh-mallory'));
    assert.equal(anon.status, 401);
    // A usernameless login must carry the handle (the credential is discoverable).
    const missing = await login(cred, 3, undefined);
    assert.equal(missing.status, 401);
    assert.equal((await auditReasons(client, 'uh-alice'))[0], 'user_handle_mismatch');
    // The owner's own handle works, with or without a userId; without a handle when named, too.
    const good = await login(cred, 4, undefined, handle('uh-alice'));
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body.userId, 'uh-alice');
    assert.equal((await login(cred, 5, 'uh-alice', handle('uh-alice'))).status, 200);
    assert.equal((await login(cred, 6, 'uh-alice')).status, 200);
  });

  test('a userId over 64 bytes has the SHA-256 handle of its registration', async () => {
    const long = `uh-${'x'.repeat(80)}`;
    const cred = makeCredential('EdDSA', 0x72);
    await registerPasskey(long, cred);
    const good = await login(cred, 1, undefined, handle(long));
    assert.equal(good.status, 200, JSON.stringify(good.body));
    const raw = await login(cred, 2, undefined, new Uint8Array(Buffer.from(long.slice(0, 64))));
    assert.equal(raw.status, 401);
  });
});

describe('finding 5: one key policy for device keys and WebAuthn keys, at registration and at login', () => {
  const smallOrder = JSON.parse(
    readFileSync(new URL('../vectors/ed25519-small-order/small-order.json', import.meta.url), 'utf8'),
  ) as { points: Array<{ hex: string; order: number; canonical: boolean }> };

  function weakCredential(cose: Uint8Array, idByte: number): SoftCredential {
    const base = makeCredential('ES256', idByte);
    return { ...base, cose };
  }

  async function tryRegister(userId: string, cred: SoftCredential) {
    const options = await client.webauthnRegistrationOptions({ userId, userName: userId });
    const { challengeId, options: o } = options.body as { challengeId: string; options: any };
    return client.webauthnRegistrationVerify({
      challengeId,
      response: register(cred, {
        challenge: Buffer.from(o.challenge, 'base64url'),
        origin: ORIGIN,
        rpId: RP_ID,
      }),
    });
  }

  /** A key stored before the policy existed (an old database): inserted as it was then. */
  async function storeOld(
    userId: string,
    id: string,
    publicKey: Record<string, unknown>,
  ): Promise<Credential> {
    const credential: Credential = {
      id,
      appId: h.app.id,
      userId,
      type: 'webauthn',
      label: null,
      deviceId: null,
      account: null,
      publicKey: { ...publicKey, backupEligible: false },
      counter: 0,
      createdAt: h.clock(),
      lastUsedAt: null,
    };
    await h.store.credentials.create(credential);
    return credential;
  }

  /** Logs in with an assertion whose signature is `forge(signedBytes)`, knowing only the credential id. */
  async function forgedLogin(userId: string, idB64: string, alg: 'RS256' | 'EdDSA') {
    const ch = await challengeFor(h.app.id, 'webauthn', userId);
    assert.deepEqual(
      ch.body.options.allowCredentials.map((c: { id: string }) => c.id),
      [idB64],
      'the credential id is public',
    );
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: ch.body.challenge,
        origin: ORIGIN,
        crossOrigin: false,
      }),
    );
    const authData = Buffer.alloc(37);
    createHash('sha256').update(RP_ID).digest().copy(authData, 0);
    authData[32] = FLAG.UP | FLAG.UV;
    let signature: Buffer;
    if (alg === 'RS256') {
      // With e = 1, s^e mod n = s: the "signature" is the EMSA-PKCS1-v1_5 encoding itself.
      const hash = createHash('sha256')
        .update(Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]))
        .digest();
      const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), hash]);
      signature = Buffer.concat([
        Buffer.from([0x00, 0x01]),
        Buffer.alloc(256 - 3 - digestInfo.length, 0xff),
        Buffer.from([0x00]),
        digestInfo,
      ]);
    } else {
      // Against the identity point A: R = identity, S = 0 satisfies [S]B = R + [k]A for every message.
      signature = Buffer.concat([Buffer.from('01'.padEnd(64, '0'), 'hex'), Buffer.alloc(32)]);
    }
    const response = {
      id: idB64,
      rawId: idB64,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
      },
    };
    return publicCall('POST', '/v1/verify', {
      appId: h.app.id,
      type: 'webauthn',
      challengeId: ch.body.challengeId,
      response,
    });
  }

  const rsaN = (() => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url'));
  })();

  test('a COSE RSA key with e = 1 is refused at registration', async () => {
    const cose = encodeCoseKey([
      [1, 3],
      [3, -257],
      [-1, rsaN],
      [-2, Uint8Array.of(1)],
    ]);
    const r = await tryRegister('weak-rsa', weakCredential(cose, 0x81));
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal((r.body as { error: { reason: string } }).error.reason, 'key_invalid');
    assert.equal((await auditReasons(client, 'weak-rsa'))[0], 'key_invalid');
  });

  test('an e = 1 key already stored cannot be logged in with a forged signature', async () => {
    const spki = createPublicKey({
      key: { kty: 'RSA', n: Buffer.from(rsaN).toString('base64url'), e: 'AQ' },
      format: 'jwk',
    })
      .export({ format: 'der', type: 'spki' })
      .toString('base64url');
    const id = Buffer.alloc(16, 0x82).toString('base64url');
    await storeOld('old-rsa', id, { alg: -257, spki });
    const forged = await forgedLogin('old-rsa', id, 'RS256');
    assert.equal(forged.status, 401, JSON.stringify(forged.body));
    assert.equal((await auditReasons(client, 'old-rsa'))[0], 'key_invalid');
  });

  test('COSE RSA keys with an even exponent or over 4096 bits are refused', async () => {
    const even = encodeCoseKey([
      [1, 3],
      [3, -257],
      [-1, rsaN],
      [-2, Uint8Array.of(1, 0, 0)],
    ]);
    assert.equal((await tryRegister('weak-rsa-even', weakCredential(even, 0x83))).status, 401);
    const big = createPublicKey(
      readFileSync(new URL('../device/fixtures/rsa-8192.spki.pem', import.meta.url), 'utf8'),
    ).export({ format: 'jwk' });
    const huge = encodeCoseKey([
      [1, 3],
      [3, -257],
      [-1, new Uint8Array(Buffer.from(big.n!, 'base64url'))],
      [-2, new Uint8Array(Buffer.from(big.e!, 'base64url'))],
    ]);
    const r = await tryRegister('weak-rsa-8192', weakCredential(huge, 0x84));
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal((await auditReasons(client, 'weak-rsa-8192'))[0], 'key_invalid');
  });

  test('every small-order Ed25519 point is refused as a COSE key at registration', async () => {
    assert.ok(smallOrder.points.length >= 8);
    let idByte = 0x90;
    for (const p of smallOrder.points) {
      const cose = encodeCoseKey([
        [1, 1],
        [3, -8],
        [-1, 6],
        [-2, new Uint8Array(Buffer.from(p.hex, 'hex'))],
      ]);
      const r = await tryRegister(`weak-ed-${idByte}`, weakCredential(cose, idByte++));
      assert.equal(r.status === 201, false, `${p.hex} registered`);
      assert.ok(r.status === 401 || r.status === 400, `${p.hex}: ${r.status}`);
    }
  });

  test('the Ed25519 identity already stored cannot be logged in with R = identity, S = 0', async () => {
    const spki = Buffer.concat([
      Buffer.from('302a300506032b6570032100', 'hex'),
      Buffer.from('01'.padEnd(64, '0'), 'hex'),
    ]).toString('base64url');
    const id = Buffer.alloc(16, 0xa1).toString('base64url');
    await storeOld('old-ed', id, { alg: -8, spki });
    const forged = await forgedLogin('old-ed', id, 'EdDSA');
    assert.equal(forged.status, 401, JSON.stringify(forged.body));
    assert.equal((await auditReasons(client, 'old-ed'))[0], 'key_invalid');
  });

  test('a P-256 COSE point off the curve is refused', async () => {
    const x = new Uint8Array(32).fill(1);
    const y = new Uint8Array(32).fill(2);
    const cose = encodeCoseKey([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, x],
      [-3, y],
    ]);
    const r = await tryRegister('weak-p256', weakCredential(cose, 0xb1));
    assert.equal(r.status, 401, JSON.stringify(r.body));
  });

  test('a device key with e = 1 already stored is refused at login (key_invalid), forged signature or not', async () => {
    const spki = createPublicKey({
      key: { kty: 'RSA', n: Buffer.from(rsaN).toString('base64url'), e: 'AQ' },
      format: 'jwk',
    })
      .export({ format: 'der', type: 'spki' })
      .toString('base64url');
    await h.store.credentials.create({
      id: 'cred_old_device_e1',
      appId: h.app.id,
      userId: 'old-device',
      type: 'device',
      label: null,
      deviceId: null,
      account: null,
      publicKey: { kind: 'rsa', spki },
      counter: 0,
      createdAt: h.clock(),
      lastUsedAt: null,
    });
    const ch = await challengeFor(h.app.id, 'device', 'old-device');
    // With e = 1 the EMSA-PKCS1-v1_5 encoding of the challenge's hash is its own "signature".
    const digestInfo = Buffer.concat([
      Buffer.from('3031300d060960864801650304020105000420', 'hex'),
      createHash('sha256').update(ch.body.challenge).digest(),
    ]);
    const forged = Buffer.concat([
      Buffer.from([0x00, 0x01]),
      Buffer.alloc(256 - 3 - digestInfo.length, 0xff),
      Buffer.from([0x00]),
      digestInfo,
    ]);
    const r = await publicCall('POST', '/v1/verify', {
      appId: h.app.id,
      type: 'device',
      challengeId: ch.body.challengeId,
      userId: 'old-device',
      signature: forged.toString('base64'),
    });
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal((await auditReasons(client, 'old-device'))[0], 'key_invalid');
  });

  test('device keys follow the same policy: RSA e = 1 and RSA-8192 are refused with invalid_request', async () => {
    const e1 = createPublicKey({
      key: { kty: 'RSA', n: Buffer.from(rsaN).toString('base64url'), e: 'AQ' },
      format: 'jwk',
    }).export({ format: 'pem', type: 'spki' }) as string;
    const r = await client.registerCredential('dev-weak', { type: 'device', publicKey: e1 });
    assert.equal(r.status, 400);
    assert.equal(code(r), 'invalid_request');
    const big = readFileSync(new URL('../device/fixtures/rsa-8192.spki.pem', import.meta.url), 'utf8');
    assert.equal(
      (await client.registerCredential('dev-weak', { type: 'device', publicKey: big })).status,
      400,
    );
    // A sound P-256 device key still registers and logs in.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.equal(
      (
        await client.registerCredential('dev-ok', {
          type: 'device',
          publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
        })
      ).status,
      201,
    );
    const ch = await challengeFor(h.app.id, 'device', 'dev-ok');
    const ok = await publicCall('POST', '/v1/verify', {
      appId: h.app.id,
      type: 'device',
      challengeId: ch.body.challengeId,
      userId: 'dev-ok',
      signature: nodeSign('sha256', Buffer.from(ch.body.challenge), privateKey).toString('base64'),
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});
