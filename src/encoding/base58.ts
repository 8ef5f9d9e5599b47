import { base58 } from '@scure/base';

/**
 * Bitcoin-alphabet base58 decoding, `null` on bad input (used by EOS key and signature strings).
 *
 * @example
 * decodeBase58('2g') // Uint8Array [0x61]
 */
export function decodeBase58(input: string, maxLength = 200): Uint8Array | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > maxLength) return null;
  try {
    return base58.decode(input);
  } catch {
    return null;
  }
}

/**
 * Bitcoin-alphabet base58 encoding.
 *
 * @example
 * encodeBase58(new Uint8Array([0x61])) // '2g'
 */
export function encodeBase58(bytes: Uint8Array): string {
  return base58.encode(bytes);
}
