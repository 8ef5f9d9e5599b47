import { decodeBase64Url, utf8Text } from '../../encoding/index.js';
import { invalid, type Parsed } from '../../errors/codes.js';
import {
  MAX_AUTHENTICATOR_DATA_BYTES,
  MAX_CREDENTIAL_ID_BYTES,
  parseAuthenticatorData,
} from './authenticatorData.js';
import type { AuthenticatorData } from './authenticatorData.js';
import { decodeCbor, type CborMap } from './cbor.js';

/**
 * Strict parsers of what the browser sends (`PublicKeyCredential.toJSON()`, WebAuthn L3 §5.1.8)
 * and of clientDataJSON (§5.8.1). They take `unknown`, check every field they read and every
 * length before decoding, and return `invalid_request` failures; they never throw on input.
 * Unknown extra members are ignored, as the spec lets browsers add them.
 */

/** Largest clientDataJSON accepted, in bytes. */
export const MAX_CLIENT_DATA_BYTES = 8192;
/** Largest attestationObject accepted, in bytes (TPM with a certificate chain is a few KB). */
export const MAX_ATTESTATION_OBJECT_BYTES = 65536;
/** Largest signature accepted, in bytes (RSA-8192). */
export const MAX_SIGNATURE_BYTES = 1024;
/** Largest user handle (WebAuthn L3 §5.4.3: at most 64 bytes). */
export const MAX_USER_HANDLE_BYTES = 64;

/** base64url characters needed for n bytes, with a margin for padding. */
const chars = (bytes: number): number => Math.ceil((bytes * 4) / 3) + 4;

/** A parsed AuthenticationResponseJSON, fields decoded to bytes. */
export interface AuthenticationResponse {
  /** The credential id as the browser spelled it (base64url). */
  id: string;
  rawId: Uint8Array;
  clientDataJSON: Uint8Array;
  authenticatorData: Uint8Array;
  signature: Uint8Array;
  userHandle?: Uint8Array;
  authenticatorAttachment?: string;
  /** clientDataJSON, parsed. */
  clientData: ClientData;
  /** authenticatorData, parsed. */
  authData: AuthenticatorData;
}

/** A parsed RegistrationResponseJSON, fields decoded to bytes. */
export interface RegistrationResponse {
  id: string;
  rawId: Uint8Array;
  clientDataJSON: Uint8Array;
  attestationObject: Uint8Array;
  transports: string[];
  authenticatorAttachment?: string;
  clientData: ClientData;
  /** The attestation statement format (`fmt`). */
  fmt: string;
  /** The attestation statement (`attStmt`), a CBOR map. */
  attStmt: CborMap;
  /** The raw authData bytes from the attestation object (what attestation signatures cover). */
  authDataBytes: Uint8Array;
  /** authData, parsed; its attested credential data is always present. */
  authData: AuthenticatorData & {
    attestedCredentialData: NonNullable<AuthenticatorData['attestedCredentialData']>;
  };
  /** The JSON as received (after the checks), handed to @simplewebauthn/server for attestation. */
  json: Record<string, unknown>;
}

/** Parsed CollectedClientData (WebAuthn L3 §5.8.1). */
export interface ClientData {
  type: string;
  /** The challenge as sent (base64url). */
  challenge: string;
  origin: string;
  crossOrigin?: boolean;
  topOrigin?: string;
}

type Fields = Record<string, unknown>;

function isRecord(x: unknown): x is Fields {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function bytesField(obj: Fields, name: string, maxBytes: number): Uint8Array | string {
  const value = obj[name];
  if (typeof value !== 'string') return `${name} must be a base64url string`;
  const bytes = decodeBase64Url(value, chars(maxBytes));
  if (bytes === null || bytes.length > maxBytes)
    return `${name} is not valid base64url of at most ${maxBytes} bytes`;
  return bytes;
}

/** The fields both ceremonies share: id, rawId, type, clientExtensionResults, authenticatorAttachment. */
function parseCredentialShell(
  input: unknown,
): Parsed<{ id: string; rawId: Uint8Array; response: Fields; authenticatorAttachment?: string }> {
  if (!isRecord(input)) return invalid('credential must be an object');
  if (input.type !== 'public-key') return invalid('type must be "public-key"');
  const { id, clientExtensionResults, authenticatorAttachment, response } = input;
  if (typeof id !== 'string' || id.length === 0) return invalid('id must be a non-empty string');
  const rawId = bytesField(input, 'rawId', MAX_CREDENTIAL_ID_BYTES);
  if (typeof rawId === 'string') return invalid(rawId);
  if (rawId.length === 0) return invalid('rawId must not be empty');
  // The id is base64url(rawId) without padding (§5.1): one spelling only.
  if (id !== Buffer.from(rawId).toString('base64url')) return invalid('id must be the base64url of rawId');
  if (clientExtensionResults !== undefined && !isRecord(clientExtensionResults)) {
    return invalid('clientExtensionResults must be an object');
  }
  if (
    authenticatorAttachment !== undefined &&
    authenticatorAttachment !== null &&
    (typeof authenticatorAttachment !== 'string' || authenticatorAttachment.length > 32)
  ) {
    return invalid('authenticatorAttachment must be a short string');
  }
  if (!isRecord(response)) return invalid('response must be an object');
  return {
    ok: true,
    value: {
      id,
      rawId,
      response,
      ...(typeof authenticatorAttachment === 'string' ? { authenticatorAttachment } : {}),
    },
  };
}

/**
 * Parses an AuthenticationResponseJSON (what `navigator.credentials.get()` gives, `.toJSON()`).
 *
 * @example
 * const parsed = parseAuthenticationResponse(JSON.parse(body).response);
 * if (!parsed.ok) return reply(400, parsed.message);
 */
export function parseAuthenticationResponse(input: unknown): Parsed<AuthenticationResponse> {
  const shell = parseCredentialShell(input);
  if (!shell.ok) return shell;
  const { response } = shell.value;
  const clientDataJSON = bytesField(response, 'clientDataJSON', MAX_CLIENT_DATA_BYTES);
  if (typeof clientDataJSON === 'string') return invalid(clientDataJSON);
  const authenticatorData = bytesField(response, 'authenticatorData', MAX_AUTHENTICATOR_DATA_BYTES);
  if (typeof authenticatorData === 'string') return invalid(authenticatorData);
  const signature = bytesField(response, 'signature', MAX_SIGNATURE_BYTES);
  if (typeof signature === 'string') return invalid(signature);
  if (signature.length === 0) return invalid('signature must not be empty');
  const clientData = parseClientData(clientDataJSON);
  if (!clientData.ok) return clientData;
  const authData = parseAuthenticatorData(authenticatorData);
  if (!authData.ok) return authData;
  const value: AuthenticationResponse = {
    id: shell.value.id,
    rawId: shell.value.rawId,
    clientDataJSON,
    authenticatorData,
    signature,
    clientData: clientData.value,
    authData: authData.value,
  };
  // toJSON() gives userHandle only when the authenticator returned one; some clients send null.
  if (response.userHandle !== undefined && response.userHandle !== null) {
    const userHandle = bytesField(response, 'userHandle', MAX_USER_HANDLE_BYTES);
    if (typeof userHandle === 'string') return invalid(userHandle);
    value.userHandle = userHandle;
  }
  if (shell.value.authenticatorAttachment !== undefined) {
    value.authenticatorAttachment = shell.value.authenticatorAttachment;
  }
  return { ok: true, value };
}

/**
 * Parses a RegistrationResponseJSON (what `navigator.credentials.create()` gives, `.toJSON()`).
 *
 * @example
 * const parsed = parseRegistrationResponse(body.response);
 */
export function parseRegistrationResponse(input: unknown): Parsed<RegistrationResponse> {
  const shell = parseCredentialShell(input);
  if (!shell.ok) return shell;
  const { response } = shell.value;
  const clientDataJSON = bytesField(response, 'clientDataJSON', MAX_CLIENT_DATA_BYTES);
  if (typeof clientDataJSON === 'string') return invalid(clientDataJSON);
  const attestationObject = bytesField(response, 'attestationObject', MAX_ATTESTATION_OBJECT_BYTES);
  if (typeof attestationObject === 'string') return invalid(attestationObject);
  const transports: string[] = [];
  if (response.transports !== undefined) {
    const t = response.transports;
    if (!Array.isArray(t) || t.length > 16)
      return invalid('transports must be an array of at most 16 strings');
    for (const item of t) {
      if (typeof item !== 'string' || item.length === 0 || item.length > 32) {
        return invalid('transports must hold short strings');
      }
      if (!transports.includes(item)) transports.push(item);
    }
  }
  const clientData = parseClientData(clientDataJSON);
  if (!clientData.ok) return clientData;
  // §7.1 step 12: CBOR-decode the attestation object into fmt, authData and attStmt.
  const decoded = decodeCbor(attestationObject);
  if (!(decoded instanceof Map)) return invalid('attestationObject is not a CBOR map');
  const fmt = decoded.get('fmt');
  const attStmt = decoded.get('attStmt');
  const authDataBytes = decoded.get('authData');
  if (typeof fmt !== 'string' || fmt.length === 0 || fmt.length > 32)
    return invalid('attestationObject.fmt is invalid');
  if (!(attStmt instanceof Map)) return invalid('attestationObject.attStmt must be a map');
  if (!(authDataBytes instanceof Uint8Array)) return invalid('attestationObject.authData must be bytes');
  const authData = parseAuthenticatorData(authDataBytes);
  if (!authData.ok) return authData;
  const { attestedCredentialData } = authData.value;
  if (attestedCredentialData === undefined) return invalid('authData has no attested credential data');
  // §7.1 step 26 (and §5.1): the credential id the browser reports is the one the authenticator attested.
  if (Buffer.compare(attestedCredentialData.credentialId, shell.value.rawId) !== 0) {
    return invalid('rawId does not match the attested credential id');
  }
  const value: RegistrationResponse = {
    id: shell.value.id,
    rawId: shell.value.rawId,
    clientDataJSON,
    attestationObject,
    transports,
    json: input as Fields,
    clientData: clientData.value,
    fmt,
    attStmt,
    authDataBytes,
    authData: { ...authData.value, attestedCredentialData },
  };
  if (shell.value.authenticatorAttachment !== undefined) {
    value.authenticatorAttachment = shell.value.authenticatorAttachment;
  }
  return { ok: true, value };
}

/**
 * Parses clientDataJSON bytes: strict UTF-8, a JSON object with string `type`, `challenge`,
 * `origin`, optional boolean `crossOrigin` and string `topOrigin` (WebAuthn L3 §5.8.1).
 *
 * @example
 * parseClientData(utf8Bytes('{"type":"webauthn.get","challenge":"AAAA","origin":"https://a.example"}'))
 */
export function parseClientData(bytes: Uint8Array): Parsed<ClientData> {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_CLIENT_DATA_BYTES) {
    return invalid('clientDataJSON is too large');
  }
  const text = utf8Text(bytes);
  if (text === null) return invalid('clientDataJSON is not valid UTF-8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid('clientDataJSON is not valid JSON');
  }
  if (!isRecord(json)) return invalid('clientDataJSON must be a JSON object');
  const { type, challenge, origin, crossOrigin, topOrigin } = json;
  if (typeof type !== 'string') return invalid('clientData.type must be a string');
  if (typeof challenge !== 'string') return invalid('clientData.challenge must be a string');
  if (typeof origin !== 'string' || origin.length === 0) return invalid('clientData.origin must be a string');
  if (crossOrigin !== undefined && typeof crossOrigin !== 'boolean') {
    return invalid('clientData.crossOrigin must be a boolean');
  }
  if (topOrigin !== undefined && typeof topOrigin !== 'string') {
    return invalid('clientData.topOrigin must be a string');
  }
  const value: ClientData = { type, challenge, origin };
  if (crossOrigin !== undefined) value.crossOrigin = crossOrigin;
  if (topOrigin !== undefined) value.topOrigin = topOrigin;
  return { ok: true, value };
}
