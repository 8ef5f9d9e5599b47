import { concatBytes, decodeBase64Url, encodeBase64Url, equalBytes } from '../../encoding/index.js';
import { sha256, verifySignature } from '../../crypto/index.js';
import { fail, type Verified } from '../../errors/codes.js';
import { COSE_ALGORITHMS, type CredentialPublicKey } from './cose.js';
import { checkAuthenticatorData, checkClientData, prepareExpectations } from './expectations.js';
import type { PreparedExpectations, WebAuthnExpectations } from './expectations.js';
import type { AuthenticationResponse } from './parse.js';

/** A stored WebAuthn credential, as the verifier needs it. */
export interface StoredWebAuthnCredential {
  /** The credential id: bytes or base64url. */
  id: Uint8Array | string;
  /** The parsed (cached) public key; see `loadCredentialPublicKey`. */
  publicKey: CredentialPublicKey;
  /** The last signature counter seen. */
  counter: number;
  /** The BE flag seen at registration; when given, a change of it is refused (§7.2 step 18). */
  backupEligible?: boolean;
  /**
   * The user handle of the credential's owner (the `user.id` its registration used). When given,
   * a `userHandle` in the response must equal it (§7.2 step 6).
   */
  userHandle?: Uint8Array;
}

/** Input of {@link verifyAuthentication}. */
export interface VerifyAuthenticationInput {
  /** The parsed response (`parseAuthenticationResponse`). */
  response: AuthenticationResponse;
  credential: StoredWebAuthnCredential;
  /** The expectations, raw or already prepared with `prepareExpectations`. */
  expected: WebAuthnExpectations | PreparedExpectations;
  /**
   * The user was not identified before the ceremony (a discoverable-credential login): the
   * response must then carry a user handle, and it must be `credential.userHandle` (§7.2 step 6).
   */
  requireUserHandle?: boolean;
}

/** What a successful assertion tells the server to store and use. */
export interface AuthenticationResult {
  /** The counter to store (the new one, or the stored one when both are zero). */
  newCounter: number;
  userVerified: boolean;
  backupEligible: boolean;
  backupState: boolean;
  /** The user handle the authenticator returned, base64url. */
  userHandle?: string;
}

function isPrepared(e: WebAuthnExpectations | PreparedExpectations): e is PreparedExpectations {
  return 'rpIdHash' in e;
}

/**
 * Verifies a WebAuthn assertion (WebAuthn L3 §7.2), synchronously: the hot path. Cheap checks
 * come first, then the signature, and only then the counter, which the signature vouches for.
 * Returns the new counter and flags, or `{ ok: false, code }`; never throws on bad input.
 *
 * @example
 * const result = verifyAuthentication({
 *   response: parsed.value,
 *   credential: { id: row.id, publicKey: cachedKey, counter: row.counter },
 *   expected: { challenge, origins: ['https://example.org'], rpId: 'example.org', requireUserVerification: true },
 * });
 * if (result.ok) await store.setCounter(row.id, result.newCounter);
 */
export function verifyAuthentication(input: VerifyAuthenticationInput): Verified<AuthenticationResult> {
  const { response, credential } = input;
  const expected = isPrepared(input.expected) ? input.expected : prepareExpectations(input.expected);
  const entry = COSE_ALGORITHMS[credential.publicKey.alg];
  if (entry === undefined) throw new TypeError('credential.publicKey.alg is not a supported COSE algorithm');

  const storedId = typeof credential.id === 'string' ? decodeBase64Url(credential.id) : credential.id;
  if (!(storedId instanceof Uint8Array)) throw new TypeError('credential.id must be bytes or base64url');

  // §7.2 steps 5-7: the response names this credential.
  if (!equalBytes(response.rawId, storedId)) return fail('credential_unknown');
  // §7.2 step 6: a returned user handle names the credential's owner; a login that named no
  // user must have one (the authenticator returns it for every discoverable credential).
  if (response.userHandle === undefined) {
    if (input.requireUserHandle === true) return fail('user_handle_mismatch');
  } else if (credential.userHandle !== undefined && !equalBytes(response.userHandle, credential.userHandle)) {
    return fail('user_handle_mismatch');
  }

  // §7.2 steps 8-10 (decoding and parsing cData and authData) ran in parseAuthenticationResponse.
  const { rpIdHash, flags, signCount } = response.authData;

  // §7.2 steps 11-14: type, challenge, origin, topOrigin.
  const clientFailure = checkClientData(response.clientData, 'webauthn.get', expected);
  if (clientFailure !== null) return fail(clientFailure);
  // §7.2 steps 15-18: rpIdHash, UP, UV, BE/BS.
  const authFailure = checkAuthenticatorData(rpIdHash, flags, expected);
  if (authFailure !== null) return fail(authFailure);
  if (credential.backupEligible !== undefined && credential.backupEligible !== flags.be) {
    return fail('backup_state_invalid');
  }

  // §7.2 steps 20-21: the signature over authenticatorData || SHA-256(clientDataJSON).
  const signed = concatBytes(response.authenticatorData, sha256(response.clientDataJSON));
  if (!verifySignature(entry.signature, credential.publicKey.key, signed, response.signature)) {
    return fail('signature_invalid');
  }

  // §7.2 step 22: the signature counter, trusted only now that the signature holds. Either side
  // non-zero means the authenticator counts, so the new value must be strictly greater.
  if ((signCount !== 0 || credential.counter !== 0) && !(signCount > credential.counter)) {
    return fail('counter_regression');
  }

  const result: { ok: true } & AuthenticationResult = {
    ok: true,
    newCounter: Math.max(signCount, credential.counter),
    userVerified: flags.uv,
    backupEligible: flags.be,
    backupState: flags.bs,
  };
  if (response.userHandle !== undefined) result.userHandle = encodeBase64Url(response.userHandle);
  return result;
}
