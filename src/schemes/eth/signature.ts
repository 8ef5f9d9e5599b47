import { decodeHex } from '../../encoding/index.js';
import { invalid, type Parsed } from '../../errors/codes.js';

/** A parsed 65-byte Ethereum signature: compact `r || s` and the recovery id (0 or 1). */
export interface EthSignature {
  readonly compact: Uint8Array;
  readonly recid: 0 | 1;
}

/**
 * Strict parser of an Ethereum `r || s || v` signature given as hex (`0x` optional, 130 digits)
 * or as 65 bytes. `v` may be 27/28 (what `personal_sign` returns) or 0/1 (some wallets and
 * hardware signers; the SIWE vector "recovery byte starting at 0"). Any other `v`, including
 * EIP-155 `chainId * 2 + 35` values that belong to transactions, is refused. A high-S
 * signature parses, but the verifiers refuse it (EIP-2).
 *
 * @example
 * parseEthSignature('0xa461…5b1b') // { ok: true, value: { compact, recid: 0 } }
 */
export function parseEthSignature(input: unknown): Parsed<EthSignature> {
  let bytes: Uint8Array | null;
  if (input instanceof Uint8Array) bytes = input;
  else if (typeof input === 'string') bytes = decodeHex(input, { allowPrefix: true, maxLength: 130 });
  else return invalid('signature must be a hex string');
  if (bytes === null || bytes.length !== 65) return invalid('signature must be 65 bytes of hex (r, s, v)');
  const v = bytes[64] as number;
  const recid = v === 27 || v === 0 ? 0 : v === 28 || v === 1 ? 1 : -1;
  if (recid === -1) return invalid('signature v must be 27, 28, 0 or 1');
  return { ok: true, value: { compact: Uint8Array.from(bytes.subarray(0, 64)), recid } };
}
