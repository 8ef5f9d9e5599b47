/**
 * base64url without padding (RFC 4648 §5), the encoding of every binary value in WebAuthn's JSON
 * forms (WebAuthn L3 §5.1.8-10). Browser globals only (`btoa`/`atob`): this folder runs in pages.
 */

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Encodes bytes as base64url without padding.
 *
 * @example
 * encodeBase64Url(new Uint8Array([251, 255])) // '-_8'
 */
export function encodeBase64Url(bytes: ArrayBuffer | ArrayBufferView): string {
  const view =
    bytes instanceof ArrayBuffer
      ? new Uint8Array(bytes)
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let binary = '';
  // Chunked so that a large input never overflows String.fromCharCode's argument list.
  for (let i = 0; i < view.length; i += 0x8000) {
    binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Decodes base64url (padding optional) to a fresh ArrayBuffer. Anything else is a programmer
 * mistake or a broken server answer and throws a `TypeError` naming `what`.
 *
 * @example
 * new Uint8Array(decodeBase64Url('-_8')) // Uint8Array [251, 255]
 */
export function decodeBase64Url(text: string, what = 'value'): ArrayBuffer {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new TypeError(`${what} is not base64url`);
  }
  const unpadded = text.replace(/=+$/, '');
  const base64 = unpadded.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (unpadded.length % 4)) % 4);
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out.buffer;
}
