import type { KeyObject } from 'node:crypto';
import {
  checkPublicKeyPolicy,
  importEcPoint,
  importPkcs1,
  importSpki,
  MAX_RSA_BITS,
  rsaModulusBits,
} from '../../crypto/index.js';
import { concatBytes, decodeBase64, decodeBase64Url, encodeBase64Url } from '../../encoding/index.js';
import { invalid, type Parsed } from '../../errors/codes.js';

/**
 * Device public keys (docs/api.md "Credentials"): what `my.bioMetrics.createKey`, Android
 * Keystore (`PublicKey.getEncoded()`, often through `Base64.DEFAULT` with line breaks), iOS
 * (`SecKeyCopyExternalRepresentation`: PKCS#1 for RSA, the raw `04 || x || y` point for the
 * Secure Enclave's P-256) and react-native-biometrics hand an app. Every form is parsed once
 * into an OpenSSL KeyObject that verification reuses, plus a canonical base64url DER SPKI that
 * the credential stores.
 */

/** The two device key kinds: RSA PKCS#1 v1.5 SHA-256 and ECDSA P-256 SHA-256. */
export type DeviceKeyKind = 'rsa' | 'p256';

/** A parsed, policy-checked device key, ready for repeated verification. */
export interface DevicePublicKey {
  kind: DeviceKeyKind;
  /** The OpenSSL key object every verification uses (never re-parsed). */
  key: KeyObject;
  /** Canonical base64url (no padding) DER SubjectPublicKeyInfo; P-256 points uncompressed. */
  spki: string;
  /** RSA modulus size in bits, or 256 for P-256. */
  bits: number;
}

/** Largest RSA modulus accepted (the shared key policy's, `src/crypto/keyPolicy.ts`). */
export { MAX_RSA_BITS };
/** Longest key string considered: a 4096-bit SPKI PEM with CRLF line breaks is about 850 characters. */
export const MAX_KEY_STRING = 8192;

/**
 * A key refusal that says whose fault it is: `invalid_request` for text that is not a key at
 * all, `key_invalid` for a well-formed key that policy refuses (RSA size or exponent, a curve
 * other than P-256, RSA-PSS-only keys). Registration answers both with `invalid_request`
 * (docs/errors.md `invalid_request`); `verify --batch` reports the finer `key_invalid`.
 */
export type DeviceKeyFailure = { ok: false; code: 'invalid_request' | 'key_invalid'; message: string };

const keyInvalid = (message: string): DeviceKeyFailure => ({ ok: false, code: 'key_invalid', message });

/** DER prefix of a P-256 SubjectPublicKeyInfo with an uncompressed point (RFC 5480 section 2). */
const P256_SPKI_PREFIX = Uint8Array.from(
  Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
);

/** ASCII whitespace, as base64 wrapped by Android `Base64.DEFAULT`, PEM or a pasting human leaves it. */
const WHITESPACE = /[\t\n\v\f\r ]/g;

/**
 * Reads a DER length at `pos` (definite, minimal form, at most 2 length octets: keys here are
 * far below 64 KiB). Returns the value and where the content starts, or `null`.
 */
function readDerLength(der: Uint8Array, pos: number): { length: number; start: number } | null {
  if (pos >= der.length) return null;
  const first = der[pos] as number;
  if (!(first & 0x80)) return { length: first, start: pos + 1 };
  const n = first & 0x7f;
  if (n === 0 || n > 2 || pos + 1 + n > der.length || der[pos + 1] === 0) return null;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[pos + 1 + i] as number);
  return length < 0x80 ? null : { length, start: pos + 1 + n };
}

/**
 * The tags of the elements directly inside `der`, which must be exactly one DER SEQUENCE whose
 * children tile its content; `null` otherwise. This is checked before OpenSSL sees the bytes
 * because OpenSSL is lenient where a verifier must not be: it ignores bytes after the first
 * element, and `createPublicKey` happily derives a public key from a *private* key's DER.
 */
function sequenceTags(der: Uint8Array): number[] | null {
  if (der[0] !== 0x30) return null;
  const outer = readDerLength(der, 1);
  if (outer === null || outer.start + outer.length !== der.length) return null;
  const tags: number[] = [];
  for (let pos = outer.start; pos < der.length;) {
    const tag = der[pos] as number;
    const inner = readDerLength(der, pos + 1);
    if ((tag & 0x1f) === 0x1f || inner === null || inner.start + inner.length > der.length) return null;
    tags.push(tag);
    pos = inner.start + inner.length;
  }
  return tags;
}

/** SubjectPublicKeyInfo (RFC 5280 section 4.1): SEQUENCE { AlgorithmIdentifier SEQUENCE, BIT STRING }. */
const isSpkiShape = (der: Uint8Array): boolean => sequenceTags(der)?.join() === '48,3';

/** RSAPublicKey (RFC 8017 appendix A.1.1): SEQUENCE { modulus INTEGER, publicExponent INTEGER }. */
const isPkcs1PublicShape = (der: Uint8Array): boolean => sequenceTags(der)?.join() === '2,2';

/** Applies Signet's key policy to an imported key and builds its canonical form. */
function classify(key: KeyObject): Parsed<DevicePublicKey> | DeviceKeyFailure {
  if (key.asymmetricKeyType === 'rsa') {
    // The one key policy (src/crypto/keyPolicy.ts): 2048-4096 bits, odd e >= 3.
    const policy = checkPublicKeyPolicy(key);
    if (!policy.ok) return keyInvalid(`publicKey: ${policy.message}`);
    const bits = rsaModulusBits(key);
    const spki = key.export({ type: 'spki', format: 'der' });
    return { ok: true, value: { kind: 'rsa', key, spki: spki.toString('base64url'), bits } };
  }
  if (key.asymmetricKeyType === 'rsa-pss') {
    return keyInvalid('publicKey: RSA-PSS-only keys cannot verify PKCS#1 v1.5 signatures');
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    const policy = checkPublicKeyPolicy(key);
    if (!policy.ok) return keyInvalid(`publicKey: ${policy.message}`);
    // Canonical form: the uncompressed point, whatever form the SPKI carried (a compressed
    // point round-trips compressed through OpenSSL, which would make two spellings of one key).
    const jwk = key.export({ format: 'jwk' });
    const x = typeof jwk.x === 'string' ? decodeBase64Url(jwk.x) : null;
    const y = typeof jwk.y === 'string' ? decodeBase64Url(jwk.y) : null;
    if (x === null || y === null || x.length !== 32 || y.length !== 32) {
      return invalid('publicKey is not a P-256 point');
    }
    const spki = concatBytes(P256_SPKI_PREFIX, Uint8Array.of(0x04), x, y);
    return { ok: true, value: { kind: 'p256', key, spki: encodeBase64Url(spki), bits: 256 } };
  }
  return keyInvalid('publicKey: only RSA (2048-4096 bits) and ECDSA P-256 keys are accepted');
}

/**
 * Imports SPKI or PKCS#1 DER and keeps the key only when OpenSSL's own encoding of it is the
 * input, byte for byte. OpenSSL reads more than DER allows (bytes after the key inside the BIT
 * STRING, a negative or zero-padded modulus, the rsaEncryption NULL left out, which RFC 3279
 * section 2.3.1 requires); one key has one encoding, so such input is refused as malformed
 * rather than silently read as some key.
 */
function importCanonical(der: Uint8Array, type: 'spki' | 'pkcs1'): KeyObject | null {
  const key = type === 'spki' ? importSpki(der) : importPkcs1(der);
  if (key === null) return null;
  let again: Buffer;
  try {
    again = key.export({ type, format: 'der' });
  } catch {
    return null;
  }
  if (!again.equals(der)) return null;
  // X9.62 "hybrid" points (0x06 / 0x07: both coordinates and y's parity) survive OpenSSL's round
  // trip byte for byte, but SEC 1 and every platform that makes device keys use 0x04 (or a
  // compressed 0x02 / 0x03): a hybrid P-256 SPKI would be a second spelling of one key.
  if (key.asymmetricKeyType === 'ec' && der.length >= 65) {
    const form = der[der.length - 65];
    if (form === 0x06 || form === 0x07) return null;
  }
  return key;
}

/** Imports DER bytes of a bare (non-PEM) key: an uncompressed P-256 point, SPKI or PKCS#1. */
function importBareDer(der: Uint8Array): KeyObject | null {
  if (der.length === 65 && der[0] === 0x04) return importEcPoint('P-256', der);
  // SPKI (Android getEncoded(), WebCrypto 'spki') or PKCS#1 RSAPublicKey (iOS), told apart by
  // their shape; a private key (PKCS#8, PKCS#1 or SEC1) has neither shape.
  if (isSpkiShape(der)) return importCanonical(der, 'spki');
  if (isPkcs1PublicShape(der)) return importCanonical(der, 'pkcs1');
  return null;
}

const PEM_LABELS = ['PUBLIC KEY', 'RSA PUBLIC KEY'] as const;

/**
 * Reads one PEM block (RFC 7468 section 2, "strict" form but any line length): exactly one
 * `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1) block and nothing else. Private keys and
 * certificates are refused: a server must never be handed a private key, and a certificate's
 * key would be trusted without its chain.
 */
function importPemKey(text: string): KeyObject | null {
  for (const label of PEM_LABELS) {
    const begin = `-----BEGIN ${label}-----`;
    const end = `-----END ${label}-----`;
    if (!text.startsWith(begin) || !text.endsWith(end) || text.length < begin.length + end.length) continue;
    const body = text.slice(begin.length, text.length - end.length).replace(WHITESPACE, '');
    // PEM bodies are standard base64 (RFC 7468 section 3): no base64url, no headers, no dashes.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return null;
    const der = decodeBase64(body);
    if (der === null) return null;
    if (label === 'PUBLIC KEY') return isSpkiShape(der) ? importCanonical(der, 'spki') : null;
    return isPkcs1PublicShape(der) ? importCanonical(der, 'pkcs1') : null;
  }
  return null;
}

/**
 * The parser behind {@link parseDevicePublicKey}, telling a malformed key (`invalid_request`)
 * from a well-formed one that policy refuses (`key_invalid`).
 *
 * @example
 * decodeDevicePublicKey(weak1024Pem) // { ok: false, code: 'key_invalid', message: '…' }
 */
export function decodeDevicePublicKey(input: unknown): Parsed<DevicePublicKey> | DeviceKeyFailure {
  if (typeof input !== 'string') return invalid('publicKey must be a string');
  if (input.length > MAX_KEY_STRING) return invalid('publicKey is too long');
  const text = input.trim();
  if (text.length === 0) return invalid('publicKey must not be empty');
  let key: KeyObject | null;
  if (text.startsWith('-----')) {
    key = importPemKey(text);
    if (key === null) return invalid('publicKey is not a PEM "PUBLIC KEY" or "RSA PUBLIC KEY" block');
  } else {
    const der = decodeBase64(text.replace(WHITESPACE, ''));
    if (der === null) return invalid('publicKey must be PEM, or base64 / base64url of DER or a P-256 point');
    key = importBareDer(der);
    if (key === null) {
      return invalid('publicKey is not a DER SPKI, a PKCS#1 RSA key or an uncompressed P-256 point');
    }
  }
  return classify(key);
}

/**
 * Strict parser of a device public key in every form docs/api.md lists: PEM SPKI
 * (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`); base64 or base64url DER of SPKI (Android,
 * line breaks and spaces allowed) or of PKCS#1 (iOS RSA); a 65-byte uncompressed P-256 point
 * in base64 / base64url (iOS Secure Enclave). RSA must have 2048-4096 bits; EC must be P-256.
 *
 * @example
 * const parsed = parseDevicePublicKey(androidBase64Spki);
 * if (parsed.ok) verifyDeviceSignature(parsed.value, utf8Bytes(challenge), signature);
 */
export function parseDevicePublicKey(input: unknown): Parsed<DevicePublicKey> {
  const decoded = decodeDevicePublicKey(input);
  return decoded.ok ? decoded : invalid(decoded.message);
}

/**
 * Re-imports the key JSON a device credential stores (`{ kind, spki }`, see
 * `parseDeviceCredential`), checking the policy again; `null` when it is malformed, refused, or
 * of another kind than it claims.
 *
 * @example
 * loadDevicePublicKey({ kind: 'p256', spki: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…' })?.bits // 256
 */
export function loadDevicePublicKey(stored: Record<string, unknown>): DevicePublicKey | null {
  const { kind, spki } = stored;
  if ((kind !== 'rsa' && kind !== 'p256') || typeof spki !== 'string' || spki.length > MAX_KEY_STRING)
    return null;
  const der = decodeBase64Url(spki);
  if (der === null || !isSpkiShape(der)) return null;
  const key = importCanonical(der, 'spki');
  if (key === null) return null;
  const parsed = classify(key);
  return parsed.ok && parsed.value.kind === kind ? parsed.value : null;
}
