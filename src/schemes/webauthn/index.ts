import type { Scheme } from '../types.js';

/**
 * The `webauthn` scheme: passkeys and security keys (W3C WebAuthn Level 3). Registration goes
 * through the server API's options/verify routes, so the registry row has no credential parser
 * and no offline verifier.
 */
export const webauthnScheme: Scheme = {
  name: 'webauthn',
  parseCredential: null,
  verifyOffline: null,
};

export {
  parseAuthenticationResponse,
  parseRegistrationResponse,
  parseClientData,
  MAX_CLIENT_DATA_BYTES,
  MAX_ATTESTATION_OBJECT_BYTES,
  MAX_SIGNATURE_BYTES,
  MAX_USER_HANDLE_BYTES,
  type AuthenticationResponse,
  type RegistrationResponse,
  type ClientData,
} from './parse.js';
export {
  parseAuthenticatorData,
  MAX_AUTHENTICATOR_DATA_BYTES,
  MAX_CREDENTIAL_ID_BYTES,
  type AuthenticatorData,
  type AuthenticatorFlags,
  type AttestedCredentialData,
} from './authenticatorData.js';
export {
  COSE_ALGORITHMS,
  findCoseAlgorithm,
  parseCoseKey,
  exportCredentialPublicKey,
  loadCredentialPublicKey,
  type CoseAlgorithm,
  type CredentialPublicKey,
  type StoredCredentialPublicKey,
} from './cose.js';
export { decodeCbor, decodeCborItem, type CborValue, type CborMap } from './cbor.js';
export { prepareExpectations, type WebAuthnExpectations, type PreparedExpectations } from './expectations.js';
export {
  verifyAuthentication,
  type VerifyAuthenticationInput,
  type StoredWebAuthnCredential,
  type AuthenticationResult,
} from './verifyAuthentication.js';
export {
  verifyRegistration,
  type VerifyRegistrationInput,
  type RegisteredCredential,
} from './verifyRegistration.js';
export {
  attestationKeyIdentifier,
  checkAttestationPolicy,
  formatAaguid,
  REFUSED_AUTHENTICATOR_STATUSES,
  type AttestationPolicy,
  type AuthenticatorMetadata,
} from './attestationPolicy.js';
export {
  registrationOptions,
  authenticationOptions,
  DEFAULT_PUBKEY_CRED_ALGS,
  DEFAULT_TIMEOUT_MS,
  type RegistrationOptionsInput,
  type AuthenticationOptionsInput,
  type CreationOptionsJSON,
  type RequestOptionsJSON,
  type CredentialDescriptorJSON,
  type UserVerificationRequirement,
  type ResidentKeyRequirement,
  type AttestationConveyance,
} from './options.js';
