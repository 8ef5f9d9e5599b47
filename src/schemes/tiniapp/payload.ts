import { hmacSha256Hex } from '../../crypto/index.js';
import { encodeBase64Url, utf8Bytes } from '../../encoding/index.js';

/**
 * The Tiniapp request signature (seed 004 "Cách Tính Signature", docs/api.md
 * "Server-API authentication"):
 *
 *     payload   = timestamp + "." + clientId + "." + (body bytes as sent | path?query as sent)
 *     encoded   = base64url(payload) without padding
 *     signature = lowercase hex HMAC-SHA256(key = secret, data = encoded)
 *
 * The seed's pseudocode writes `HMAC_SHA256(secret, payload)`, but every code sample in it (JS,
 * Go, PHP) and both of its published vectors MAC the *encoded* payload; the vectors decide.
 */

/** Header names as Node hands them over (lowercase); the seed writes them `X-Tiniapp-…`. */
export const TINIAPP_HEADERS = {
  clientId: 'x-tiniapp-client-id',
  timestamp: 'x-tiniapp-timestamp',
  signature: 'x-tiniapp-signature',
} as const;

/**
 * A client id (an app's `appId`): letters, digits, `_` and `-`. A `.` is refused because it is
 * the payload's separator: `1.a.b.c` must have one reading.
 */
export const TINIAPP_CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A timestamp as it travels: Unix milliseconds, decimal digits, no sign, no leading zero. */
export const TINIAPP_TIMESTAMP = /^(?:0|[1-9][0-9]{0,15})$/;

/** A signature as it travels: 64 lowercase hex characters. */
export const TINIAPP_SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * The payload bytes `timestamp.clientId.rest`, where `rest` is the body's exact bytes or the
 * path's UTF-8 bytes.
 */
export function tiniappPayloadBytes(
  timestamp: string,
  clientId: string,
  rest: string | Uint8Array,
): Uint8Array {
  // One string, one encoding when the rest is a path; one copy when it is body bytes.
  if (typeof rest === 'string') return utf8Bytes(`${timestamp}.${clientId}.${rest}`);
  // Buffer.concat allocates from Node's pool: no fresh ArrayBuffer per request.
  return Buffer.concat([utf8Bytes(`${timestamp}.${clientId}.`), rest]);
}

/**
 * The encoded payload and its MAC under `secret`.
 *
 * @example
 * tiniappMac(utf8Bytes('1620621619569.RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W.{"id":123}'), secret)
 * // { encodedPayload: 'MTYyMDYy…', signature: '8ebd092b…' }
 */
export function tiniappMac(
  payload: Uint8Array,
  secret: string,
): { encodedPayload: string; signature: string } {
  const encodedPayload = encodeBase64Url(payload);
  return { encodedPayload, signature: hmacSha256Hex(secret, encodedPayload) };
}
