import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Public-key importers. Each parses bytes once into an OpenSSL KeyObject that verifiers reuse
 * (parsing per call costs ~8x a verification). All return `null` instead of throwing.
 */

/**
 * Imports DER SubjectPublicKeyInfo (X.509 `PUBLIC KEY`). Only the exact public-key encoding is
 * accepted: OpenSSL also reads private keys and trailing bytes here, so the key must re-encode
 * to the very bytes given.
 */
export function importSpki(der: Uint8Array): KeyObject | null {
  return exactly(
    der,
    'spki',
    tryImport(() => createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })),
  );
}

/** Imports DER PKCS#1 RSAPublicKey (iOS `SecKeyCopyExternalRepresentation`, PEM `RSA PUBLIC KEY`), exactly as `importSpki`. */
export function importPkcs1(der: Uint8Array): KeyObject | null {
  return exactly(
    der,
    'pkcs1',
    tryImport(() => createPublicKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' })),
  );
}

function exactly(der: Uint8Array, type: 'spki' | 'pkcs1', key: KeyObject | null): KeyObject | null {
  if (key === null) return null;
  try {
    return Buffer.from(der).equals(key.export({ format: 'der', type })) ? key : null;
  } catch {
    return null;
  }
}

/** Imports a PEM public key (`PUBLIC KEY` or `RSA PUBLIC KEY`). */
export function importPem(pem: string): KeyObject | null {
  return tryImport(() => createPublicKey({ key: pem, format: 'pem' }));
}

/** Imports a public JWK (EC, RSA, OKP). */
export function importJwk(jwk: Record<string, unknown>): KeyObject | null {
  return tryImport(() => createPublicKey({ key: jwk as never, format: 'jwk' }));
}

const EC_CURVES = {
  'P-256': 32,
  'P-384': 48,
  'P-521': 66,
} as const;

/**
 * Imports an uncompressed SEC1 point (`04 || x || y`) on a NIST curve.
 *
 * @example
 * importEcPoint('P-256', point65Bytes)
 */
export function importEcPoint(curve: keyof typeof EC_CURVES, point: Uint8Array): KeyObject | null {
  const size = EC_CURVES[curve];
  if (point.length !== 1 + 2 * size || point[0] !== 0x04) return null;
  return importJwk({
    kty: 'EC',
    crv: curve,
    x: Buffer.from(point.subarray(1, 1 + size)).toString('base64url'),
    y: Buffer.from(point.subarray(1 + size)).toString('base64url'),
  });
}

/** Smallest RSA modulus any Signet verifier accepts (NIST SP 800-131A; jose and docs/api.md refuse weaker). */
export const MIN_RSA_BITS = 2048;

/** Size of an RSA key's modulus in bits, or 0 for other keys. */
export function rsaModulusBits(key: KeyObject): number {
  return key.asymmetricKeyType === 'rsa' ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : 0;
}

function tryImport(f: () => KeyObject): KeyObject | null {
  try {
    const key = f();
    return key.type === 'public' ? key : null;
  } catch {
    return null;
  }
}
