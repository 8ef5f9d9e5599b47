import { timingSafeEqual } from 'node:crypto';
import { hmacSha256, verifySignature } from '../../crypto/index.js';
import { utf8Bytes } from '../../encoding/index.js';
import type { HttpSigVerifyKey } from './verifyHttpSignature.js';

/**
 * The bottom primitive: does `signature` sign `base` under `key`? HMAC-SHA256 compared in
 * constant time (RFC 9421 §3.3.4), Ed25519 through OpenSSL (§3.3.6). A bad signature, a key of
 * the wrong kind or an empty secret is `false`, never an exception.
 *
 * @example
 * verifyHttpSignatureBase({ alg: 'hmac-sha256', secret }, utf8Bytes(base), signatureBytes) // true | false
 */
export function verifyHttpSignatureBase(
  key: HttpSigVerifyKey,
  base: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (key.alg === 'hmac-sha256') {
    const secret = typeof key.secret === 'string' ? utf8Bytes(key.secret) : key.secret;
    if (!(secret instanceof Uint8Array) || secret.length === 0) return false;
    const mac = hmacSha256(secret, base);
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  }
  if (key.alg === 'ed25519') {
    return signature.length === 64 && verifySignature('EdDSA', key.publicKey, base, signature);
  }
  return false;
}
