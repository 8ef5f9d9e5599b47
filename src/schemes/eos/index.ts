import { invalid, type ParseFailure, type Parsed, type Verified } from '../../errors/codes.js';
import type { CredentialDraft, OfflineInput, ParsedKeyCache, Scheme } from '../types.js';
import { parseKeyCached, readCredentialBody, readLabel, readOfflineMessage } from '../fields.js';
import { parseEosPublicKey } from './keys.js';
import { parseEosSignature } from './signatures.js';
import { verifyEosSignature } from './verify.js';

export {
  parseEosPublicKey,
  parseEosPrivateKey,
  eosPublicKeyFromPoint,
  eosPublicKeyFromPrivate,
  toLegacyEosPublicKey,
  formatEosPrivateKey,
  type EosKeyType,
  type EosPublicKey,
  type EosPrivateKey,
} from './keys.js';
export {
  parseEosSignature,
  formatEosSignature,
  isCanonicalEosSignature,
  type EosSignature,
} from './signatures.js';
export {
  verifyEosDigest,
  verifyEosSignature,
  recoverEosPublicKey,
  recoverEosPublicKeyFromDigest,
  signEos,
  signEosDigest,
} from './verify.js';

/**
 * What an `eos` registration stores (the registry's `CredentialDraft`): the canonical
 * `PUB_K1_`/`PUB_R1_` string under `publicKey.key` and the account name as the look-up account.
 */
export interface EosCredential extends CredentialDraft {
  publicKey: { key: string };
  account: string;
  deviceId: null;
}

/** Longest message an offline line may carry (bytes). */
export const MAX_EOS_MESSAGE_BYTES = 64 * 1024;

const ACCOUNT = /^[a-z1-5.]{0,11}[a-z1-5](?:[a-j1-5])?$/;

/**
 * Checks an Antelope account name: 1-12 characters of `a-z`, `1-5` and `.`, not ending in `.`,
 * plus an optional 13th character from `a-j` / `1-5` (the 4 bits left in the 64-bit name).
 *
 * @example
 * isEosAccountName('mykeymanager') // true
 */
export function isEosAccountName(input: unknown): input is string {
  return typeof input === 'string' && input.length <= 13 && ACCOUNT.test(input);
}

/**
 * Strict parser of an `eos` credential body `{ type: "eos", account, publicKey, label? }`
 * (docs/api.md). The key may be `EOS…`, `PUB_K1_…` or `PUB_R1_…`; the stored form is canonical.
 *
 * @example
 * parseEosCredential({ type: 'eos', account: 'alice', publicKey: 'EOS6Rrvuj…' })
 * // { ok: true, value: { publicKey: { key: 'PUB_K1_6Rrvuj…' }, account: 'alice', deviceId: null, label: null } }
 */
export function parseEosCredential(input: unknown): Parsed<EosCredential> {
  const body = readCredentialBody(input, 'eos');
  if (!body.ok) return body;
  const o = body.value;
  if (!isEosAccountName(o.account)) return invalid('account must be an Antelope account name');
  const key = parseEosPublicKey(o.publicKey);
  if (!key.ok) return key;
  const label = readLabel(o.label);
  if (!label.ok) return label;
  return {
    ok: true,
    value: { publicKey: { key: key.value.string }, account: o.account, deviceId: null, label: label.value },
  };
}

/**
 * Offline check of one `signet verify --batch` line
 * `{ scheme: "eos", publicKey, message | messageHex, signature }`: the signature (`SIG_K1_` /
 * `SIG_R1_`) over SHA-256(message) against `publicKey`. Malformed fields give `invalid_request`.
 * With `keys`, the parsed key is cached by its text (see `ParsedKeyCache`).
 *
 * @example
 * verifyEosOffline({ scheme: 'eos', publicKey: 'PUB_K1_…', message: 'hello', signature: 'SIG_K1_…' })
 */
export function verifyEosOffline(input: OfflineInput, keys?: ParsedKeyCache): Verified | ParseFailure {
  const key = parseKeyCached(keys, 'eos', input.publicKey, parseEosPublicKey);
  if (!key.ok) return key;
  const message = readOfflineMessage(input, MAX_EOS_MESSAGE_BYTES);
  if (!message.ok) return message;
  if (input.signatureHex !== undefined)
    return invalid('eos signatures are SIG_K1_/SIG_R1_ strings in signature');
  const signature = parseEosSignature(input.signature);
  if (!signature.ok) return signature;
  const result = verifyEosSignature(key.value, message.value, signature.value);
  return result.ok ? { ok: true } : result;
}

/** The `eos` row of the scheme registry. */
export const eosScheme: Scheme<EosCredential> = {
  name: 'eos',
  parseCredential: parseEosCredential,
  verifyOffline: verifyEosOffline,
};
