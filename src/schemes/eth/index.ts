import { invalid, type ParseFailure, type Parsed, type Verified } from '../../errors/codes.js';
import type { CredentialDraft, OfflineInput, ParsedKeyCache, Scheme } from '../types.js';
import { parseKeyCached, readCredentialBody, readLabel, readOfflineMessage } from '../fields.js';
import { parseEthAddress, type EthAddress } from './address.js';
import { verifyPersonalSign } from './personalSign.js';
import { parseEthSignature } from './signature.js';

export { parseEthAddress, toChecksumAddress, addressFromPublicKey, type EthAddress } from './address.js';
export { parseEthSignature, type EthSignature } from './signature.js';
export {
  EIP1271_MAGIC_VALUE,
  EIP6492_SUFFIX,
  MAX_CONTRACT_SIGNATURE_BYTES,
  isEip6492Signature,
  encodeIsValidSignatureCall,
  encodeUniversalValidation,
  readIsValidSignatureAnswer,
  readUniversalValidationAnswer,
} from './contractSignature.js';
export {
  hashPersonalMessage,
  recoverPersonalSignAddress,
  verifyPersonalSign,
  verifyPersonalSignText,
} from './personalSign.js';
export {
  parseSiweMessage,
  parseSiweFields,
  formatSiweMessage,
  verifySiwe,
  verifySiweClaims,
  parseRfc3339,
  MAX_SIWE_MESSAGE_LENGTH,
  type SiweMessage,
  type SiweExpectations,
} from './siwe.js';

/**
 * What an `eth` registration stores (the registry's `CredentialDraft`): the lowercase address
 * as both the key material and the look-up account.
 */
export interface EthCredential extends CredentialDraft {
  publicKey: { address: EthAddress };
  account: EthAddress;
  deviceId: null;
}

/** Longest message an offline line may carry (bytes). */
export const MAX_ETH_MESSAGE_BYTES = 64 * 1024;

/**
 * Strict parser of an `eth` credential body `{ type: "eth", address, label? }` (docs/api.md): the
 * address is checked by EIP-55 when mixed case and stored lowercase. Other keys are ignored.
 *
 * @example
 * parseEthCredential({ type: 'eth', address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' })
 * // { ok: true, value: { publicKey: { address: '0xf39f…2266' }, account: '0xf39f…2266', deviceId: null, label: null } }
 */
export function parseEthCredential(input: unknown): Parsed<EthCredential> {
  const body = readCredentialBody(input, 'eth');
  if (!body.ok) return body;
  const o = body.value;
  const address = parseEthAddress(o.address);
  if (!address.ok) return address;
  const label = readLabel(o.label);
  if (!label.ok) return label;
  return {
    ok: true,
    value: {
      publicKey: { address: address.value },
      account: address.value,
      deviceId: null,
      label: label.value,
    },
  };
}

/**
 * Offline check of one `signet verify --batch` line
 * `{ scheme: "eth", address, message | messageHex, signature | signatureHex }`: EIP-191
 * `personal_sign` recovery compared with `address`. Malformed fields give `invalid_request`.
 * With `keys`, the parsed address (its EIP-55 check costs a Keccak-256) is cached by its text.
 *
 * @example
 * verifyEthOffline({ scheme: 'eth', address, message: 'hello world', signature: '0x…' })
 */
export function verifyEthOffline(input: OfflineInput, keys?: ParsedKeyCache): Verified | ParseFailure {
  const address = parseKeyCached(keys, 'eth', input.address, parseEthAddress);
  if (!address.ok) return address;
  const message = readOfflineMessage(input, MAX_ETH_MESSAGE_BYTES);
  if (!message.ok) return message;
  if ((input.signature === undefined) === (input.signatureHex === undefined)) {
    return invalid('give exactly one of signature and signatureHex');
  }
  const signature = parseEthSignature(input.signature ?? input.signatureHex);
  if (!signature.ok) return signature;
  const result = verifyPersonalSign(address.value, message.value, signature.value);
  return result.ok ? { ok: true } : result;
}

/** The `eth` row of the scheme registry. */
export const ethScheme: Scheme<EthCredential> = {
  name: 'eth',
  parseCredential: parseEthCredential,
  verifyOffline: verifyEthOffline,
};
