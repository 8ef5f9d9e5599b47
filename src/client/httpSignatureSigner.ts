import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { encodeBase64Url } from '../encoding/index.js';
import { signHttpRequest } from '../schemes/httpsig/index.js';

/** The app's signing key for server-API calls: its secret (hmac-sha256) or its Ed25519 private key. */
export type HttpSignatureClientKey =
  { alg: 'hmac-sha256'; secret: string } | { alg: 'ed25519'; privateKey: KeyObject | string };

export interface HttpSignatureSignerOptions {
  /** The `keyid`: the app's id. */
  appId: string;
  key: HttpSignatureClientKey;
  /** Clock, Unix ms (default `Date.now`). */
  now?: () => number;
  /** Random bytes for the nonce (default `crypto.randomBytes`). */
  random?: (n: number) => Uint8Array;
  /** Seconds a signature stays valid (`expires`), default 60; 0 leaves `expires` out. */
  expiresInSec?: number;
}

/** What a signer needs of a request about to be sent. */
export interface OutgoingRequest {
  method: string;
  /** The absolute URL fetched; its `host`, path and query are what the server receives. */
  url: string;
  /** The exact body text sent (JSON), if any. */
  body?: string;
}

/**
 * An RFC 9421 signer for the app backend's calls to Signet's server API (docs/api.md "HTTP
 * Message Signatures"), the counterpart of the Tiniapp signing in `createSignetClient`: it
 * returns the headers to add — `signature-input`, `signature` and, with a body,
 * `content-digest` — covering `@method`, `@authority`, `@path`, `@query` (when present) and
 * `content-digest`, with `created`, `expires`, `keyid` = appId, `alg` and a random `nonce`
 * (so two identical calls in one second are two signatures, not a replay).
 * Misuse (a bad key, a relative URL) throws `TypeError` when the signer is built or used.
 *
 * @example
 * const sign = createHttpSignatureSigner({ appId, key: { alg: 'hmac-sha256', secret } });
 * const body = JSON.stringify({ appId, type: 'device', userId });
 * await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...sign({ method: 'POST', url, body }) } });
 */
export function createHttpSignatureSigner(
  options: HttpSignatureSignerOptions,
): (request: OutgoingRequest) => Record<string, string> {
  const {
    appId,
    now = Date.now,
    random = (n: number) => new Uint8Array(randomBytes(n)),
    expiresInSec = 60,
  } = options;
  if (typeof appId !== 'string' || appId.length === 0)
    throw new TypeError('createHttpSignatureSigner: appId is required');
  if (!Number.isSafeInteger(expiresInSec) || expiresInSec < 0)
    throw new TypeError('createHttpSignatureSigner: expiresInSec must be a whole number of seconds >= 0');
  const k = options.key;
  const key =
    k?.alg === 'hmac-sha256'
      ? { alg: 'hmac-sha256' as const, secret: k.secret }
      : k?.alg === 'ed25519'
        ? {
            alg: 'ed25519' as const,
            privateKey: typeof k.privateKey === 'string' ? createPrivateKey(k.privateKey) : k.privateKey,
          }
        : null;
  if (key === null)
    throw new TypeError('createHttpSignatureSigner: key.alg must be "hmac-sha256" or "ed25519"');
  if (key.alg === 'hmac-sha256' && (typeof key.secret !== 'string' || key.secret.length === 0))
    throw new TypeError('createHttpSignatureSigner: key.secret must be the app secret');
  if (key.alg === 'ed25519' && key.privateKey.asymmetricKeyType !== 'ed25519')
    throw new TypeError('createHttpSignatureSigner: key.privateKey must be an Ed25519 private key');

  return (request) => {
    const url = new URL(request.url);
    const created = Math.floor(now() / 1000);
    return signHttpRequest({
      request: {
        method: request.method,
        authority: url.host,
        target: `${url.pathname}${url.search}`,
        headers: {},
      },
      ...(request.body !== undefined ? { body: request.body } : {}),
      keyid: appId,
      key,
      created,
      ...(expiresInSec > 0 ? { expires: created + expiresInSec } : {}),
      nonce: encodeBase64Url(random(16)),
    }).headers;
  };
}
