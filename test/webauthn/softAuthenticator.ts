// A software authenticator for the tests: node:crypto keys that produce fresh WebAuthn assertions
// (WebAuthn L3 §6.3.3 authenticatorGetAssertion, in the JSON form a browser's toJSON() gives).
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { loadCredentialPublicKey, type CredentialPublicKey } from '../../src/schemes/webauthn/index.js';

export const ALGS = { ES256: -7, RS256: -257, EdDSA: -8, ES384: -35, PS256: -37 } as const;
export type AlgName = keyof typeof ALGS;

export interface SoftCredential {
  alg: AlgName;
  id: Uint8Array;
  idB64: string;
  privateKey: KeyObject;
  publicKey: CredentialPublicKey;
  /** The COSE_Key bytes (for @simplewebauthn/server). */
  cose: Uint8Array;
}

const keyPairs = new Map<AlgName, { privateKey: KeyObject; publicKey: KeyObject }>();

function keyPair(alg: AlgName): { privateKey: KeyObject; publicKey: KeyObject } {
  let pair = keyPairs.get(alg);
  if (pair === undefined) {
    // RSA keys are slow to make: one per algorithm for the whole run.
    if (alg === 'ES256') pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    else if (alg === 'ES384') pair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    else if (alg === 'EdDSA') pair = generateKeyPairSync('ed25519');
    else pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyPairs.set(alg, pair);
  }
  return pair;
}

// Minimal CBOR encoder for COSE keys (integer keys, integer or byte-string values).
function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  return [(major << 5) | 25, n >> 8, n & 0xff];
}
function cborInt(n: number): number[] {
  return n >= 0 ? head(0, n) : head(1, -1 - n);
}
export function encodeCoseKey(entries: [number, number | Uint8Array][]): Uint8Array {
  const out: number[] = head(5, entries.length);
  for (const [k, v] of entries) {
    out.push(...cborInt(k));
    if (typeof v === 'number') out.push(...cborInt(v));
    else out.push(...head(2, v.length), ...v);
  }
  return Uint8Array.from(out);
}

function coseOf(alg: AlgName, publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const b = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s!, 'base64url'));
  if (alg === 'ES256' || alg === 'ES384') {
    return encodeCoseKey([
      [1, 2],
      [3, ALGS[alg]],
      [-1, alg === 'ES256' ? 1 : 2],
      [-2, b(jwk.x)],
      [-3, b(jwk.y)],
    ]);
  }
  if (alg === 'EdDSA') {
    return encodeCoseKey([
      [1, 1],
      [3, -8],
      [-1, 6],
      [-2, b(jwk.x)],
    ]);
  }
  return encodeCoseKey([
    [1, 3],
    [3, ALGS[alg]],
    [-1, b(jwk.n)],
    [-2, b(jwk.e)],
  ]);
}

export function makeCredential(alg: AlgName, idByte = 1): SoftCredential {
  const { privateKey, publicKey } = keyPair(alg);
  const id = new Uint8Array(16).fill(idByte);
  const loaded = loadCredentialPublicKey({
    alg: ALGS[alg],
    spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64url'),
  });
  if (!loaded.ok) throw new Error(loaded.message);
  return {
    alg,
    id,
    idB64: Buffer.from(id).toString('base64url'),
    privateKey,
    publicKey: loaded.value,
    cose: coseOf(alg, publicKey),
  };
}

export function signWith(cred: SoftCredential, data: Uint8Array): Uint8Array {
  if (cred.alg === 'EdDSA') return sign(null, data, cred.privateKey);
  if (cred.alg === 'PS256') {
    return sign('sha256', data, {
      key: cred.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
  }
  return sign(cred.alg === 'ES384' ? 'sha384' : 'sha256', data, cred.privateKey);
}

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10 } as const;

export interface AssertionOptions {
  challenge: Uint8Array;
  origin?: string;
  rpId?: string;
  type?: string;
  flags?: number;
  counter?: number;
  userHandle?: Uint8Array;
  crossOrigin?: boolean;
  topOrigin?: string;
}

export interface AssertionJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: string;
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
}

/** Builds and signs an assertion, the way a browser and an authenticator would. */
export function assert(cred: SoftCredential, o: AssertionOptions): AssertionJSON {
  const clientData: Record<string, unknown> = {
    type: o.type ?? 'webauthn.get',
    challenge: Buffer.from(o.challenge).toString('base64url'),
    origin: o.origin ?? 'https://example.org',
    crossOrigin: o.crossOrigin ?? false,
  };
  if (o.topOrigin !== undefined) clientData.topOrigin = o.topOrigin;
  const cdj = Buffer.from(JSON.stringify(clientData), 'utf8');
  const authData = Buffer.alloc(37);
  createHash('sha256')
    .update(o.rpId ?? 'example.org')
    .digest()
    .copy(authData, 0);
  authData[32] = o.flags ?? FLAG.UP | FLAG.UV;
  authData.writeUInt32BE(o.counter ?? 0, 33);
  const signed = Buffer.concat([authData, createHash('sha256').update(cdj).digest()]);
  const signature = signWith(cred, signed);
  return {
    id: cred.idB64,
    rawId: cred.idB64,
    type: 'public-key',
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: cdj.toString('base64url'),
      authenticatorData: authData.toString('base64url'),
      signature: Buffer.from(signature).toString('base64url'),
      ...(o.userHandle !== undefined ? { userHandle: Buffer.from(o.userHandle).toString('base64url') } : {}),
    },
  };
}

/** Flips one byte (xor mask) of a base64url field. */
export function flip(b64: string, index: number, mask = 0x01): string {
  const bytes = Buffer.from(b64, 'base64url');
  bytes[index % bytes.length]! ^= mask;
  return bytes.toString('base64url');
}

function cborText(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [...head(3, b.length), ...b];
}

export interface RegistrationOptions {
  challenge: Uint8Array;
  origin?: string;
  rpId?: string;
  flags?: number;
  counter?: number;
}

/**
 * Builds a RegistrationResponseJSON with attestation `none` (WebAuthn L3 §6.3.2
 * authenticatorMakeCredential, §8.7), as a browser's `PublicKeyCredential.toJSON()` gives it.
 */
export function register(cred: SoftCredential, o: RegistrationOptions) {
  const clientData = {
    type: 'webauthn.create',
    challenge: Buffer.from(o.challenge).toString('base64url'),
    origin: o.origin ?? 'https://example.org',
    crossOrigin: false,
  };
  const cdj = Buffer.from(JSON.stringify(clientData), 'utf8');
  const fixed = Buffer.alloc(37);
  createHash('sha256')
    .update(o.rpId ?? 'example.org')
    .digest()
    .copy(fixed, 0);
  fixed[32] = o.flags ?? FLAG.UP | FLAG.UV | 0x40; // AT: attested credential data follows
  fixed.writeUInt32BE(o.counter ?? 0, 33);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(cred.id.length);
  const authData = Buffer.concat([fixed, Buffer.alloc(16), idLength, cred.id, cred.cose]);
  const attestationObject = Uint8Array.from([
    ...head(5, 3),
    ...cborText('fmt'),
    ...cborText('none'),
    ...cborText('attStmt'),
    ...head(5, 0),
    ...cborText('authData'),
    ...head(2, authData.length),
    ...authData,
  ]);
  return {
    id: cred.idB64,
    rawId: cred.idB64,
    type: 'public-key' as const,
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: cdj.toString('base64url'),
      attestationObject: Buffer.from(attestationObject).toString('base64url'),
      transports: ['internal'],
    },
  };
}
