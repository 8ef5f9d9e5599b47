/**
 * `signet-auth/browser`: Signet in the page, framework-free (no Node modules; one dependency,
 * @noble/hashes, for the EIP-55 checksum). Passkey ceremonies from Signet's options JSON, Sign-In
 * with Ethereum through an EIP-1193 provider, and a client of the public API.
 *
 * @example
 * import { createSignetBrowserClient, startRegistration } from 'signet-auth/browser';
 */
export { encodeBase64Url, decodeBase64Url } from './base64url.js';
export {
  browserSupportsWebAuthn,
  startRegistration,
  startAuthentication,
  creationOptionsFromJSON,
  requestOptionsFromJSON,
  registrationToJSON,
  authenticationToJSON,
  type CeremonyOptions,
  type CreationOptionsJSON,
  type RequestOptionsJSON,
  type CredentialDescriptorJSON,
  type RegistrationResponseJSON,
  type AuthenticationResponseJSON,
} from './webauthn.js';
export {
  createSiweMessage,
  signSiweMessage,
  requestAccount,
  toChecksumAddress,
  type Eip1193Provider,
  type SiweFields,
  type SiweProof,
} from './siwe.js';
export {
  createSignetBrowserClient,
  SignetRequestError,
  type SignetBrowserClient,
  type SignetBrowserClientOptions,
  type IssuedChallenge,
  type LoginResult,
  type RefreshResult,
  type LoginType,
  type WalletProof,
} from './createSignetBrowserClient.js';
