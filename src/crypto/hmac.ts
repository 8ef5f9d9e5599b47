import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 of `data` under `key`, as lowercase hex.
 *
 * @example
 * hmacSha256Hex('secret', 'payload') // '...64 hex chars...'
 */
export function hmacSha256Hex(key: string | Uint8Array, data: string | Uint8Array): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/** HMAC-SHA256 of `data` under `key`, as bytes. */
export function hmacSha256(key: string | Uint8Array, data: string | Uint8Array): Uint8Array {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * Compares a received hex MAC with the expected one in constant time (for equal lengths).
 * The received text is compared as ASCII bytes, so a wrong length or case is simply unequal.
 */
export function equalHexMac(expectedHex: string, receivedHex: string): boolean {
  const a = Buffer.from(expectedHex, 'latin1');
  const b = Buffer.from(receivedHex, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}
