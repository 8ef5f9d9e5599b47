// Attestation trust (WebAuthn L3 §7.1 steps 22-23): X.509 path validation to configured anchors,
// the FIDO MDS3 BLOB verifier, and the shipped FIDO MDS root. Certificates and BLOBs are made in
// the test (attestationFixtures.ts); the real root is data in test/vectors/fido-mds/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifyCertificateChain } from '../../src/crypto/index.js';
import { verifyMetadataBlob } from '../../src/schemes/webauthn/metadataBlob.js';
import { FIDO_MDS_ROOT_PEM } from '../../src/schemes/webauthn/fidoMdsRoot.js';
import * as x509 from '@peculiar/x509';
import {
  attestationKeyIdentifier,
  formatAaguid,
  parseRegistrationResponse,
  REFUSED_AUTHENTICATOR_STATUSES,
  verifyRegistration,
} from '../../src/schemes/webauthn/index.js';
import { makeAttestationHierarchy, makeCert, makeMetadataBlob } from './attestationFixtures.js';
import {
  findW3cExample,
  hexToBase64url,
  w3cRegistrationJson,
  W3C_ROOT_DER,
  W3C_VECTOR_NOW,
} from '../support/webauthnVectors.js';

const x = (c: { der: Uint8Array }) => new X509Certificate(Buffer.from(c.der));
const now = Date.now();
const DAY = 86_400_000;
const AAGUID = '0bb4ba35-0f7a-4f59-9c4b-3a5b3d1f0c11';

test('a chain leaf -> intermediate anchors to its root, with or without the root in the chain', async () => {
  const { root, intermediate, leaf } = await makeAttestationHierarchy();
  assert.equal(verifyCertificateChain([x(leaf), x(intermediate)], [x(root)], now), true);
  assert.equal(verifyCertificateChain([x(leaf), x(intermediate), x(root)], [x(root)], now), true);
  // An intermediate configured as the anchor is enough.
  assert.equal(verifyCertificateChain([x(leaf), x(intermediate)], [x(intermediate)], now), true);
});

test('a chain is refused: another root, a missing link, no anchors, out of validity', async () => {
  const { root, intermediate, leaf } = await makeAttestationHierarchy();
  const other = await makeAttestationHierarchy('Other');
  assert.equal(verifyCertificateChain([x(leaf), x(intermediate)], [x(other.root)], now), false);
  assert.equal(verifyCertificateChain([x(leaf)], [x(root)], now), false); // intermediate missing
  assert.equal(verifyCertificateChain([x(leaf), x(intermediate)], [], now), false);
  assert.equal(verifyCertificateChain([x(leaf), x(intermediate)], [x(root)], now + 2 * 365 * DAY), false);
  assert.equal(verifyCertificateChain([x(leaf), x(intermediate)], [x(root)], now - 2 * 365 * DAY), false);
  // A chain from another hierarchy whose names are the same ("Test") does not verify by name alone.
  const twin = await makeAttestationHierarchy();
  assert.equal(verifyCertificateChain([x(leaf), x(twin.intermediate)], [x(twin.root)], now), false);
});

test('an intermediate that is not a CA cannot issue, and neither can a leaf', async () => {
  const root = await makeCert({ subject: 'CN=Root', ca: true });
  const notCa = await makeCert({ subject: 'CN=Not a CA', issuer: root, ca: false });
  const leaf = await makeCert({ subject: 'CN=Leaf', issuer: notCa, ca: false });
  assert.equal(verifyCertificateChain([x(notCa)], [x(root)], now), true);
  assert.equal(verifyCertificateChain([x(leaf), x(notCa)], [x(root)], now), false);
});

test('an expired intermediate breaks the chain', async () => {
  const root = await makeCert({ subject: 'CN=Root', ca: true });
  const expired = await makeCert({
    subject: 'CN=Old CA',
    issuer: root,
    ca: true,
    notBefore: new Date(now - 20 * DAY),
    notAfter: new Date(now - DAY),
  });
  const leaf = await makeCert({ subject: 'CN=Leaf', issuer: expired, ca: false });
  assert.equal(verifyCertificateChain([x(leaf), x(expired)], [x(root)], now), false);
  assert.equal(verifyCertificateChain([x(leaf), x(expired)], [x(root)], now - 10 * DAY), true);
});

test('MDS3 BLOB: verified against its root, entries indexed, latest status read', async () => {
  const root = await makeCert({ subject: 'CN=Test MDS Root', ca: true });
  const signer = await makeCert({ subject: 'CN=mds.test', issuer: root, ca: false });
  const jwt = await makeMetadataBlob({
    signer,
    entries: [{ aaguid: AAGUID, status: 'REVOKED', roots: [root] }],
  });
  const result = await verifyMetadataBlob(jwt, { now, roots: [root.pem] });
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.equal(result.blob.no, 1);
  assert.equal(result.blob.byAaguid.get(AAGUID)?.status, 'REVOKED');
  assert.deepEqual([...result.blob.byAaguid.get(AAGUID)!.attestationRoots[0]!], [...root.der]);
});

test('MDS3 BLOB: refused when the chain does not reach the root, or the signature is wrong', async () => {
  const root = await makeCert({ subject: 'CN=Test MDS Root', ca: true });
  const signer = await makeCert({ subject: 'CN=mds.test', issuer: root, ca: false });
  const jwt = await makeMetadataBlob({ signer, entries: [{ aaguid: AAGUID, status: 'FIDO_CERTIFIED' }] });
  // The default root is the real FIDO one: a BLOB signed under a test root does not verify.
  assert.deepEqual(await verifyMetadataBlob(jwt, { now }), { ok: false, message: 'chain' });
  const otherRoot = await makeCert({ subject: 'CN=Test MDS Root', ca: true });
  assert.deepEqual(await verifyMetadataBlob(jwt, { now, roots: [otherRoot.pem] }), {
    ok: false,
    message: 'chain',
  });
  // A payload swapped under the same header and signature.
  const [h, , s] = jwt.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ no: 2, nextUpdate: '2099-01-01', entries: [] })).toString('base64url')}.${s}`;
  assert.deepEqual(await verifyMetadataBlob(forged, { now, roots: [root.pem] }), {
    ok: false,
    message: 'signature',
  });
  // A signer whose certificate is not the one in x5c.
  const impostor = await makeCert({ subject: 'CN=mds.test', issuer: root, ca: false });
  const wrongKey = await makeMetadataBlob({
    signer: { ...signer, privateKey: impostor.privateKey },
    entries: [],
  });
  assert.deepEqual(await verifyMetadataBlob(wrongKey, { now, roots: [root.pem] }), {
    ok: false,
    message: 'signature',
  });
  assert.deepEqual(await verifyMetadataBlob('not a jwt', { now, roots: [root.pem] }), {
    ok: false,
    message: 'not a JWS',
  });
});

test('the shipped FIDO MDS root is GlobalSign Root CA - R3, byte for byte the vector file', () => {
  const vector = readFileSync(new URL('../vectors/fido-mds/globalsign-root-r3.pem', import.meta.url), 'utf8');
  const shipped = new X509Certificate(FIDO_MDS_ROOT_PEM);
  assert.equal(shipped.raw.equals(new X509Certificate(vector).raw), true);
  assert.equal(
    createHash('sha256').update(shipped.raw).digest('hex'),
    'cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b',
  );
  assert.equal(shipped.ca, true);
  assert.equal(shipped.subject, 'OU=GlobalSign Root CA - R3\nO=GlobalSign\nCN=GlobalSign');
  assert.equal(shipped.verify(shipped.publicKey), true); // self-signed
});

// The W3C WebAuthn L3 test vectors (test/vectors/webauthn/): real packed, tpm, fido-u2f and
// android-key statements whose x5c chains end at the W3C test attestation root.
function vector(info: string) {
  const e = findW3cExample(info, 'registration');
  const parsed = parseRegistrationResponse(w3cRegistrationJson(e));
  assert.ok(parsed.ok);
  return {
    response: parsed.value,
    expected: {
      challenge: hexToBase64url(e.challenge!),
      origins: ['https://example.org'],
      rpId: 'example.org',
      requireUserVerification: false,
    },
    now: W3C_VECTOR_NOW,
    // android-key's statement check needs its root too (the library-free verifier's own rule).
    trustedRoots: info.startsWith('android-key') ? [W3C_ROOT_DER] : [],
  };
}

test('W3C vectors: packed, tpm, fido-u2f and android-key chains anchor to the configured root, and only to it', async () => {
  const stranger = (await makeCert({ subject: 'CN=Stranger Root', ca: true })).pem;
  for (const info of ['packed.ES256', 'packed.RS256', 'tpm.ES256', 'fido-u2f.ES256', 'android-key.ES256']) {
    for (const attestation of ['direct', 'enterprise'] as const) {
      const anchored = await verifyRegistration({
        ...vector(info),
        policy: { attestation, anchors: [W3C_ROOT_DER] },
      });
      assert.equal(anchored.ok, true, `${info} ${attestation}: ${anchored.ok ? '' : anchored.code}`);
      const unanchored = await verifyRegistration({
        ...vector(info),
        policy: { attestation, anchors: [stranger] },
      });
      assert.deepEqual(unanchored, { ok: false, code: 'attestation_untrusted' }, `${info} ${attestation}`);
    }
    // none / indirect: the statement's signatures are checked, the chain need not anchor.
    const indirect = await verifyRegistration({
      ...vector(info),
      policy: { attestation: 'indirect', anchors: [] },
    });
    assert.equal(indirect.ok, true, info);
    // The AAGUID deny-list and the metadata status apply whatever the conveyance.
    const aaguid = formatAaguid(vector(info).response.authData.attestedCredentialData.aaguid);
    assert.deepEqual(
      await verifyRegistration({
        ...vector(info),
        policy: { attestation: 'none', anchors: [], aaguidDeny: [aaguid] },
      }),
      { ok: false, code: 'aaguid_refused' },
      info,
    );
    for (const status of REFUSED_AUTHENTICATOR_STATUSES) {
      const policy = {
        attestation: 'none' as const,
        anchors: [],
        metadata: (a: string) => (a === aaguid ? { status, attestationRoots: [] } : undefined),
      };
      assert.deepEqual(
        await verifyRegistration({ ...vector(info), policy }),
        { ok: false, code: 'authenticator_revoked' },
        `${info} ${status}`,
      );
    }
    // The metadata statement's roots anchor the chain of their own AAGUID.
    const viaMetadata = await verifyRegistration({
      ...vector(info),
      policy: {
        attestation: 'direct',
        anchors: [],
        metadata: (a: string) =>
          a === aaguid ? { status: 'FIDO_CERTIFIED_L2', attestationRoots: [W3C_ROOT_DER] } : undefined,
      },
    });
    assert.equal(viaMetadata.ok, true, `${info} via metadata`);
  }
});

test('W3C vectors: none and self attestation are attestation_required under direct and enterprise', async () => {
  for (const info of ['none.ES256', 'packed-self.ES256']) {
    for (const attestation of ['direct', 'enterprise'] as const) {
      assert.deepEqual(
        await verifyRegistration({ ...vector(info), policy: { attestation, anchors: [W3C_ROOT_DER] } }),
        { ok: false, code: 'attestation_required' },
        `${info} ${attestation}`,
      );
    }
    assert.equal(
      (await verifyRegistration({ ...vector(info), policy: { attestation: 'none', anchors: [] } })).ok,
      true,
    );
  }
});

test('U2F: the MDS entry is found by the attestation certificate key identifier (RFC 5280 method 1)', async () => {
  // The identifier Signet computes equals the subjectKeyIdentifier @peculiar/x509 computes by method 1.
  const made = await makeCert({ subject: 'CN=U2F', ca: false, ski: true });
  const ski = made.cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
  assert.equal(attestationKeyIdentifier(x(made)), ski);
  const other = await makeCert({ subject: 'CN=U2F', ca: false, ski: true });
  assert.notEqual(attestationKeyIdentifier(x(other)), ski, 'another key: another identifier');

  const v = vector('fido-u2f.ES256');
  const leaf = new X509Certificate(Buffer.from((v.response.attStmt.get('x5c') as Uint8Array[])[0]!));
  const keyId = attestationKeyIdentifier(leaf)!;
  assert.match(keyId, /^[0-9a-f]{40}$/);
  const byKey = (status: string) => ({
    attestation: 'direct' as const,
    anchors: [],
    metadata: () => undefined,
    metadataByKeyIdentifier: (id: string) =>
      id === keyId ? { status, attestationRoots: [W3C_ROOT_DER] } : undefined,
  });
  assert.deepEqual(await verifyRegistration({ ...v, policy: byKey('REVOKED') }), {
    ok: false,
    code: 'authenticator_revoked',
  });
  assert.equal((await verifyRegistration({ ...v, policy: byKey('FIDO_CERTIFIED') })).ok, true);

  // And the BLOB indexes attestationCertificateKeyIdentifiers.
  const root = await makeCert({ subject: 'CN=Test MDS Root', ca: true });
  const signer = await makeCert({ subject: 'CN=mds.test', issuer: root, ca: false });
  const jwt = await makeMetadataBlob({
    signer,
    entries: [{ aaguid: AAGUID, status: 'REVOKED', keyIds: [keyId.toUpperCase()] }],
  });
  const result = await verifyMetadataBlob(jwt, { now, roots: [root.pem] });
  assert.equal(result.ok && result.blob.byKeyIdentifier.get(keyId)?.status, 'REVOKED');
});
