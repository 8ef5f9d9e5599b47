/**
 * Strict base64 and base64url (RFC 4648 sections 4 and 5). Node's `Buffer.from(s, 'base64')`
 * silently skips characters it does not know; these decoders refuse them, refuse mixed
 * alphabets and non-canonical trailing bits, and return `null` on any bad input.
 */

const LINE_BREAKS = /[\r\n]/g;

/** Options for {@link decodeBase64}. */
export interface Base64Options {
  /** Also accept `\r` / `\n` line breaks (Android `Base64.DEFAULT` wraps at 76 columns). */
  allowLineBreaks?: boolean;
  /** Largest accepted input, in characters; longer input returns `null` before any work. */
  maxLength?: number;
}

/**
 * Decodes standard base64 or base64url, with or without padding.
 *
 * @example
 * decodeBase64('aGk') // Uint8Array [0x68, 0x69]
 * decodeBase64('a b') // null
 */
export function decodeBase64(input: string, options: Base64Options = {}): Uint8Array | null {
  if (typeof input !== 'string') return null;
  if (options.maxLength !== undefined && input.length > options.maxLength) return null;
  let s = options.allowLineBreaks ? input.replace(LINE_BREAKS, '') : input;
  const padStart = s.indexOf('=');
  if (padStart !== -1) {
    const padding = s.length - padStart;
    if (padding > 2 || s.length % 4 !== 0 || !/^=+$/.test(s.slice(padStart))) return null;
    s = s.slice(0, padStart);
  }
  if (s.length % 4 === 1) return null;
  // The alphabet is the one its own characters name (either, when it has none of `+/-_`).
  const urlSafe = s.includes('-') || s.includes('_');
  const bytes = Buffer.from(s, urlSafe ? 'base64url' : 'base64');
  // The re-encoding must give back the very characters: this refuses every character outside
  // the alphabet (Node skips those, so the re-encoding is shorter), a mix of the two alphabets
  // (Node reads both, but writes one), and stray low bits (non-canonical). It replaces two
  // regular-expression scans of the input, which cost more than the decoding on long keys.
  let again = bytes.toString(urlSafe ? 'base64url' : 'base64');
  let end = again.length;
  while (end > 0 && again.charCodeAt(end - 1) === 0x3d) end--;
  if (end !== again.length) again = again.slice(0, end);
  if (again !== s) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes base64url only (no `+` or `/`), padding optional: the WebAuthn JSON encoding.
 *
 * @example
 * decodeBase64Url('_w') // Uint8Array [0xff]
 */
export function decodeBase64Url(input: string, maxLength?: number): Uint8Array | null {
  if (typeof input !== 'string' || /[+/]/.test(input)) return null;
  return decodeBase64(input, maxLength === undefined ? {} : { maxLength });
}

/**
 * Encodes bytes as base64url without padding.
 *
 * @example
 * encodeBase64Url(new Uint8Array([0xff])) // '_w'
 */
export function encodeBase64Url(bytes: Uint8Array | string): string {
  return (
    typeof bytes === 'string'
      ? Buffer.from(bytes, 'utf8')
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  ).toString('base64url');
}

/**
 * Encodes bytes as standard base64 with padding.
 *
 * @example
 * encodeBase64(new Uint8Array([0xff])) // '/w=='
 */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
