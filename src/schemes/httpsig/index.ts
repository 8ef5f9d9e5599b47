import type { KeyObject } from 'node:crypto';
import { importPem } from '../../crypto/index.js';
import { decodeBase64, utf8Bytes } from '../../encoding/index.js';
import { fail, invalid, type ParseFailure, type Parsed, type Verified } from '../../errors/codes.js';
import type { OfflineInput, Scheme } from '../types.js';
import { verifyHttpSignatureBase } from './verifyBase.js';
import type { HttpSigVerifyKey } from './verifyHttpSignature.js';

export {
  parseDictionary,
  serializeInnerList,
  isInnerList,
  MAX_FIELD_LENGTH,
  type BareItem,
  type Item,
  type InnerList,
  type Dictionary,
  type Parameters,
} from './structuredFields.js';
export {
  buildSignatureBase,
  deriveComponent,
  DERIVED_COMPONENTS,
  type HttpSigRequest,
} from './signatureBase.js';
export { createContentDigest, verifyContentDigest } from './contentDigest.js';
export {
  verifyHttpSignature,
  requiredComponents,
  HTTPSIG_ALGORITHMS,
  type HttpSigAlgorithm,
  type HttpSigVerifyKey,
  type HttpSigVerifyInput,
  type HttpSigVerified,
  type HttpSigReplayStore,
} from './verifyHttpSignature.js';
export {
  signHttpRequest,
  type HttpSigSignKey,
  type HttpSigSignInput,
  type HttpSigSignature,
} from './signHttpRequest.js';
export { verifyHttpSignatureBase } from './verifyBase.js';

/** Longest PEM accepted for an app's Ed25519 key. */
const MAX_PEM = 1024;

/**
 * Strict parser of the Ed25519 public key an app registers for `ed25519` HTTP signatures
 * (`signet app set APPID --http-signature-key PEM`): a `PUBLIC KEY` PEM (SPKI) of type
 * Ed25519. A private key is refused outright (Node would quietly derive its public half, and
 * Signet must never be handed the app's private key), as is any other key type.
 *
 * @example
 * const key = parseHttpSigPublicKey(pem); if (key.ok) key.value.asymmetricKeyType; // 'ed25519'
 */
export function parseHttpSigPublicKey(input: unknown): Parsed<KeyObject> {
  if (typeof input !== 'string' || input.length > MAX_PEM)
    return invalid('httpSignatureKey must be a PEM string of at most 1024 characters');
  const pem = input.trim();
  if (!pem.startsWith('-----BEGIN PUBLIC KEY-----') || !pem.endsWith('-----END PUBLIC KEY-----'))
    return invalid('httpSignatureKey must be an Ed25519 "PUBLIC KEY" PEM (never the private key)');
  const key = importPem(pem);
  if (key === null || key.type !== 'public' || key.asymmetricKeyType !== 'ed25519')
    return invalid('httpSignatureKey must be an Ed25519 public key');
  return { ok: true, value: key };
}

/**
 * Offline check of one `signet verify --batch` line for an HTTP message signature:
 * `{ scheme: "http-signature", secret | publicKey, message, signature }` where `message` is
 * the signature base (RFC 9421 §2.5, lines joined by `\n`), `signature` the raw signature in
 * base64 (the bytes between the colons of the `Signature` field), `secret` an HMAC secret
 * (`hmac-sha256`) and `publicKey` an Ed25519 PEM (`ed25519`). Signatures only: no clock, no
 * replay record, no check of what the base covers.
 *
 * @example
 * verifyHttpSigOffline({ scheme: 'http-signature', secret, message: base, signature: 'pxcQw6G3…=' }) // { ok: true }
 */
export function verifyHttpSigOffline(input: OfflineInput): Verified | ParseFailure {
  if ((input.secret === undefined) === (input.publicKey === undefined))
    return invalid('give exactly one of secret (hmac-sha256) and publicKey (ed25519)');
  if (typeof input.message !== 'string' || input.message.length === 0 || input.message.length > 65536)
    return invalid('message must be the signature base text');
  if (!input.message.includes('"@signature-params": '))
    return invalid('message must be an RFC 9421 signature base ending in "@signature-params"');
  const signature =
    typeof input.signature === 'string' ? decodeBase64(input.signature, { maxLength: 200 }) : null;
  if (signature === null) return invalid('signature must be base64 (the Signature field between the colons)');
  let key: HttpSigVerifyKey;
  if (input.secret !== undefined) {
    if (typeof input.secret !== 'string' || input.secret.length === 0 || input.secret.length > 1024)
      return invalid('secret must be a non-empty string');
    key = { alg: 'hmac-sha256', secret: input.secret };
  } else {
    const publicKey = parseHttpSigPublicKey(input.publicKey);
    if (!publicKey.ok) return publicKey;
    key = { alg: 'ed25519', publicKey: publicKey.value };
  }
  return verifyHttpSignatureBase(key, utf8Bytes(input.message), signature)
    ? { ok: true }
    : fail('signature_invalid');
}

/** The `http-signature` row of the scheme registry: request signatures, no stored credential. */
export const httpSignatureScheme: Scheme = {
  name: 'http-signature',
  parseCredential: null,
  verifyOffline: verifyHttpSigOffline,
};
