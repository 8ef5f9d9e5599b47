import { decodeBase64Url, encodeBase64Url, utf8Bytes } from '../../encoding/index.js';

/**
 * Builders of the options the browser passes to `navigator.credentials.create()` / `.get()`
 * (WebAuthn L3 §5.4, §5.5), in their JSON form (`PublicKeyCredentialCreationOptionsJSON`,
 * `PublicKeyCredentialRequestOptionsJSON`, §5.1.9-10) with binary values as base64url.
 * Bad arguments are programmer mistakes and throw `TypeError`.
 */

export type UserVerificationRequirement = 'required' | 'preferred' | 'discouraged';
export type ResidentKeyRequirement = 'required' | 'preferred' | 'discouraged';
export type AttestationConveyance = 'none' | 'indirect' | 'direct' | 'enterprise';

/** A credential descriptor in JSON form. */
export interface CredentialDescriptorJSON {
  type: 'public-key';
  id: string;
  transports?: string[];
}

/** The algorithms offered at registration, most preferred first (§5.4, pubKeyCredParams). */
export const DEFAULT_PUBKEY_CRED_ALGS = [-8, -7, -257, -35, -37] as const;

/** Default ceremony timeout, in milliseconds (5 minutes, the challenge lifetime). */
export const DEFAULT_TIMEOUT_MS = 300_000;

/** Input of {@link registrationOptions}. */
export interface RegistrationOptionsInput {
  rpId: string;
  rpName: string;
  /** The user handle: opaque bytes, or a string whose UTF-8 bytes are used (at most 64 bytes). */
  userId: Uint8Array | string;
  userName: string;
  displayName?: string;
  /** The issued challenge: bytes or base64url (at least 16 bytes). */
  challenge: Uint8Array | string;
  /** Credentials the user already has (so the authenticator does not register twice). */
  excludeCredentials?: readonly { id: Uint8Array | string; transports?: readonly string[] }[];
  userVerification?: UserVerificationRequirement;
  residentKey?: ResidentKeyRequirement;
  attestation?: AttestationConveyance;
  timeout?: number;
  /** COSE algorithms to offer; defaults to {@link DEFAULT_PUBKEY_CRED_ALGS}. */
  algorithms?: readonly number[];
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

/** PublicKeyCredentialCreationOptionsJSON (WebAuthn L3 §5.1.9). */
export interface CreationOptionsJSON {
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: 'public-key'; alg: number }[];
  timeout: number;
  excludeCredentials: CredentialDescriptorJSON[];
  authenticatorSelection: {
    residentKey: ResidentKeyRequirement;
    requireResidentKey: boolean;
    userVerification: UserVerificationRequirement;
    authenticatorAttachment?: 'platform' | 'cross-platform';
  };
  attestation: AttestationConveyance;
  hints: string[];
  extensions: { credProps: true };
}

/** Input of {@link authenticationOptions}. */
export interface AuthenticationOptionsInput {
  rpId: string;
  challenge: Uint8Array | string;
  allowCredentials?: readonly { id: Uint8Array | string; transports?: readonly string[] }[];
  userVerification?: UserVerificationRequirement;
  timeout?: number;
}

/** PublicKeyCredentialRequestOptionsJSON (WebAuthn L3 §5.1.10). */
export interface RequestOptionsJSON {
  challenge: string;
  rpId: string;
  timeout: number;
  allowCredentials: CredentialDescriptorJSON[];
  userVerification: UserVerificationRequirement;
  hints: string[];
}

function toB64(value: Uint8Array | string, what: string, min: number, max: number): string {
  const bytes = typeof value === 'string' ? decodeBase64Url(value) : value;
  if (!(bytes instanceof Uint8Array) || bytes.length < min || bytes.length > max) {
    throw new TypeError(`${what} must be ${min}-${max} bytes (or their base64url)`);
  }
  return encodeBase64Url(bytes);
}

function requireString(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new TypeError(`${what} must be a string of 1-${max} characters`);
  }
  return value;
}

function timeoutOf(timeout: number | undefined): number {
  const t = timeout ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(t) || t <= 0) throw new RangeError('timeout must be a positive integer (ms)');
  return t;
}

function descriptors(
  list: readonly { id: Uint8Array | string; transports?: readonly string[] }[] | undefined,
  what: string,
): CredentialDescriptorJSON[] {
  return (list ?? []).map((c) => ({
    type: 'public-key' as const,
    id: toB64(c.id, `${what} id`, 1, 1023),
    ...(c.transports !== undefined ? { transports: [...c.transports] } : {}),
  }));
}

/**
 * Builds registration options (PublicKeyCredentialCreationOptionsJSON).
 *
 * @example
 * registrationOptions({
 *   rpId: 'example.org', rpName: 'Example', userId: 'user-42', userName: 'alice',
 *   challenge: randomBytes(32), userVerification: 'required',
 * }).pubKeyCredParams // [{ type: 'public-key', alg: -8 }, { ..., alg: -7 }, ...]
 */
export function registrationOptions(input: RegistrationOptionsInput): CreationOptionsJSON {
  const userId = typeof input.userId === 'string' ? utf8Bytes(input.userId) : input.userId;
  const userName = requireString(input.userName, 'userName', 256);
  const residentKey = input.residentKey ?? 'preferred';
  const algorithms = input.algorithms ?? DEFAULT_PUBKEY_CRED_ALGS;
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every((a) => Number.isInteger(a))
  ) {
    throw new TypeError('algorithms must be a non-empty array of COSE algorithm numbers');
  }
  return {
    rp: { id: requireString(input.rpId, 'rpId', 253), name: requireString(input.rpName, 'rpName', 256) },
    user: {
      id: toB64(userId, 'userId', 1, 64),
      name: userName,
      displayName: input.displayName ?? userName,
    },
    challenge: toB64(input.challenge, 'challenge', 16, 1024),
    pubKeyCredParams: algorithms.map((alg) => ({ type: 'public-key' as const, alg })),
    timeout: timeoutOf(input.timeout),
    excludeCredentials: descriptors(input.excludeCredentials, 'excludeCredentials'),
    authenticatorSelection: {
      residentKey,
      requireResidentKey: residentKey === 'required',
      userVerification: input.userVerification ?? 'preferred',
      ...(input.authenticatorAttachment !== undefined
        ? { authenticatorAttachment: input.authenticatorAttachment }
        : {}),
    },
    attestation: input.attestation ?? 'none',
    hints: [],
    extensions: { credProps: true },
  };
}

/**
 * Builds authentication options (PublicKeyCredentialRequestOptionsJSON).
 *
 * @example
 * authenticationOptions({ rpId: 'example.org', challenge: randomBytes(32), userVerification: 'required' })
 */
export function authenticationOptions(input: AuthenticationOptionsInput): RequestOptionsJSON {
  return {
    challenge: toB64(input.challenge, 'challenge', 16, 1024),
    rpId: requireString(input.rpId, 'rpId', 253),
    timeout: timeoutOf(input.timeout),
    allowCredentials: descriptors(input.allowCredentials, 'allowCredentials'),
    userVerification: input.userVerification ?? 'preferred',
    hints: [],
  };
}
