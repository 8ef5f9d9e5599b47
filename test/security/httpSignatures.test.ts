// RFC 9421 HTTP Message Signatures on the server API (issue 14 item 1, CONTRACT.md "HTTP Message
// Signatures"), against real listening Signets: the peer library `http-message-signatures` signs
// requests Signet accepts (hmac-sha256 with the app secret, ed25519 with a registered key);
// `createSignetClient` and `signet request` sign either way; the re-aim attack (a body-signed
// request re-sent to another route or method) that the Tiniapp scheme cannot stop fails under
// RFC 9421; a signature is accepted once across two nodes on one Postgres + Redis.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpbis, createSigner } from 'http-message-signatures';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import { createHttpSignatureSigner } from '../../src/client/httpSignatureSigner.js';
import { createApp, updateApp } from '../../src/core/apps.js';
import type { Deps } from '../../src/core/deps.js';
import { silentLogger } from '../../src/core/deps.js';
import { createSealer } from '../../src/core/sealer.js';
import { startSession } from '../../src/core/sessions.js';
import { createTokenService } from '../../src/core/tokens.js';
import { runCli } from '../../src/cli/runCli.js';
import { REASON_CODES } from '../../src/errors/codes.js';
import { buildServer } from '../../src/server/buildServer.js';
import { signTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';
import { createRedisShortLived } from '../../src/store/redis/createRedisShortLived.js';
import { withShortLived } from '../../src/store/redis/withShortLived.js';
import type { Store } from '../../src/store/types.js';
import { captureIo, startHarness, tempDir, type Harness } from '../support/harness.js';
import { freePort } from '../cluster/nodes.js';
import {
  deleteRedisPrefix,
  dropSchema,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from '../cluster/services.js';

interface Answer {
  status: number;
  body: any;
}

/** One HTTP/1.1 request with exactly these headers (Host included), through a real socket. */
function raw(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path: target, headers, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            /* kept as text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** RFC 9530 Content-Digest, computed here rather than with Signet's helper. */
const digest = (body: string) => `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;

/** Headers the peer library signs for a request with this Host, target and body. */
async function peerSigned(
  key: ReturnType<typeof createSigner>,
  method: string,
  host: string,
  target: string,
  body?: string,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { host };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-digest'] = digest(body);
  }
  const fields = [
    '@method',
    '@authority',
    '@path',
    ...(target.includes('?') ? ['@query'] : []),
    ...(body !== undefined ? ['content-digest'] : []),
  ];
  const signed = await httpbis.signMessage(
    { key, fields, paramValues: { nonce: randomBytes(12).toString('hex') } },
    { method, url: `http://${host}${target}`, headers },
  );
  return signed.headers as Record<string, string>;
}

/** How many server-API refusals of `scheme` the app's audit log holds with this reason. */
async function refusals(h: Harness, reason: string, scheme = 'http-signature'): Promise<number> {
  const items = await h.store.audit.list(h.app.id, { limit: 1000 });
  return items
    .filter((r) => r.scheme === scheme && r.action === 'server_api' && r.reason === reason)
    .reduce((n, r) => n + (r.count ?? 1), 0);
}

/** Counts refusals from now on: `one(reason)` asserts exactly one more since the last look. */
async function auditTracker(h: Harness): Promise<{ one(reason: string): Promise<void> }> {
  const reasons = Object.keys(REASON_CODES);
  const seen = new Map<string, number>();
  for (const r of reasons) seen.set(r, await refusals(h, r));
  return {
    async one(reason) {
      for (const r of reasons) {
        const n = await refusals(h, r);
        assert.equal(n - (seen.get(r) ?? 0), r === reason ? 1 : 0, `audit count of '${r}'`);
        seen.set(r, n);
      }
    },
  };
}

describe('RFC 9421 on the server API of a listening Signet', () => {
  let h: Harness;
  let port: number;
  let base: string;
  const ed = generateKeyPairSync('ed25519');
  const edPem = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const edPrivatePem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  /** The issuer's host: `startHarness` sets the issuer to http://signet.test. */
  const HOST = 'signet.test';

  before(async () => {
    port = await freePort();
    h = await startHarness({ server: { httpSignatureAuthorities: [`127.0.0.1:${port}`] } });
    await h.server.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;
    await updateApp(h.deps, h.app.id, { settings: { httpSignatureKey: edPem } });
  });
  after(async () => {
    await h.close();
  });

  test('the peer library signs (hmac-sha256 with the app secret), Signet accepts GET with a query and POST with a body', async () => {
    const signer = createSigner(Buffer.from(h.secret, 'utf8'), 'hmac-sha256', h.app.id);
    const list = await raw(
      port,
      'GET',
      '/v1/audit?limit=5',
      await peerSigned(signer, 'GET', HOST, '/v1/audit?limit=5'),
    );
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const body = JSON.stringify({ token: 'not-a-token' });
    const introspect = await raw(
      port,
      'POST',
      '/v1/tokens/introspect',
      await peerSigned(signer, 'POST', HOST, '/v1/tokens/introspect', body),
      body,
    );
    assert.equal(introspect.status, 200, JSON.stringify(introspect.body));
    assert.equal(introspect.body.active, false);
  });

  test('the peer library signs with ed25519 (the registered key); another Ed25519 key is refused', async () => {
    const audit = await auditTracker(h);
    const signer = createSigner(ed.privateKey, 'ed25519', h.app.id);
    const ok = await raw(
      port,
      'GET',
      '/v1/users/alice/credentials',
      await peerSigned(signer, 'GET', HOST, '/v1/users/alice/credentials'),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const stranger = createSigner(generateKeyPairSync('ed25519').privateKey, 'ed25519', h.app.id);
    const refused = await raw(
      port,
      'GET',
      '/v1/users/alice/credentials',
      await peerSigned(stranger, 'GET', HOST, '/v1/users/alice/credentials'),
    );
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'unauthenticated');
    await audit.one('signature_invalid');
  });

  test('createSignetClient signs with scheme http-signature, by secret and by Ed25519 key', async () => {
    const hmac = createSignetClient({
      baseUrl: base,
      appId: h.app.id,
      secret: h.secret,
      scheme: 'http-signature',
    });
    const a = await hmac.listCredentials('alice');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    const b = await hmac.introspect('nope');
    assert.equal(b.status, 200, JSON.stringify(b.body));
    const edClient = createSignetClient({
      baseUrl: base,
      appId: h.app.id,
      scheme: 'http-signature',
      privateKey: edPrivatePem,
    });
    for (let i = 0; i < 3; i++) {
      // Identical calls in one second: each carries its own nonce, none is a replay.
      const c = await edClient.audit({ limit: 1 });
      assert.equal(c.status, 200, JSON.stringify(c.body));
    }
  });

  test('signet request --scheme http-signature (hmac from SIGNET_APP_SECRET, ed25519 from --key FILE)', async () => {
    const dir = tempDir();
    try {
      const io = captureIo({ SIGNET_APP_ID: h.app.id, SIGNET_APP_SECRET: h.secret });
      const code = await runCli(
        ['request', 'GET', `${base}/v1/users/alice/credentials`, '--scheme', 'http-signature', '--json'],
        io,
      );
      assert.equal(code, 0, io.stderr());
      assert.match(io.stderr(), /HTTP 200/);
      const keyFile = join(dir.dir, 'app-ed25519.pem');
      writeFileSync(keyFile, edPrivatePem, { mode: 0o600 });
      const io2 = captureIo({ SIGNET_APP_ID: h.app.id });
      const code2 = await runCli(
        [
          'request',
          'POST',
          `${base}/v1/tokens/introspect`,
          '--body',
          '{"token":"x"}',
          '--scheme',
          'http-signature',
          '--key',
          keyFile,
        ],
        io2,
      );
      assert.equal(code2, 0, io2.stderr());
      assert.equal(JSON.parse(io2.stdout()).active, false);
      // A user's mistakes are usage errors, never "unexpected error".
      const io3 = captureIo({ SIGNET_APP_ID: h.app.id });
      const code3 = await runCli(
        [
          'request',
          'GET',
          `${base}/v1/audit`,
          '--scheme',
          'http-signature',
          '--key',
          join(dir.dir, 'missing'),
        ],
        io3,
      );
      assert.notEqual(code3, 0);
      assert.doesNotMatch(io3.stderr(), /unexpected error/);
      const io4 = captureIo({ SIGNET_APP_ID: h.app.id, SIGNET_APP_SECRET: h.secret });
      assert.notEqual(await runCli(['request', 'GET', `${base}/v1/audit`, '--scheme', 'rsa'], io4), 0);
      assert.doesNotMatch(io4.stderr(), /unexpected error/);
    } finally {
      dir.remove();
    }
  });

  test('refusals, each audited with its reason: coverage, authority, digest, skew, expiry, replay', async () => {
    const audit = await auditTracker(h);
    const sign = createHttpSignatureSigner({
      appId: h.app.id,
      key: { alg: 'hmac-sha256', secret: h.secret },
    });
    const signer = createSigner(Buffer.from(h.secret, 'utf8'), 'hmac-sha256', h.app.id);
    // Coverage: the peer signs @method and @path only.
    const thin = await httpbis.signMessage(
      { key: signer, fields: ['@method', '@path'] },
      { method: 'GET', url: `http://${HOST}/v1/audit`, headers: { host: HOST } },
    );
    const r1 = await raw(port, 'GET', '/v1/audit', thin.headers as Record<string, string>);
    assert.equal(r1.status, 401);
    await audit.one('components_missing');
    // Authority: signed for, and sent with, a Host this server does not answer on.
    const evil = await peerSigned(signer, 'GET', 'evil.example', '/v1/audit');
    const r2 = await raw(port, 'GET', '/v1/audit', evil);
    assert.equal(r2.status, 401);
    await audit.one('authority_mismatch');
    // Digest: the signed Content-Digest is not the body sent.
    const body = JSON.stringify({ token: 'a' });
    const headers = sign({ method: 'POST', url: `${base}/v1/tokens/introspect`, body });
    const r3 = await raw(
      port,
      'POST',
      '/v1/tokens/introspect',
      { ...headers, host: `127.0.0.1:${port}`, 'content-type': 'application/json' },
      JSON.stringify({ token: 'b' }),
    );
    assert.equal(r3.status, 401);
    await audit.one('digest_mismatch');
    // Skew: created 10 minutes ago (the app's skew is 5).
    const old = createHttpSignatureSigner({
      appId: h.app.id,
      key: { alg: 'hmac-sha256', secret: h.secret },
      now: () => Date.now() - 600_000,
      expiresInSec: 0,
    });
    const r4 = await raw(port, 'GET', '/v1/audit', {
      ...old({ method: 'GET', url: `${base}/v1/audit` }),
      host: `127.0.0.1:${port}`,
    });
    assert.equal(r4.status, 401);
    assert.equal(r4.body.error.code, 'timestamp_skew');
    await audit.one('timestamp_skew');
    // Expiry: created a minute ago, expired 50 s ago.
    const expired = createHttpSignatureSigner({
      appId: h.app.id,
      key: { alg: 'hmac-sha256', secret: h.secret },
      now: () => Date.now() - 60_000,
      expiresInSec: 10,
    });
    const r5 = await raw(port, 'GET', '/v1/audit', {
      ...expired({ method: 'GET', url: `${base}/v1/audit` }),
      host: `127.0.0.1:${port}`,
    });
    assert.equal(r5.status, 401);
    await audit.one('message_expired');
    // Replay: the same signed request twice.
    const once = { ...sign({ method: 'GET', url: `${base}/v1/audit` }), host: `127.0.0.1:${port}` };
    assert.equal((await raw(port, 'GET', '/v1/audit', once)).status, 200);
    const again = await raw(port, 'GET', '/v1/audit', once);
    assert.equal(again.status, 401);
    await audit.one('replayed');
    // Unknown keyid and garbage: 401, never a 500.
    const garbage: Array<Record<string, string>> = [
      { 'signature-input': 'sig1=("@method");created=1;keyid="nope"', signature: 'sig1=:AAAA:' },
      { 'signature-input': 'garbage((', signature: 'x' },
      { signature: 'sig1=:AAAA:' },
    ];
    for (const bad of garbage) {
      const r = await raw(port, 'GET', '/v1/audit', { ...bad, host: HOST });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'unauthenticated');
    }
  });

  test('a Tiniapp request that also carries an unrelated Signature header stays Tiniapp', async () => {
    const t = signTiniappRequest({
      clientId: h.app.id,
      secret: h.secret,
      timestamp: Date.now(),
      path: '/v1/audit?limit=2',
    });
    const r = await raw(port, 'GET', '/v1/audit?limit=2', {
      ...t.headers,
      signature: 'sig1=:AAAA:',
      host: HOST,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  test('authentication comes first: a signed request with a bad body is spent, then 400', async () => {
    const sign = createHttpSignatureSigner({
      appId: h.app.id,
      key: { alg: 'hmac-sha256', secret: h.secret },
    });
    const body = JSON.stringify({ token: 5 });
    const headers = {
      ...sign({ method: 'POST', url: `${base}/v1/tokens/introspect`, body }),
      'content-type': 'application/json',
      host: `127.0.0.1:${port}`,
    };
    const first = await raw(port, 'POST', '/v1/tokens/introspect', headers, body);
    assert.equal(first.status, 400, JSON.stringify(first.body));
    const second = await raw(port, 'POST', '/v1/tokens/introspect', headers, body);
    assert.equal(second.status, 401);
  });

  test('re-aim: a body-signed request re-sent to another route or method', async () => {
    const audit = await auditTracker(h);
    // The app means to introspect a user's token: POST /v1/tokens/introspect { token }. An
    // attacker who holds that signed request before Signet does (a logging proxy, a retry queue)
    // re-aims it at POST /v1/tokens/revoke, whose body has the same shape.
    const tokens = createTokenService(h.deps);
    const session = async () =>
      (await startSession(h.deps, tokens, h.app, { userId: 'alice', credentialId: null, amr: 'device' }))
        .token;

    // Tiniapp: the signature covers the body only, so the re-aimed request is accepted: the
    // documented limitation of that scheme (docs/security.md "Server API").
    const t1 = await session();
    const body1 = JSON.stringify({ token: t1 });
    const tiniapp = signTiniappRequest({
      clientId: h.app.id,
      secret: h.secret,
      timestamp: Date.now(),
      body: body1,
    });
    const reaimed = await raw(
      port,
      'POST',
      '/v1/tokens/revoke',
      { ...tiniapp.headers, 'content-type': 'application/json', host: HOST },
      body1,
    );
    assert.equal(reaimed.status, 200, JSON.stringify(reaimed.body));
    assert.equal(reaimed.body.revoked, 1);

    // RFC 9421: @method and @path are signed, so the same move is refused and spends nothing.
    const t2 = await session();
    const body2 = JSON.stringify({ token: t2 });
    const sign = createHttpSignatureSigner({
      appId: h.app.id,
      key: { alg: 'hmac-sha256', secret: h.secret },
    });
    const headers = {
      ...sign({ method: 'POST', url: `${base}/v1/tokens/introspect`, body: body2 }),
      'content-type': 'application/json',
      host: `127.0.0.1:${port}`,
    };
    const toRevoke = await raw(port, 'POST', '/v1/tokens/revoke', headers, body2);
    assert.equal(toRevoke.status, 401);
    await audit.one('signature_invalid');
    // Another method on another route (a DELETE carries no body: the digest then fails too).
    const toDelete = await raw(port, 'DELETE', '/v1/users/alice/credentials/x', {
      ...headers,
      'content-length': '0',
    });
    assert.equal(toDelete.status, 401);
    await audit.one('signature_invalid');
    // Another query on the same route.
    const listSigned = {
      ...sign({ method: 'GET', url: `${base}/v1/audit?limit=1` }),
      host: `127.0.0.1:${port}`,
    };
    assert.equal((await raw(port, 'GET', '/v1/audit?limit=100', listSigned)).status, 401);
    await audit.one('signature_invalid');
    assert.equal((await raw(port, 'GET', '/v1/audit?limit=1', listSigned)).status, 200);
    // The intended request still works once, and the token it asks about is still active.
    const intended = await raw(port, 'POST', '/v1/tokens/introspect', headers, body2);
    assert.equal(intended.status, 200, JSON.stringify(intended.body));
    assert.equal(intended.body.active, true);
  });

  test('signet app set --http-signature-key: a file, a PEM, none; a private key is refused', async () => {
    const dir = tempDir();
    try {
      const db = `sqlite:${join(dir.dir, 'cli.db')}`;
      const env = { SIGNET_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') };
      const io = captureIo(env);
      assert.equal(
        await runCli(['app', 'create', '--db', db, '--name', 'cli', '--json'], io),
        0,
        io.stderr(),
      );
      const appId = JSON.parse(io.stdout().split('\n')[0]!).appId as string;
      const file = join(dir.dir, 'pub.pem');
      writeFileSync(file, edPem);
      const io2 = captureIo(env);
      assert.equal(
        await runCli(['app', 'set', appId, '--db', db, '--http-signature-key', file, '--json'], io2),
        0,
        io2.stderr(),
      );
      assert.equal(JSON.parse(io2.stdout()).settings.httpSignatureKey, edPem.trim());
      const io3 = captureIo(env);
      assert.notEqual(
        await runCli(['app', 'set', appId, '--db', db, '--http-signature-key', edPrivatePem], io3),
        0,
      );
      assert.match(io3.stderr(), /PUBLIC KEY|public key/);
      assert.doesNotMatch(io3.stderr(), /unexpected error/);
      const io4 = captureIo(env);
      assert.equal(
        await runCli(['app', 'set', appId, '--db', db, '--http-signature-key', 'none', '--json'], io4),
        0,
        io4.stderr(),
      );
      assert.equal(JSON.parse(io4.stdout()).settings.httpSignatureKey, null);
    } finally {
      dir.remove();
    }
  });
});

describe('RFC 9421: each signature accepted once across two nodes on one Postgres + Redis', () => {
  const schema = uniqueName();
  const prefix = `${uniqueName()}:`;
  const ISSUER = 'http://signet.cluster.test';
  const masterKey = randomBytes(32);
  const nodes: Array<{ store: Store; port: number; close(): Promise<void> }> = [];

  async function node(): Promise<{ store: Store; deps: Deps; port: number; close(): Promise<void> }> {
    const durable = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
    const store = withShortLived(durable, await createRedisShortLived({ url: TEST_REDIS_URL, prefix }));
    const deps: Deps = {
      store,
      clock: Date.now,
      random: (n) => randomBytes(n),
      sealer: createSealer(masterKey),
      issuer: ISSUER,
      log: silentLogger,
      chainFetch: async () => ({ rows: [] }),
    };
    const server = await buildServer({ deps });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const n = {
      store,
      deps,
      port,
      close: async () => {
        await server.close();
        await store.close();
      },
    };
    nodes.push(n);
    return n;
  }

  after(async () => {
    for (const n of nodes) await n.close();
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
  });

  test('node A accepts, node B refuses the same signed request as a replay', async () => {
    const a = await node();
    const b = await node();
    const { app, secret } = await createApp(a.deps, { name: 'two nodes' });
    const sign = createHttpSignatureSigner({ appId: app.id, key: { alg: 'hmac-sha256', secret } });
    // Behind one load balancer both nodes see the public Host: the issuer's.
    const body = JSON.stringify({ token: 'x' });
    const headers = {
      ...sign({ method: 'POST', url: `${ISSUER}/v1/tokens/introspect`, body }),
      'content-type': 'application/json',
      host: 'signet.cluster.test',
    };
    const first = await raw(a.port, 'POST', '/v1/tokens/introspect', headers, body);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await raw(b.port, 'POST', '/v1/tokens/introspect', headers, body);
    assert.equal(second.status, 401, JSON.stringify(second.body));
    const items = await b.store.audit.list(app.id, { limit: 10 });
    assert.ok(
      items.some((r) => r.scheme === 'http-signature' && r.reason === 'replayed'),
      JSON.stringify(items),
    );
    // A fresh signature goes through node B.
    const fresh = {
      ...sign({ method: 'POST', url: `${ISSUER}/v1/tokens/introspect`, body }),
      'content-type': 'application/json',
      host: 'signet.cluster.test',
    };
    assert.equal((await raw(b.port, 'POST', '/v1/tokens/introspect', fresh, body)).status, 200);
  });
});
