/**
 * `signet-auth/verify`: every scheme's strict parsers and verifiers (device, webauthn, eos, eth,
 * tiniapp), the scheme registry and the error-code table, usable without a server. It loads
 * `node:crypto`, @noble/curves, @noble/hashes, @scure/base, @simplewebauthn/server (WebAuthn
 * attestation) and the optional libsecp256k1 binding: nothing of Fastify, a database driver
 * (pg, better-sqlite3) or Redis (ioredis); test/library/pack.test.ts checks that on the packed
 * tarball.
 *
 * Parsers take `unknown` and return `{ ok: true, value } | { ok: false, code, message }`;
 * verifiers return `{ ok: true, ... } | { ok: false, code }` and never throw on bad input.
 *
 * @example
 * import { parseDevicePublicKey, verifyDeviceSignature } from 'signet-auth/verify';
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
export type { Scheme, SchemeName, OfflineInput, CredentialDraft } from './schemes/types.js';
export * from './schemes/httpsig/index.js';
export { canonicalizeJson } from './encoding/jcs.js';
export {
  parseTransaction,
  transactionHash,
  transactionChallengeData,
  readBoundTransaction,
  transactionResource,
  MAX_TRANSACTION_BYTES,
  type ParsedTransaction,
  type BoundTransaction,
} from './core/transactions.js';
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
export type { ParsedKeyCache } from './schemes/types.js';
