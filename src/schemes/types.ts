import type { ParseFailure, Parsed, Verified } from '../errors/codes.js';

/**
 * The ways a signature proves who is calling (docs/api.md table), plus `http-signature`
 * (RFC 9421, docs/api.md "HTTP Message Signatures"), a second way to sign server-API calls.
 */
export const SCHEME_NAMES = ['device', 'webauthn', 'eos', 'eth', 'tiniapp', 'http-signature'] as const;
export type SchemeName = (typeof SCHEME_NAMES)[number];

/**
 * One line of `signet verify --batch` (docs/api.md, CLI), after JSON parsing but before any
 * field is trusted: every scheme's `verifyOffline` checks the fields it reads.
 */
export interface OfflineInput {
  scheme: unknown;
  publicKey?: unknown;
  address?: unknown;
  secret?: unknown;
  message?: unknown;
  messageHex?: unknown;
  signature?: unknown;
  signatureHex?: unknown;
}

/**
 * A cache of parsed keys keyed by their text (a bounded LRU: `createKeyCache` in
 * `src/core/keyCache.ts` is one). `verifyOffline` looks a line's key up here before parsing it,
 * so a batch that names the same key on many lines parses it once. Each scheme prefixes the
 * text with its own name, so one cache can serve every scheme. `parse` returning `null` (a key
 * that does not parse) is not cached.
 */
export interface ParsedKeyCache {
  get(material: string, parse: () => unknown): unknown;
}

/**
 * What a scheme's credential parser hands the core to store: the key material as plain JSON
 * (e.g. `{ kind: 'rsa', spki: '<base64url DER>' }`), the look-up account (eos account name,
 * lowercase eth address) and the optional device slot and label.
 */
export interface CredentialDraft {
  publicKey: Record<string, unknown>;
  account: string | null;
  deviceId: string | null;
  label: string | null;
}

/**
 * A scheme's entry in the registry: the same shape for every folder under `src/schemes/`.
 * `parseCredential` is the strict parser of what `POST /v1/users/{userId}/credentials` stores;
 * `verifyOffline` checks a signature alone (no clock window, no replay record).
 */
export interface Scheme<Credential extends CredentialDraft = CredentialDraft> {
  readonly name: SchemeName;
  /** Strict parser of a credential registration body; `null` for schemes registered otherwise (webauthn). */
  readonly parseCredential: ((input: unknown) => Parsed<Credential>) | null;
  /**
   * Offline verification of one `verify --batch` line; `null` when the scheme has none (webauthn).
   * With `keys`, parsed keys are taken from and added to that cache.
   */
  readonly verifyOffline: ((input: OfflineInput, keys?: ParsedKeyCache) => Verified | ParseFailure) | null;
}
