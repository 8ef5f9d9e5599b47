import { keccak256 } from '../../crypto/index.js';
import { encodeHex, utf8Bytes } from '../../encoding/index.js';
import { invalid, type Parsed } from '../../errors/codes.js';

/** An Ethereum address in Signet's canonical stored form: `0x` + 40 lowercase hex digits. */
export type EthAddress = `0x${string}`;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The EIP-55 mixed-case checksum spelling of an address: each hex letter is upper case when the
 * matching nibble of keccak256(lowercase hex, as ASCII) is 8 or more.
 *
 * @example
 * toChecksumAddress('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
 * // '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
 */
export function toChecksumAddress(address: string): EthAddress {
  if (typeof address !== 'string' || !ADDRESS.test(address)) {
    throw new TypeError('toChecksumAddress: expected 0x and 40 hex digits');
  }
  const lower = address.slice(2).toLowerCase();
  const hash = keccak256(utf8Bytes(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const c = lower[i] as string;
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += nibble >= 8 ? c.toUpperCase() : c;
  }
  return out as EthAddress;
}

/**
 * Strict parser of an address from untrusted input (EIP-55): all lower case or all upper case is
 * taken as is; mixed case must carry a correct EIP-55 checksum. Returns the lowercase form.
 *
 * @example
 * parseEthAddress('0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266') // { ok: true, value: '0xf39f…2266' }
 */
export function parseEthAddress(input: unknown): Parsed<EthAddress> {
  if (typeof input !== 'string') return invalid('address must be a string');
  if (!ADDRESS.test(input)) return invalid('address must be 0x followed by 40 hex digits');
  const body = input.slice(2);
  const lower = body.toLowerCase();
  if (body !== lower && body !== body.toUpperCase() && toChecksumAddress(input) !== input) {
    return invalid('address has a bad EIP-55 checksum');
  }
  return { ok: true, value: `0x${lower}` };
}

/**
 * The address of a secp256k1 public key: the last 20 bytes of keccak256 of the 64-byte
 * uncompressed point (the key without its `04` prefix), lowercase.
 *
 * @example
 * addressFromPublicKey(uncompressed65) // '0x…'
 */
export function addressFromPublicKey(uncompressed: Uint8Array): EthAddress {
  if (uncompressed.length !== 65 || uncompressed[0] !== 0x04) {
    throw new RangeError('addressFromPublicKey: expected a 65-byte uncompressed point');
  }
  return `0x${encodeHex(keccak256(uncompressed.subarray(1)).subarray(12))}`;
}
