// The wire form through real HTTP: the client-side signer's headers sent with fetch to a
// listening node:http server, which verifies from what Node hands it (raw url, Host header,
// raw body bytes) with a real SQLite replay store.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createHttpSignatureSigner } from '../../src/client/httpSignatureSigner.js';
import { verifyHttpSignature, type HttpSigVerifyKey } from '../../src/schemes/httpsig/index.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import { listenOnFreePort } from '../support/network.js';

const SECRET = 'sk_test_0123456789abcdefghijklmnopqrstuv';
const ed = generateKeyPairSync('ed25519');
const keys: HttpSigVerifyKey[] = [
  { alg: 'hmac-sha256', secret: SECRET },
  { alg: 'ed25519', publicKey: ed.publicKey },
];
const store = createSqliteStore({ path: ':memory:' });

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

const server = createServer(async (req, res) => {
  const body = await readBody(req);
  const result = await verifyHttpSignature({
    request: {
      method: req.method ?? '',
      authority: req.headers.host ?? '',
      target: req.url ?? '',
      headers: req.headers,
      ...(body.length > 0 ? { body } : {}),
    },
    resolveKeys: (keyid) => (keyid === 'app_wire' ? keys : []),
    now: Date.now(),
    skewMs: 60_000,
    replay: store.replay,
  });
  res.writeHead(result.ok ? 200 : 401, { 'content-type': 'application/json' });
  res.end(JSON.stringify(result));
});
let origin = '';
before(async () => {
  origin = await listenOnFreePort(server);
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
});

async function send(
  sign: ReturnType<typeof createHttpSignatureSigner>,
  method: string,
  path: string,
  body?: string,
  tamper?: (h: Record<string, string>) => Record<string, string>,
) {
  const url = `${origin}${path}`;
  let headers: Record<string, string> = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...sign({ method, url, ...(body !== undefined ? { body } : {}) }),
  };
  if (tamper) headers = tamper(headers);
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, body: (await res.json()) as { ok: boolean; code?: string; alg?: string } };
}

describe('RFC 9421 over real HTTP: client signer → node:http → verifyHttpSignature', () => {
  for (const [name, key] of [
    ['hmac-sha256', { alg: 'hmac-sha256', secret: SECRET }],
    [
      'ed25519 (PEM)',
      { alg: 'ed25519', privateKey: ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
    ],
  ] as const) {
    it(`${name}: POST with a body and a query, GET without — accepted; the same headers again — replayed`, async () => {
      const sign = createHttpSignatureSigner({ appId: 'app_wire', key });
      const post = await send(sign, 'POST', '/v1/challenges?lang=vi', '{"appId":"app_wire","type":"device"}');
      assert.equal(post.status, 200, JSON.stringify(post.body));
      assert.equal(post.body.alg, key.alg);
      const get = await send(sign, 'GET', '/v1/users/u%201/credentials');
      assert.equal(get.status, 200, JSON.stringify(get.body));

      // Two identical calls back to back carry different nonces: both pass.
      assert.equal((await send(sign, 'GET', '/v1/users/u%201/credentials')).status, 200);

      let captured: Record<string, string> = {};
      await send(sign, 'DELETE', '/v1/users/u/credentials/c', undefined, (h) => (captured = h));
      const again = await fetch(`${origin}/v1/users/u/credentials/c`, {
        method: 'DELETE',
        headers: captured,
      });
      assert.equal(again.status, 401);
      assert.equal(((await again.json()) as { code: string }).code, 'replayed');
    });
  }

  it('a signature moved to another path, or a body swapped under it, is refused', async () => {
    const sign = createHttpSignatureSigner({
      appId: 'app_wire',
      key: { alg: 'hmac-sha256', secret: SECRET },
    });
    const url = `${origin}/v1/users/alice/credentials`;
    const headers = sign({ method: 'GET', url });
    const moved = await fetch(`${origin}/v1/users/bob/credentials`, { method: 'GET', headers });
    assert.equal(((await moved.json()) as { code: string }).code, 'signature_invalid');

    const body = '{"amount":1}';
    const h2 = { 'content-type': 'application/json', ...sign({ method: 'POST', url, body }) };
    const swapped = await fetch(url, { method: 'POST', headers: h2, body: '{"amount":9}' });
    assert.equal(((await swapped.json()) as { code: string }).code, 'digest_mismatch');
  });
});
