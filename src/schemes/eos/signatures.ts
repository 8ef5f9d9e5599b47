import { invalid, type Parsed } from '../../errors/codes.js';
import { decodeEosString, encodeEosString, type EosKeyType } from './keys.js';

/**
 * Antelope signature strings `SIG_K1_…` / `SIG_R1_…`: base58(sig65 || ripemd160(sig65 || "K1"|"R1")[0:4])
 * where sig65 = header || r || s. The header carries the recovery id in either convention:
 * 27..30 (27 + recid, older eosjs and the Bitcoin "uncompressed" form) or 31..34 (27 + 4 + recid,
 * the "compressed" form that current Antelope encoders write). `SIG_WA_` is refused.
 */
export interface EosSignature {
  readonly type: EosKeyType;
  /** The recovery id, 0-3. */
  readonly recid: number;
  /** The 64-byte `r || s`. */
  readonly compact: Uint8Array;
  /** The header byte as written (27-34). */
  readonly header: number;
}

/** Longest signature string considered (a K1/R1 signature string is about 101 characters). */
const MAX_SIGNATURE_STRING = 160;

/**
 * Strict parser of a `SIG_K1_` / `SIG_R1_` string: checksum, length and header byte checked.
 * Canonical form and low-S are checked by the verifier (a well-formed but non-canonical
 * signature is a failed verification, not a malformed request).
 *
 * @example
 * parseEosSignature('SIG_K1_HKkqi3…') // { ok: true, value: { type: 'K1', recid: 1, compact, header: 28 } }
 */
export function parseEosSignature(input: unknown): Parsed<EosSignature> {
  if (typeof input !== 'string') return invalid('signature must be a string');
  if (input.startsWith('SIG_WA_')) {
    return invalid('signature: WebAuthn (SIG_WA_) signatures are not supported; use the webauthn scheme');
  }
  if (input.length > MAX_SIGNATURE_STRING) return invalid('signature is too long');
  if (!input.startsWith('SIG_K1_') && !input.startsWith('SIG_R1_')) {
    return invalid('signature must be SIG_K1_… or SIG_R1_…');
  }
  const type = input.slice(4, 6) as EosKeyType;
  const data = decodeEosString(input.slice(7), 65, type);
  if (data === null) return invalid('signature has a bad encoding or checksum');
  const header = data[0] as number;
  if (header < 27 || header > 34) return invalid('signature header byte must be 27-34');
  return {
    ok: true,
    value: { type, recid: (header - 27) & 3, compact: Uint8Array.from(data.subarray(1)), header },
  };
}

/**
 * Formats a signature string; the header is written as 31 + recid (current Antelope encoders).
 *
 * @example
 * formatEosSignature('K1', compact64, 1) // 'SIG_K1_…'
 */
export function formatEosSignature(type: EosKeyType, compact: Uint8Array, recid: number): string {
  if (compact.length !== 64) throw new RangeError('formatEosSignature: expected 64 bytes r || s');
  if (!Number.isInteger(recid) || recid < 0 || recid > 3)
    throw new RangeError('formatEosSignature: recid 0-3');
  const data = new Uint8Array(65);
  data[0] = 31 + recid;
  data.set(compact, 1);
  return encodeEosString(`SIG_${type}_`, data, type);
}

/**
 * EOSIO's `is_canonical` (libfc `elliptic_secp256k1.cpp`): neither r nor s has its top bit set,
 * and neither has a needless leading zero byte. The chain refuses K1 signatures that fail it,
 * so Signet refuses them too.
 *
 * @example
 * isCanonicalEosSignature(compact64) // true
 */
export function isCanonicalEosSignature(compact: Uint8Array): boolean {
  const r0 = compact[0] as number;
  const r1 = compact[1] as number;
  const s0 = compact[32] as number;
  const s1 = compact[33] as number;
  return (
    compact.length === 64 &&
    !(r0 & 0x80) &&
    !(r0 === 0 && !(r1 & 0x80)) &&
    !(s0 & 0x80) &&
    !(s0 === 0 && !(s1 & 0x80))
  );
}
