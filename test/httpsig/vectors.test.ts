import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  buildSignatureBase,
  createContentDigest,
  isInnerList,
  parseDictionary,
  signHttpRequest,
  verifyContentDigest,
  verifyHttpSigOffline,
  verifyHttpSignature,
  verifyHttpSignatureBase,
  type HttpSigVerifyKey,
} from '../../src/schemes/httpsig/index.js';
import { findScheme } from '../../src/schemes/registry.js';
import { edPrivate, edPublic, sharedSecret, vectors } from './support.js';

const body = new Uint8Array(Buffer.from(vectors.request.body, 'utf8'));
const CREATED_MS = 1618884473 * 1000;

function keyFor(keyid: string): HttpSigVerifyKey {
  return keyid === 'test-shared-secret'
    ? { alg: 'hmac-sha256', secret: sharedSecret }
    : { alg: 'ed25519', publicKey: edPublic };
}

describe('RFC 9421 Appendix B vectors', () => {
  it('B.1.4: the Ed25519 public key is the one of the private key', () => {
    assert.equal(
      createPublicKey(edPrivate).export({ format: 'der', type: 'spki' }).toString('base64'),
      edPublic.export({ format: 'der', type: 'spki' }).toString('base64'),
    );
  });

  for (const v of vectors.signatures) {
    describe(`${v.section}: ${v.name}`, () => {
      const input = parseDictionary(v.signatureInput);
      const list = input?.get(v.label);

      it('Signature-Input parses as an RFC 8941 Dictionary whose member is an Inner List', () => {
        assert.ok(list && isInnerList(list));
        assert.equal(list.params.get('created')?.value, 1618884473);
        assert.equal(list.params.get('keyid')?.value, v.keyid);
      });

      it('the signature base is the RFC’s, byte for byte', () => {
        assert.ok(list && isInnerList(list));
        assert.equal(buildSignatureBase(vectors.request, list), v.base);
      });

      it('the RFC’s signature verifies over the base; one flipped bit does not', () => {
        const sig = parseDictionary(v.signature)?.get(v.label);
        assert.ok(sig && !isInnerList(sig) && sig.value.type === 'bytes');
        const bytes = sig.value.value;
        const base = new Uint8Array(Buffer.from(v.base, 'utf8'));
        assert.equal(verifyHttpSignatureBase(keyFor(v.keyid), base, bytes), true);
        const flipped = Uint8Array.from(bytes);
        flipped[5]! ^= 1;
        assert.equal(verifyHttpSignatureBase(keyFor(v.keyid), base, flipped), false);
        // A key of the other algorithm never verifies it.
        const other = keyFor(v.keyid === 'test-shared-secret' ? 'test-key-ed25519' : 'test-shared-secret');
        assert.equal(verifyHttpSignatureBase(other, base, bytes), false);
      });

      it('Signet’s signer reproduces Signature-Input and Signature exactly (both algorithms are deterministic)', () => {
        assert.ok(list && isInnerList(list));
        const components = list.items.map((i) => i.value.value as string);
        const signed = signHttpRequest({
          request: vectors.request,
          keyid: v.keyid,
          key:
            v.keyid === 'test-shared-secret'
              ? { alg: 'hmac-sha256', secret: sharedSecret }
              : { alg: 'ed25519', privateKey: edPrivate },
          created: 1618884473,
          label: v.label,
          components,
          includeAlg: false,
        });
        assert.equal(signed.base, v.base);
        assert.equal(signed.headers['signature-input'], v.signatureInput);
        assert.equal(signed.headers['signature'], v.signature);
      });

      // The offline line carries an HMAC secret as text; B.1.5's secret is binary, so only the
      // Ed25519 case goes through it here (the text-secret path is in verify.test.ts).
      if (v.keyid === 'test-key-ed25519') {
        it('the offline check (signet verify --batch) accepts the base and signature', () => {
          const line = {
            scheme: 'http-signature',
            publicKey: vectors.keys['test-key-ed25519'].publicKeyPem,
            message: v.base,
            signature: v.signature.slice(v.signature.indexOf(':') + 1, -1),
          };
          assert.deepEqual(findScheme('http-signature')?.verifyOffline?.(line), { ok: true });
          assert.deepEqual(verifyHttpSigOffline({ ...line, message: `${v.base} ` }), {
            ok: false,
            code: 'signature_invalid',
          });
        });
      }

      it('the full verifier refuses it as components_missing: it does not cover @method/@path/@query/content-digest as Signet requires', async () => {
        const result = await verifyHttpSignature({
          request: {
            ...vectors.request,
            headers: {
              ...vectors.request.headers,
              'signature-input': v.signatureInput,
              signature: v.signature,
            },
            body,
          },
          resolveKeys: () => [keyFor(v.keyid)],
          now: CREATED_MS,
          skewMs: 300_000,
        });
        assert.deepEqual(result, { ok: false, code: 'components_missing' });
      });
    });
  }

  it('RFC 9530: Content-Digest sha-256 of {"hello": "world"}; the RFC 9421 request’s sha-512 alone does not satisfy Signet', () => {
    for (const d of vectors.contentDigest) {
      const b = new Uint8Array(Buffer.from(d.body, 'utf8'));
      assert.equal(createContentDigest(b), d['sha-256']);
      assert.equal(verifyContentDigest(d['sha-256'], b), true);
      assert.equal(verifyContentDigest(`${d['sha-512']}, ${d['sha-256']}`, b), true);
      assert.equal(verifyContentDigest(d['sha-512'], b), false, 'sha-256 is required');
      assert.equal(verifyContentDigest(d['sha-256'], new Uint8Array(Buffer.from(`${d.body} `))), false);
    }
  });
});
