import { p256 } from '@noble/curves/nist.js';
import { secp256k1 as nobleK1 } from '@noble/curves/secp256k1.js';
import { isHighS, secp256k1Recover, secp256k1Verify, sha256, verifySignature } from '../../crypto/index.js';
import { fail, type Verified } from '../../errors/codes.js';
import { eosPublicKeyFromPoint, type EosPrivateKey, type EosPublicKey } from './keys.js';
import {
  formatEosSignature,
  isCanonicalEosSignature,
  parseEosSignature,
  type EosSignature,
} from './signatures.js';

function toSignature(signature: EosSignature | string): EosSignature | null {
  if (typeof signature !== 'string') return signature;
  const parsed = parseEosSignature(signature);
  return parsed.ok ? parsed.value : null;
}

/**
 * K1 acceptance rule: EOSIO `is_canonical` and low-S. R1 is plain ECDSA (either S), as the chain
 * verifies R1 signatures by recovery without a canonical check.
 */
function acceptable(sig: EosSignature): boolean {
  return sig.type === 'R1' || (isCanonicalEosSignature(sig.compact) && !isHighS(sig.compact));
}

/**
 * Verifies an Antelope signature over a 32-byte digest (what the chain signs: a transaction
 * digest, or SHA-256 of a message). A malformed string, a curve that is not the key's, a
 * non-canonical or high-S K1 signature and a wrong key are all `signature_invalid`.
 * K1 goes through libsecp256k1 (plain verification against the stored uncompressed point:
 * measured ~36 µs against ~44 µs for recover-and-compare); R1 through @noble/curves p256,
 * since OpenSSL's one-shot API hashes its input itself.
 *
 * @example
 * verifyEosDigest(key, digest32, 'SIG_K1_…') // { ok: true }
 */
export function verifyEosDigest(
  key: EosPublicKey,
  digest: Uint8Array,
  signature: EosSignature | string,
): Verified {
  if (digest.length !== 32) throw new RangeError('verifyEosDigest: digest must be 32 bytes');
  const sig = toSignature(signature);
  if (sig === null || sig.type !== key.type || !acceptable(sig)) return fail('signature_invalid');
  let ok: boolean;
  if (key.type === 'K1') {
    ok = secp256k1Verify(sig.compact, digest, key.uncompressed);
  } else {
    try {
      ok = p256.verify(sig.compact, digest, key.uncompressed, {
        prehash: false,
        lowS: false,
        format: 'compact',
      });
    } catch {
      ok = false;
    }
  }
  return ok ? { ok: true } : fail('signature_invalid');
}

/**
 * Verifies an Antelope signature over a message: the digest is SHA-256(message), as wallets
 * (`PrivateKey.signMessage`, MYKEY) sign it. R1 goes through OpenSSL ECDSA-SHA256 on the message
 * itself with the parsed KeyObject (the same computation: ECDSA over SHA-256(message)).
 *
 * @example
 * verifyEosSignature(parseEosPublicKey('PUB_K1_…').value, utf8Bytes(challenge), 'SIG_K1_…')
 */
export function verifyEosSignature(
  key: EosPublicKey,
  message: Uint8Array,
  signature: EosSignature | string,
): Verified {
  if (key.type === 'K1' || key.keyObject === null) return verifyEosDigest(key, sha256(message), signature);
  const sig = toSignature(signature);
  if (sig === null || sig.type !== 'R1') return fail('signature_invalid');
  return verifySignature('ES256_P1363', key.keyObject, message, sig.compact)
    ? { ok: true }
    : fail('signature_invalid');
}

/**
 * Recovers the public key from a signature over a 32-byte digest, or `null`. The recovery id
 * is read from either header convention (27 + recid or 31 + recid).
 *
 * @example
 * recoverEosPublicKeyFromDigest(digest32, 'SIG_K1_…')?.string // 'PUB_K1_…'
 */
export function recoverEosPublicKeyFromDigest(
  digest: Uint8Array,
  signature: EosSignature | string,
): EosPublicKey | null {
  if (digest.length !== 32) throw new RangeError('recoverEosPublicKeyFromDigest: digest must be 32 bytes');
  const sig = toSignature(signature);
  if (sig === null || !acceptable(sig)) return null;
  let point: Uint8Array | null;
  if (sig.type === 'K1') {
    point = secp256k1Recover(sig.compact, sig.recid, digest, true);
  } else {
    try {
      point = p256.Signature.fromBytes(sig.compact, 'compact')
        .addRecoveryBit(sig.recid)
        .recoverPublicKey(digest)
        .toBytes(true);
    } catch {
      point = null;
    }
  }
  return point === null ? null : eosPublicKeyFromPoint(sig.type, point);
}

/**
 * Recovers the public key from a signature over SHA-256(message), or `null`.
 *
 * @example
 * recoverEosPublicKey(utf8Bytes('I like turtles'), 'SIG_K1_…')?.string
 */
export function recoverEosPublicKey(
  message: Uint8Array,
  signature: EosSignature | string,
): EosPublicKey | null {
  return recoverEosPublicKeyFromDigest(sha256(message), signature);
}

/**
 * Signs a 32-byte digest the way Antelope wallets do: RFC 6979, low-S, and, as EOSIO requires,
 * retried with fresh extra entropy until the signature is canonical. Returns `SIG_K1_` /
 * `SIG_R1_` with header 31 + recid. For tests and the CLI stand-ins only.
 *
 * @example
 * signEosDigest(priv, digest32) // 'SIG_K1_…'
 */
export function signEosDigest(privateKey: EosPrivateKey, digest: Uint8Array): string {
  if (digest.length !== 32) throw new RangeError('signEosDigest: digest must be 32 bytes');
  const curve = privateKey.type === 'K1' ? nobleK1 : p256;
  for (let attempt = 0; attempt < 256; attempt++) {
    // Attempt 0 is plain RFC 6979; later ones add a counter as extra entropy (RFC 6979 section 3.6).
    const extraEntropy = attempt === 0 ? false : sha256(new Uint8Array([attempt]));
    const bytes = curve.sign(digest, privateKey.bytes, {
      prehash: false,
      lowS: true,
      format: 'recovered',
      extraEntropy,
    });
    const sig = curve.Signature.fromBytes(bytes, 'recovered');
    const compact = sig.toBytes('compact');
    if (isCanonicalEosSignature(compact))
      return formatEosSignature(privateKey.type, compact, sig.recovery ?? 0);
  }
  throw new RangeError('signEosDigest: no canonical signature found');
}

/**
 * Signs SHA-256(message) (see `signEosDigest`).
 *
 * @example
 * signEos(parseEosPrivateKey('5KQvfs…').value, utf8Bytes('hello')) // 'SIG_K1_…'
 */
export function signEos(privateKey: EosPrivateKey, message: Uint8Array): string {
  return signEosDigest(privateKey, sha256(message));
}
