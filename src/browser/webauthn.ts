import { decodeBase64Url, encodeBase64Url } from './base64url.js';

/**
 * Passkeys in the page: Signet's options JSON in, `navigator.credentials.create()` / `.get()`,
 * the credential JSON out (WebAuthn L3 §5.1.8-10), so that an integrator writes no base64url
 * code. The browser's own `PublicKeyCredential.parse*OptionsFromJSON()` and `toJSON()` are used
 * where they exist; the same conversion is done here where they do not (older Safari, Firefox
 * before 119). Errors of the ceremony (the user cancelled: `NotAllowedError`; the authenticator
 * already holds a credential of this user: `InvalidStateError`; a page whose origin does not fit
 * the rpId: `SecurityError`) are the browser's DOMExceptions, passed through unchanged.
 */

/** A credential descriptor in JSON form (§5.10.3). */
export interface CredentialDescriptorJSON {
  type: 'public-key';
  id: string;
  transports?: string[];
}

/** PublicKeyCredentialCreationOptionsJSON (§5.1.9): what `POST /v1/webauthn/registration/options` gives. */
export interface CreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: 'public-key'; alg: number }[];
  timeout?: number;
  excludeCredentials?: CredentialDescriptorJSON[];
  authenticatorSelection?: {
    authenticatorAttachment?: string;
    residentKey?: string;
    requireResidentKey?: boolean;
    userVerification?: string;
  };
  attestation?: string;
  hints?: string[];
  extensions?: Record<string, unknown>;
}

/** PublicKeyCredentialRequestOptionsJSON (§5.1.10): the `options` of a `webauthn` challenge. */
export interface RequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: CredentialDescriptorJSON[];
  userVerification?: string;
  hints?: string[];
  extensions?: Record<string, unknown>;
}

/** RegistrationResponseJSON (§5.1.8): what `POST /v1/webauthn/registration/verify` takes as `response`. */
export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    attestationObject: string;
    transports?: string[];
    publicKeyAlgorithm?: number;
    publicKey?: string;
    authenticatorData?: string;
  };
  authenticatorAttachment?: string | null;
  clientExtensionResults: Record<string, unknown>;
}

/** AuthenticationResponseJSON (§5.1.8): what `POST /v1/verify` takes as `response` of a `webauthn` proof. */
export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string;
  };
  authenticatorAttachment?: string | null;
  clientExtensionResults: Record<string, unknown>;
}

/** Options of a ceremony. */
export interface CeremonyOptions {
  /** Aborts the ceremony (e.g. when the user leaves the form). */
  signal?: AbortSignal;
}

/** The static JSON helpers of PublicKeyCredential, which older browsers lack. */
interface NativeJsonStatics {
  parseCreationOptionsFromJSON?: (options: unknown) => PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON?: (options: unknown) => PublicKeyCredentialRequestOptions;
}

function nativeStatics(): NativeJsonStatics {
  return (typeof PublicKeyCredential === 'undefined' ? {} : PublicKeyCredential) as NativeJsonStatics;
}

/**
 * True when the page can run WebAuthn ceremonies (a secure context with the API present).
 *
 * @example
 * if (!browserSupportsWebAuthn()) hidePasskeyButtons();
 */
export function browserSupportsWebAuthn(): boolean {
  return (
    typeof window !== 'undefined' &&
    window.isSecureContext === true &&
    typeof PublicKeyCredential === 'function' &&
    typeof navigator.credentials?.create === 'function'
  );
}

function toDescriptor(d: CredentialDescriptorJSON, what: string): PublicKeyCredentialDescriptor {
  return {
    type: 'public-key',
    id: decodeBase64Url(d.id, what),
    ...(d.transports !== undefined ? { transports: d.transports as AuthenticatorTransport[] } : {}),
  };
}

/** The fallback of `parseCreationOptionsFromJSON` (§5.1.9): base64url members to bytes. */
export function creationOptionsFromJSON(options: CreationOptionsJSON): PublicKeyCredentialCreationOptions {
  checkObject(options, 'creation options');
  const { challenge, user, excludeCredentials, ...rest } = options;
  return {
    ...(rest as Omit<PublicKeyCredentialCreationOptions, 'challenge' | 'user'>),
    challenge: decodeBase64Url(challenge, 'options.challenge'),
    user: { ...user, id: decodeBase64Url(user.id, 'options.user.id') },
    ...(excludeCredentials !== undefined
      ? {
          excludeCredentials: excludeCredentials.map((d) =>
            toDescriptor(d, 'options.excludeCredentials[].id'),
          ),
        }
      : {}),
  };
}

/** The fallback of `parseRequestOptionsFromJSON` (§5.1.10). */
export function requestOptionsFromJSON(options: RequestOptionsJSON): PublicKeyCredentialRequestOptions {
  checkObject(options, 'request options');
  const { challenge, allowCredentials, ...rest } = options;
  return {
    ...(rest as Omit<PublicKeyCredentialRequestOptions, 'challenge'>),
    challenge: decodeBase64Url(challenge, 'options.challenge'),
    ...(allowCredentials !== undefined
      ? { allowCredentials: allowCredentials.map((d) => toDescriptor(d, 'options.allowCredentials[].id')) }
      : {}),
  };
}

function checkObject(value: unknown, what: string): void {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { challenge?: unknown }).challenge !== 'string'
  ) {
    throw new TypeError(`${what} must be the options object from Signet (with a base64url challenge)`);
  }
}

/** Client extension outputs with any binary member as base64url (e.g. `prf` results). */
function extensionResultsToJSON(value: unknown): unknown {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return encodeBase64Url(value);
  if (Array.isArray(value)) return value.map(extensionResultsToJSON);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, extensionResultsToJSON(v)]));
  }
  return value;
}

/** What toJSON() would give, read off the credential. */
function credentialShellToJSON(credential: PublicKeyCredential): {
  id: string;
  rawId: string;
  type: 'public-key';
  authenticatorAttachment: string | null;
  clientExtensionResults: Record<string, unknown>;
} {
  return {
    id: credential.id,
    rawId: encodeBase64Url(credential.rawId),
    type: 'public-key',
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
    clientExtensionResults: extensionResultsToJSON(credential.getClientExtensionResults()) as Record<
      string,
      unknown
    >,
  };
}

/** The fallback of `toJSON()` for a new credential (§5.2.1). */
export function registrationToJSON(credential: PublicKeyCredential): RegistrationResponseJSON {
  const r = credential.response as AuthenticatorAttestationResponse;
  const response: RegistrationResponseJSON['response'] = {
    clientDataJSON: encodeBase64Url(r.clientDataJSON),
    attestationObject: encodeBase64Url(r.attestationObject),
  };
  if (typeof r.getTransports === 'function') response.transports = r.getTransports();
  if (typeof r.getPublicKeyAlgorithm === 'function') response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
  if (typeof r.getAuthenticatorData === 'function')
    response.authenticatorData = encodeBase64Url(r.getAuthenticatorData());
  try {
    // null when the browser cannot express the key as SPKI (e.g. an algorithm it does not know).
    const publicKey = typeof r.getPublicKey === 'function' ? r.getPublicKey() : null;
    if (publicKey) response.publicKey = encodeBase64Url(publicKey);
  } catch {
    // The attestation object carries the COSE key anyway; Signet reads it from there.
  }
  return { ...credentialShellToJSON(credential), response };
}

/** The fallback of `toJSON()` for an assertion (§5.2.2). */
export function authenticationToJSON(credential: PublicKeyCredential): AuthenticationResponseJSON {
  const r = credential.response as AuthenticatorAssertionResponse;
  const response: AuthenticationResponseJSON['response'] = {
    clientDataJSON: encodeBase64Url(r.clientDataJSON),
    authenticatorData: encodeBase64Url(r.authenticatorData),
    signature: encodeBase64Url(r.signature),
  };
  if (r.userHandle !== null && r.userHandle.byteLength > 0)
    response.userHandle = encodeBase64Url(r.userHandle);
  return { ...credentialShellToJSON(credential), response };
}

function nativeToJSON(credential: PublicKeyCredential): unknown {
  const toJSON = (credential as { toJSON?: () => unknown }).toJSON;
  return typeof toJSON === 'function' ? toJSON.call(credential) : undefined;
}

function requirePublicKeyCredential(credential: Credential | null): PublicKeyCredential {
  if (credential === null || credential.type !== 'public-key') {
    throw new DOMException('The authenticator returned no public-key credential.', 'NotAllowedError');
  }
  return credential as PublicKeyCredential;
}

/**
 * Registers a passkey: runs `navigator.credentials.create()` with the options Signet gave (through
 * the app backend: `POST /v1/webauthn/registration/options` is server API) and returns the JSON
 * the backend sends back to `POST /v1/webauthn/registration/verify`.
 *
 * @example
 * const { challengeId, options } = await (await fetch('/api/passkeys/options', { method: 'POST', ... })).json();
 * const response = await startRegistration(options);
 * await fetch('/api/passkeys/verify', { method: 'POST', body: JSON.stringify({ challengeId, response }), ... });
 */
export async function startRegistration(
  options: CreationOptionsJSON,
  ceremony: CeremonyOptions = {},
): Promise<RegistrationResponseJSON> {
  const parse = nativeStatics().parseCreationOptionsFromJSON;
  const publicKey =
    typeof parse === 'function' ? parse.call(PublicKeyCredential, options) : creationOptionsFromJSON(options);
  const credential = requirePublicKeyCredential(
    await navigator.credentials.create({
      publicKey,
      ...(ceremony.signal ? { signal: ceremony.signal } : {}),
    }),
  );
  return (nativeToJSON(credential) as RegistrationResponseJSON | undefined) ?? registrationToJSON(credential);
}

/**
 * Signs in with a passkey: runs `navigator.credentials.get()` with the `options` of a `webauthn`
 * challenge (`POST /v1/challenges`) and returns the JSON that `POST /v1/verify` takes as
 * `response`. Without `allowCredentials` (a challenge without userId), the browser offers the
 * user's discoverable passkeys for the rpId.
 *
 * @example
 * const challenge = await signet.challenge('webauthn');
 * const response = await startAuthentication(challenge.options);
 * const login = await signet.verify({ type: 'webauthn', challengeId: challenge.challengeId, response });
 */
export async function startAuthentication(
  options: RequestOptionsJSON,
  ceremony: CeremonyOptions & { mediation?: CredentialMediationRequirement } = {},
): Promise<AuthenticationResponseJSON> {
  const parse = nativeStatics().parseRequestOptionsFromJSON;
  const publicKey =
    typeof parse === 'function' ? parse.call(PublicKeyCredential, options) : requestOptionsFromJSON(options);
  const credential = requirePublicKeyCredential(
    await navigator.credentials.get({
      publicKey,
      ...(ceremony.signal ? { signal: ceremony.signal } : {}),
      ...(ceremony.mediation ? { mediation: ceremony.mediation } : {}),
    }),
  );
  return (
    (nativeToJSON(credential) as AuthenticationResponseJSON | undefined) ?? authenticationToJSON(credential)
  );
}
