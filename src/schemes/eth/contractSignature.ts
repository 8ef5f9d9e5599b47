import { concatBytes, decodeHex, encodeHex } from '../../encoding/index.js';
import type { EthAddress } from './address.js';
import { VALIDATE_SIG_OFFCHAIN_BYTECODE } from './validateSigOffchain.js';

/**
 * Contract-wallet signatures: EIP-1271 (`isValidSignature(bytes32,bytes)` on a deployed wallet)
 * and EIP-6492 (a signature wrapped with its wallet's deployment, for a wallet not deployed yet).
 * This module only builds `eth_call` payloads and reads their answers; the call itself is made
 * by core through the app's RPC (src/core/contractWallets.ts), so no I/O happens here.
 */

/** EIP-1271's magic value: `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`. */
export const EIP1271_MAGIC_VALUE = '1626ba7e';

/** EIP-6492's detection suffix: the last 32 bytes of a wrapped signature. */
export const EIP6492_SUFFIX = '6492'.repeat(16);

/** Longest contract-wallet signature decoded, bytes (the HTTP edge allows 4096 characters, `0x` included). */
export const MAX_CONTRACT_SIGNATURE_BYTES = 2048;

const SUFFIX_BYTES = decodeHex(EIP6492_SUFFIX) as Uint8Array;

/** True when `signature` ends with EIP-6492's 32-byte detection suffix. */
export function isEip6492Signature(signature: Uint8Array): boolean {
  if (signature.length < 32) return false;
  for (let i = 0; i < 32; i++) {
    if (signature[signature.length - 32 + i] !== SUFFIX_BYTES[i]) return false;
  }
  return true;
}

function word(n: number): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 31; i >= 0 && v > 0; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

/** ABI `bytes` tail: length word, then the bytes padded to a 32-byte multiple. */
function abiBytes(b: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(b.length / 32) * 32);
  padded.set(b);
  return concatBytes(word(b.length), padded);
}

function addressWord(address: EthAddress): Uint8Array {
  const out = new Uint8Array(32);
  out.set(decodeHex(address.slice(2)) as Uint8Array, 12);
  return out;
}

function checkHash(hash: Uint8Array): void {
  if (hash.length !== 32) throw new RangeError('contract signature: hash must be 32 bytes');
}

/**
 * Calldata of `isValidSignature(bytes32 hash, bytes signature)` (EIP-1271), as `0x` hex.
 *
 * @example
 * encodeIsValidSignatureCall(hashPersonalMessage(utf8Bytes('hi')), signature) // '0x1626ba7e…'
 */
export function encodeIsValidSignatureCall(hash: Uint8Array, signature: Uint8Array): string {
  checkHash(hash);
  return `0x${EIP1271_MAGIC_VALUE}${encodeHex(concatBytes(hash, word(64), abiBytes(signature)))}`;
}

/**
 * Data of EIP-6492's off-chain check: `ValidateSigOffchain`'s creation code followed by
 * abi.encode(signer, hash, signature), sent as an `eth_call` without `to`.
 *
 * @example
 * encodeUniversalValidation('0xabc…', hash, wrappedSignature) // '0x6080…'
 */
export function encodeUniversalValidation(
  signer: EthAddress,
  hash: Uint8Array,
  signature: Uint8Array,
): string {
  checkHash(hash);
  const args = concatBytes(addressWord(signer), hash, word(96), abiBytes(signature));
  return `0x${VALIDATE_SIG_OFFCHAIN_BYTECODE}${encodeHex(args)}`;
}

/**
 * Reads an `isValidSignature` answer (the `eth_call` result): `true` only for the magic value as
 * an ABI `bytes4` (1626ba7e and 28 zero bytes); `false` for any other well-formed answer,
 * including `0x` (no code at the address: not a contract wallet); `null` when the answer is not
 * hex at all (a malformed RPC answer).
 */
export function readIsValidSignatureAnswer(result: unknown): boolean | null {
  if (typeof result !== 'string') return null;
  const bytes = decodeHex(result, { allowPrefix: true, maxLength: 1 << 16 });
  if (bytes === null || !result.startsWith('0x')) return null;
  return bytes.length === 32 && encodeHex(bytes) === `${EIP1271_MAGIC_VALUE}${'0'.repeat(56)}`;
}

/**
 * Reads `ValidateSigOffchain`'s answer: one byte, `0x01` valid, `0x00` not; anything else is
 * malformed (`null`).
 */
export function readUniversalValidationAnswer(result: unknown): boolean | null {
  if (result === '0x01') return true;
  if (result === '0x00') return false;
  return null;
}
