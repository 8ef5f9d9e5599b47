import { equalHexMac } from '../../crypto/index.js';
import { decodeHex, utf8Bytes } from '../../encoding/index.js';
import { fail, invalid, type ParseFailure, type Parsed, type Verified } from '../../errors/codes.js';
import type { OfflineInput, Scheme } from '../types.js';
import { TINIAPP_SIGNATURE, tiniappMac } from './payload.js';

export {
  TINIAPP_HEADERS,
  TINIAPP_CLIENT_ID,
  TINIAPP_TIMESTAMP,
  TINIAPP_SIGNATURE,
  tiniappPayloadBytes,
  tiniappMac,
} from './payload.js';
export { signTiniappRequest, type TiniappSignInput, type TiniappSignature } from './signTiniappRequest.js';
export {
  verifyTiniappRequest,
  type TiniappVerifyInput,
  type TiniappReplayStore,
} from './verifyTiniappRequest.js';

/** Longest payload an offline line may carry (bytes); the batch reader caps a line at 1 MiB. */
export const MAX_TINIAPP_PAYLOAD_BYTES = 1024 * 1024;

/** Longest secret an offline line may carry. */
const MAX_SECRET = 1024;

/** `timestamp.clientId.` at the start of a payload: Unix ms digits, a client id, then the rest. */
const PAYLOAD_PREFIX = /^(?:0|[1-9][0-9]{0,15})\.[A-Za-z0-9_-]{1,128}\./;

const PREFIX_MESSAGE =
  'message must be the payload "timestamp.clientId.bodyOrPath", not yet base64url-encoded';
const SIZE_MESSAGE = 'message must be the payload text (or messageHex its bytes), at most 1 MiB';

/** Reads exactly one of `message` (the payload as UTF-8 text) / `messageHex` (its bytes). */
function readPayload(input: OfflineInput): Parsed<Uint8Array> {
  if ((input.message === undefined) === (input.messageHex === undefined)) {
    return invalid('give exactly one of message and messageHex');
  }
  if (input.message !== undefined) {
    const text = input.message;
    if (typeof text !== 'string' || text.length > MAX_TINIAPP_PAYLOAD_BYTES) return invalid(SIZE_MESSAGE);
    // The prefix is ASCII, so it is checked on the text itself, before any encoding.
    if (!PAYLOAD_PREFIX.test(text)) return invalid(PREFIX_MESSAGE);
    const bytes = utf8Bytes(text);
    return bytes.length > MAX_TINIAPP_PAYLOAD_BYTES ? invalid(SIZE_MESSAGE) : { ok: true, value: bytes };
  }
  const bytes =
    typeof input.messageHex === 'string'
      ? decodeHex(input.messageHex, { allowPrefix: true, maxLength: MAX_TINIAPP_PAYLOAD_BYTES * 2 })
      : null;
  if (bytes === null || bytes.length > MAX_TINIAPP_PAYLOAD_BYTES) return invalid(SIZE_MESSAGE);
  // Only the ASCII prefix is read, so a body that is not UTF-8 (messageHex) is fine.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 160)).toString('latin1');
  return PAYLOAD_PREFIX.test(head) ? { ok: true, value: bytes } : invalid(PREFIX_MESSAGE);
}

/**
 * Offline check of one `signet verify --batch` line `{ scheme: "tiniapp", secret, message,
 * signature }` (docs/api.md: `message` is the payload `timestamp.clientId.bodyOrPath`,
 * `signature` its lowercase hex HMAC). The payload is base64url-encoded and MACed exactly as a
 * request is; `messageHex` may carry a payload whose body is not UTF-8, `signatureHex` the
 * same hex. Signatures only: no clock window, no replay record.
 *
 * @example
 * verifyTiniappOffline({ scheme: 'tiniapp', secret, message: '1620621619569.RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W.{"id":123}',
 *   signature: '8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2' }) // { ok: true }
 */
export function verifyTiniappOffline(input: OfflineInput): Verified | ParseFailure {
  const { secret } = input;
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET) {
    return invalid('secret must be a non-empty string');
  }
  const payload = readPayload(input);
  if (!payload.ok) return payload;
  if ((input.signature === undefined) === (input.signatureHex === undefined)) {
    return invalid('give exactly one of signature and signatureHex');
  }
  const signature = input.signature ?? input.signatureHex;
  if (typeof signature !== 'string' || !TINIAPP_SIGNATURE.test(signature)) {
    return invalid('signature must be 64 lowercase hex characters');
  }
  return equalHexMac(tiniappMac(payload.value, secret).signature, signature)
    ? { ok: true }
    : fail('signature_invalid');
}

/** The `tiniapp` row of the scheme registry: request signatures, no stored credential. */
export const tiniappScheme: Scheme = {
  name: 'tiniapp',
  parseCredential: null,
  verifyOffline: verifyTiniappOffline,
};
