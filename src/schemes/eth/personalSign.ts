import { keccak256, secp256k1Recover } from '../../crypto/index.js';
import { concatBytes, encodeHex, utf8Bytes } from '../../encoding/index.js';
import { fail, type Verified } from '../../errors/codes.js';
import { addressFromPublicKey, parseEthAddress, type EthAddress } from './address.js';
import { parseEthSignature, type EthSignature } from './signature.js';

/**
 * The EIP-191 version 0x45 ("personal_sign") hash:
 * keccak256("\x19Ethereum Signed Message:\n" + decimal byte length + message).
 *
 * @example
 * encodeHex(hashPersonalMessage(utf8Bytes('hello world')))
 * // 'd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68'
 */
export function hashPersonalMessage(message: Uint8Array): Uint8Array {
  return keccak256(concatBytes(utf8Bytes(`\x19Ethereum Signed Message:\n${message.length}`), message));
}

function toSignature(signature: EthSignature | string | Uint8Array): EthSignature | null {
  if (typeof signature === 'string' || signature instanceof Uint8Array) {
    const parsed = parseEthSignature(signature);
    return parsed.ok ? parsed.value : null;
  }
  return signature;
}

/**
 * Recovers the lowercase address that made a `personal_sign` signature over `message`, or
 * `null` when the signature is malformed, high-S, or recovers to no point.
 *
 * @example
 * recoverPersonalSignAddress(utf8Bytes('hello world'), '0xa461…5b1b')
 * // '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
 */
export function recoverPersonalSignAddress(
  message: Uint8Array,
  signature: EthSignature | string | Uint8Array,
): EthAddress | null {
  const sig = toSignature(signature);
  if (sig === null) return null;
  const point = secp256k1Recover(sig.compact, sig.recid, hashPersonalMessage(message), false);
  return point === null ? null : addressFromPublicKey(point);
}

/**
 * Verifies an EIP-191 `personal_sign` signature against the expected signer. The expected
 * address is any accepted spelling (see `parseEthAddress`). Results: `{ ok: true, address }`,
 * or `signature_invalid` when the signature is malformed, high-S, or made by another key;
 * `key_invalid` when `expectedAddress` is not an address.
 *
 * @example
 * verifyPersonalSign('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', utf8Bytes('hello world'), sigHex)
 * // { ok: true, address: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266' }
 */
export function verifyPersonalSign(
  expectedAddress: string,
  message: Uint8Array,
  signature: EthSignature | string | Uint8Array,
): Verified<{ address: EthAddress }> {
  const expected = parseEthAddress(expectedAddress);
  if (!expected.ok) return fail('key_invalid');
  const recovered = recoverPersonalSignAddress(message, signature);
  if (recovered === null || recovered !== expected.value) return fail('signature_invalid');
  return { ok: true, address: recovered };
}

/**
 * MYKEY's ETH form (seed 003: `message = hex(timestamp + account + uuID + ref)`) leaves open
 * whether the app signed the text itself or the ASCII string of its hex. With
 * `acceptHexForm: true` this accepts a signature over any of:
 *  1. the UTF-8 bytes of `text` (also what a wallet signs when handed `0x` + hex(text), since
 *     `personal_sign` decodes a 0x-hex argument to its bytes);
 *  2. the ASCII string of lowercase hex(UTF-8 text), without prefix;
 *  3. the same with a `0x` prefix, as 2 + 2n ASCII characters.
 * Without the option only form 1 is accepted.
 *
 * @example
 * verifyPersonalSignText(address, '1620000000alice1234mykey', sig, { acceptHexForm: true })
 */
export function verifyPersonalSignText(
  expectedAddress: string,
  text: string,
  signature: EthSignature | string | Uint8Array,
  options: { acceptHexForm?: boolean } = {},
): Verified<{ address: EthAddress; form: 'text' | 'hex' | '0xhex' }> {
  const expected = parseEthAddress(expectedAddress);
  if (!expected.ok) return fail('key_invalid');
  const sig = toSignature(signature);
  if (sig === null) return fail('signature_invalid');
  const textBytes = utf8Bytes(text);
  const forms: Array<['text' | 'hex' | '0xhex', Uint8Array]> = [['text', textBytes]];
  if (options.acceptHexForm) {
    const hex = encodeHex(textBytes);
    forms.push(['hex', utf8Bytes(hex)], ['0xhex', utf8Bytes(`0x${hex}`)]);
  }
  for (const [form, bytes] of forms) {
    if (recoverPersonalSignAddress(bytes, sig) === expected.value) {
      return { ok: true, address: expected.value, form };
    }
  }
  return fail('signature_invalid');
}
