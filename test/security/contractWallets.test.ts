// Contract-wallet sign-in (issue 14 item 5, EIP-1271 and EIP-6492) against a real listening
// Signet (SQLite file, 127.0.0.1, real HTTP) whose app asks a real JSON-RPC node: an in-process
// EVM (@ethereumjs/evm, test/support/evmRpc.ts) running the SmartAccount of
// test/vectors/eth/contracts (owner-ECDSA isValidSignature, compiled with solc), not a stub.
// Signers are ethers Wallets, the smart accounts' owners.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Wallet, getAddress } from 'ethers';
import { Address, hexToBytes } from '@ethereumjs/util';
import { createApp } from '../../src/core/apps.js';
import { fetchChainJson } from '../../src/cli/chainFetch.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { runCli } from '../../src/cli/runCli.js';
import { formatSiweMessage } from '../../src/schemes/eth/index.js';
import { captureIo, listen, startHarness, tempDir, type Harness } from '../support/harness.js';
import { startEvmNode, type EvmNode } from '../support/evmRpc.js';

const ORIGIN = 'https://app.example';

let h: Harness;
let baseUrl: string;
let dir: ReturnType<typeof tempDir>;
let node: EvmNode;
let client: SignetClient;
/** Something that listened on a port and closed it: an RPC that is down. */
let deadRpc: string;
/** A JSON-RPC server that answers nonsense. */
let badRpc: Server;
let badRpcUrl: string;
let saltCounter = 0;

const salt = () => `0x${(++saltCounter).toString(16).padStart(64, '0')}`;

async function call(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const challengeFor = (appId: string, userId?: string) =>
  call('/v1/challenges', { appId, type: 'eth', ...(userId === undefined ? {} : { userId }) });

async function clientFor(
  settings: Record<string, unknown>,
): Promise<{ appId: string; client: SignetClient }> {
  const made = await createApp(h.deps, { name: 'cw', origins: [ORIGIN], settings: settings as never });
  return {
    appId: made.app.id,
    client: createSignetClient({ baseUrl, appId: made.app.id, secret: made.secret, now: h.clock }),
  };
}

async function auditReasons(c: SignetClient): Promise<Array<string | null>> {
  const { status, body } = await c.audit({ limit: 100 });
  assert.equal(status, 200);
  return (body as { records: Array<{ reason: string | null }> }).records.map((r) => r.reason);
}

async function tokenSubject(appId: string, token: string): Promise<string | undefined> {
  const jwks = createRemoteJWKSet(new URL(baseUrl + '/.well-known/jwks.json'));
  const { payload } = await jwtVerify(token, jwks, { issuer: h.deps.issuer, audience: appId });
  return payload.sub;
}

/** An EIP-191 login: `signer` signs the challenge; `wrap` turns its signature into the wallet's. */
async function personalLogin(
  appId: string,
  address: string,
  signer: Wallet,
  wrap: (s: string) => string = (s) => s,
) {
  const ch = await challengeFor(appId);
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  return call('/v1/verify', {
    appId,
    type: 'eth',
    challengeId: ch.body.challengeId,
    address,
    signature: wrap(await signer.signMessage(ch.body.challenge)),
  });
}

/** A Sign-In with Ethereum login for `address`, signed by `signer`. */
async function siweLogin(
  appId: string,
  address: string,
  signer: Wallet,
  wrap: (s: string) => string = (s) => s,
) {
  const ch = await challengeFor(appId);
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  const message = formatSiweMessage({
    domain: 'app.example',
    address: getAddress(address),
    statement: 'Sign in to the app with your smart account.',
    uri: ORIGIN,
    version: '1',
    chainId: 1,
    nonce: ch.body.challenge,
    issuedAt: new Date(h.clock()).toISOString(),
  });
  return call('/v1/verify', {
    appId,
    type: 'eth',
    challengeId: ch.body.challengeId,
    address,
    message,
    signature: wrap(await signer.signMessage(message)),
  });
}

/** A registration proof for `userId`: EIP-191 over a challenge issued for that user. */
async function registrationProof(
  appId: string,
  userId: string,
  signer: Wallet,
  wrap: (s: string) => string = (s) => s,
) {
  const ch = await challengeFor(appId, userId);
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  return {
    challengeId: ch.body.challengeId as string,
    signature: wrap(await signer.signMessage(ch.body.challenge)),
  };
}

async function codeSize(address: string): Promise<number> {
  return (await node.evm.stateManager.getCode(new Address(hexToBytes(address as `0x${string}`)))).length;
}

before(async () => {
  dir = tempDir();
  node = await startEvmNode();
  // The production RPC client: real HTTP POSTs with a time-out and a size bound.
  h = await startHarness({
    dbPath: join(dir.dir, 'signet.db'),
    app: { origins: [ORIGIN], settings: { ethRpc: node.url } },
    chainFetch: fetchChainJson,
  });
  baseUrl = await listen(h);
  client = createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret, now: h.clock });

  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  deadRpc = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
  await new Promise<void>((r) => closed.close(() => r()));

  // A misbehaving RPC; the URL's path picks how.
  badRpc = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const json = (o: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(o));
      };
      switch (req.url) {
        case '/non-hex':
          return json({ jsonrpc: '2.0', id: 1, result: 'yes, valid' });
        case '/no-result':
          return json({ jsonrpc: '2.0', id: 1 });
        case '/rpc-error':
          return json({
            jsonrpc: '2.0',
            id: 1,
            error: { code: -32601, message: 'the method eth_call does not exist' },
          });
        case '/array':
          return json([{ jsonrpc: '2.0', id: 1, result: `0x1626ba7e${'0'.repeat(56)}` }]);
        case '/html':
          res.setHeader('content-type', 'text/html');
          return res.end('<html>502 Bad Gateway</html>');
        case '/http-500':
          res.statusCode = 500;
          return res.end('{}');
        case '/hang':
          return; // never answers: the client's time-out (5 s) ends it
        default:
          res.statusCode = 404;
          res.end();
      }
    });
  });
  await new Promise<void>((r) => badRpc.listen(0, '127.0.0.1', r));
  badRpcUrl = `http://127.0.0.1:${(badRpc.address() as { port: number }).port}`;
});

after(async () => {
  await new Promise<void>((r) => badRpc.close(() => r()));
  await node.close();
  await h.close();
  dir.remove();
});

describe('EIP-1271: a deployed smart account', () => {
  let owner: Wallet;
  let account: string;

  before(async () => {
    owner = Wallet.createRandom() as unknown as Wallet;
    account = await node.deployAccount(owner.address, salt());
    assert.ok((await codeSize(account)) > 0);
  });

  test('registers with a proof its owner signed (verifyWalletProof asks the wallet)', async () => {
    const proof = await registrationProof(h.app.id, 'cw-alice', owner);
    const r = await client.registerCredential('cw-alice', { type: 'eth', address: account, proof });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });

  test('EIP-191 login: the owner signs the challenge, the token names the user', async () => {
    const before = node.calls;
    const r = await personalLogin(h.app.id, account, owner);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(await tokenSubject(h.app.id, r.body.token), 'cw-alice');
    assert.equal(node.calls, before + 1, 'the wallet was asked once');
  });

  test('SIWE login: the owner signs the message naming the smart account', async () => {
    const r = await siweLogin(h.app.id, account, owner);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(await tokenSubject(h.app.id, r.body.token), 'cw-alice');
  });

  test('a key that is not the owner is refused (401, audited contract_signature_invalid)', async () => {
    const stranger = Wallet.createRandom() as unknown as Wallet;
    const personal = await personalLogin(h.app.id, account, stranger);
    assert.equal(personal.status, 401);
    assert.equal(personal.body.error.code, 'verification_failed');
    const siwe = await siweLogin(h.app.id, account, stranger);
    assert.equal(siwe.status, 401);
    const reasons = await auditReasons(client);
    assert.ok(reasons.includes('contract_signature_invalid'), JSON.stringify(reasons));
  });

  test('a registration proof by another key is refused and nothing is stored', async () => {
    const other = Wallet.createRandom() as unknown as Wallet;
    const account2 = await node.deployAccount(owner.address, salt());
    const proof = await registrationProof(h.app.id, 'cw-mallory', other);
    const r = await client.registerCredential('cw-mallory', { type: 'eth', address: account2, proof });
    assert.equal(r.status, 401, JSON.stringify(r.body));
    const list = await client.listCredentials('cw-mallory');
    assert.deepEqual((list.body as { credentials: unknown[] }).credentials, []);
  });

  test('a SIWE message signed by the owner but naming another address is refused', async () => {
    const ch = await challengeFor(h.app.id);
    const message = formatSiweMessage({
      domain: 'app.example',
      address: getAddress(owner.address),
      uri: ORIGIN,
      version: '1',
      chainId: 1,
      nonce: ch.body.challenge,
      issuedAt: new Date(h.clock()).toISOString(),
    });
    const r = await call('/v1/verify', {
      appId: h.app.id,
      type: 'eth',
      challengeId: ch.body.challengeId,
      address: account,
      message,
      signature: await owner.signMessage(message),
    });
    assert.equal(r.status, 401);
  });

  test('a SIWE message for another domain is refused after the wallet accepted its signature', async () => {
    const ch = await challengeFor(h.app.id);
    const message = formatSiweMessage({
      domain: 'evil.example',
      address: getAddress(account),
      uri: 'https://evil.example',
      version: '1',
      chainId: 1,
      nonce: ch.body.challenge,
      issuedAt: new Date(h.clock()).toISOString(),
    });
    const r = await call('/v1/verify', {
      appId: h.app.id,
      type: 'eth',
      challengeId: ch.body.challengeId,
      address: account,
      message,
      signature: await owner.signMessage(message),
    });
    assert.equal(r.status, 401);
    const reasons = await auditReasons(client);
    assert.equal(reasons[0], 'domain_mismatch', JSON.stringify(reasons));
  });
});

describe('EIP-6492: a counterfactual (not yet deployed) smart account', () => {
  let owner: Wallet;
  let account: string;
  let accountSalt: string;
  const wrap = (s: string) => node.wrap6492(owner.address, accountSalt, s);

  before(async () => {
    owner = Wallet.createRandom() as unknown as Wallet;
    accountSalt = salt();
    account = await node.counterfactualAddress(owner.address, accountSalt);
    assert.equal(await codeSize(account), 0, 'not deployed');
  });

  test('registers, then signs in with EIP-191 and SIWE; the chain is left unchanged', async () => {
    const proof = await registrationProof(h.app.id, 'cf-bob', owner, wrap);
    const reg = await client.registerCredential('cf-bob', { type: 'eth', address: account, proof });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const personal = await personalLogin(h.app.id, account, owner, wrap);
    assert.equal(personal.status, 200, JSON.stringify(personal.body));
    assert.equal(await tokenSubject(h.app.id, personal.body.token), 'cf-bob');
    const siwe = await siweLogin(h.app.id, account, owner, wrap);
    assert.equal(siwe.status, 200, JSON.stringify(siwe.body));
    assert.equal(await codeSize(account), 0, 'eth_call deployed nothing');
  });

  test('a 6492 signature by another key is refused', async () => {
    const stranger = Wallet.createRandom() as unknown as Wallet;
    const r = await personalLogin(h.app.id, account, stranger, wrap);
    assert.equal(r.status, 401, JSON.stringify(r.body));
  });

  test('a 6492 wrapper deploying a wallet of another owner at another address is refused', async () => {
    const mallory = Wallet.createRandom() as unknown as Wallet;
    // Mallory's factory call deploys her own account, not the registered address.
    const r = await personalLogin(h.app.id, account, mallory, (s) =>
      node.wrap6492(mallory.address, accountSalt, s),
    );
    assert.equal(r.status, 401, JSON.stringify(r.body));
  });

  test('once deployed, the same 6492 signature still verifies (EIP-6492: deployed code is asked)', async () => {
    const deployed = await node.deployAccount(owner.address, accountSalt);
    assert.equal(deployed, account);
    const r = await personalLogin(h.app.id, account, owner, wrap);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const plain = await personalLogin(h.app.id, account, owner);
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
  });
});

describe('the RPC is app configuration; its failures are 503, audited, never 500', () => {
  test('an RPC that is down: 503 store_unavailable, audited rpc_unavailable; key wallets still sign in', async () => {
    const owner = Wallet.createRandom() as unknown as Wallet;
    const account = await node.deployAccount(owner.address, salt());
    const down = await clientFor({ ethRpc: deadRpc, requireWalletProof: false });
    assert.equal(
      (await down.client.registerCredential('down-u', { type: 'eth', address: account })).status,
      201,
    );
    const r = await personalLogin(down.appId, account, owner);
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'store_unavailable');
    assert.ok((await auditReasons(down.client)).includes('rpc_unavailable'));

    // A registration proof that needs the RPC: 503 too, audited, nothing stored.
    const proof = await registrationProof(down.appId, 'down-v', owner);
    const account2 = await node.deployAccount(owner.address, salt());
    const reg = await down.client.registerCredential('down-v', { type: 'eth', address: account2, proof });
    assert.equal(reg.status, 503, JSON.stringify(reg.body));
    assert.deepEqual(
      ((await down.client.listCredentials('down-v')).body as { credentials: unknown[] }).credentials,
      [],
    );

    const eoa = Wallet.createRandom() as unknown as Wallet;
    assert.equal(
      (await down.client.registerCredential('down-eoa', { type: 'eth', address: eoa.address })).status,
      201,
    );
    const ok = await personalLogin(down.appId, eoa.address.toLowerCase(), eoa);
    assert.equal(ok.status, 200, 'an EOA needs no RPC');
  });

  for (const [path, reason] of [
    ['/non-hex', 'rpc_answer_invalid'],
    ['/no-result', 'rpc_answer_invalid'],
    ['/rpc-error', 'rpc_answer_invalid'],
    ['/array', 'rpc_answer_invalid'],
    ['/html', 'rpc_unavailable'],
    ['/http-500', 'rpc_unavailable'],
    ['/hang', 'rpc_unavailable'],
  ] as const) {
    test(`an RPC at ${path}: 503 store_unavailable, audited ${reason}`, async () => {
      const owner = Wallet.createRandom() as unknown as Wallet;
      const account = await node.deployAccount(owner.address, salt());
      const bad = await clientFor({ ethRpc: badRpcUrl + path, requireWalletProof: false });
      assert.equal(
        (await bad.client.registerCredential('bad-u', { type: 'eth', address: account })).status,
        201,
      );
      const r = await personalLogin(bad.appId, account, owner);
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'store_unavailable');
      assert.deepEqual(
        await auditReasons(bad.client),
        [reason, null],
        "the login's reason, then the registration",
      );
    });
  }

  test('bad signatures: over-long is 400 invalid_request, non-hex is 401; neither reaches the RPC', async () => {
    const owner = Wallet.createRandom() as unknown as Wallet;
    const account = await node.deployAccount(owner.address, salt());
    const app = await clientFor({ ethRpc: node.url, requireWalletProof: false });
    await app.client.registerCredential('long-u', { type: 'eth', address: account });
    const before = node.calls;
    const long = await personalLogin(app.appId, account, owner, () => `0x${'ab'.repeat(2048)}`);
    assert.equal(long.status, 400, JSON.stringify(long.body));
    assert.equal(long.body.error.code, 'invalid_request');
    const nonHex = await personalLogin(app.appId, account, owner, () => `0x${'zz'.repeat(65)}`);
    assert.equal(nonHex.status, 401, JSON.stringify(nonHex.body));
    assert.equal(node.calls, before);
    const longest = await personalLogin(app.appId, account, owner, (s) => `${s}${'00'.repeat(2047 - 65)}`);
    assert.equal(
      longest.status,
      401,
      'the longest accepted signature reaches the wallet, which refuses 2047 bytes',
    );
    assert.equal(node.calls, before + 1);
  });

  test('an app without an RPC never asks one: a contract wallet is signature_invalid', async () => {
    const owner = Wallet.createRandom() as unknown as Wallet;
    const account = await node.deployAccount(owner.address, salt());
    const plain = await clientFor({ requireWalletProof: false });
    await plain.client.registerCredential('plain-u', { type: 'eth', address: account });
    const before = node.calls;
    const r = await personalLogin(plain.appId, account, owner);
    assert.equal(r.status, 401);
    assert.equal(node.calls, before);
    assert.ok((await auditReasons(plain.client)).includes('signature_invalid'));
  });

  test('CLI: app set --eth-rpc validates the URL; none clears it', async () => {
    const cliDir = tempDir();
    const env = { SIGNET_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
    try {
      const db = `sqlite:${join(cliDir.dir, 'cli.db')}`;
      const io = captureIo(env);
      assert.equal(
        await runCli(['app', 'create', '--db', db, '--name', 'cli', '--eth-rpc', node.url, '--json'], io),
        0,
        io.stderr(),
      );
      const created = JSON.parse(io.stdout().split('\n')[0]!);
      assert.equal(created.settings.ethRpc, node.url);
      for (const bad of ['ftp://rpc.example', 'not a url', `https://${'a'.repeat(2100)}.example`]) {
        const io2 = captureIo(env);
        assert.notEqual(await runCli(['app', 'set', created.appId, '--db', db, '--eth-rpc', bad], io2), 0);
        assert.doesNotMatch(io2.stderr(), /unexpected error/i);
        assert.match(io2.stderr(), /eth-rpc|ethRpc/);
      }
      const io3 = captureIo(env);
      assert.equal(
        await runCli(['app', 'set', created.appId, '--db', db, '--eth-rpc', 'none', '--json'], io3),
        0,
      );
      assert.equal(JSON.parse(io3.stdout()).settings.ethRpc, null);
    } finally {
      cliDir.remove();
    }
  });
});
