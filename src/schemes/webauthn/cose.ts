import type { KeyObject } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from '../../encoding/index.js';
import { checkPublicKeyPolicy, importJwk, importSpki, type SignatureAlgorithm } from '../../crypto/index.js';
import { invalid, type Parsed } from '../../errors/codes.js';
import { decodeCbor, type CborMap } from './cbor.js';

/**
 * The COSE algorithms Signet verifies (IANA COSE registry; WebAuthn L3 §5.8.5), each mapped to
 * an entry of the signature table in `src/crypto/algorithms.ts` and to the key it needs. Nothing
 * downstream switches on an algorithm: it looks the entry up here.
 */
export const COSE_ALGORITHMS = {
  [-7]: { name: 'ES256', signature: 'ES256', kty: 2, crv: 1, jwkCrv: 'P-256', size: 32 },
  [-35]: { name: 'ES384', signature: 'ES384', kty: 2, crv: 2, jwkCrv: 'P-384', size: 48 },
  [-36]: { name: 'ES512', signature: 'ES512', kty: 2, crv: 3, jwkCrv: 'P-521', size: 66 },
  [-8]: { name: 'EdDSA', signature: 'EdDSA', kty: 1, crv: 6, jwkCrv: 'Ed25519', size: 32 },
  [-53]: { name: 'Ed448', signature: 'Ed448', kty: 1, crv: 7, jwkCrv: 'Ed448', size: 57 },
  [-257]: { name: 'RS256', signature: 'RS256', kty: 3, crv: 0, jwkCrv: '', size: 0 },
  [-37]: { name: 'PS256', signature: 'PS256', kty: 3, crv: 0, jwkCrv: '', size: 0 },
} as const satisfies Record<
  number,
  { name: string; signature: SignatureAlgorithm; kty: 1 | 2 | 3; crv: number; jwkCrv: string; size: number }
>;

export type CoseAlgorithm = keyof typeof COSE_ALGORITHMS;
type CoseEntry = (typeof COSE_ALGORITHMS)[CoseAlgorithm];

/** Largest COSE key accepted, in bytes (an RSA-8192 key is about 1.1 KB). */
export const MAX_COSE_KEY_BYTES = 2048;

/**
 * A credential public key, parsed once: the COSE algorithm and the OpenSSL key that verifies it.
 * Keep it in a cache next to the stored form; verification never re-parses it.
 */
export interface CredentialPublicKey {
  readonly alg: CoseAlgorithm;
  readonly key: KeyObject;
}

/**
 * The compact storable form of a credential public key: the COSE algorithm and the key as
 * base64url DER SubjectPublicKeyInfo. Plain JSON, so any store can keep it.
 */
export interface StoredCredentialPublicKey {
  alg: number;
  spki: string;
}

/**
 * Looks up a COSE algorithm number; `undefined` for one Signet does not verify.
 *
 * @example
 * findCoseAlgorithm(-7)?.signature // 'ES256'
 */
export function findCoseAlgorithm(alg: unknown): CoseEntry | undefined {
  return typeof alg === 'number' && Object.hasOwn(COSE_ALGORITHMS, alg)
    ? COSE_ALGORITHMS[alg as CoseAlgorithm]
    : undefined;
}

/**
 * Parses a COSE_Key (RFC 9052 §7, RFC 9053 §7; EC2, OKP, RSA) into a reusable credential key.
 * Refuses unknown algorithms, a curve that does not match the algorithm, points of the wrong
 * size, and every key the shared key policy refuses (`src/crypto/keyPolicy.ts`: RSA outside
 * 2048-4096 bits or with an exponent that is not odd and >= 3, EC points off the curve,
 * Ed25519 / Ed448 points of small order).
 *
 * @example
 * const parsed = parseCoseKey(coseBytes);
 * if (parsed.ok) verifyWith(parsed.value);
 */
export function parseCoseKey(bytes: Uint8Array): Parsed<CredentialPublicKey> {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_COSE_KEY_BYTES)
    return invalid('COSE key too large');
  const map = decodeCbor(bytes);
  if (!(map instanceof Map)) return invalid('COSE key is not a CBOR map');
  return coseMapToKey(map);
}

/** Same as {@link parseCoseKey} for an already-decoded COSE map. */
export function coseMapToKey(map: CborMap): Parsed<CredentialPublicKey> {
  const alg = map.get(3);
  const entry = findCoseAlgorithm(alg);
  if (entry === undefined) return invalid('COSE key algorithm is not supported');
  if (map.get(1) !== entry.kty) return invalid('COSE key type does not match its algorithm');
  let key: KeyObject | null;
  if (entry.kty === 3) {
    const n = map.get(-1);
    const e = map.get(-2);
    if (!(n instanceof Uint8Array) || !(e instanceof Uint8Array) || n.length > 1024 || e.length > 8) {
      return invalid('COSE RSA key needs n and e');
    }
    key = importJwk({ kty: 'RSA', n: encodeBase64Url(n), e: encodeBase64Url(e) });
  } else {
    if (map.get(-1) !== entry.crv) return invalid('COSE key curve does not match its algorithm');
    const x = map.get(-2);
    if (!(x instanceof Uint8Array) || x.length !== entry.size)
      return invalid('COSE key x has the wrong size');
    if (entry.kty === 2) {
      const y = map.get(-3);
      if (!(y instanceof Uint8Array) || y.length !== entry.size)
        return invalid('COSE key y has the wrong size');
      key = importJwk({ kty: 'EC', crv: entry.jwkCrv, x: encodeBase64Url(x), y: encodeBase64Url(y) });
    } else {
      key = importJwk({ kty: 'OKP', crv: entry.jwkCrv, x: encodeBase64Url(x) });
    }
  }
  if (key === null) return invalid('COSE key is not a valid public key');
  const policy = checkPublicKeyPolicy(key);
  if (!policy.ok) return invalid(`COSE key refused: ${policy.message}`);
  return { ok: true, value: { alg: alg as CoseAlgorithm, key } };
}

/**
 * The storable form of a credential key (store it once at registration).
 *
 * @example
 * const stored = exportCredentialPublicKey(publicKey); // { alg: -7, spki: 'MFkwEwYH...' }
 */
export function exportCredentialPublicKey(publicKey: CredentialPublicKey): StoredCredentialPublicKey {
  return {
    alg: publicKey.alg,
    spki: encodeBase64Url(publicKey.key.export({ format: 'der', type: 'spki' })),
  };
}

/**
 * Loads a stored credential key (from `unknown`: it comes out of a database) and checks the key
 * still fits its algorithm and the key policy: a key stored before the policy existed (an RSA
 * key with e = 1, a small-order Ed25519 point) is refused at login, not trusted because it is
 * already there. Parse once, then cache the result.
 *
 * @example
 * const loaded = loadCredentialPublicKey({ alg: -7, spki: 'MFkwEwYH...' });
 */
export function loadCredentialPublicKey(stored: unknown): Parsed<CredentialPublicKey> {
  if (typeof stored !== 'object' || stored === null) return invalid('stored key must be an object');
  const { alg, spki } = stored as Record<string, unknown>;
  const entry = findCoseAlgorithm(alg);
  if (entry === undefined) return invalid('stored key algorithm is not supported');
  if (typeof spki !== 'string') return invalid('stored key spki must be a string');
  const der = decodeBase64Url(spki, 4096);
  const key = der === null ? null : importSpki(der);
  if (key === null) return invalid('stored key spki is not a valid public key');
  if (!keyFitsAlgorithm(key, entry)) return invalid('stored key does not match its algorithm');
  const policy = checkPublicKeyPolicy(key);
  if (!policy.ok) return invalid(`stored key refused: ${policy.message}`);
  return { ok: true, value: { alg: alg as CoseAlgorithm, key } };
}

function keyFitsAlgorithm(key: KeyObject, entry: CoseEntry): boolean {
  if (entry.kty === 3) return key.asymmetricKeyType === 'rsa';
  if (entry.kty === 1) return key.asymmetricKeyType === entry.jwkCrv.toLowerCase();
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return (
    key.asymmetricKeyType === 'ec' &&
    curve === { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[entry.jwkCrv]
  );
}
