import type { X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { parseCertificate, parseCertificates, verifyCertificateChain } from '../../crypto/index.js';
import type { AuthenticatorMetadata } from './attestationPolicy.js';
import { FIDO_MDS_ROOT_PEM } from './fidoMdsRoot.js';

/**
 * The FIDO Metadata Service v3 BLOB (FIDO MDS 3.0 §3.1): a JWT whose header carries the signing
 * chain in `x5c`, signed RS256 or ES256, whose payload lists one entry per authenticator model
 * with its status reports and metadata statement. Verified in the order of §3.1.8: the chain to
 * the FIDO root, the signature, then the payload (signature first, then trust what it signs).
 */

/** Largest BLOB accepted (the real one is a few MB). */
export const MAX_METADATA_BLOB_BYTES = 32 * 1024 * 1024;

/** JWS algorithms the MDS signs with (MDS3 §3.1.7). */
const BLOB_ALGORITHMS = ['RS256', 'ES256'];

/** A verified BLOB. */
export interface MetadataBlob {
  /** The BLOB serial number; a newer BLOB has a larger one. */
  no: number;
  /** When to fetch the next BLOB (ms since the epoch, from `nextUpdate`). */
  nextUpdate: number;
  /** Entries by lowercase AAGUID (FIDO2 authenticators). */
  byAaguid: ReadonlyMap<string, AuthenticatorMetadata>;
  /** Entries by attestation certificate key identifier, lowercase hex (U2F authenticators). */
  byKeyIdentifier: ReadonlyMap<string, AuthenticatorMetadata>;
}

export type MetadataBlobResult = { ok: true; blob: MetadataBlob } | { ok: false; message: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The status of the report with the latest `effectiveDate` (a later report wins a tie). */
function latestStatus(reports: unknown): string | null | undefined {
  if (!Array.isArray(reports)) return undefined;
  let best: { date: string; status: string } | null = null;
  for (const r of reports) {
    if (!isObject(r) || typeof r['status'] !== 'string') return undefined;
    const date = r['effectiveDate'] === undefined ? '' : r['effectiveDate'];
    if (typeof date !== 'string' || (date !== '' && !DATE.test(date))) return undefined;
    if (best === null || date >= best.date) best = { date, status: r['status'] };
  }
  return best?.status ?? null;
}

/** One payload entry; `null` when a field Signet relies on is malformed. */
function parseEntry(
  entry: unknown,
): { aaguid: string | null; keyIds: string[]; meta: AuthenticatorMetadata } | null {
  if (!isObject(entry)) return null;
  const aaguid = entry['aaguid'];
  if (aaguid !== undefined && (typeof aaguid !== 'string' || !UUID.test(aaguid.toLowerCase()))) return null;
  const keyIds = entry['attestationCertificateKeyIdentifiers'] ?? [];
  if (!Array.isArray(keyIds) || !keyIds.every((k) => typeof k === 'string' && /^[0-9a-fA-F]{2,128}$/.test(k)))
    return null;
  const status = latestStatus(entry['statusReports']);
  if (status === undefined) return null;
  const statement = entry['metadataStatement'];
  const roots: Uint8Array[] = [];
  if (statement !== undefined) {
    if (!isObject(statement)) return null;
    const list = statement['attestationRootCertificates'] ?? [];
    if (!Array.isArray(list) || list.length > 64) return null;
    for (const item of list) {
      if (typeof item !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(item)) return null;
      roots.push(Buffer.from(item, 'base64'));
    }
  }
  return {
    aaguid: typeof aaguid === 'string' ? aaguid.toLowerCase() : null,
    keyIds: (keyIds as string[]).map((k) => k.toLowerCase()),
    meta: { status, attestationRoots: roots },
  };
}

/**
 * Verifies a FIDO MDS3 BLOB against the FIDO root (or the `roots` given, e.g. a test root) at
 * `now`, and indexes its entries by AAGUID. Never throws for bad input.
 *
 * @example
 * const result = await verifyMetadataBlob(await readFile('blob.jwt', 'utf8'), { now: Date.now() });
 * if (result.ok) result.blob.byAaguid.get(aaguid)?.status;
 */
export async function verifyMetadataBlob(
  jwt: string,
  options: { now: number; roots?: readonly (string | Uint8Array)[] },
): Promise<MetadataBlobResult> {
  const text = jwt.trim();
  if (text.length === 0 || text.length > MAX_METADATA_BLOB_BYTES) return { ok: false, message: 'size' };
  const anchors: X509Certificate[] = [];
  for (const r of options.roots ?? [FIDO_MDS_ROOT_PEM]) {
    const certs = typeof r === 'string' ? parseCertificates(r) : [parseCertificate(r)];
    if (certs === null || certs.some((c) => c === null))
      throw new TypeError('a metadata root does not parse');
    anchors.push(...(certs as X509Certificate[]));
  }
  // §3.1.8 steps 3-4: the signing chain from the header, anchored to the FIDO root.
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(text);
  } catch {
    return { ok: false, message: 'not a JWS' };
  }
  if (typeof header.alg !== 'string' || !BLOB_ALGORITHMS.includes(header.alg)) {
    return { ok: false, message: 'algorithm' };
  }
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > 5) return { ok: false, message: 'x5c' };
  const chain: X509Certificate[] = [];
  for (const item of x5c) {
    const cert = typeof item === 'string' ? parseCertificate(Buffer.from(item, 'base64')) : null;
    if (cert === null) return { ok: false, message: 'x5c certificate' };
    chain.push(cert);
  }
  if (!verifyCertificateChain(chain, anchors, options.now)) return { ok: false, message: 'chain' };
  // §3.1.8 step 5: the signature, with the leaf's key.
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(text, chain[0]!.publicKey, {
      algorithms: BLOB_ALGORITHMS,
    }));
  } catch {
    return { ok: false, message: 'signature' };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
  } catch {
    return { ok: false, message: 'payload' };
  }
  if (!isObject(payload)) return { ok: false, message: 'payload' };
  const { no, nextUpdate, entries } = payload;
  if (!Number.isSafeInteger(no) || (no as number) < 0) return { ok: false, message: 'no' };
  if (typeof nextUpdate !== 'string' || !DATE.test(nextUpdate)) return { ok: false, message: 'nextUpdate' };
  if (!Array.isArray(entries)) return { ok: false, message: 'entries' };
  const byAaguid = new Map<string, AuthenticatorMetadata>();
  const byKeyIdentifier = new Map<string, AuthenticatorMetadata>();
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (parsed === null) return { ok: false, message: 'entry' };
    if (parsed.aaguid !== null) byAaguid.set(parsed.aaguid, parsed.meta);
    for (const id of parsed.keyIds) byKeyIdentifier.set(id, parsed.meta);
  }
  return {
    ok: true,
    blob: { no: no as number, nextUpdate: Date.parse(`${nextUpdate}T00:00:00Z`), byAaguid, byKeyIdentifier },
  };
}
