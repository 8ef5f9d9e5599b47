import { TINIAPP_CLIENT_ID, TINIAPP_HEADERS, tiniappMac, tiniappPayloadBytes } from './payload.js';

/** What to sign: a body request gives `body` (exact bytes sent), a body-less one `path`. */
export interface TiniappSignInput {
  clientId: string;
  secret: string;
  /** Unix time in milliseconds. */
  timestamp: number;
  /** The exact body sent: a string is signed as its UTF-8 bytes. */
  body?: string | Uint8Array;
  /** Path and query string as sent, without the server's base path (e.g. `/order?id=1`). */
  path?: string;
}

/** A signed request: the payload for display, the encoded payload, the MAC and the headers to send. */
export interface TiniappSignature {
  /** `timestamp.clientId.bodyOrPath` as text (a non-UTF-8 body shows U+FFFD; the MAC covers its bytes). */
  payload: string;
  encodedPayload: string;
  signature: string;
  headers: Record<string, string>;
}

/**
 * Signs a server-API request the Tiniapp way. Misuse (no secret, a timestamp that is not a
 * non-negative safe integer, a client id the server would refuse, neither or both of `body` and
 * `path`) throws `TypeError`.
 *
 * @example
 * signTiniappRequest({ clientId: 'RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W', secret, timestamp: 1620621619569, body: '{"id":123}' })
 * // { payload: '1620621619569.RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W.{"id":123}', encodedPayload: 'MTYyMDYy…',
 * //   signature: '8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2', headers: { … } }
 */
export function signTiniappRequest(input: TiniappSignInput): TiniappSignature {
  const { clientId, secret, timestamp, body, path } = input;
  if (typeof clientId !== 'string' || !TINIAPP_CLIENT_ID.test(clientId)) {
    throw new TypeError(
      'signTiniappRequest: clientId must be 1-128 characters of A-Z, a-z, 0-9, "_" and "-"',
    );
  }
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('signTiniappRequest: secret must be a non-empty string');
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError(
      'signTiniappRequest: timestamp must be Unix milliseconds (a non-negative safe integer)',
    );
  }
  if ((body === undefined) === (path === undefined)) {
    throw new TypeError('signTiniappRequest: give exactly one of body and path');
  }
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError('signTiniappRequest: body must be a string or a Uint8Array');
  }
  if (path !== undefined && typeof path !== 'string')
    throw new TypeError('signTiniappRequest: path must be a string');
  const ts = String(timestamp);
  const rest = (body ?? path) as string | Uint8Array;
  const bytes = tiniappPayloadBytes(ts, clientId, rest);
  const { encodedPayload, signature } = tiniappMac(bytes, secret);
  const text =
    typeof rest === 'string'
      ? rest
      : Buffer.from(rest.buffer, rest.byteOffset, rest.byteLength).toString('utf8');
  const payload = `${ts}.${clientId}.${text}`;
  return {
    payload,
    encodedPayload,
    signature,
    headers: {
      [TINIAPP_HEADERS.clientId]: clientId,
      [TINIAPP_HEADERS.timestamp]: ts,
      [TINIAPP_HEADERS.signature]: signature,
    },
  };
}
