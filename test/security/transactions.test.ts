// Signed transactions (issue 14 item 3, CONTRACT.md "Signed transactions") against a real
// listening Signet, for every scheme: the challenge commits to SHA-256(JCS(transaction)) (checked
// here with the `canonicalize` library, not Signet's JCS), the 200 of /v1/verify echoes the
// transaction and the token carries `txn`; a transaction challenge cannot complete a plain login,
// a plain challenge cannot complete a transaction, and one transaction cannot pass for another.
// The use case: "approve a payment of 125,000 VND to X" with the phone's device key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import canonicalize from 'canonicalize';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { Bytes, PrivateKey } from '@wharfkit/antelope';
import { Wallet } from 'ethers';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { createSignetVerifier } from '../../src/client/tokens.js';
import { formatSiweMessage } from '../../src/schemes/eth/index.js';
import { FLAG, assert as passkeyAssert, makeCredential, register } from '../webauthn/softAuthenticator.js';
import { listen, startHarness, type Harness } from '../support/harness.js';

const ORIGIN = 'https://app.example';
const RP_ID = 'app.example';
const PAYMENT = { action: 'payment', amount: 125000, currency: 'VND', to: 'X', memo: 'Đơn hàng #42' };
/** Member order must not matter: JCS sorts. */
const PAYMENT_REORDERED = {
  to: 'X',
  memo: 'Đơn hàng #42',
  currency: 'VND',
  amount: 125000,
  action: 'payment',
};
const OTHER = { ...PAYMENT, amount: 1250000 };

/** base64url(SHA-256(JCS(tx))), computed with the peer `canonicalize`. */
const hashOf = (tx: unknown): Buffer =>
  createHash('sha256')
    .update(canonicalize(tx) as string, 'utf8')
    .digest();
const txnOf = (tx: unknown): string => hashOf(tx).toString('base64url');

let h: Harness;
let baseUrl: string;
let client: SignetClient;

async function call(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const challenge = (type: string, userId?: string, transaction?: unknown) =>
  call('/v1/challenges', {
    appId: h.app.id,
    type,
    ...(userId ? { userId } : {}),
    ...(transaction === undefined ? {} : { transaction }),
  });

const verify = (proof: Record<string, unknown>) => call('/v1/verify', { appId: h.app.id, ...proof });

async function tokenClaims(token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(
    token,
    createRemoteJWKSet(new URL(baseUrl + '/.well-known/jwks.json')),
    {
      issuer: h.deps.issuer,
      audience: h.app.id,
      algorithms: ['EdDSA'],
    },
  );
  return payload;
}

/** Login attempts audited with this reason (aggregated records count as many). */
async function audited(reason: string): Promise<number> {
  const records = await h.store.audit.list(h.app.id, { limit: 1000 });
  return records
    .filter((r) => r.action === 'login' && r.reason === reason)
    .reduce((n, r) => n + (r.count ?? 1), 0);
}

/** The phone's device key (P-256), registered for `tx-phone`. */
const phone = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const phoneSign = (challenge: string): string =>
  nodeSign('sha256', Buffer.from(challenge, 'utf8'), phone.privateKey).toString('base64');

/** One scheme's way to answer a challenge: the fields of /v1/verify besides appId and type. */
type Prover = (challenge: { challengeId: string; challenge: string }) => Promise<Record<string, unknown>>;

before(async () => {
  h = await startHarness({ app: { origins: [ORIGIN], rpId: RP_ID } });
  baseUrl = await listen(h);
  client = createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret });
});
after(async () => {
  await h.close();
});

/**
 * The four checks every scheme must pass: the transaction completes with its own challenge
 * (echo, `txn` claim, no session); a transaction challenge refuses a plain verify and another
 * transaction; a plain challenge refuses a verify naming a transaction; a plain login still works.
 */
async function exercise(
  type: 'device' | 'webauthn' | 'eos' | 'eth',
  userId: string | undefined,
  prove: Prover,
): Promise<void> {
  // 1. The transaction challenge commits to the hash, and completes the transaction.
  const ch = await challenge(type, userId, PAYMENT);
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  assert.equal(ch.body.txn, txnOf(PAYMENT));
  if (type === 'eth') {
    assert.match(ch.body.challenge, /^[A-Za-z0-9]{86}$/);
    assert.equal(ch.body.challenge.slice(22), hashOf(PAYMENT).toString('hex'));
  } else {
    const bytes = Buffer.from(ch.body.challenge, 'base64url');
    assert.equal(bytes.length, 64);
    assert.deepEqual(bytes.subarray(32), hashOf(PAYMENT));
  }
  const ok = await verify({ type, ...(await prove(ch.body)), transaction: PAYMENT_REORDERED });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body.transaction, PAYMENT_REORDERED);
  assert.equal(ok.body.refreshToken, undefined, 'an approval starts no session');
  const claims = await tokenClaims(ok.body.token);
  assert.equal(claims['txn'], txnOf(PAYMENT));
  assert.deepEqual(claims.amr, [type]);

  // 2. A transaction challenge cannot complete a plain login, nor another transaction.
  let before = await audited('transaction_mismatch');
  const ch2 = await challenge(type, userId, PAYMENT);
  const plain = await verify({ type, ...(await prove(ch2.body)) });
  assert.equal(plain.status, 401, JSON.stringify(plain.body));
  assert.equal(plain.body.error.code, 'verification_failed');
  assert.equal(await audited('transaction_mismatch'), ++before);
  const ch3 = await challenge(type, userId, PAYMENT);
  const other = await verify({ type, ...(await prove(ch3.body)), transaction: OTHER });
  assert.equal(other.status, 401, JSON.stringify(other.body));
  assert.equal(await audited('transaction_mismatch'), ++before);
  // Consumed by the refused attempt: the right transaction cannot follow with that challenge.
  const late = await verify({ type, ...(await prove(ch3.body)), transaction: PAYMENT });
  assert.equal(late.status, 401);

  // 3. A plain challenge cannot complete a transaction.
  const ch4 = await challenge(type, userId);
  assert.equal(ch4.body.txn, undefined);
  const asTx = await verify({ type, ...(await prove(ch4.body)), transaction: PAYMENT });
  assert.equal(asTx.status, 401, JSON.stringify(asTx.body));
  assert.equal(await audited('transaction_mismatch'), ++before);

  // 4. A plain login is unchanged: a session, no `txn`, no `transaction`.
  const ch5 = await challenge(type, userId);
  const login = await verify({ type, ...(await prove(ch5.body)) });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.equal(typeof login.body.refreshToken, 'string');
  assert.equal(login.body.transaction, undefined);
  assert.equal((await tokenClaims(login.body.token))['txn'], undefined);
}

describe('signed transactions over HTTP, every scheme', () => {
  test('device: approve a payment of 125,000 VND to X with the phone key', async () => {
    const { publicKey } = phone;
    const reg = await client.registerCredential('tx-phone', {
      type: 'device',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      deviceId: 'phone-1',
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    await exercise('device', 'tx-phone', async (ch) => ({
      challengeId: ch.challengeId,
      userId: 'tx-phone',
      signature: phoneSign(ch.challenge),
    }));
  });

  test('webauthn: the assertion signs the challenge bytes that end with the hash', async () => {
    const options = await client.webauthnRegistrationOptions({
      userId: 'tx-passkey',
      userName: 'tx@example.com',
    });
    assert.equal(options.status, 200);
    const { challengeId, options: o } = options.body as { challengeId: string; options: any };
    const cred = makeCredential('ES256', 0x71);
    const done = await client.webauthnRegistrationVerify({
      challengeId,
      response: register(cred, {
        challenge: Buffer.from(o.challenge, 'base64url'),
        origin: ORIGIN,
        rpId: RP_ID,
      }),
    });
    assert.equal(done.status, 201, JSON.stringify(done.body));
    let counter = 0;
    await exercise('webauthn', 'tx-passkey', async (ch) => ({
      challengeId: ch.challengeId,
      response: passkeyAssert(cred, {
        challenge: Buffer.from(ch.challenge, 'base64url'),
        origin: ORIGIN,
        rpId: RP_ID,
        counter: ++counter,
        flags: FLAG.UP | FLAG.UV,
      }),
    }));
  });

  test('eos: the SIG_K1_ signature over the challenge string', async () => {
    const key = PrivateKey.generate('K1');
    const proofCh = await challenge('eos', 'tx-eos');
    const reg = await client.registerCredential('tx-eos', {
      type: 'eos',
      account: 'txpayer.eos',
      publicKey: key.toPublic().toLegacyString(),
      proof: {
        challengeId: proofCh.body.challengeId,
        signature: key.signMessage(Bytes.from(proofCh.body.challenge, 'utf8')).toString(),
      },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    await exercise('eos', 'tx-eos', async (ch) => ({
      challengeId: ch.challengeId,
      account: 'txpayer.eos',
      signature: key.signMessage(Bytes.from(ch.challenge, 'utf8')).toString(),
    }));
  });

  const wallet = Wallet.createRandom();

  test('eth: EIP-191 personal_sign over the challenge', async () => {
    const proofCh = await challenge('eth', 'tx-eth');
    const reg = await client.registerWallet('tx-eth', {
      type: 'eth',
      address: wallet.address,
      proof: {
        challengeId: proofCh.body.challengeId,
        signature: await wallet.signMessage(proofCh.body.challenge),
      },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    await exercise('eth', 'tx-eth', async (ch) => ({
      challengeId: ch.challengeId,
      address: wallet.address,
      signature: await wallet.signMessage(ch.challenge),
    }));
  });

  const siwe = (nonce: string, resources?: string[]) =>
    formatSiweMessage({
      domain: 'app.example',
      address: wallet.address,
      statement: 'Approve a payment of 125,000 VND to X.',
      uri: 'https://app.example/pay',
      version: '1',
      chainId: 1,
      nonce,
      issuedAt: new Date(h.clock()).toISOString(),
      ...(resources ? { resources } : {}),
    });

  test('eth: Sign-In with Ethereum naming urn:signet:txn:<txn> among its Resources', async () => {
    await exercise('eth', 'tx-eth', async (ch) => {
      // The resource is named for a transaction challenge, never for a plain one.
      const message = siwe(
        ch.challenge,
        ch.challenge.length === 86 ? [`urn:signet:txn:${txnOf(PAYMENT)}`] : undefined,
      );
      return {
        challengeId: ch.challengeId,
        address: wallet.address,
        message,
        signature: await wallet.signMessage(message),
      };
    });
    // Without the resource (or with another transaction's), the SIWE approval is refused.
    for (const resources of [undefined, [`urn:signet:txn:${txnOf(OTHER)}`]]) {
      const before = await audited('transaction_mismatch');
      const ch = await challenge('eth', 'tx-eth', PAYMENT);
      const message = siwe(ch.body.challenge, resources);
      const r = await verify({
        type: 'eth',
        challengeId: ch.body.challengeId,
        address: wallet.address,
        message,
        signature: await wallet.signMessage(message),
        transaction: PAYMENT,
      });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(await audited('transaction_mismatch'), before + 1);
    }
  });

  test("the relying party's verifier: an approval token is no login, and approves only its transaction", async () => {
    const signet = createSignetVerifier({ url: baseUrl, audience: h.app.id });
    const ch = await challenge('device', 'tx-phone', PAYMENT);
    const approval = await verify({
      type: 'device',
      challengeId: ch.body.challengeId,
      userId: 'tx-phone',
      signature: phoneSign(ch.body.challenge),
      transaction: PAYMENT,
    });
    assert.equal(approval.status, 200, JSON.stringify(approval.body));
    const ok = await signet.verify(approval.body.token, { transaction: PAYMENT_REORDERED });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    if (ok.ok) assert.equal(ok.claims.txn, txnOf(PAYMENT));
    assert.deepEqual(await signet.verify(approval.body.token), { ok: false, reason: 'transaction_mismatch' });
    // Introspection shows the approval and what it approves.
    const seen = (await client.introspect(approval.body.token)).body as { active: boolean; txn?: string };
    assert.equal(seen.active, true);
    assert.equal(seen.txn, txnOf(PAYMENT));
    assert.deepEqual(await signet.verify(approval.body.token, { transaction: OTHER }), {
      ok: false,
      reason: 'transaction_mismatch',
    });
    const ch2 = await challenge('device', 'tx-phone');
    const login = await verify({
      type: 'device',
      challengeId: ch2.body.challengeId,
      userId: 'tx-phone',
      signature: phoneSign(ch2.body.challenge),
    });
    assert.equal(login.status, 200);
    assert.equal((await signet.verify(login.body.token)).ok, true);
    assert.deepEqual(await signet.verify(login.body.token, { transaction: PAYMENT }), {
      ok: false,
      reason: 'transaction_mismatch',
    });
  });

  test('a transaction challenge is no proof of possession for a wallet registration', async () => {
    const w = Wallet.createRandom();
    const ch = await challenge('eth', 'tx-reg', PAYMENT);
    const reg = await client.registerWallet('tx-reg', {
      type: 'eth',
      address: w.address,
      proof: { challengeId: ch.body.challengeId, signature: await w.signMessage(ch.body.challenge) },
    });
    assert.equal(reg.status, 401, JSON.stringify(reg.body));
    const list = (await client.listCredentials('tx-reg')).body as { credentials: unknown[] };
    assert.deepEqual(list.credentials, []);
  });

  test('bad transactions are refused with 400; at /v1/verify before the challenge is spent', async () => {
    const big = { blob: 'x'.repeat(4100) };
    const deep = JSON.parse('{"a":'.repeat(20) + '1' + '}'.repeat(20));
    for (const transaction of [[1, 2], 'pay X', 42, null, big, deep]) {
      const r = await challenge('device', 'tx-phone', transaction);
      assert.equal(r.status, 400, `${JSON.stringify(transaction).slice(0, 60)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'invalid_request');
    }
    // The same at /v1/verify: refused before any challenge is spent.
    const ch = await challenge('device', 'tx-phone', PAYMENT);
    const r = await verify({
      type: 'device',
      challengeId: ch.body.challengeId,
      userId: 'tx-phone',
      signature: Buffer.alloc(64, 1).toString('base64'),
      transaction: big,
    });
    assert.equal(r.status, 400);
    const ok = await verify({
      type: 'device',
      challengeId: ch.body.challengeId,
      userId: 'tx-phone',
      signature: phoneSign(ch.body.challenge),
      transaction: PAYMENT,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});
