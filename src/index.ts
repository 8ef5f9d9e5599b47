/**
 * Signet as a library: every scheme's strict parsers and verifiers (usable without the server),
 * the scheme registry, the error-code table, the server-API client, and the server and store
 * factories for embedding. See README.md "The library".
 *
 * @example
 * import { parseDevicePublicKey, verifyDeviceSignature } from 'signet';
 * const key = parseDevicePublicKey(pem);
 * if (key.ok) verifyDeviceSignature(key.value, message, signature); // { ok: true } | { ok: false, code }
 */
export * from './errors/codes.js';
export { SignetError, isSignetError } from './errors/SignetError.js';
export { MIN_RSA_BITS } from './crypto/index.js';
export * from './schemes/device/index.js';
export * from './schemes/webauthn/index.js';
export * from './schemes/eos/index.js';
export * from './schemes/eth/index.js';
export * from './schemes/tiniapp/index.js';
export { SCHEMES, findScheme } from './schemes/registry.js';
export type { Scheme, SchemeName, OfflineInput, CredentialDraft, ParsedKeyCache } from './schemes/types.js';
export {
  createVerifier,
  verifyBatch,
  MAX_BATCH_LINE,
  DEFAULT_KEY_CACHE_SIZE,
  type Verifier,
  type VerifierOptions,
  type BatchResult,
} from './core/verifier.js';
export { createKeyCache, type KeyCache } from './core/keyCache.js';
export {
  createSignetClient,
  type SignetClient,
  type SignetClientOptions,
} from './client/createSignetClient.js';
export { buildServer, type ServerOptions } from './server/buildServer.js';
export { openStore, type StoreConfig } from './store/openStore.js';
export type * from './store/types.js';
