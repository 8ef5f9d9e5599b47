import type { KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { importEcPoint, ripemd160, secp256k1, secp256k1ConvertKey, sha256 } from '../../crypto/index.js';
import { concatBytes, decodeBase58, encodeBase58, equalBytes, utf8Bytes } from '../../encoding/index.js';
import { invalid, type Parsed } from '../../errors/codes.js';

/**
 * Antelope (EOSIO) key strings. Formats (Antelope `fc` / `libraries/libfc/src/crypto`):
 *  - `PUB_K1_` / `PUB_R1_` + base58(key33 || ripemd160(key33 || "K1"|"R1")[0:4])
 *  - legacy `EOS` + base58(key33 || ripemd160(key33)[0:4]) (K1 only)
 *  - `PVT_K1_` / `PVT_R1_` + base58(priv32 || ripemd160(priv32 || "K1"|"R1")[0:4])
 *  - WIF `5…` = base58(0x80 || priv32 || sha256(sha256(0x80 || priv32))[0:4]) (K1 only)
 * `K1` is secp256k1, `R1` is NIST P-256. `WA` (WebAuthn) keys are refused: Signet verifies
 * passkeys through its own `webauthn` scheme, not through Antelope's `PUB_WA_` wrapping.
 */

/** The two Antelope curves Signet verifies. */
export type EosKeyType = 'K1' | 'R1';

/** A parsed, validated Antelope public key, ready for repeated verification. */
export interface EosPublicKey {
  readonly type: EosKeyType;
  /** The 33-byte compressed point. */
  readonly compressed: Uint8Array;
  /** The 65-byte uncompressed point (what the verifiers use, so no decompression per call). */
  readonly uncompressed: Uint8Array;
  /** Canonical spelling: `PUB_K1_…` or `PUB_R1_…` (a legacy `EOS…` key maps to its `PUB_K1_`). */
  readonly string: string;
  /** OpenSSL key for R1 (P-256) keys; `null` for K1. */
  readonly keyObject: KeyObject | null;
}

/** A parsed Antelope private key (tests and CLI stand-ins only). */
export interface EosPrivateKey {
  readonly type: EosKeyType;
  readonly bytes: Uint8Array;
}

/** Longest key string considered (bounds base58 work, which is quadratic in its input). */
const MAX_KEY_STRING = 128;

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The 4-byte checksum of a `PUB_`/`PVT_`/`SIG_` string: ripemd160(data || suffix)[0:4]. */
export function eosChecksum(data: Uint8Array, suffix: string): Uint8Array {
  return ripemd160(concatBytes(data, utf8Bytes(suffix))).subarray(0, 4);
}

/** Encodes `prefix + base58(data || ripemd160(data || suffix)[0:4])`. */
export function encodeEosString(prefix: string, data: Uint8Array, suffix: string): string {
  return prefix + encodeBase58(concatBytes(data, eosChecksum(data, suffix)));
}

/** Decodes base58 `data || checksum4` of an expected data length and checks the checksum; `null` if bad. */
export function decodeEosString(body: string, dataLength: number, suffix: string): Uint8Array | null {
  const raw = decodeBase58(body, MAX_KEY_STRING * 2);
  if (raw === null || raw.length !== dataLength + 4) return null;
  const data = raw.subarray(0, dataLength);
  return equalBytes(raw.subarray(dataLength), eosChecksum(data, suffix)) ? data : null;
}

/**
 * Builds an `EosPublicKey` from a compressed or uncompressed point, or `null` when the bytes are
 * not a point of the curve.
 *
 * @example
 * eosPublicKeyFromPoint('K1', compressed33)?.string // 'PUB_K1_…'
 */
export function eosPublicKeyFromPoint(type: EosKeyType, point: Uint8Array): EosPublicKey | null {
  if (point.length !== 33 && point.length !== 65) return null;
  if (type === 'K1') {
    const compressed = secp256k1ConvertKey(point, true);
    const uncompressed = secp256k1ConvertKey(point, false);
    if (compressed === null || uncompressed === null) return null;
    return {
      type,
      compressed: Uint8Array.from(compressed),
      uncompressed: Uint8Array.from(uncompressed),
      string: encodeEosString('PUB_K1_', compressed, 'K1'),
      keyObject: null,
    };
  }
  let compressed: Uint8Array;
  let uncompressed: Uint8Array;
  try {
    const p = p256.Point.fromBytes(point);
    compressed = p.toBytes(true);
    uncompressed = p.toBytes(false);
  } catch {
    return null;
  }
  const keyObject = importEcPoint('P-256', uncompressed);
  if (keyObject === null) return null;
  return { type, compressed, uncompressed, string: encodeEosString('PUB_R1_', compressed, 'R1'), keyObject };
}

/**
 * Strict parser of an Antelope public key string: `PUB_K1_…`, `PUB_R1_…` or legacy `EOS…`. The
 * checksum is checked and the point validated; `PUB_WA_` keys are refused (not supported).
 *
 * @example
 * parseEosPublicKey('EOS6RrvujLQN1x5Tacbep1KAk8zzKpSThAQXBCKYFfGUYeABhJRin').value.string
 * // 'PUB_K1_6RrvujLQN1x5Tacbep1KAk8zzKpSThAQXBCKYFfGUYeACcSRFs'
 */
export function parseEosPublicKey(input: unknown): Parsed<EosPublicKey> {
  if (typeof input !== 'string') return invalid('publicKey must be a string');
  if (input.startsWith('PUB_WA_')) {
    return invalid('publicKey: WebAuthn (PUB_WA_) keys are not supported; use the webauthn scheme');
  }
  if (input.length > MAX_KEY_STRING) return invalid('publicKey is too long');
  let type: EosKeyType;
  let data: Uint8Array | null;
  if (input.startsWith('PUB_K1_') || input.startsWith('PUB_R1_')) {
    type = input.slice(4, 6) as EosKeyType;
    data = decodeEosString(input.slice(7), 33, type);
  } else if (input.startsWith('EOS')) {
    type = 'K1';
    const raw = decodeBase58(input.slice(3), MAX_KEY_STRING);
    data =
      raw !== null &&
      raw.length === 37 &&
      equalBytes(raw.subarray(33), ripemd160(raw.subarray(0, 33)).subarray(0, 4))
        ? raw.subarray(0, 33)
        : null;
  } else {
    return invalid('publicKey must be PUB_K1_…, PUB_R1_… or EOS…');
  }
  if (data === null) return invalid('publicKey has a bad encoding or checksum');
  const key = eosPublicKeyFromPoint(type, data);
  return key === null ? invalid('publicKey is not a point of the curve') : { ok: true, value: key };
}

/**
 * The legacy `EOS…` spelling of a K1 key (R1 keys have none: `RangeError`).
 *
 * @example
 * toLegacyEosPublicKey(key) // 'EOS6Rrvuj…'
 */
export function toLegacyEosPublicKey(key: EosPublicKey, prefix = 'EOS'): string {
  if (key.type !== 'K1') throw new RangeError('toLegacyEosPublicKey: only K1 keys have a legacy form');
  return prefix + encodeBase58(concatBytes(key.compressed, ripemd160(key.compressed).subarray(0, 4)));
}

function checkScalar(type: EosKeyType, bytes: Uint8Array): boolean {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v !== 0n && v < (type === 'K1' ? SECP256K1_N : P256_N);
}

/**
 * Strict parser of an Antelope private key: WIF `5…` (K1), `PVT_K1_…`, `PVT_R1_…`. Checksums are
 * checked; zero keys and keys not below the curve order are refused. For tests and the CLI
 * stand-ins: the server never holds a wallet's private key.
 *
 * @example
 * parseEosPrivateKey('5KQvfsPJ9YvGuVbLRLXVWPNubed6FWvV8yax6cNSJEzB4co3zFu') // { ok: true, value: { type: 'K1', bytes } }
 */
export function parseEosPrivateKey(input: unknown): Parsed<EosPrivateKey> {
  if (typeof input !== 'string') return invalid('privateKey must be a string');
  if (input.length > MAX_KEY_STRING) return invalid('privateKey is too long');
  let type: EosKeyType;
  let bytes: Uint8Array | null;
  if (input.startsWith('PVT_K1_') || input.startsWith('PVT_R1_')) {
    type = input.slice(4, 6) as EosKeyType;
    bytes = decodeEosString(input.slice(7), 32, type);
  } else if (input.startsWith('PVT_WA_')) {
    return invalid('privateKey: WebAuthn keys are not supported');
  } else {
    type = 'K1';
    const raw = decodeBase58(input, MAX_KEY_STRING);
    bytes =
      raw !== null &&
      raw.length === 37 &&
      raw[0] === 0x80 &&
      equalBytes(raw.subarray(33), sha256(sha256(raw.subarray(0, 33))).subarray(0, 4))
        ? raw.subarray(1, 33)
        : null;
  }
  if (bytes === null) return invalid('privateKey has a bad encoding or checksum');
  if (!checkScalar(type, bytes)) return invalid('privateKey is zero or not below the curve order');
  return { ok: true, value: { type, bytes: Uint8Array.from(bytes) } };
}

/**
 * The public key of a private key.
 *
 * @example
 * eosPublicKeyFromPrivate(priv).string // 'PUB_K1_…'
 */
export function eosPublicKeyFromPrivate(privateKey: EosPrivateKey): EosPublicKey {
  const point =
    privateKey.type === 'K1'
      ? secp256k1.publicKey(privateKey.bytes, true)
      : p256.getPublicKey(privateKey.bytes, true);
  const key = eosPublicKeyFromPoint(privateKey.type, point);
  if (key === null) throw new RangeError('eosPublicKeyFromPrivate: invalid private key');
  return key;
}

/**
 * Canonical `PVT_K1_` / `PVT_R1_` spelling, or the legacy WIF for K1 with `{ wif: true }`.
 *
 * @example
 * formatEosPrivateKey(priv, { wif: true }) // '5KQvfs…'
 */
export function formatEosPrivateKey(privateKey: EosPrivateKey, options: { wif?: boolean } = {}): string {
  if (!options.wif) return encodeEosString(`PVT_${privateKey.type}_`, privateKey.bytes, privateKey.type);
  if (privateKey.type !== 'K1') throw new RangeError('formatEosPrivateKey: only K1 keys have a WIF form');
  const payload = concatBytes(new Uint8Array([0x80]), privateKey.bytes);
  return encodeBase58(concatBytes(payload, sha256(sha256(payload)).subarray(0, 4)));
}
