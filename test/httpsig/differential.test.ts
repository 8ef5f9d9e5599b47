// Differential tests against the peer library `http-message-signatures` (dhensby, RFC 9421
// "httpbis" mode): requests the peer signs are accepted by Signet's verifier, and requests
// Signet's signer signs are accepted by the peer's verifier, for hmac-sha256 and ed25519.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { httpbis, createSigner, createVerifier } from 'http-message-signatures';
import {
  createContentDigest,
  signHttpRequest,
  verifyHttpSignature,
  type HttpSigSignKey,
  type HttpSigVerifyKey,
} from '../../src/schemes/httpsig/index.js';

const ed = generateKeyPairSync('ed25519');
const secret = randomBytes(32);
const KEYID = 'app_peer';

const ours: Record<'hmac-sha256' | 'ed25519', { sign: HttpSigSignKey; verify: HttpSigVerifyKey }> = {
  'hmac-sha256': { sign: { alg: 'hmac-sha256', secret }, verify: { alg: 'hmac-sha256', secret } },
  ed25519: {
    sign: { alg: 'ed25519', privateKey: ed.privateKey },
    verify: { alg: 'ed25519', publicKey: ed.publicKey },
  },
};
const peerSigner = {
  'hmac-sha256': createSigner(secret, 'hmac-sha256', KEYID),
  ed25519: createSigner(ed.privateKey, 'ed25519', KEYID),
};
const peerVerifier = {
  'hmac-sha256': createVerifier(secret, 'hmac-sha256'),
  ed25519: createVerifier(ed.publicKey, 'ed25519'),
};

/** A request in both shapes: the peer's ({ method, url, headers }) and Signet's. */
const requestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  host: fc.constantFrom('signet.example', '127.0.0.1:8443', 'api.tiki.vn'),
  path: fc.stringMatching(/^\/[a-z0-9_~-]{1,12}(?:\/[a-z0-9_~-]{1,12}){0,3}$/),
  query: fc.option(
    fc.stringMatching(/^[a-z0-9]{1,6}=[a-zA-Z0-9%_-]{0,10}(?:&[a-z0-9]{1,6}=[a-zA-Z0-9_-]{0,8}){0,2}$/),
    {
      nil: undefined,
    },
  ),
  body: fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: undefined }),
  alg: fc.constantFrom('hmac-sha256' as const, 'ed25519' as const),
});

function components(target: string, body: string | undefined): string[] {
  return [
    '@method',
    '@authority',
    '@path',
    ...(target.includes('?') ? ['@query'] : []),
    ...(body !== undefined ? ['content-digest'] : []),
  ];
}

describe('differential: http-message-signatures', () => {
  it('the peer signs, Signet verifies (any method, host, path, query, body; both algorithms)', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const target = r.query === undefined ? r.path : `${r.path}?${r.query}`;
        const body = r.body === undefined ? undefined : new Uint8Array(Buffer.from(r.body, 'utf8'));
        const headers: Record<string, string> = { host: r.host, 'content-type': 'application/json' };
        if (body) headers['content-digest'] = createContentDigest(body);
        const signed = await httpbis.signMessage(
          {
            key: peerSigner[r.alg],
            fields: components(target, r.body),
            paramValues: { nonce: randomBytes(8).toString('hex') },
          },
          { method: r.method, url: `https://${r.host}${target}`, headers },
        );
        const result = await verifyHttpSignature({
          request: {
            method: r.method,
            authority: r.host,
            target,
            scheme: 'https',
            headers: signed.headers as Record<string, string>,
            ...(body ? { body } : {}),
          },
          resolveKeys: (keyid) => (keyid === KEYID ? [ours[r.alg].verify] : []),
          now: Date.now(),
          skewMs: 300_000,
        });
        assert.equal(result.ok, true, JSON.stringify({ result, headers: signed.headers }));
        if (result.ok) assert.equal(result.alg, r.alg);
      }),
      { numRuns: 60 },
    );
  });

  it('Signet signs, the peer verifies (and refuses the same request with another path)', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const target = r.query === undefined ? r.path : `${r.path}?${r.query}`;
        const { headers } = signHttpRequest({
          request: {
            method: r.method,
            authority: r.host,
            target,
            headers: { 'content-type': 'application/json' },
          },
          ...(r.body !== undefined ? { body: r.body } : {}),
          keyid: KEYID,
          key: ours[r.alg].sign,
          created: Math.floor(Date.now() / 1000),
          expires: Math.floor(Date.now() / 1000) + 60,
          nonce: randomBytes(8).toString('base64'),
        });
        const message = {
          method: r.method,
          url: `https://${r.host}${target}`,
          headers: { host: r.host, 'content-type': 'application/json', ...headers },
        };
        const keyLookup = async (params: { keyid?: string }) =>
          params.keyid === KEYID ? { id: KEYID, algs: [r.alg], verify: peerVerifier[r.alg] } : null;
        assert.equal(await httpbis.verifyMessage({ keyLookup }, message), true);
        const moved = { ...message, url: `https://${r.host}/elsewhere${target}` };
        assert.equal(await httpbis.verifyMessage({ keyLookup }, moved), false);
      }),
      { numRuns: 60 },
    );
  });
});
