import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** SHA-256 through OpenSSL. */
export function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest();
}

/** RIPEMD-160 through OpenSSL (EOS key and signature checksums). */
export function ripemd160(data: Uint8Array): Uint8Array {
  return createHash('ripemd160').update(data).digest();
}

/** Keccak-256 (the pre-standard SHA-3 that Ethereum uses), from @noble/hashes. */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
