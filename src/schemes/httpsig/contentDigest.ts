import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '../../crypto/hash.js';
import { encodeBase64 } from '../../encoding/index.js';
import { parseDictionary } from './structuredFields.js';

/**
 * RFC 9530 `Content-Digest` with `sha-256`: a Dictionary whose `sha-256` member is the Byte
 * Sequence SHA-256 of the content as sent (`sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`
 * for `{"hello": "world"}`). Signing `content-digest` (RFC 9421 §7.2.8) binds the body.
 */

/**
 * The `Content-Digest` field value for `body`.
 *
 * @example
 * createContentDigest(utf8Bytes('{"hello": "world"}')) // 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
 */
export function createContentDigest(body: Uint8Array): string {
  return `sha-256=:${encodeBase64(sha256(body))}:`;
}

/**
 * Checks a received `Content-Digest` value against the body: it must parse as a Dictionary and
 * carry a `sha-256` Byte Sequence equal to SHA-256(body). Other algorithms in the field (e.g.
 * `sha-512`) are ignored: only `sha-256` is Signet's to check, and it must be there.
 *
 * @example
 * verifyContentDigest(request.headers['content-digest'], rawBody) // true | false
 */
export function verifyContentDigest(field: unknown, body: Uint8Array): boolean {
  const dict = parseDictionary(field);
  const member = dict?.get('sha-256');
  if (member === undefined || 'items' in member || member.value.type !== 'bytes') return false;
  const received = member.value.value;
  const expected = sha256(body);
  return received.length === expected.length && timingSafeEqual(received, expected);
}
