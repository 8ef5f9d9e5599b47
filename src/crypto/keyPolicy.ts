import type { KeyObject } from 'node:crypto';
import { MIN_RSA_BITS, rsaModulusBits } from './keys.js';

/**
 * Signet's one public-key policy (docs/api.md "Identity binding"), below every scheme: device
 * keys, WebAuthn COSE keys at registration and the keys already stored when they are loaded for
 * a login all pass through {@link checkPublicKeyPolicy}. A key that verifies signatures nobody
 * made is worse than no key: with RSA `e = 1` every "signature" is the padded message itself,
 * and with an Ed25519 point of small order `R = identity, S = 0` verifies for every message.
 */

/** Largest RSA modulus accepted: bounds verification cost (a 4096-bit check is ~4x a 2048-bit one). */
export const MAX_RSA_BITS = 4096;

/** The exponent is read as a bigint; one of 64 bits or more is no RSA key anyone uses. */
const RSA_EXPONENT_LIMIT = 1n << 64n;

/** The policy's answer: a refusal carries a message naming what is wrong (never key material). */
export type KeyPolicyResult = { ok: true } | { ok: false; message: string };

const refuse = (message: string): KeyPolicyResult => ({ ok: false, message });

/** Short Weierstrass curves y² = x³ - 3x + b over GF(p) (FIPS 186-4 D.1.2 / SEC 2 2.4). */
const NIST_CURVES: Record<string, { p: bigint; b: bigint }> = {
  prime256v1: {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  secp384r1: {
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  secp521r1: {
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
};

/** p of Curve25519 / edwards25519, 2^255 - 19 (RFC 8032 section 5.1). */
const P25519 = 2n ** 255n - 19n;

/**
 * The y-coordinates of the eight points of order dividing 8 on edwards25519 (libsodium's
 * `ge25519_has_small_order` list, canonical ones): 0 (order 4), 1 (the identity), p - 1
 * (order 2) and the two y-values of the four points of order 8. Non-canonical encodings
 * (y >= p, among them p and p + 1) are refused separately.
 */
const ED25519_SMALL_ORDER_Y = new Set<bigint>([
  0n,
  1n,
  P25519 - 1n,
  0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n,
  0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n,
]);

/** p of edwards448, 2^448 - 2^224 - 1 (RFC 8032 section 5.2). */
const P448 = 2n ** 448n - 2n ** 224n - 1n;

/** The four points of order dividing 4 on edwards448 have y in {0, 1, p - 1} (cofactor 4). */
const ED448_SMALL_ORDER_Y = new Set<bigint>([0n, 1n, P448 - 1n]);

function mod(a: bigint, p: bigint): bigint {
  const r = a % p;
  return r < 0n ? r + p : r;
}

function bigFromBase64Url(text: unknown): bigint | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === 0 ? null : BigInt(`0x${bytes.toString('hex')}`);
}

/** A little-endian y with the sign bit (the top bit of the last byte) cleared (RFC 8032 5.1.3). */
function edwardsY(text: unknown, length: number): bigint | null {
  if (typeof text !== 'string') return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== length) return null;
  const y = Buffer.from(bytes).reverse();
  y[0]! &= 0x7f;
  return BigInt(`0x${y.toString('hex')}`);
}

function exportJwk(key: KeyObject): Record<string, unknown> | null {
  try {
    return key.export({ format: 'jwk' }) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function checkRsa(key: KeyObject): KeyPolicyResult {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? rsaModulusBits(key);
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    return refuse(`RSA keys must have ${MIN_RSA_BITS}-${MAX_RSA_BITS} bits (got ${bits})`);
  }
  // e = 1 makes every "signature" the padded message itself (anyone could forge); an even e is
  // not an RSA key. Small odd exponents such as 3 are sound with OpenSSL's strict padding check
  // (Wycheproof marks their signatures valid), so they are not refused.
  const e = key.asymmetricKeyDetails?.publicExponent;
  if (typeof e !== 'bigint' || e < 3n || e % 2n === 0n || e >= RSA_EXPONENT_LIMIT) {
    return refuse('the RSA public exponent must be odd, at least 3 and below 2^64');
  }
  return { ok: true };
}

function checkEc(key: KeyObject): KeyPolicyResult {
  const curve = NIST_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (curve === undefined) return refuse('EC keys must be on P-256, P-384 or P-521');
  const jwk = exportJwk(key);
  const x = bigFromBase64Url(jwk?.['x']);
  const y = bigFromBase64Url(jwk?.['y']);
  // The point at infinity has no affine coordinates: it cannot be exported, so it lands here.
  if (x === null || y === null) return refuse('the EC point is not an affine point');
  const { p, b } = curve;
  if (x >= p || y >= p) return refuse('the EC point coordinates are out of range');
  if (mod(y * y - (x * x * x - 3n * x + b), p) !== 0n) return refuse('the EC point is not on the curve');
  return { ok: true };
}

function checkEdwards(key: KeyObject, kind: 'ed25519' | 'ed448'): KeyPolicyResult {
  const jwk = exportJwk(key);
  const y = edwardsY(jwk?.['x'], kind === 'ed25519' ? 32 : 57);
  if (y === null) return refuse(`the ${kind} key is not a point encoding`);
  const [p, small] = kind === 'ed25519' ? [P25519, ED25519_SMALL_ORDER_Y] : [P448, ED448_SMALL_ORDER_Y];
  if (y >= p) return refuse(`the ${kind} point encoding is not canonical`);
  if (small.has(y)) return refuse(`the ${kind} point has small order`);
  return { ok: true };
}

/**
 * Checks a public key against Signet's policy: RSA 2048-4096 bits with an odd public exponent
 * from 3 up (below 2^64); EC points on P-256, P-384 or P-521, on the curve and not the
 * identity; Ed25519 and Ed448 points canonical and not of small order. Any other key type is
 * refused. Pure: the key is only read.
 *
 * @example
 * const verdict = checkPublicKeyPolicy(createPublicKey(pem));
 * if (!verdict.ok) return invalid(`publicKey: ${verdict.message}`);
 */
export function checkPublicKeyPolicy(key: KeyObject): KeyPolicyResult {
  if (key.type !== 'public') return refuse('not a public key');
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return checkRsa(key);
    case 'ec':
      return checkEc(key);
    case 'ed25519':
      return checkEdwards(key, 'ed25519');
    case 'ed448':
      return checkEdwards(key, 'ed448');
    default:
      return refuse(`${key.asymmetricKeyType ?? 'this'} keys are not accepted`);
  }
}
