import { sign as nodeSign, type KeyObject } from 'node:crypto';
import { hmacSha256 } from '../../crypto/index.js';
import { encodeBase64, utf8Bytes } from '../../encoding/index.js';
import { createContentDigest } from './contentDigest.js';
import { buildSignatureBase, FIELD_NAME, type HttpSigRequest } from './signatureBase.js';
import type { BareItem, InnerList, Parameters } from './structuredFields.js';
import type { HttpSigAlgorithm } from './verifyHttpSignature.js';

/** The key that signs: an HMAC secret (an app secret string is used as its UTF-8 bytes) or an Ed25519 private key. */
export type HttpSigSignKey =
  { alg: 'hmac-sha256'; secret: Uint8Array | string } | { alg: 'ed25519'; privateKey: KeyObject };

export interface HttpSigSignInput {
  /** The request to sign; `content-digest` is computed from `body` and added to the headers returned. */
  request: HttpSigRequest;
  /** The exact body to be sent (a string is sent as its UTF-8 bytes); none for a body-less request. */
  body?: Uint8Array | string;
  /** `keyid` (for Signet, the appId). */
  keyid: string;
  key: HttpSigSignKey;
  /** `created`, Unix seconds. */
  created: number;
  /** `expires`, Unix seconds, after `created`. */
  expires?: number;
  /** `nonce`: makes two identical requests in the same second two different signatures. */
  nonce?: string;
  tag?: string;
  /** The signature's label in both fields (default `sig`). */
  label?: string;
  /**
   * Components to cover, in order (default: `@method`, `@authority`, `@path`, then `@query` when
   * the target has a query and `content-digest` when there is a body — what Signet requires).
   */
  components?: string[];
  /** Include the `alg` parameter (default true; RFC 9421 Appendix B.2.5/B.2.6 leave it out). */
  includeAlg?: boolean;
}

export interface HttpSigSignature {
  /** Headers to add to the request: `signature-input`, `signature` and, with a body, `content-digest`. */
  headers: Record<string, string>;
  /** The signature base that was signed (for debugging; never needed to send). */
  base: string;
}

const LABEL = /^[a-z*][a-z0-9_.*-]{0,63}$/;

function str(value: string): BareItem {
  return { type: 'string', value };
}

/**
 * Signs a request with RFC 9421 HTTP Message Signatures. Misuse (an unknown algorithm, a
 * `created` that is not whole seconds, a component that cannot be derived from the request,
 * a keyid or nonce that is not printable ASCII) throws `TypeError` / `RangeError`.
 *
 * @example
 * const { headers } = signHttpRequest({
 *   request: { method: 'POST', authority: 'signet.example', target: '/v1/challenges', headers: { 'content-type': 'application/json' } },
 *   body, keyid: appId, key: { alg: 'hmac-sha256', secret }, created: Math.floor(Date.now() / 1000), nonce,
 * });
 * // headers: { 'content-digest': 'sha-256=:…:', 'signature-input': 'sig=("@method" …);created=…;keyid="…";alg="hmac-sha256"', signature: 'sig=:…:' }
 */
export function signHttpRequest(input: HttpSigSignInput): HttpSigSignature {
  const { request, keyid, key, created, expires, nonce, tag, label = 'sig', includeAlg = true } = input;
  if (key?.alg !== 'hmac-sha256' && key?.alg !== 'ed25519')
    throw new TypeError('signHttpRequest: key.alg must be "hmac-sha256" or "ed25519"');
  if (!Number.isSafeInteger(created) || created < 0)
    throw new RangeError('signHttpRequest: created must be Unix seconds (a non-negative integer)');
  if (expires !== undefined && (!Number.isSafeInteger(expires) || expires <= created))
    throw new RangeError('signHttpRequest: expires must be Unix seconds after created');
  if (typeof keyid !== 'string' || !/^[\x20-\x7e]{1,256}$/.test(keyid))
    throw new TypeError('signHttpRequest: keyid must be 1-256 printable ASCII characters');
  for (const [name, v] of [
    ['nonce', nonce],
    ['tag', tag],
  ] as const) {
    if (v !== undefined && (typeof v !== 'string' || !/^[\x20-\x7e]{1,256}$/.test(v)))
      throw new TypeError(`signHttpRequest: ${name} must be 1-256 printable ASCII characters`);
  }
  if (!LABEL.test(label)) throw new TypeError('signHttpRequest: label must be a structured-field key');
  if (key.alg === 'hmac-sha256' && (key.secret?.length ?? 0) === 0)
    throw new TypeError('signHttpRequest: key.secret must be a non-empty string or Uint8Array');
  if (
    key.alg === 'ed25519' &&
    (key.privateKey?.type !== 'private' || key.privateKey.asymmetricKeyType !== 'ed25519')
  )
    throw new TypeError('signHttpRequest: key.privateKey must be an Ed25519 private KeyObject');

  const headers: Record<string, string | string[] | undefined> = { ...request.headers };
  const out: Record<string, string> = {};
  const body = typeof input.body === 'string' ? utf8Bytes(input.body) : input.body;
  if (body !== undefined) {
    if (!(body instanceof Uint8Array))
      throw new TypeError('signHttpRequest: body must be a string or a Uint8Array');
    for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-digest') delete headers[k];
    out['content-digest'] = createContentDigest(body);
    headers['content-digest'] = out['content-digest'];
  }
  const components = input.components ?? [
    '@method',
    '@authority',
    '@path',
    ...(request.target.includes('?') ? ['@query'] : []),
    ...(body !== undefined && body.length > 0 ? ['content-digest'] : []),
  ];
  for (const c of components) {
    if (typeof c !== 'string' || !(c.startsWith('@') || FIELD_NAME.test(c)))
      throw new TypeError(`signHttpRequest: ${String(c)} is not a component name`);
  }

  const params: Parameters = new Map();
  params.set('created', { type: 'integer', value: created });
  if (expires !== undefined) params.set('expires', { type: 'integer', value: expires });
  params.set('keyid', str(keyid));
  if (includeAlg) params.set('alg', str(key.alg satisfies HttpSigAlgorithm));
  if (nonce !== undefined) params.set('nonce', str(nonce));
  if (tag !== undefined) params.set('tag', str(tag));
  const list: InnerList = { items: components.map((c) => ({ value: str(c), params: new Map() })), params };

  const base = buildSignatureBase({ ...request, headers }, list);
  if (base === null) {
    throw new TypeError(
      'signHttpRequest: a component cannot be derived from the request (missing header, repeated component, or a value with a line break)',
    );
  }
  const data = utf8Bytes(base);
  const signature =
    key.alg === 'hmac-sha256'
      ? hmacSha256(typeof key.secret === 'string' ? utf8Bytes(key.secret) : key.secret, data)
      : nodeSign(null, data, key.privateKey);
  const signatureInput = `${label}=${base.slice(base.lastIndexOf('"@signature-params": ') + 21)}`;
  out['signature-input'] = signatureInput;
  out['signature'] = `${label}=:${encodeBase64(signature)}:`;
  return { headers: out, base };
}
