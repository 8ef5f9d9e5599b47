import { constants, verify as nodeVerify, type KeyObject } from 'node:crypto';

/**
 * The signature algorithm table (after panva/jose's `jws_algorithms`): every verifier downstream
 * names an entry and never switches on an algorithm itself. Each entry is the exact argument set
 * for OpenSSL's one-shot `crypto.verify`, plus what key it needs.
 */
export const SIGNATURE_ALGORITHMS = {
  /** RSASSA-PKCS1-v1_5 with SHA-256 (device keys, WebAuthn -257). */
  RS256: { hash: 'sha256', keyType: 'rsa', options: {} },
  /** RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt (WebAuthn -37). */
  PS256: {
    hash: 'sha256',
    keyType: 'rsa',
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  },
  /** ECDSA P-256 SHA-256, DER-encoded signature (WebAuthn -7, Android keystore). */
  ES256: { hash: 'sha256', keyType: 'ec', curve: 'prime256v1', options: { dsaEncoding: 'der' } },
  /** ECDSA P-256 SHA-256, raw r||s signature (IEEE P1363, WebCrypto, iOS raw form). */
  ES256_P1363: { hash: 'sha256', keyType: 'ec', curve: 'prime256v1', options: { dsaEncoding: 'ieee-p1363' } },
  /** ECDSA P-384 SHA-384, DER (WebAuthn -35). */
  ES384: { hash: 'sha384', keyType: 'ec', curve: 'secp384r1', options: { dsaEncoding: 'der' } },
  /** ECDSA P-521 SHA-512, DER (WebAuthn -36). */
  ES512: { hash: 'sha512', keyType: 'ec', curve: 'secp521r1', options: { dsaEncoding: 'der' } },
  /** Pure Ed25519 (WebAuthn -8, token signing). */
  EdDSA: { hash: null, keyType: 'ed25519', options: {} },
  /** Pure Ed448 (WebAuthn -53; OpenSSL verifies it with a null digest like Ed25519). */
  Ed448: { hash: null, keyType: 'ed448', options: {} },
} as const satisfies Record<
  string,
  {
    hash: string | null;
    keyType: string;
    curve?: string;
    options: { padding?: number; saltLength?: number; dsaEncoding?: 'der' | 'ieee-p1363' };
  }
>;

export type SignatureAlgorithm = keyof typeof SIGNATURE_ALGORITHMS;

/** Algorithms whose defaults are OpenSSL's own, so the KeyObject is passed as is. */
const PLAIN: ReadonlySet<SignatureAlgorithm> = new Set<SignatureAlgorithm>(['RS256', 'EdDSA']);

/**
 * Verifies `signature` over `data` with a parsed key. Returns `false` for a signature that
 * does not verify, for a key of the wrong kind, and for anything OpenSSL throws on: a bad
 * signature is a value, not an exception.
 *
 * @example
 * const ok = verifySignature('RS256', keyObject, utf8Bytes(challenge), signatureBytes);
 */
export function verifySignature(
  alg: SignatureAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const entry = SIGNATURE_ALGORITHMS[alg];
  if (key.asymmetricKeyType !== entry.keyType) return false;
  if ('curve' in entry && key.asymmetricKeyDetails?.namedCurve !== entry.curve) return false;
  try {
    // The common case (PKCS#1 v1.5 / Ed25519) passes the KeyObject itself: no option object per call.
    return nodeVerify(entry.hash, data, PLAIN.has(alg) ? key : { key, ...entry.options }, signature);
  } catch {
    return false;
  }
}
