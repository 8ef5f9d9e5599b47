import { encodeBase64Url } from '../../encoding/index.js';
import { sha256 } from '../../crypto/index.js';
import { fail, type Verified } from '../../errors/codes.js';
import { verifyAttestation } from './attestation.js';
import { checkAttestationPolicy, formatAaguid, type AttestationPolicy } from './attestationPolicy.js';
import { COSE_ALGORITHMS, exportCredentialPublicKey, parseCoseKey } from './cose.js';
import type { CredentialPublicKey, StoredCredentialPublicKey } from './cose.js';
import { checkAuthenticatorData, checkClientData, prepareExpectations } from './expectations.js';
import type { WebAuthnExpectations } from './expectations.js';
import type { RegistrationResponse } from './parse.js';

/** Input of {@link verifyRegistration}. */
export interface VerifyRegistrationInput {
  /** The parsed response (`parseRegistrationResponse`). */
  response: RegistrationResponse;
  expected: WebAuthnExpectations;
  /** The current time in ms (certificate validity of attestation chains). */
  now: number;
  /** COSE algorithms accepted for the credential key; default every one Signet verifies. */
  algorithms?: readonly number[];
  /** Extra trusted attestation roots (DER or PEM), added to the format's defaults. */
  trustedRoots?: readonly (Uint8Array | string)[];
  /**
   * The relying party's trust decision once the statement verified: anchoring required for
   * `direct` / `enterprise`, AAGUID lists, FIDO metadata status. Absent: none of these.
   */
  policy?: AttestationPolicy;
}

/** A newly registered credential, ready to store. */
export interface RegisteredCredential {
  /** The credential id, base64url. */
  id: string;
  /** The key in storable form (see `loadCredentialPublicKey`). */
  publicKey: StoredCredentialPublicKey;
  /** The same key, parsed: cache it. */
  parsedPublicKey: CredentialPublicKey;
  counter: number;
  transports: string[];
  /** The authenticator model's AAGUID, as a UUID string. */
  aaguid: string;
  /** The attestation statement format. */
  fmt: string;
  backupEligible: boolean;
  backupState: boolean;
  userVerified: boolean;
}

/**
 * Verifies a WebAuthn registration (WebAuthn L3 §7.1): client data, authenticator data, the
 * credential key and the attestation statement. Returns the credential to store, or
 * `{ ok: false, code }` (`type_mismatch`, `challenge_mismatch`, `origin_mismatch`,
 * `rp_id_mismatch`, `user_presence_required`, `user_verification_required`,
 * `backup_state_invalid`, `key_invalid`, `attestation_invalid`; with a `policy`:
 * `attestation_required`, `attestation_untrusted`, `aaguid_refused`, `authenticator_revoked`).
 *
 * @example
 * const parsed = parseRegistrationResponse(body.response);
 * if (!parsed.ok) return reply(400);
 * const result = await verifyRegistration({
 *   response: parsed.value,
 *   expected: { challenge, origins: ['https://example.org'], rpId: 'example.org', requireUserVerification: true },
 *   now: clock.now(),
 * });
 * if (result.ok) await store.addCredential(userId, result.credential);
 */
export async function verifyRegistration(
  input: VerifyRegistrationInput,
): Promise<Verified<{ credential: RegisteredCredential }>> {
  const { response, now } = input;
  const expected = prepareExpectations(input.expected);
  if (!Number.isFinite(now)) throw new TypeError('now must be a time in milliseconds');

  // §7.1 steps 5-10: clientDataJSON parsed by parseRegistrationResponse; type, challenge, origin, topOrigin.
  const clientFailure = checkClientData(response.clientData, 'webauthn.create', expected);
  if (clientFailure !== null) return fail(clientFailure);

  // §7.1 steps 13-17: rpIdHash, UP, UV, BE/BS.
  const { authData } = response;
  const authFailure = checkAuthenticatorData(authData.rpIdHash, authData.flags, expected);
  if (authFailure !== null) return fail(authFailure);

  // §7.1 step 18-19: the credential key, with an algorithm the RP offered.
  const key = parseCoseKey(authData.attestedCredentialData.credentialPublicKey);
  if (!key.ok) return fail('key_invalid');
  const allowed = input.algorithms ?? Object.keys(COSE_ALGORITHMS).map(Number);
  if (!allowed.includes(key.value.alg)) return fail('key_invalid');

  // §7.1 steps 11, 21-24: hash the client data; verify the attestation statement for its format.
  const attested = await verifyAttestation({
    response,
    publicKey: key.value,
    clientDataHash: sha256(response.clientDataJSON),
    trustedRoots: input.trustedRoots ?? [],
    now,
  });
  if (!attested) return fail('attestation_invalid');

  // §7.1 steps 22-23: assess the trustworthiness of what verified (anchors, AAGUID, metadata).
  if (input.policy !== undefined) {
    const refused = checkAttestationPolicy(response, input.policy, now);
    if (refused !== null) return fail(refused);
  }

  return {
    ok: true,
    credential: {
      id: encodeBase64Url(authData.attestedCredentialData.credentialId),
      publicKey: exportCredentialPublicKey(key.value),
      parsedPublicKey: key.value,
      counter: authData.signCount,
      transports: response.transports,
      aaguid: formatAaguid(authData.attestedCredentialData.aaguid),
      fmt: response.fmt,
      backupEligible: authData.flags.be,
      backupState: authData.flags.bs,
      userVerified: authData.flags.uv,
    },
  };
}
