// Certificates, packed attestations and FIDO MDS3 BLOBs made in the test: a CA hierarchy built
// with @peculiar/x509 over WebCrypto, attestation statements signed with node:crypto, and BLOBs
// signed as JWS with jose. Nothing here is trusted by Signet unless a test configures it.
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CompactSign } from 'jose';
import type { SoftCredential } from './softAuthenticator.js';

x509.cryptoProvider.set(webcrypto as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCert {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  der: Uint8Array;
  pem: string;
  /** The private key as a node KeyObject (for node:crypto sign). */
  privateKey: KeyObject;
}

let serial = 1;

/**
 * Makes a certificate: self-signed when `issuer` is absent. `ca` sets basicConstraints cA.
 * `notBefore` / `notAfter` default to a year around now.
 */
export async function makeCert(o: {
  subject: string;
  issuer?: TestCert;
  ca: boolean;
  notBefore?: Date;
  notAfter?: Date;
  extensions?: x509.Extension[];
  /** Add a subjectKeyIdentifier (RFC 5280 method 1). */
  ski?: boolean;
}): Promise<TestCert> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(o.ca, undefined, true),
    ...(o.extensions ?? []),
  ];
  if (o.ca) extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true));
  if (o.ski) extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    subject: o.subject,
    issuer: o.issuer ? o.issuer.cert.subject : o.subject,
    notBefore: o.notBefore ?? new Date(Date.now() - 365 * DAY),
    notAfter: o.notAfter ?? new Date(Date.now() + 365 * DAY),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: o.issuer ? o.issuer.keys.privateKey : keys.privateKey,
    extensions,
  });
  return {
    cert,
    keys,
    der: new Uint8Array(cert.rawData),
    pem: cert.toString('pem'),
    privateKey: KeyObject.from(keys.privateKey),
  };
}

/** A root, an intermediate and an attestation leaf (packed §8.2.1 subject). */
export async function makeAttestationHierarchy(name = 'Test'): Promise<{
  root: TestCert;
  intermediate: TestCert;
  leaf: TestCert;
}> {
  const root = await makeCert({ subject: `CN=${name} Attestation Root,O=${name}`, ca: true });
  const intermediate = await makeCert({
    subject: `CN=${name} Attestation CA,O=${name}`,
    issuer: root,
    ca: true,
  });
  const leaf = await makeCert({
    subject: `C=VN,O=${name},OU=Authenticator Attestation,CN=${name} Key`,
    issuer: intermediate,
    ca: false,
  });
  return { root, intermediate, leaf };
}

// A minimal CBOR encoder: maps with text keys, text, byte strings, integers, arrays.
type Cbor = number | string | Uint8Array | Cbor[] | Map<string, Cbor>;
function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  if (n < 65536) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}
export function encodeCbor(v: Cbor): number[] {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return [...head(3, b.length), ...b];
  }
  if (v instanceof Uint8Array) return [...head(2, v.length), ...v];
  if (Array.isArray(v)) return [...head(4, v.length), ...v.flatMap(encodeCbor)];
  return [...head(5, v.size), ...[...v].flatMap(([k, x]) => [...encodeCbor(k), ...encodeCbor(x)])];
}

export function aaguidBytes(uuid: string): Uint8Array {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/**
 * A RegistrationResponseJSON with a packed attestation (WebAuthn L3 §8.2): `x5c` signed by
 * `attestationKey`, or self attestation (the credential key signs) when `x5c` is absent, or
 * `fmt: none` when `none` is set.
 */
export function packedRegistration(
  cred: SoftCredential,
  o: {
    challenge: string;
    origin: string;
    rpId: string;
    aaguid: string;
    x5c?: Uint8Array[];
    attestationKey?: KeyObject;
    none?: boolean;
  },
) {
  const clientDataJSON = Buffer.from(
    JSON.stringify({ type: 'webauthn.create', challenge: o.challenge, origin: o.origin, crossOrigin: false }),
  );
  const fixed = Buffer.alloc(37);
  createHash('sha256').update(o.rpId).digest().copy(fixed, 0);
  fixed[32] = 0x01 | 0x04 | 0x40; // UP, UV, AT
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(cred.id.length);
  const authData = Buffer.concat([fixed, aaguidBytes(o.aaguid), idLength, cred.id, cred.cose]);
  const signed = Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
  let fmt = 'packed';
  const attStmt = new Map<string, Cbor>();
  if (o.none) {
    fmt = 'none';
  } else if (o.x5c) {
    attStmt.set('alg', -7);
    attStmt.set('sig', sign('sha256', signed, o.attestationKey!));
    attStmt.set('x5c', o.x5c);
  } else {
    attStmt.set('alg', -7);
    attStmt.set('sig', sign('sha256', signed, cred.privateKey));
  }
  const attestationObject = Uint8Array.from(
    encodeCbor(
      new Map<string, Cbor>([
        ['fmt', fmt],
        ['attStmt', attStmt],
        ['authData', authData],
      ]),
    ),
  );
  return {
    id: cred.idB64,
    rawId: cred.idB64,
    type: 'public-key' as const,
    clientExtensionResults: {},
    authenticatorAttachment: 'cross-platform',
    response: {
      clientDataJSON: clientDataJSON.toString('base64url'),
      attestationObject: Buffer.from(attestationObject).toString('base64url'),
      transports: ['usb'],
    },
  };
}

/**
 * A FIDO MDS3 BLOB (FIDO MDS 3.0 §3.1.6): a JWS, ES256, whose header x5c is `[signer, ...chain]`.
 */
export async function makeMetadataBlob(o: {
  signer: TestCert;
  chain?: TestCert[];
  no?: number;
  nextUpdate?: string;
  entries: { aaguid: string; status: string; roots?: TestCert[]; keyIds?: string[] }[];
}): Promise<string> {
  const payload = {
    legalHeader: 'test BLOB, made in the test',
    no: o.no ?? 1,
    nextUpdate: o.nextUpdate ?? new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10),
    entries: o.entries.map((e) => ({
      aaguid: e.aaguid,
      ...(e.keyIds ? { attestationCertificateKeyIdentifiers: e.keyIds } : {}),
      metadataStatement: {
        aaguid: e.aaguid,
        description: 'test authenticator',
        attestationRootCertificates: (e.roots ?? []).map((r) => Buffer.from(r.der).toString('base64')),
      },
      statusReports: [
        { status: 'FIDO_CERTIFIED_L1', effectiveDate: '2024-01-01' },
        { status: e.status, effectiveDate: '2025-06-01' },
      ],
      timeOfLastStatusChange: '2025-06-01',
    })),
  };
  const x5c = [o.signer, ...(o.chain ?? [])].map((c) => Buffer.from(c.der).toString('base64'));
  return new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
    .sign(o.signer.privateKey);
}
