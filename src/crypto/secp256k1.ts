import { createRequire } from 'node:module';
import { secp256k1 as noble } from '@noble/curves/secp256k1.js';

/**
 * secp256k1 for EOS `SIG_K1_` and Ethereum: libsecp256k1 through the `secp256k1` package's
 * prebuilt N-API binding (~30x the pure-JS peers), with @noble/curves as the fallback where the
 * binding cannot load. Both backends have one shape, so tests run the same cases on each.
 * Every function takes a 32-byte digest and a compact 64-byte `r || s`, and returns
 * `false` / `null` on bad input rather than throwing.
 */
export interface Secp256k1Backend {
  readonly name: 'libsecp256k1' | 'noble';
  /** Verifies a low-S compact signature. */
  verify(sig64: Uint8Array, hash32: Uint8Array, publicKey: Uint8Array): boolean;
  /** Returns `sig64` with `s` replaced by `n - s` when high. */
  normalize(sig64: Uint8Array): Uint8Array;
  recover(sig64: Uint8Array, recid: number, hash32: Uint8Array, compressed: boolean): Uint8Array;
  fromDer(der: Uint8Array): Uint8Array;
  convertKey(publicKey: Uint8Array, compressed: boolean): Uint8Array;
  sign(hash32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  publicKey(privateKey: Uint8Array, compressed: boolean): Uint8Array;
}

interface NativeBinding {
  ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, pub: Uint8Array): boolean;
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
  signatureNormalize(sig: Uint8Array): Uint8Array;
  signatureImport(der: Uint8Array): Uint8Array;
  publicKeyConvert(pub: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCreate(priv: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaSign(msg32: Uint8Array, priv: Uint8Array): { signature: Uint8Array; recid: number };
}

/** The pure-JS backend (@noble/curves). */
export const nobleSecp256k1: Secp256k1Backend = {
  name: 'noble',
  verify: (sig64, hash32, publicKey) =>
    noble.verify(sig64, hash32, publicKey, { prehash: false, lowS: true, format: 'compact' }),
  normalize: (sig64) => {
    const sig = noble.Signature.fromBytes(sig64, 'compact');
    return sig.hasHighS()
      ? new noble.Signature(sig.r, noble.Point.CURVE().n - sig.s).toBytes('compact')
      : sig64;
  },
  recover: (sig64, recid, hash32, compressed) =>
    noble.Signature.fromBytes(sig64, 'compact')
      .addRecoveryBit(recid)
      .recoverPublicKey(hash32)
      .toBytes(compressed),
  fromDer: (der) => noble.Signature.fromBytes(der, 'der').toBytes('compact'),
  convertKey: (publicKey, compressed) => noble.Point.fromBytes(publicKey).toBytes(compressed),
  sign: (hash32, privateKey) => {
    const recovered = noble.sign(hash32, privateKey, { prehash: false, lowS: true, format: 'recovered' });
    const sig = noble.Signature.fromBytes(recovered, 'recovered');
    return { signature: sig.toBytes('compact'), recid: sig.recovery ?? 0 };
  },
  publicKey: (privateKey, compressed) => noble.getPublicKey(privateKey, compressed),
};

function loadNative(): Secp256k1Backend | null {
  let b: NativeBinding;
  try {
    b = createRequire(import.meta.url)('secp256k1/bindings') as NativeBinding;
  } catch {
    return null;
  }
  return {
    name: 'libsecp256k1',
    verify: (sig64, hash32, publicKey) => b.ecdsaVerify(sig64, hash32, publicKey),
    normalize: (sig64) => b.signatureNormalize(Uint8Array.from(sig64)),
    recover: (sig64, recid, hash32, compressed) => b.ecdsaRecover(sig64, recid, hash32, compressed),
    fromDer: (der) => b.signatureImport(der),
    convertKey: (publicKey, compressed) => b.publicKeyConvert(publicKey, compressed),
    sign: (hash32, privateKey) => {
      const { signature, recid } = b.ecdsaSign(hash32, privateKey);
      return { signature: Uint8Array.from(signature), recid };
    },
    publicKey: (privateKey, compressed) => b.publicKeyCreate(privateKey, compressed),
  };
}

/** The libsecp256k1 backend, or `null` where its binding cannot load. */
export const nativeSecp256k1: Secp256k1Backend | null = loadNative();

/** The backend in use: libsecp256k1 when it loads, else noble. */
export const secp256k1: Secp256k1Backend = nativeSecp256k1 ?? nobleSecp256k1;

/** Half the group order n, big-endian: an `s` above it is "high". */
const HALF_N = Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex');

/** True when the `s` half of a compact signature is above n/2 (the malleable twin). */
export function isHighS(sig64: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(sig64.buffer, sig64.byteOffset + 32, 32), HALF_N) > 0;
}

/**
 * Verifies a compact signature. With `lowS` (the default, as Ethereum and EOS require) a high-S
 * signature is refused; without it, it is normalised first, as plain ECDSA allows.
 *
 * @example
 * secp256k1Verify(sig64, sha256(message), compressedPublicKey)
 */
export function secp256k1Verify(
  sig64: Uint8Array,
  hash32: Uint8Array,
  publicKey: Uint8Array,
  options: { lowS?: boolean; backend?: Secp256k1Backend } = {},
): boolean {
  if (sig64.length !== 64 || hash32.length !== 32) return false;
  const backend = options.backend ?? secp256k1;
  const lowS = options.lowS ?? true;
  if (lowS && isHighS(sig64)) return false;
  try {
    return backend.verify(lowS ? sig64 : backend.normalize(sig64), hash32, publicKey);
  } catch {
    return false;
  }
}

/**
 * Recovers the public key from a compact low-S signature and recovery id (0-3): the 33-byte
 * compressed or 65-byte uncompressed key, or `null`.
 *
 * @example
 * secp256k1Recover(sig64, 1, keccak256(prefixed), false)
 */
export function secp256k1Recover(
  sig64: Uint8Array,
  recid: number,
  hash32: Uint8Array,
  compressed: boolean,
  backend: Secp256k1Backend = secp256k1,
): Uint8Array | null {
  if (sig64.length !== 64 || hash32.length !== 32 || !Number.isInteger(recid) || recid < 0 || recid > 3)
    return null;
  if (isHighS(sig64)) return null;
  try {
    return backend.recover(sig64, recid, hash32, compressed);
  } catch {
    return null;
  }
}

/** Converts a strict-DER ECDSA signature to compact `r || s`, or `null`. */
export function secp256k1SignatureFromDer(
  der: Uint8Array,
  backend: Secp256k1Backend = secp256k1,
): Uint8Array | null {
  try {
    return backend.fromDer(der);
  } catch {
    return null;
  }
}

/** Re-encodes a public key (33 or 65 bytes); `null` if it is not a point on the curve. */
export function secp256k1ConvertKey(publicKey: Uint8Array, compressed: boolean): Uint8Array | null {
  try {
    return secp256k1.convertKey(publicKey, compressed);
  } catch {
    return null;
  }
}
