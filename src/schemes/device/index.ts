import { decodeHex } from '../../encoding/index.js';
import { invalid, type ParseFailure, type Parsed, type Verified } from '../../errors/codes.js';
import type { CredentialDraft, OfflineInput, ParsedKeyCache, Scheme } from '../types.js';
import { parseKeyCached, readCredentialBody, readLabel, readOfflineMessage } from '../fields.js';
import { decodeDevicePublicKey, parseDevicePublicKey, type DeviceKeyKind } from './keys.js';
import { MAX_DEVICE_SIGNATURE_BYTES, parseDeviceSignature, verifyDeviceSignature } from './signatures.js';

export {
  decodeDevicePublicKey,
  parseDevicePublicKey,
  loadDevicePublicKey,
  MAX_RSA_BITS,
  MAX_KEY_STRING,
  type DeviceKeyKind,
  type DeviceKeyFailure,
  type DevicePublicKey,
} from './keys.js';
export { parseDeviceSignature, verifyDeviceSignature, MAX_DEVICE_SIGNATURE_BYTES } from './signatures.js';

/**
 * What a `device` registration stores (the registry's `CredentialDraft`): the key's kind and
 * canonical base64url DER SPKI (re-imported by `loadDevicePublicKey`), the phone's key slot
 * and a label. Device credentials have no look-up account: a login names its user.
 */
export interface DeviceCredential extends CredentialDraft {
  publicKey: { kind: DeviceKeyKind; spki: string };
  account: null;
}

/** Longest message an offline line may carry (bytes); challenges are far shorter. */
export const MAX_DEVICE_MESSAGE_BYTES = 64 * 1024;

const DEVICE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function readDeviceId(input: unknown): Parsed<string | null> {
  if (input === undefined || input === null) return { ok: true, value: null };
  if (typeof input !== 'string' || !DEVICE_ID.test(input)) {
    return invalid('deviceId must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-"');
  }
  return { ok: true, value: input };
}

/**
 * Strict parser of a `device` credential body `{ type: "device", publicKey, deviceId?, label? }`
 * (docs/api.md "Credentials"). The key may be in any form `parseDevicePublicKey` reads; the
 * stored form is `{ kind, spki }` with the canonical SPKI, so one key has one spelling.
 *
 * @example
 * parseDeviceCredential({ type: 'device', publicKey: androidBase64Spki, deviceId: 'pixel-8' })
 * // { ok: true, value: { publicKey: { kind: 'rsa', spki: 'MIIBIjAN…' }, account: null, deviceId: 'pixel-8', label: null } }
 */
export function parseDeviceCredential(input: unknown): Parsed<DeviceCredential> {
  const body = readCredentialBody(input, 'device');
  if (!body.ok) return body;
  const o = body.value;
  const deviceId = readDeviceId(o.deviceId);
  if (!deviceId.ok) return deviceId;
  const label = readLabel(o.label);
  if (!label.ok) return label;
  const key = parseDevicePublicKey(o.publicKey);
  if (!key.ok) return key;
  return {
    ok: true,
    value: {
      publicKey: { kind: key.value.kind, spki: key.value.spki },
      account: null,
      deviceId: deviceId.value,
      label: label.value,
    },
  };
}

/** Reads exactly one of `signature` (base64 / base64url) / `signatureHex` from a batch line. */
function readSignature(input: OfflineInput): Parsed<Uint8Array> {
  if ((input.signature === undefined) === (input.signatureHex === undefined)) {
    return invalid('give exactly one of signature and signatureHex');
  }
  if (input.signature !== undefined) return parseDeviceSignature(input.signature);
  const bytes =
    typeof input.signatureHex === 'string'
      ? decodeHex(input.signatureHex, { allowPrefix: true, maxLength: MAX_DEVICE_SIGNATURE_BYTES * 2 })
      : null;
  return bytes === null || bytes.length === 0
    ? invalid('signatureHex must be hex of 1-1024 bytes')
    : { ok: true, value: bytes };
}

/**
 * Offline check of one `signet verify --batch` line
 * `{ scheme: "device", publicKey, message | messageHex, signature | signatureHex }`: the key
 * in any accepted form, the signature RSA PKCS#1 v1.5 SHA-256 or P-256 ECDSA (DER or raw
 * `r || s`). A malformed field gives `invalid_request`; a well-formed key that policy refuses
 * (e.g. RSA-1024) gives `key_invalid`; a signature that does not verify, `signature_invalid`.
 * With `keys`, the parsed key is cached by its text (see `ParsedKeyCache`).
 *
 * @example
 * verifyDeviceOffline({ scheme: 'device', publicKey: pem, message: 'challenge', signature: 'MEUCIQ…' })
 * // { ok: true }
 */
export function verifyDeviceOffline(input: OfflineInput, keys?: ParsedKeyCache): Verified | ParseFailure {
  const message = readOfflineMessage(input, MAX_DEVICE_MESSAGE_BYTES);
  if (!message.ok) return message;
  const signature = readSignature(input);
  if (!signature.ok) return signature;
  const key = parseKeyCached(keys, 'device', input.publicKey, decodeDevicePublicKey);
  if (!key.ok) return key.code === 'key_invalid' ? { ok: false, code: 'key_invalid' } : invalid(key.message);
  return verifyDeviceSignature(key.value, message.value, signature.value);
}

/** The `device` row of the scheme registry. */
export const deviceScheme: Scheme<DeviceCredential> = {
  name: 'device',
  parseCredential: parseDeviceCredential,
  verifyOffline: verifyDeviceOffline,
};
