/** Strict hexadecimal: even length, `[0-9a-fA-F]`, optional `0x` prefix where asked for. */

const HEX = /^[0-9a-fA-F]*$/;

/**
 * Decodes hex; returns `null` on odd length or a non-hex character.
 *
 * @example
 * decodeHex('0x4243', { allowPrefix: true }) // Uint8Array [0x42, 0x43]
 */
export function decodeHex(
  input: string,
  options: { allowPrefix?: boolean; maxLength?: number } = {},
): Uint8Array | null {
  if (typeof input !== 'string') return null;
  let s = input;
  if (options.allowPrefix && (s.startsWith('0x') || s.startsWith('0X'))) s = s.slice(2);
  if (options.maxLength !== undefined && s.length > options.maxLength) return null;
  if (s.length % 2 !== 0 || !HEX.test(s)) return null;
  const b = Buffer.from(s, 'hex');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Encodes bytes as lowercase hex.
 *
 * @example
 * encodeHex(new Uint8Array([0xab])) // 'ab'
 */
export function encodeHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
