/**
 * `signet-auth`, the package root: the same as `signet-auth/verify` (every scheme's strict
 * parsers and verifiers, the scheme registry, the error-code table) plus the server-API client of
 * `signet-auth/client`. It loads `node:crypto`, @noble/curves, @noble/hashes, @scure/base,
 * @simplewebauthn/server and the optional libsecp256k1 binding; never Fastify, a database driver
 * or Redis. The server and the stores are in `signet-auth/server`, the page's side in
 * `signet-auth/browser`. See README.md "The library".
 *
 * @example
 * import { parseDevicePublicKey, verifyDeviceSignature, createSignetClient } from 'signet-auth';
 * const key = parseDevicePublicKey(pem);
 * if (key.ok) verifyDeviceSignature(key.value, message, signature); // { ok: true } | { ok: false, code }
 */
export * from './verify.js';
export * from './client/index.js';
