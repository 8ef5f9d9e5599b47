import { createHash, type X509Certificate } from 'node:crypto';
import { parseCertificate, verifyCertificateChain } from '../../crypto/index.js';
import type { ReasonCode } from '../../errors/codes.js';
import type { AttestationConveyance } from './options.js';
import { derChildren, readDer } from './der.js';
import type { RegistrationResponse } from './parse.js';

/**
 * The relying party's trust decision over an attestation whose signatures already verified
 * (`verifyAttestation`): WebAuthn L3 §7.1 steps 22-23 ("assess the attestation trustworthiness"),
 * an AAGUID allow-list or deny-list, and the FIDO Metadata Service status of the model.
 * Signature first, then trust what it signs (STYLE.md habit 5).
 */

/** Statuses of the FIDO Metadata Service (MDS3 §3.1.4) that refuse a registration. */
export const REFUSED_AUTHENTICATOR_STATUSES: ReadonlySet<string> = new Set([
  'REVOKED',
  'USER_VERIFICATION_BYPASS',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
]);

/** What the FIDO Metadata Service says of one authenticator model. */
export interface AuthenticatorMetadata {
  /** The latest status report's `status` (e.g. `FIDO_CERTIFIED`, `REVOKED`), or null. */
  status: string | null;
  /** The metadata statement's `attestationRootCertificates` (DER). */
  attestationRoots: readonly Uint8Array[];
}

/** An app's attestation policy. */
export interface AttestationPolicy {
  /**
   * `none` / `indirect`: the statement's signatures are checked, its chain is not required to
   * anchor. `direct` / `enterprise`: a certificate chain (x5c) is required and must anchor to
   * `anchors` or to the metadata roots of the authenticator's AAGUID.
   */
  attestation: AttestationConveyance;
  /** Trust anchors (PEM or DER): the roots the operator trusts for every AAGUID. */
  anchors: readonly (string | Uint8Array)[];
  /** Lowercase AAGUIDs allowed; empty or absent: any. */
  aaguidAllow?: readonly string[];
  /** Lowercase AAGUIDs refused. */
  aaguidDeny?: readonly string[];
  /** The FIDO Metadata Service entry for an AAGUID, when the app loads a BLOB. */
  metadata?: (aaguid: string) => AuthenticatorMetadata | undefined;
  /**
   * The entry for an attestation certificate's key identifier ({@link attestationKeyIdentifier}),
   * tried when the AAGUID has none: how the MDS lists U2F authenticators, which have no AAGUID.
   */
  metadataByKeyIdentifier?: (keyIdentifier: string) => AuthenticatorMetadata | undefined;
}

/**
 * The key identifier of an attestation certificate, as the FIDO Metadata Statement's
 * `attestationCertificateKeyIdentifiers` gives it: RFC 5280 §4.2.1.2 method 1, the SHA-1 of the
 * subjectPublicKey bits (computed, not read from the certificate's own extension). Lowercase
 * hex; null when the key cannot be read.
 */
export function attestationKeyIdentifier(cert: X509Certificate): string | null {
  const spki = cert.publicKey.export({ format: 'der', type: 'spki' });
  const seq = readDer(spki, 0, spki.length);
  const parts = seq === null ? null : derChildren(spki, seq);
  const bits = parts?.[1];
  if (bits === undefined || bits.tag !== 3 || bits.end - bits.start < 2) return null;
  return createHash('sha1')
    .update(spki.subarray(bits.start + 1, bits.end))
    .digest('hex');
}

/** The AAGUID bytes as a lowercase UUID string. */
export function formatAaguid(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function parseAll(items: readonly (string | Uint8Array)[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const item of items) {
    const cert = parseCertificate(item);
    if (cert !== null) out.push(cert);
  }
  return out;
}

/** The attestation chain of a statement (x5c), or null for none, self and formats without x5c. */
function chainOf(response: RegistrationResponse): X509Certificate[] | null {
  const x5c = response.attStmt.get('x5c');
  if (!Array.isArray(x5c) || x5c.length === 0) return null;
  const certs: X509Certificate[] = [];
  for (const item of x5c) {
    const cert = item instanceof Uint8Array ? parseCertificate(item) : null;
    if (cert === null) return null;
    certs.push(cert);
  }
  return certs;
}

/** The MDS entry of the statement's attestation certificate, by key identifier (U2F). */
function metadataByKey(
  response: RegistrationResponse,
  policy: AttestationPolicy,
): AuthenticatorMetadata | undefined {
  if (policy.metadataByKeyIdentifier === undefined) return undefined;
  const x5c = response.attStmt.get('x5c');
  const leaf = Array.isArray(x5c) ? x5c[0] : undefined;
  if (!(leaf instanceof Uint8Array)) return undefined;
  const cert = parseCertificate(leaf);
  const id = cert === null ? null : attestationKeyIdentifier(cert);
  return id === null ? undefined : policy.metadataByKeyIdentifier(id);
}

/**
 * Applies an app's attestation policy to a registration whose attestation statement verified.
 * Returns null when it passes, else the precise reason: `attestation_required`,
 * `attestation_untrusted`, `aaguid_refused` or `authenticator_revoked`.
 *
 * @example
 * const reason = checkAttestationPolicy(parsed, { attestation: 'direct', anchors: [rootPem] }, clock());
 * if (reason !== null) return fail(reason);
 */
export function checkAttestationPolicy(
  response: RegistrationResponse,
  policy: AttestationPolicy,
  now: number,
): ReasonCode | null {
  const aaguid = formatAaguid(response.authData.attestedCredentialData.aaguid);
  const metadata = policy.metadata?.(aaguid) ?? metadataByKey(response, policy);

  // §7.1 step 23: with direct / enterprise, only an attestation chained to a trusted root is
  // accepted. `none` and self attestation (packed without x5c) carry no provenance at all.
  if (policy.attestation === 'direct' || policy.attestation === 'enterprise') {
    const x5c = response.attStmt.get('x5c');
    if (response.fmt === 'none' || x5c === undefined) {
      return response.fmt === 'none' || response.fmt === 'packed'
        ? 'attestation_required'
        : 'attestation_untrusted';
    }
    const chain = chainOf(response);
    const anchors = [...parseAll(policy.anchors), ...parseAll(metadata?.attestationRoots ?? [])];
    if (chain === null || !verifyCertificateChain(chain, anchors, now)) return 'attestation_untrusted';
  }

  // The AAGUID is the authenticator's own claim: only an anchored attestation (above) vouches
  // for it. The lists are still useful without one, against honest but unwanted models.
  if (policy.aaguidDeny?.includes(aaguid)) return 'aaguid_refused';
  if (
    policy.aaguidAllow !== undefined &&
    policy.aaguidAllow.length > 0 &&
    !policy.aaguidAllow.includes(aaguid)
  ) {
    return 'aaguid_refused';
  }

  // MDS3 §3.1.4: a model whose latest status is revoked or compromised is refused.
  if (metadata?.status != null && REFUSED_AUTHENTICATOR_STATUSES.has(metadata.status)) {
    return 'authenticator_revoked';
  }
  return null;
}
