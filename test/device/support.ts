import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

/** Test helpers for device keys: encodings of one key in every form the contract lists. */

export const b64 = (der: Uint8Array | Buffer): string => Buffer.from(der).toString('base64');
export const b64url = (der: Uint8Array | Buffer): string => Buffer.from(der).toString('base64url');

/** Android `Base64.DEFAULT`: 76-column lines, each ending in `\n` (the last one too). */
export const androidWrap = (der: Uint8Array | Buffer): string => b64(der).replace(/.{1,76}/g, '$&\n');

export const pem = (label: string, der: Uint8Array | Buffer, eol = '\n'): string =>
  `-----BEGIN ${label}-----${eol}${b64(der).replace(/.{1,64}/g, `$&${eol}`)}-----END ${label}-----${eol}`;

export interface GeneratedKey {
  name: string;
  kind: 'rsa' | 'p256';
  bits: number;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** Node's own SPKI DER (for P-256 the uncompressed form). */
  spki: Buffer;
  /** Every textual form of the public key that must parse to the same key. */
  forms: Record<string, string>;
}

export function rsaForms(publicKey: KeyObject): Record<string, string> {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'der' });
  return {
    'PEM SPKI (node export)': publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'PEM PKCS#1 (node export)': publicKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    'PEM SPKI, CRLF, no final newline': pem('PUBLIC KEY', spki, '\r\n').trimEnd(),
    'PEM SPKI, one long line': `-----BEGIN PUBLIC KEY-----${b64(spki)}-----END PUBLIC KEY-----`,
    'base64 SPKI (Android NO_WRAP)': b64(spki),
    'base64 SPKI (Android DEFAULT, line breaks)': androidWrap(spki),
    'base64 SPKI with spaces and tabs': `  ${b64(spki).replace(/.{1,40}/g, '$& \t')}  `,
    'base64url SPKI': b64url(spki),
    'base64url SPKI, padded': b64url(spki) + '='.repeat((4 - (b64url(spki).length % 4)) % 4),
    'base64 PKCS#1 (iOS SecKeyCopyExternalRepresentation)': b64(pkcs1),
    'base64url PKCS#1': b64url(pkcs1),
    'base64 PKCS#1 with line breaks': androidWrap(pkcs1),
  };
}

export function p256Point(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([
    Buffer.of(4),
    Buffer.from(jwk.x as string, 'base64url'),
    Buffer.from(jwk.y as string, 'base64url'),
  ]);
}

export function p256Forms(publicKey: KeyObject): Record<string, string> {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const point = p256Point(publicKey);
  const y = point[64]! & 1;
  const compressedSpki = Buffer.concat([
    Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
    Buffer.of(2 + y),
    point.subarray(1, 33),
  ]);
  return {
    'PEM SPKI (node export)': publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'PEM SPKI, CRLF': pem('PUBLIC KEY', spki, '\r\n'),
    'base64 SPKI': b64(spki),
    'base64 SPKI (Android DEFAULT)': androidWrap(spki),
    'base64url SPKI': b64url(spki),
    'base64 uncompressed point (iOS Secure Enclave)': b64(point),
    'base64url uncompressed point': b64url(point),
    'base64 SPKI with a compressed point': b64(compressedSpki),
    'PEM SPKI with a compressed point': pem('PUBLIC KEY', compressedSpki),
  };
}

export function generateRsa(bits: number, publicExponent = 0x10001): GeneratedKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent });
  return {
    name: `RSA-${bits}${publicExponent === 0x10001 ? '' : ` e=${publicExponent}`}`,
    kind: 'rsa',
    bits,
    publicKey,
    privateKey,
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    forms: rsaForms(publicKey),
  };
}

export function generateP256(): GeneratedKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    name: 'P-256',
    kind: 'p256',
    bits: 256,
    publicKey,
    privateKey,
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    forms: p256Forms(publicKey),
  };
}

/** DER length octets. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

export const derTlv = (tag: number, value: Buffer): Buffer =>
  Buffer.concat([Buffer.of(tag), derLength(value.length), value]);

/** A DER INTEGER of a non-negative big-endian magnitude. */
export function derUint(magnitude: Buffer): Buffer {
  let m = magnitude;
  while (m.length > 1 && m[0] === 0) m = m.subarray(1);
  return derTlv(0x02, m[0]! & 0x80 ? Buffer.concat([Buffer.of(0), m]) : m);
}

/**
 * A PKCS#1 RSAPublicKey with a random odd modulus of exactly `bits` bits. A public key is only
 * (n, e): no primes are needed to test what the parser refuses (node:crypto takes ~20 s to
 * generate an 8192-bit key), and OpenSSL does not factor n on import.
 */
export function syntheticRsaPkcs1(bits: number, e: Buffer = Buffer.from('010001', 'hex')): Buffer {
  const n = randomBytes(Math.ceil(bits / 8));
  const top = bits % 8 === 0 ? 8 : bits % 8;
  n[0] = (n[0]! & ((1 << top) - 1)) | (1 << (top - 1));
  n[n.length - 1]! |= 1;
  return derTlv(0x30, Buffer.concat([derUint(n), derUint(e)]));
}

/** The same key as SPKI (rsaEncryption with NULL parameters). */
export function pkcs1ToSpki(pkcs1: Buffer): Buffer {
  const algorithm = Buffer.from('300d06092a864886f70d0101010500', 'hex');
  return derTlv(0x30, Buffer.concat([algorithm, derTlv(0x03, Buffer.concat([Buffer.of(0), pkcs1]))]));
}

/** Node's view of a synthetic key (to check OpenSSL imports it, so the refusal is ours). */
export const importPkcs1 = (der: Buffer): KeyObject =>
  createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
