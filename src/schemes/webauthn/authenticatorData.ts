import { invalid, type Parsed } from '../../errors/codes.js';
import { decodeCborItem } from './cbor.js';
import { MAX_COSE_KEY_BYTES } from './cose.js';

/** Largest authenticator data accepted, in bytes (37 fixed + attested data + extensions). */
export const MAX_AUTHENTICATOR_DATA_BYTES = 4096;
/** Largest credential id (WebAuthn L3 §5.1: at most 1023 bytes). */
export const MAX_CREDENTIAL_ID_BYTES = 1023;

/** The flags byte (WebAuthn L3 §6.1, "flags"). */
export interface AuthenticatorFlags {
  /** Bit 0: user present. */
  up: boolean;
  /** Bit 2: user verified. */
  uv: boolean;
  /** Bit 3: backup eligible. */
  be: boolean;
  /** Bit 4: backup state. */
  bs: boolean;
  /** Bit 6: attested credential data included. */
  at: boolean;
  /** Bit 7: extension data included. */
  ed: boolean;
}

/** Attested credential data (WebAuthn L3 §6.5.2), present at registration. */
export interface AttestedCredentialData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** The COSE_Key bytes, exactly as the authenticator encoded them. */
  credentialPublicKey: Uint8Array;
}

/** Parsed authenticator data (WebAuthn L3 §6.1). */
export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: AuthenticatorFlags;
  signCount: number;
  attestedCredentialData?: AttestedCredentialData;
  /** The CBOR extension map bytes, when the ED flag is set. */
  extensions?: Uint8Array;
}

/**
 * Parses authenticator data: rpIdHash (32), flags (1), signCount (4, big-endian), then attested
 * credential data when AT is set and a CBOR extensions map when ED is set. Refuses trailing
 * bytes and flags that promise data that is not there.
 *
 * @example
 * const parsed = parseAuthenticatorData(bytes);
 * if (parsed.ok && parsed.value.flags.up) ...
 */
export function parseAuthenticatorData(bytes: Uint8Array): Parsed<AuthenticatorData> {
  if (!(bytes instanceof Uint8Array)) return invalid('authenticatorData must be bytes');
  if (bytes.length < 37) return invalid('authenticatorData is shorter than 37 bytes');
  if (bytes.length > MAX_AUTHENTICATOR_DATA_BYTES) return invalid('authenticatorData is too large');
  const f = bytes[32]!;
  const flags: AuthenticatorFlags = {
    up: (f & 0x01) !== 0,
    uv: (f & 0x04) !== 0,
    be: (f & 0x08) !== 0,
    bs: (f & 0x10) !== 0,
    at: (f & 0x40) !== 0,
    ed: (f & 0x80) !== 0,
  };
  const signCount = ((bytes[33]! << 24) >>> 0) + (bytes[34]! << 16) + (bytes[35]! << 8) + bytes[36]!;
  const out: AuthenticatorData = { rpIdHash: bytes.subarray(0, 32), flags, signCount };
  let pos = 37;
  if (flags.at) {
    if (bytes.length < pos + 18) return invalid('attested credential data is truncated');
    const aaguid = bytes.subarray(pos, pos + 16);
    const idLength = (bytes[pos + 16]! << 8) + bytes[pos + 17]!;
    pos += 18;
    if (idLength === 0 || idLength > MAX_CREDENTIAL_ID_BYTES)
      return invalid('credential id length is invalid');
    if (bytes.length < pos + idLength) return invalid('credential id is truncated');
    const credentialId = bytes.subarray(pos, pos + idLength);
    pos += idLength;
    const key = decodeCborItem(bytes, pos);
    if (key === null || !(key.value instanceof Map))
      return invalid('credential public key is not a CBOR map');
    if (key.end - pos > MAX_COSE_KEY_BYTES) return invalid('credential public key is too large');
    out.attestedCredentialData = { aaguid, credentialId, credentialPublicKey: bytes.subarray(pos, key.end) };
    pos = key.end;
  }
  if (flags.ed) {
    const ext = decodeCborItem(bytes, pos);
    if (ext === null || !(ext.value instanceof Map)) return invalid('extensions are not a CBOR map');
    out.extensions = bytes.subarray(pos, ext.end);
    pos = ext.end;
  }
  if (pos !== bytes.length) return invalid('authenticatorData has trailing bytes');
  return { ok: true, value: out };
}
