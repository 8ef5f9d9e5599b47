import type { KeyObject } from 'node:crypto';
import { encodeBase64, utf8Bytes } from '../../encoding/index.js';
import { fail, type Verified } from '../../errors/codes.js';
import { verifyContentDigest } from './contentDigest.js';
import { verifyHttpSignatureBase } from './verifyBase.js';
import { buildSignatureBase, readField, type HttpSigRequest } from './signatureBase.js';
import { isInnerList, parseDictionary, type BareItem, type InnerList } from './structuredFields.js';

/** The two algorithms Signet accepts (RFC 9421 §3.3.4 hmac-sha256, §3.3.6 ed25519). */
export const HTTPSIG_ALGORITHMS = ['hmac-sha256', 'ed25519'] as const;
export type HttpSigAlgorithm = (typeof HTTPSIG_ALGORITHMS)[number];

/**
 * A key the verifier may try for a `keyid`: an HMAC secret (its bytes; an app secret string is
 * used as its UTF-8 bytes) or an Ed25519 public key.
 */
export type HttpSigVerifyKey =
  { alg: 'hmac-sha256'; secret: Uint8Array | string } | { alg: 'ed25519'; publicKey: KeyObject };

/** The replay record: `remember` is false when the key was already there (store `ReplayStore`). */
export interface HttpSigReplayStore {
  remember(key: string, ttlMs: number): Promise<boolean>;
}

/** The signature parameters Signet reads (RFC 9421 §2.3); any other parameter is refused. */
const KNOWN_PARAMS = new Set(['created', 'expires', 'keyid', 'alg', 'nonce', 'tag']);

export interface HttpSigVerifyInput {
  /** The request as received, with its exact body bytes when it has one. */
  request: HttpSigRequest & { body?: Uint8Array };
  /**
   * The keys of a `keyid` (for Signet, the app's secrets and its registered Ed25519 key); an
   * empty list when the keyid is unknown. Called once, after the cheap checks.
   */
  resolveKeys(keyid: string): Promise<HttpSigVerifyKey[]> | HttpSigVerifyKey[];
  /** Now, Unix milliseconds (the clock is passed in). */
  now: number;
  /** Allowed distance between `now` and `created`, either way, in milliseconds. */
  skewMs: number;
  /** Where accepted signatures are remembered for `2 * skewMs`; no replay check without it. */
  replay?: HttpSigReplayStore;
  /** Which signature to check when the request carries several; default: the only one. */
  label?: string;
}

export interface HttpSigVerified {
  label: string;
  keyid: string;
  alg: HttpSigAlgorithm;
  /** Unix seconds. */
  created: number;
  expires: number | null;
  nonce: string | null;
  tag: string | null;
  /** The covered component names, in their signed order. */
  components: string[];
}

interface SignatureParams {
  created: number;
  expires: number | null;
  keyid: string;
  alg: HttpSigAlgorithm | null;
  nonce: string | null;
  tag: string | null;
}

/** Reads the parameters of the Inner List strictly: types, ranges, and nothing unknown. */
function readParams(list: InnerList): SignatureParams | null {
  const get = (name: string): BareItem | undefined => list.params.get(name);
  for (const name of list.params.keys()) if (!KNOWN_PARAMS.has(name)) return null;
  const created = get('created');
  const expires = get('expires');
  const keyid = get('keyid');
  const alg = get('alg');
  const nonce = get('nonce');
  const tag = get('tag');
  if (created?.type !== 'integer' || created.value < 0) return null;
  if (expires !== undefined && (expires.type !== 'integer' || expires.value < 0)) return null;
  if (keyid?.type !== 'string' || keyid.value.length === 0 || keyid.value.length > 256) return null;
  if (
    alg !== undefined &&
    (alg.type !== 'string' || !(HTTPSIG_ALGORITHMS as readonly string[]).includes(alg.value))
  )
    return null;
  if (nonce !== undefined && nonce.type !== 'string') return null;
  if (tag !== undefined && tag.type !== 'string') return null;
  return {
    created: created.value,
    expires: expires?.value ?? null,
    keyid: keyid.value,
    alg: (alg?.value as HttpSigAlgorithm | undefined) ?? null,
    nonce: (nonce?.value as string | undefined) ?? null,
    tag: (tag?.value as string | undefined) ?? null,
  };
}

/**
 * What Signet requires a server-API signature to cover (docs/api.md "HTTP Message
 * Signatures"): `@method`, `@authority`, `@path`, `@query` when the target has a query, and
 * `content-digest` when there is a body. Without them an attacker could move a signature to
 * another method, host, path, query or body.
 */
export function requiredComponents(request: HttpSigRequest & { body?: Uint8Array }): string[] {
  const required = ['@method', '@authority', '@path'];
  if (request.target.includes('?')) required.push('@query');
  if (request.body !== undefined && request.body.length > 0) required.push('content-digest');
  return required;
}

function checkOptions(input: HttpSigVerifyInput): void {
  const { request, now, skewMs } = input;
  if (typeof request !== 'object' || request === null)
    throw new TypeError('verifyHttpSignature: request is required');
  for (const f of ['method', 'authority', 'target'] as const) {
    if (typeof request[f] !== 'string')
      throw new TypeError(`verifyHttpSignature: request.${f} must be a string`);
  }
  if (typeof request.headers !== 'object' || request.headers === null)
    throw new TypeError('verifyHttpSignature: request.headers must be an object');
  if (request.body !== undefined && !(request.body instanceof Uint8Array))
    throw new TypeError('verifyHttpSignature: request.body must be a Uint8Array');
  if (typeof input.resolveKeys !== 'function')
    throw new TypeError('verifyHttpSignature: resolveKeys must be a function');
  if (!Number.isFinite(now))
    throw new TypeError('verifyHttpSignature: now must be a finite number of milliseconds');
  if (!Number.isFinite(skewMs) || skewMs <= 0) throw new TypeError('verifyHttpSignature: skewMs must be > 0');
}

/**
 * Verifies an RFC 9421 HTTP message signature on a request, in this order (STYLE.md habit 5):
 *  1. `Signature-Input` and `Signature` each present once and valid RFC 8941 Dictionaries; the
 *     chosen label (`input.label`, or the only one) an Inner List of component names in the
 *     first and a Byte Sequence in the second; parameters `created` (required), `keyid`
 *     (required), `expires`, `alg` (`hmac-sha256` | `ed25519`), `nonce`, `tag` and no other —
 *     else `signature_invalid`;
 *  2. coverage: {@link requiredComponents} all covered — else `components_missing`;
 *  3. the signature base (§2.5) over the request, and the signature checked with each key of
 *     the `keyid` whose algorithm fits (`alg` when given; every HMAC secret tried, no early
 *     exit) — none matches: `signature_invalid`;
 *  4. `Content-Digest` (RFC 9530 sha-256) against the body, when covered or when there is a
 *     body — else `digest_mismatch`;
 *  5. `created` within `skewMs` of now (either way) — else `timestamp_skew`; `expires`, when
 *     present, still ahead — else `message_expired`;
 *  6. replay: `remember('httpsig:' + keyid + ':' + signature, 2 * skewMs)` — seen: `replayed`.
 * Bad options throw `TypeError`.
 *
 * @example
 * const r = await verifyHttpSignature({ request: { method, authority, target, headers, body }, resolveKeys, now: clock(), skewMs: 300_000, replay });
 * if (!r.ok) reply.code(401); // r.code: 'signature_invalid' | 'components_missing' | 'digest_mismatch' | 'timestamp_skew' | 'message_expired' | 'replayed'
 */
export async function verifyHttpSignature(input: HttpSigVerifyInput): Promise<Verified<HttpSigVerified>> {
  checkOptions(input);
  const { request } = input;
  // 1. Shape.
  const inputs = parseDictionary(readField(request.headers, 'signature-input'));
  const signatures = parseDictionary(readField(request.headers, 'signature'));
  if (inputs === null || signatures === null) return fail('signature_invalid');
  let label = input.label;
  if (label === undefined) {
    if (inputs.size !== 1) return fail('signature_invalid');
    label = inputs.keys().next().value as string;
  }
  const list = inputs.get(label);
  const sigMember = signatures.get(label);
  if (list === undefined || sigMember === undefined || !isInnerList(list) || isInnerList(sigMember))
    return fail('signature_invalid');
  if (sigMember.value.type !== 'bytes' || sigMember.params.size > 0) return fail('signature_invalid');
  const signature = sigMember.value.value;
  const params = readParams(list);
  if (params === null) return fail('signature_invalid');
  const components = list.items.map((i) => (i.value.type === 'string' ? i.value.value : ''));

  // 2. Coverage.
  const covered = new Set(components);
  if (!requiredComponents(request).every((c) => covered.has(c))) return fail('components_missing');

  // 3. Signature.
  const base = buildSignatureBase(request, list);
  if (base === null) return fail('signature_invalid');
  const keys = await input.resolveKeys(params.keyid);
  const baseBytes = utf8Bytes(base);
  let matchedAlg: HttpSigAlgorithm | null = null;
  for (const key of Array.isArray(keys) ? keys : []) {
    if (params.alg !== null && key.alg !== params.alg) continue;
    // Every key is tried (no early exit), so timing does not tell which one matched.
    if (verifyHttpSignatureBase(key, baseBytes, signature) && matchedAlg === null) matchedAlg = key.alg;
  }
  if (matchedAlg === null) return fail('signature_invalid');

  // 4. Body.
  const body = request.body ?? new Uint8Array(0);
  if (covered.has('content-digest') || body.length > 0) {
    if (!verifyContentDigest(readField(request.headers, 'content-digest'), body))
      return fail('digest_mismatch');
  }

  // 5. Times (RFC 9421 §3.2 steps 8-9: created and expires are the verifier's policy).
  if (Math.abs(input.now - params.created * 1000) > input.skewMs) return fail('timestamp_skew');
  if (params.expires !== null && input.now >= params.expires * 1000) return fail('message_expired');

  // 6. Once.
  if (
    input.replay &&
    !(await input.replay.remember(
      `httpsig:${params.keyid}:${encodeBase64(signature)}`,
      Math.ceil(2 * input.skewMs),
    ))
  ) {
    return fail('replayed');
  }
  return {
    ok: true,
    label,
    keyid: params.keyid,
    alg: matchedAlg,
    created: params.created,
    expires: params.expires,
    nonce: params.nonce,
    tag: params.tag,
    components,
  };
}
