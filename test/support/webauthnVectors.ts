// The 30 W3C WebAuthn L3 examples (test/vectors/webauthn/README.md, SOURCES.md) and their test
// attestation root, read once as data, with the response JSON a browser would send for each.
import { readFileSync } from 'node:fs';

/** One W3C WebAuthn L3 example (hex fields as in the file). */
export interface W3cExample {
  name: string;
  ceremony: 'registration' | 'authentication';
  hkdfInfo: string;
  rpId: string;
  origin: string;
  topOrigin?: string;
  challenge: string;
  credential_id?: string;
  aaguid?: string;
  clientDataJSON: string;
  attestationObject?: string;
  authenticatorData?: string;
  signature?: string;
  derived: { credentialId?: string; credentialPublicKeyAlg?: number };
}

const dir = new URL('../vectors/webauthn/', import.meta.url);

/** Every example, in file order. */
export const W3C_EXAMPLES = JSON.parse(
  readFileSync(new URL('w3c-l3-test-vectors.json', dir), 'utf8'),
) as W3cExample[];

/** The W3C test attestation root (DER) every example's x5c chain ends at. */
export const W3C_ROOT_DER = Buffer.from(
  (
    JSON.parse(readFileSync(new URL('w3c-l3-attestation-root-cert.json', dir), 'utf8')) as {
      attestation_ca_cert: string;
    }
  ).attestation_ca_cert,
  'hex',
);

/** A fixed clock inside every example certificate's validity (the root and x5c run to 3024). */
export const W3C_VECTOR_NOW = Date.parse('2026-08-01T00:00:00Z');

/**
 * Re-encodes a hex field of the examples as base64url, as a browser's response JSON carries it.
 *
 * @example
 * const challenge = hexToBase64url(example.challenge);
 */
export function hexToBase64url(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64url');
}

/**
 * The example of `ceremony` for an `hkdfInfo` such as `packed.ES256` (throws if there is none).
 *
 * @example
 * const e = findW3cExample('tpm.ES256', 'registration');
 */
export function findW3cExample(hkdfInfo: string, ceremony: W3cExample['ceremony']): W3cExample {
  const found = W3C_EXAMPLES.find((e) => e.hkdfInfo === hkdfInfo && e.ceremony === ceremony);
  if (!found) throw new Error(`no W3C ${ceremony} example ${hkdfInfo}`);
  return found;
}

/** A PublicKeyCredential's JSON around a `response`, for the credential id (hex). */
export interface W3cCredentialJson {
  id: string;
  rawId: string;
  type: 'public-key';
  clientExtensionResults: Record<string, never>;
  response: Record<string, unknown>;
}

function credentialJson(idHex: string, response: Record<string, unknown>): W3cCredentialJson {
  const id = hexToBase64url(idHex);
  return { id, rawId: id, type: 'public-key', clientExtensionResults: {}, response };
}

/**
 * The registration response JSON of a registration example, as `navigator.credentials.create()`
 * serialises it; `attestationObject` (hex) replaces the example's, e.g. a tampered one.
 *
 * @example
 * const parsed = parseRegistrationResponse(w3cRegistrationJson(findW3cExample('packed.ES256', 'registration')));
 */
export function w3cRegistrationJson(
  e: W3cExample,
  options: { attestationObject?: string; transports?: string[] } = {},
): W3cCredentialJson {
  return credentialJson(e.credential_id!, {
    clientDataJSON: hexToBase64url(e.clientDataJSON),
    attestationObject: hexToBase64url(options.attestationObject ?? e.attestationObject!),
    ...(options.transports ? { transports: options.transports } : {}),
  });
}

/**
 * The authentication response JSON of an authentication example, as `navigator.credentials.get()`
 * serialises it; `cdj`, `ad` and `sig` (base64url) replace its clientDataJSON, authenticatorData
 * and signature, e.g. with a flipped byte.
 *
 * @example
 * const parsed = parseAuthenticationResponse(w3cAuthenticationJson(findW3cExample('none.ES256', 'authentication')));
 */
export function w3cAuthenticationJson(
  e: W3cExample,
  over: { cdj?: string; ad?: string; sig?: string } = {},
): W3cCredentialJson {
  return credentialJson(e.derived.credentialId!, {
    clientDataJSON: over.cdj ?? hexToBase64url(e.clientDataJSON),
    authenticatorData: over.ad ?? hexToBase64url(e.authenticatorData!),
    signature: over.sig ?? hexToBase64url(e.signature!),
  });
}
