import { X509Certificate, type KeyObject } from 'node:crypto';

/**
 * X.509 path validation for attestation chains and the FIDO Metadata Service BLOB, over
 * `node:crypto`'s `X509Certificate` (RFC 5280 §6.1, the parts an attestation chain needs):
 * each certificate is signed by the next one, every certificate on the path (the anchor too)
 * is valid at `now`, every issuer is a CA (basicConstraints cA), and the path ends at a
 * configured trust anchor. Name constraints, policies and revocation lists are not processed:
 * attestation chains do not use them, and revocation comes from the FIDO Metadata Service.
 */

/** Longest path accepted, leaf and anchor included. */
export const MAX_CHAIN_LENGTH = 8;

/**
 * Parses a certificate from PEM text or DER bytes; `null` when it is not one.
 *
 * @example
 * const root = parseCertificate(readFileSync('root.pem', 'utf8'));
 */
export function parseCertificate(input: Uint8Array | string): X509Certificate | null {
  try {
    return new X509Certificate(typeof input === 'string' ? input : Buffer.from(input));
  } catch {
    return null;
  }
}

/**
 * Splits PEM text holding one or more `CERTIFICATE` blocks into certificates; `null` when the
 * text holds none or any block does not parse.
 *
 * @example
 * const anchors = parseCertificates(readFileSync('roots.pem', 'utf8'));
 */
export function parseCertificates(pem: string): X509Certificate[] | null {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (blocks === null) return null;
  const out: X509Certificate[] = [];
  for (const block of blocks) {
    const cert = parseCertificate(block);
    if (cert === null) return null;
    out.push(cert);
  }
  return out;
}

function validAt(cert: X509Certificate, now: number): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return Number.isFinite(from) && Number.isFinite(to) && from <= now && now <= to;
}

function signedBy(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

/** `issuer` issued `cert`: names match, the issuer is a CA, and its key verifies the signature. */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return issuer.ca && cert.checkIssued(issuer) && signedBy(cert, issuer.publicKey);
}

/**
 * Whether `chain` (leaf first, as in x5c) is a valid path to one of `anchors` at `now`. The
 * chain may hold the anchor itself, or stop below it. Bad input is `false`, never an exception.
 *
 * @example
 * if (!verifyCertificateChain(x5c, anchors, clock())) return fail('attestation_untrusted');
 */
export function verifyCertificateChain(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  now: number,
): boolean {
  if (chain.length === 0 || chain.length >= MAX_CHAIN_LENGTH || anchors.length === 0) return false;
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    if (!validAt(cert, now)) return false;
    // A configured anchor reached on the path: trusted from here (RFC 5280 §6.1: the anchor's
    // own signature is not part of the path). Compared as DER bytes, not by name.
    if (anchors.some((a) => a.raw.equals(cert.raw))) return true;
    const anchor = anchors.find((a) => validAt(a, now) && issuedBy(cert, a));
    if (anchor !== undefined) return true;
    const next = chain[i + 1];
    if (next === undefined || !issuedBy(cert, next)) return false;
  }
  return false;
}
