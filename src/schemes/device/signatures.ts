import { verifySignature } from '../../crypto/index.js';
import { decodeBase64 } from '../../encoding/index.js';
import { fail, invalid, type Parsed, type Verified } from '../../errors/codes.js';
import type { DevicePublicKey } from './keys.js';

/** Largest signature accepted, in bytes: a 4096-bit RSA signature is 512, a DER P-256 one at most 72. */
export const MAX_DEVICE_SIGNATURE_BYTES = 1024;

/** Longest signature string considered: 1024 bytes in base64 with `Base64.DEFAULT` line breaks. */
const MAX_SIGNATURE_STRING = 2048;

/**
 * Strict parser of a device signature: base64 or base64url (RFC 4648 sections 4 and 5, padding
 * optional, canonical trailing bits, one alphabet), 1-1024 bytes. Line breaks are allowed
 * because Android's `Base64.DEFAULT` wraps at 76 columns and ends with a newline; any other
 * character outside the alphabet is refused.
 *
 * @example
 * parseDeviceSignature('MEUCIQ…') // { ok: true, value: Uint8Array(71) }
 */
export function parseDeviceSignature(input: unknown): Parsed<Uint8Array> {
  if (typeof input !== 'string') return invalid('signature must be a base64 or base64url string');
  if (input.length > MAX_SIGNATURE_STRING) return invalid('signature is too long');
  const bytes = decodeBase64(input, { allowLineBreaks: true });
  if (bytes === null) return invalid('signature must be base64 or base64url');
  if (bytes.length === 0) return invalid('signature must not be empty');
  if (bytes.length > MAX_DEVICE_SIGNATURE_BYTES) return invalid('signature is too long');
  return { ok: true, value: bytes };
}

/**
 * Verifies a device signature over `message` (the UTF-8 bytes of the challenge): RSA keys with
 * RSASSA-PKCS1-v1_5 SHA-256 (RFC 8017 section 8.2.2); P-256 keys with ECDSA SHA-256, where a
 * 64-byte signature is raw `r || s` (IEEE P1363: WebCrypto, CryptoKit's `rawRepresentation`)
 * and anything else is DER (Android, `SecKeyCreateSignature`). Both halves of S are accepted,
 * as plain ECDSA allows: the replay key for client-built challenges is the challenge itself,
 * never the (malleable) signature bytes. Any failure is `signature_invalid`.
 *
 * @example
 * verifyDeviceSignature(key, utf8Bytes(challenge), signature) // { ok: true }
 */
export function verifyDeviceSignature(
  key: DevicePublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): Verified {
  let ok: boolean;
  if (key.kind === 'rsa') {
    ok = verifySignature('RS256', key.key, message, signature);
  } else if (signature.length === 64) {
    // A DER signature can be 64 bytes long too when r and s are unusually short (possible,
    // if astronomically rare): when the raw reading fails and the bytes are a 62-byte DER
    // SEQUENCE, DER is tried, so no valid signature is refused for its length.
    ok =
      verifySignature('ES256_P1363', key.key, message, signature) ||
      (signature[0] === 0x30 && signature[1] === 62 && verifySignature('ES256', key.key, message, signature));
  } else {
    ok = verifySignature('ES256', key.key, message, signature);
  }
  return ok ? { ok: true } : fail('signature_invalid');
}
