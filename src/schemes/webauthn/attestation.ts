import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
type RootCertIdentifier = Parameters<typeof SettingsService.getRootCertificates>[0]['identifier'];
import { concatBytes, equalBytes } from '../../encoding/index.js';
import { parseCertificate, SIGNATURE_ALGORITHMS, verifySignature } from '../../crypto/index.js';
import type { CborMap, CborValue } from './cbor.js';
import { findCoseAlgorithm, type CredentialPublicKey } from './cose.js';
import { decodeCbor } from './cbor.js';
import { derChildren, readCertificateFields, readDer } from './der.js';
import type { RegistrationResponse } from './parse.js';

/**
 * Attestation statement verification (WebAuthn L3 §8). `none`, `packed`, `apple` and
 * `android-safetynet` go through @simplewebauthn/server. Three formats are verified here, per
 * the spec's own procedure, because the library refuses valid statements for reasons of its own:
 * - `fido-u2f` (§8.6): the library requires an all-zero AAGUID, which §8.6 does not;
 * - `tpm` (§8.3): the library requires a TPM manufacturer from the TCG registry;
 * - `android-key` (§8.4): the library requires the root certificate inside x5c.
 * `packed` with a credential algorithm the library does not know (Ed448, -53) is verified here too.
 *
 * Trust: the roots for a format are @simplewebauthn's defaults for it (Google roots for
 * `android-key`, Apple's for `apple`) plus the caller's `trustedRoots`. When a format has no root
 * at all, the certificate path is not checked (the library's rule too): the statement then proves
 * possession, not provenance. Provenance is the relying party's policy, applied after this check:
 * `checkAttestationPolicy` (attestationPolicy.ts) anchors x5c to the app's roots for `direct` and
 * `enterprise` attestation.
 */

/** What a format verifier gets. */
export interface AttestationContext {
  response: RegistrationResponse;
  publicKey: CredentialPublicKey;
  clientDataHash: Uint8Array;
  /** Extra trusted roots (DER or PEM), added to the format's defaults. */
  trustedRoots: readonly (Uint8Array | string)[];
  now: number;
}

/** The formats verified in this file rather than by the library. */
const OWN_FORMATS = new Set(['fido-u2f', 'tpm', 'android-key']);
const LIBRARY_FORMATS = new Set(['packed', 'apple', 'android-safetynet']);

/** Largest number of certificates accepted in x5c. */
const MAX_X5C = 5;

/**
 * Verifies the attestation statement of a registration response; `true` when it holds (and, when
 * the format has trusted roots, chains to one of them).
 *
 * @example
 * if (!(await verifyAttestation(ctx))) return fail('attestation_invalid');
 */
export async function verifyAttestation(ctx: AttestationContext): Promise<boolean> {
  const { fmt, attStmt } = ctx.response;
  if (fmt === 'none') return attStmt.size === 0; // §8.7: an empty statement
  const roots = rootsFor(fmt, ctx.trustedRoots);
  if (roots === null) return false;
  if (fmt === 'packed' && !libraryKnowsAlgorithm(ctx.publicKey.alg)) return verifyPacked(ctx, roots);
  if (OWN_FORMATS.has(fmt)) {
    if (fmt === 'fido-u2f') return verifyFidoU2f(ctx, roots);
    if (fmt === 'tpm') return verifyTpm(ctx, roots);
    return verifyAndroidKey(ctx, roots);
  }
  if (LIBRARY_FORMATS.has(fmt)) return verifyWithLibrary(ctx);
  return false;
}

// ---------------------------------------------------------------------------------------------
// @simplewebauthn/server, with per-call roots.

function libraryKnowsAlgorithm(alg: number): boolean {
  return alg !== -53;
}

/**
 * The library reads its roots from a process-wide `SettingsService`. Calls are chained so that
 * one call's roots are set, used and restored before the next call starts.
 */
let libraryQueue: Promise<unknown> = Promise.resolve();

async function verifyWithLibrary(ctx: AttestationContext): Promise<boolean> {
  const run = async (): Promise<boolean> => {
    const fmt = ctx.response.fmt;
    const previous = SettingsService.getRootCertificates({ identifier: fmt as RootCertIdentifier });
    if (ctx.trustedRoots.length > 0) {
      SettingsService.setRootCertificates({
        identifier: fmt as RootCertIdentifier,
        certificates: [
          ...previous,
          ...ctx.trustedRoots.map((r) => (typeof r === 'string' ? r : new Uint8Array(r))),
        ],
      });
    }
    try {
      // Client data, rpIdHash, flags and the key were checked by Signet before this call; the
      // expectations below repeat what was already accepted, so only the statement is judged.
      const result = await verifyRegistrationResponse({
        response: ctx.response.json as never,
        expectedChallenge: ctx.response.clientData.challenge,
        expectedOrigin: ctx.response.clientData.origin,
        requireUserPresence: false,
        requireUserVerification: false,
        supportedAlgorithmIDs: [ctx.publicKey.alg],
      });
      return result.verified;
    } catch {
      return false;
    } finally {
      if (ctx.trustedRoots.length > 0) {
        SettingsService.setRootCertificates({
          identifier: fmt as RootCertIdentifier,
          certificates: previous,
        });
      }
    }
  };
  const next = libraryQueue.then(run, run);
  libraryQueue = next.catch(() => undefined);
  return next;
}

// ---------------------------------------------------------------------------------------------
// Certificates.

function rootsFor(fmt: string, extra: readonly (Uint8Array | string)[]): X509Certificate[] | null {
  const out: X509Certificate[] = [];
  for (const r of [
    ...SettingsService.getRootCertificates({ identifier: fmt as RootCertIdentifier }),
    ...extra,
  ]) {
    const cert = parseCertificate(r);
    if (cert === null) return null;
    out.push(cert);
  }
  return out;
}

/** x5c: an array of 1..5 DER certificates. */
function readX5c(value: CborValue | undefined): { certs: X509Certificate[]; der: Uint8Array[] } | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_X5C) return null;
  const certs: X509Certificate[] = [];
  const der: Uint8Array[] = [];
  for (const item of value) {
    if (!(item instanceof Uint8Array) || item.length > 16384) return null;
    const cert = parseCertificate(item);
    if (cert === null) return null;
    certs.push(cert);
    der.push(item);
  }
  return { certs, der };
}

function validAt(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/**
 * The certificate path x5c[0] -> ... -> x5c[n-1] -> one trusted root, each certificate valid at
 * `now`. No roots: the path is not checked (see the file comment).
 */
function chainsToRoot(certs: X509Certificate[], roots: X509Certificate[], now: number): boolean {
  if (roots.length === 0) return true;
  for (let i = 0; i < certs.length; i++) {
    const cert = certs[i]!;
    if (!validAt(cert, now)) return false;
    const issuer = certs[i + 1];
    if (issuer !== undefined) {
      if (!cert.checkIssued(issuer) || !safeVerify(cert, issuer.publicKey)) return false;
    }
  }
  const last = certs[certs.length - 1]!;
  return roots.some(
    (root) =>
      validAt(root, now) &&
      (equalBytes(last.raw, root.raw) || (last.checkIssued(root) && safeVerify(last, root.publicKey))),
  );
}

function safeVerify(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

const OID_FIDO_AAGUID = '1.3.6.1.4.1.45724.1.1.4';
const OID_ANDROID_KEY_DESCRIPTION = '1.3.6.1.4.1.11129.2.1.17';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_TPM_AIK_EKU = '2.23.133.8.3';
const TPM_MANUFACTURER_OID_DER = Uint8Array.from([0x06, 0x05, 0x67, 0x81, 0x05, 0x02, 0x01]); // 2.23.133.2.1

/** §8.2.1 / §8.3.1: when the FIDO AAGUID extension is present it must equal authData's AAGUID. */
function aaguidExtensionMatches(der: Uint8Array, aaguid: Uint8Array): boolean {
  const fields = readCertificateFields(der);
  if (fields === null) return false;
  const ext = fields.extensions.get(OID_FIDO_AAGUID);
  if (ext === undefined) return true;
  if (ext.critical) return false;
  const octets = readDer(ext.value, 0, ext.value.length);
  return (
    octets !== null &&
    octets.tag === 4 &&
    octets.end === ext.value.length &&
    equalBytes(ext.value.subarray(octets.start, octets.end), aaguid)
  );
}

function spkiOf(key: KeyObject): Uint8Array {
  return key.export({ format: 'der', type: 'spki' });
}

/** Verifies `sig` with a COSE algorithm number from an attestation statement. */
function verifyWithCoseAlg(
  alg: CborValue | undefined,
  key: KeyObject,
  data: Uint8Array,
  sig: unknown,
): boolean {
  const entry = findCoseAlgorithm(alg);
  return entry !== undefined && sig instanceof Uint8Array && verifySignature(entry.signature, key, data, sig);
}

// ---------------------------------------------------------------------------------------------
// packed (§8.2), used for algorithms the library does not know.

function verifyPacked(ctx: AttestationContext, roots: X509Certificate[]): boolean {
  const { attStmt, authDataBytes, authData } = ctx.response;
  const signed = concatBytes(authDataBytes, ctx.clientDataHash);
  const alg = attStmt.get('alg');
  const sig = attStmt.get('sig');
  if (!attStmt.has('x5c')) {
    // Self attestation: alg is the credential's and the credential key signs.
    return alg === ctx.publicKey.alg && verifyWithCoseAlg(alg, ctx.publicKey.key, signed, sig);
  }
  const x5c = readX5c(attStmt.get('x5c'));
  if (x5c === null) return false;
  const leaf = x5c.certs[0]!;
  if (!verifyWithCoseAlg(alg, leaf.publicKey, signed, sig)) return false;
  // §8.2.1: version 3, subject C / O / OU="Authenticator Attestation" / CN, not a CA.
  const fields = readCertificateFields(x5c.der[0]!);
  if (fields === null || fields.version !== 3 || leaf.ca) return false;
  const subject = new Map(leaf.subject.split('\n').map((line) => line.split('=', 2) as [string, string]));
  if (subject.get('OU') !== 'Authenticator Attestation' || !subject.get('CN') || !subject.get('O'))
    return false;
  if (subject.get('C')?.length !== 2) return false;
  if (!aaguidExtensionMatches(x5c.der[0]!, authData.attestedCredentialData.aaguid)) return false;
  return chainsToRoot(x5c.certs, roots, ctx.now);
}

// ---------------------------------------------------------------------------------------------
// fido-u2f (§8.6).

function verifyFidoU2f(ctx: AttestationContext, roots: X509Certificate[]): boolean {
  const { attStmt, authData } = ctx.response;
  const x5c = readX5c(attStmt.get('x5c'));
  // Step 2: exactly one certificate, with a P-256 key.
  if (x5c === null || x5c.certs.length !== 1) return false;
  const cert = x5c.certs[0]!;
  if (cert.publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return false;
  // Step 3-4: the credential key must be an uncompressed P-256 point (COSE ES256).
  if (ctx.publicKey.alg !== -7) return false;
  const spki = spkiOf(ctx.publicKey.key);
  const point = spki.subarray(spki.length - 65); // P-256 SPKI ends with the 65-byte point
  if (point[0] !== 0x04) return false;
  // Step 5: verificationData = 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F.
  const data = concatBytes(
    Uint8Array.of(0),
    authData.rpIdHash,
    ctx.clientDataHash,
    authData.attestedCredentialData.credentialId,
    point,
  );
  const sig = attStmt.get('sig');
  if (!(sig instanceof Uint8Array) || !verifySignature('ES256', cert.publicKey, data, sig)) return false;
  return chainsToRoot(x5c.certs, roots, ctx.now);
}

// ---------------------------------------------------------------------------------------------
// android-key (§8.4).

function verifyAndroidKey(ctx: AttestationContext, roots: X509Certificate[]): boolean {
  const { attStmt, authDataBytes } = ctx.response;
  const x5c = readX5c(attStmt.get('x5c'));
  if (x5c === null) return false;
  const leaf = x5c.certs[0]!;
  // Step 2: sig over authenticatorData || clientDataHash with x5c[0]'s key and alg.
  const signed = concatBytes(authDataBytes, ctx.clientDataHash);
  if (!verifyWithCoseAlg(attStmt.get('alg'), leaf.publicKey, signed, attStmt.get('sig'))) return false;
  // Step 3: x5c[0]'s key is the credential key.
  if (!equalBytes(spkiOf(leaf.publicKey), spkiOf(ctx.publicKey.key))) return false;
  // Step 4: the key description's attestationChallenge is clientDataHash, and neither
  // authorization list carries allApplications [600].
  const fields = readCertificateFields(x5c.der[0]!);
  const ext = fields?.extensions.get(OID_ANDROID_KEY_DESCRIPTION);
  if (ext === undefined) return false;
  const bytes = ext.value;
  const seq = readDer(bytes, 0, bytes.length);
  const parts = seq === null ? null : derChildren(bytes, seq);
  if (parts === null || parts.length < 8) return false;
  const challenge = parts[4]!;
  if (
    challenge.tag !== 4 ||
    !equalBytes(bytes.subarray(challenge.start, challenge.end), ctx.clientDataHash)
  ) {
    return false;
  }
  for (const list of [parts[6]!, parts[7]!]) {
    const entries = derChildren(bytes, list);
    if (entries === null || entries.some((e) => e.cls === 2 && e.tag === 600)) return false;
  }
  return chainsToRoot(x5c.certs, roots, ctx.now);
}

// ---------------------------------------------------------------------------------------------
// tpm (§8.3).

const TPM_ALG_HASH: Record<number, string> = {
  0x0004: 'sha1',
  0x000b: 'sha256',
  0x000c: 'sha384',
  0x000d: 'sha512',
};
const TPM_ECC_CURVE: Record<number, number> = { 0x0003: 1, 0x0004: 2, 0x0005: 3 }; // TPM curve -> COSE crv

/** A cursor over TPM structures (big-endian, TPM2B = u16 size + bytes). */
function tpmReader(bytes: Uint8Array) {
  let pos = 0;
  const need = (n: number): boolean => pos + n <= bytes.length;
  return {
    u16(): number | null {
      if (!need(2)) return null;
      pos += 2;
      return (bytes[pos - 2]! << 8) | bytes[pos - 1]!;
    },
    u32(): number | null {
      if (!need(4)) return null;
      pos += 4;
      return (
        ((bytes[pos - 4]! << 24) >>> 0) + (bytes[pos - 3]! << 16) + (bytes[pos - 2]! << 8) + bytes[pos - 1]!
      );
    },
    skip(n: number): boolean {
      if (!need(n)) return false;
      pos += n;
      return true;
    },
    sized(): Uint8Array | null {
      const n = this.u16();
      if (n === null || !need(n)) return null;
      pos += n;
      return bytes.subarray(pos - n, pos);
    },
    done: (): boolean => pos === bytes.length,
  };
}

function coseMap(ctx: AttestationContext): CborMap | null {
  const value = decodeCbor(ctx.response.authData.attestedCredentialData.credentialPublicKey);
  return value instanceof Map ? value : null;
}

/** pubArea (TPMT_PUBLIC) must describe the credential key (§8.3.2 step 2). */
function pubAreaMatches(pubArea: Uint8Array, cose: CborMap): number | null {
  const r = tpmReader(pubArea);
  const type = r.u16();
  const nameAlg = r.u16();
  if (type === null || nameAlg === null || r.u32() === null || r.sized() === null) return null;
  if (type === 0x0023) {
    // TPMS_ECC_PARMS: symmetric, scheme, curveID, kdf; then TPMS_ECC_POINT x, y.
    if (r.u16() === null || r.u16() === null) return null;
    const curve = r.u16();
    if (curve === null || r.u16() === null) return null;
    const x = r.sized();
    const y = r.sized();
    if (x === null || y === null || !r.done()) return null;
    const cx = cose.get(-2);
    const cy = cose.get(-3);
    const ok =
      cose.get(1) === 2 &&
      TPM_ECC_CURVE[curve] === cose.get(-1) &&
      cx instanceof Uint8Array &&
      cy instanceof Uint8Array &&
      equalBytes(x, cx) &&
      equalBytes(y, cy);
    return ok ? nameAlg : null;
  }
  if (type === 0x0001) {
    // TPMS_RSA_PARMS: symmetric, scheme, keyBits, exponent; then TPM2B n.
    if (r.u16() === null || r.u16() === null || r.u16() === null) return null;
    const exponent = r.u32();
    const n = r.sized();
    if (exponent === null || n === null || !r.done()) return null;
    const cn = cose.get(-1);
    const ce = cose.get(-2);
    if (cose.get(1) !== 3 || !(cn instanceof Uint8Array) || !(ce instanceof Uint8Array) || ce.length > 4)
      return null;
    const e = ce.reduce((acc, b) => acc * 256 + b, 0);
    return equalBytes(n, cn) && (exponent === 0 ? 65537 : exponent) === e ? nameAlg : null;
  }
  return null;
}

function verifyTpm(ctx: AttestationContext, roots: X509Certificate[]): boolean {
  const { attStmt, authDataBytes, authData } = ctx.response;
  const alg = attStmt.get('alg');
  const sig = attStmt.get('sig');
  const certInfo = attStmt.get('certInfo');
  const pubArea = attStmt.get('pubArea');
  // Step 1: ver "2.0" and the fields present.
  if (attStmt.get('ver') !== '2.0' || !(certInfo instanceof Uint8Array) || !(pubArea instanceof Uint8Array)) {
    return false;
  }
  const entry = findCoseAlgorithm(alg);
  if (entry === undefined) return false;
  // Step 2: pubArea is the credential public key.
  const cose = coseMap(ctx);
  const nameAlg = cose === null ? null : pubAreaMatches(pubArea, cose);
  const nameHash = nameAlg === null ? undefined : TPM_ALG_HASH[nameAlg];
  if (nameAlg === null || nameHash === undefined) return false;
  // Step 4: certInfo (TPMS_ATTEST).
  const r = tpmReader(certInfo);
  if (r.u32() !== 0xff544347 || r.u16() !== 0x8017) return false; // TPM_GENERATED_VALUE, TPM_ST_ATTEST_CERTIFY
  if (r.sized() === null) return false; // qualifiedSigner
  const extraData = r.sized();
  if (extraData === null || !r.skip(17 + 8)) return false; // clockInfo, firmwareVersion
  const name = r.sized();
  if (name === null || r.sized() === null || !r.done()) return false; // attested name, qualifiedName
  const hashName = SIGNATURE_ALGORITHMS[entry.signature].hash ?? 'sha256';
  const attToBeSigned = concatBytes(authDataBytes, ctx.clientDataHash);
  if (!equalBytes(extraData, createHash(hashName).update(attToBeSigned).digest())) return false;
  const expectedName = concatBytes(
    Uint8Array.of(nameAlg >> 8, nameAlg & 0xff),
    createHash(nameHash).update(pubArea).digest(),
  );
  if (!equalBytes(name, expectedName)) return false;
  // Step 3 / 5: the AIK certificate signs certInfo and meets §8.3.1.
  const x5c = readX5c(attStmt.get('x5c'));
  if (x5c === null) return false;
  const aik = x5c.certs[0]!;
  if (!(sig instanceof Uint8Array) || !verifySignature(entry.signature, aik.publicKey, certInfo, sig))
    return false;
  const fields = readCertificateFields(x5c.der[0]!);
  // §8.3.1: version 3, an empty subject (Node reports it as undefined), not a CA.
  if (fields === null || fields.version !== 3 || Boolean(aik.subject) || aik.ca) return false;
  const san = fields.extensions.get(OID_SUBJECT_ALT_NAME);
  if (san === undefined || Buffer.from(san.value).indexOf(Buffer.from(TPM_MANUFACTURER_OID_DER)) === -1)
    return false;
  if (!(aik.keyUsage ?? []).includes(OID_TPM_AIK_EKU)) return false;
  if (!aaguidExtensionMatches(x5c.der[0]!, authData.attestedCredentialData.aaguid)) return false;
  return chainsToRoot(x5c.certs, roots, ctx.now);
}
