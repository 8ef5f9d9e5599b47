import { decodeBase64Url, equalBytes, utf8Bytes } from '../../encoding/index.js';
import { sha256 } from '../../crypto/index.js';
import type { ReasonCode } from '../../errors/codes.js';
import type { AuthenticatorFlags } from './authenticatorData.js';
import type { ClientData } from './parse.js';

/**
 * What the relying party expects of a ceremony: the issued challenge, its origins and rpId, and
 * its user-verification policy. Shared by registration and authentication.
 */
export interface WebAuthnExpectations {
  /** The issued challenge: its bytes, or their base64url. */
  challenge: Uint8Array | string;
  /** Allowed origins, matched exactly (`https://app.example`, `android:apk-key-hash:...`). */
  origins: readonly string[];
  /** The relying party id (a registrable domain), e.g. `example.org`. */
  rpId: string;
  /** Refuse a response without the UV flag. */
  requireUserVerification: boolean;
  /**
   * Accept client data from a cross-origin iframe (`crossOrigin: true` or a `topOrigin`).
   * Default `false`: the RP has to opt in to being embedded (WebAuthn L3 §7.1 step 13).
   */
  allowCrossOrigin?: boolean;
  /** When cross-origin is allowed: the top-level origins allowed to embed the RP (any when absent). */
  topOrigins?: readonly string[];
}

/** Expectations checked once, at the edge, into the bytes the hot path compares. */
export interface PreparedExpectations {
  challenge: Uint8Array;
  origins: readonly string[];
  rpIdHash: Uint8Array;
  requireUserVerification: boolean;
  allowCrossOrigin: boolean;
  topOrigins: readonly string[] | undefined;
}

/**
 * Checks expectations for programmer mistakes (they throw `TypeError`) and precomputes the
 * challenge bytes and the rpId hash.
 *
 * @example
 * const prepared = prepareExpectations({ challenge, origins: ['https://example.org'], rpId: 'example.org', requireUserVerification: true });
 */
export function prepareExpectations(expected: WebAuthnExpectations): PreparedExpectations {
  if (typeof expected !== 'object' || expected === null)
    throw new TypeError('expectations must be an object');
  const { challenge, origins, rpId, requireUserVerification, allowCrossOrigin, topOrigins } = expected;
  const bytes = typeof challenge === 'string' ? decodeBase64Url(challenge) : challenge;
  if (!(bytes instanceof Uint8Array) || bytes.length < 16) {
    throw new TypeError('expected challenge must be at least 16 bytes (or their base64url)');
  }
  if (!Array.isArray(origins) || origins.length === 0 || !origins.every((o) => typeof o === 'string')) {
    throw new TypeError('expected origins must be a non-empty array of strings');
  }
  if (typeof rpId !== 'string' || rpId.length === 0) throw new TypeError('expected rpId must be a string');
  if (typeof requireUserVerification !== 'boolean') {
    throw new TypeError('requireUserVerification must be a boolean');
  }
  return {
    challenge: bytes,
    origins,
    rpIdHash: sha256(utf8Bytes(rpId)),
    requireUserVerification,
    allowCrossOrigin: allowCrossOrigin === true,
    topOrigins,
  };
}

/**
 * The client data checks, in spec order (WebAuthn L3 §7.1 steps 7-10 / §7.2 steps 11-14):
 * type, challenge (constant time), origin, then cross-origin and topOrigin.
 */
export function checkClientData(
  clientData: ClientData,
  type: 'webauthn.get' | 'webauthn.create',
  expected: PreparedExpectations,
): ReasonCode | null {
  // §7.2 step 11 / §7.1 step 7: the ceremony type.
  if (clientData.type !== type) return 'type_mismatch';
  // §7.2 step 12 / §7.1 step 8: the challenge, compared as bytes in constant time.
  const challenge = decodeBase64Url(clientData.challenge, 1024);
  if (challenge === null || !equalBytes(challenge, expected.challenge)) return 'challenge_mismatch';
  // §7.2 step 13 / §7.1 step 9: the origin, exact match against the allow-list.
  if (!expected.origins.includes(clientData.origin)) return 'origin_mismatch';
  // §7.2 step 14 / §7.1 step 10: an embedded (cross-origin) ceremony only when the RP allows it.
  if (clientData.crossOrigin === true || clientData.topOrigin !== undefined) {
    if (!expected.allowCrossOrigin) return 'origin_mismatch';
    if (
      clientData.topOrigin !== undefined &&
      expected.topOrigins !== undefined &&
      !expected.topOrigins.includes(clientData.topOrigin)
    ) {
      return 'origin_mismatch';
    }
  }
  return null;
}

/**
 * The authenticator data checks before the signature (WebAuthn L3 §7.2 steps 15-18 /
 * §7.1 steps 13-17): rpIdHash, user presence, user verification, backup flags.
 */
export function checkAuthenticatorData(
  rpIdHash: Uint8Array,
  flags: AuthenticatorFlags,
  expected: PreparedExpectations,
): ReasonCode | null {
  // §7.2 step 15: rpIdHash is SHA-256 of the RP id.
  if (!equalBytes(rpIdHash, expected.rpIdHash)) return 'rp_id_mismatch';
  // §7.2 step 16: the user was present (Signet never runs a ceremony without presence).
  if (!flags.up) return 'user_presence_required';
  // §7.2 step 17: the user was verified when the policy says so.
  if (expected.requireUserVerification && !flags.uv) return 'user_verification_required';
  // §7.2 step 18 / §6.1.3: BS may only be set on a backup-eligible credential.
  if (flags.bs && !flags.be) return 'backup_state_invalid';
  return null;
}
