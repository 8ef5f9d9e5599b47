import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/**
 * Inputs for the single-thread rows, made fresh each run from keys generated here: every row
 * verifies a valid signature (the common case a server sees), and each compared pair gets the
 * very same bytes.
 */

/** A device challenge as the server issues it (docs/api.md: the signed message is this string). */
export const CHALLENGE = 'h1Vv3Lr8VqfX0dM2bPZ1xK7sWnYc9QeA4tRjGoHuIiE';

export interface KeyedSignature {
  publicKey: KeyObject;
  publicPem: string;
  message: Uint8Array;
  signature: Uint8Array;
}

function keyed(type: 'rsa' | 'ec' | 'ed25519', sigAlg: string | null, options: object): KeyedSignature {
  const pair = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
  const message = new Uint8Array(Buffer.from(CHALLENGE, 'utf8'));
  return {
    publicKey: pair.publicKey,
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    message,
    signature: new Uint8Array(sign(sigAlg, message, pair.privateKey)),
  };
}

/** RSA-2048 PKCS#1 v1.5 SHA-256 over the challenge (`my.bioMetrics.createSignature`). */
export function rsaDeviceFixture(): KeyedSignature {
  return keyed('rsa', 'sha256', { modulusLength: 2048 });
}

/** ECDSA P-256 SHA-256, DER signature (Android keystore, Secure Enclave through SecKey). */
export function p256DeviceFixture(): KeyedSignature {
  return keyed('ec', 'sha256', { namedCurve: 'P-256' });
}

/** Ed25519 over the challenge (WebAuthn -8, Signet's own token keys). */
export function ed25519Fixture(): KeyedSignature {
  return keyed('ed25519', null, {});
}

/** A minimal CBOR encoding of a COSE EC2 P-256 key (RFC 9053 section 7.1.1), as authenticators send it. */
function coseEc2Key(x: Uint8Array, y: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0xa5, // map(5)
    0x01,
    0x02, // kty: EC2
    0x03,
    0x26, // alg: -7 (ES256)
    0x20,
    0x01, // crv: P-256
    0x21,
    0x58,
    0x20,
    ...x, // x: bstr(32)
    0x22,
    0x58,
    0x20,
    ...y, // y: bstr(32)
  ]);
}

export interface WebAuthnFixture {
  /** AuthenticationResponseJSON, as `PublicKeyCredential.toJSON()` gives it. */
  response: {
    id: string;
    rawId: string;
    type: 'public-key';
    response: { clientDataJSON: string; authenticatorData: string; signature: string };
    clientExtensionResults: Record<string, never>;
    authenticatorAttachment: 'platform';
  };
  /** The credential as stored: base64url id, the COSE key bytes, the last counter. */
  credentialId: string;
  cosePublicKey: Uint8Array<ArrayBuffer>;
  publicKey: KeyObject;
  counter: number;
  challenge: string;
  origin: string;
  rpId: string;
}

/** An ES256 passkey assertion (WebAuthn L3 section 7.2) with UP and UV set and counter 1 over a stored 0. */
export function webauthnFixture(): WebAuthnFixture {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const x = new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
  const y = new Uint8Array(Buffer.from(jwk.y as string, 'base64url'));
  const rpId = 'example.org';
  const origin = 'https://example.org';
  const challenge = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64url');
  const credentialId = Buffer.from('bench-credential-0001').toString('base64url');
  const clientDataJSON = Buffer.from(
    JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }),
    'utf8',
  );
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(1);
  const authenticatorData = Buffer.concat([
    createHash('sha256').update(rpId).digest(),
    Buffer.from([0x05]), // UP | UV
    counter,
  ]);
  const signed = Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]);
  const signature = sign('sha256', signed, privateKey);
  return {
    response: {
      id: credentialId,
      rawId: credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    },
    credentialId,
    cosePublicKey: coseEc2Key(x, y),
    publicKey,
    counter: 0,
    challenge,
    origin,
    rpId,
  };
}

/** The Tiniapp vector of seed 004 / docs/api.md (POST body `{"id":123}`). */
export const TINIAPP_VECTOR = {
  clientId: 'RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W',
  secret: 'EhjGcsUUuRSJTHiYPbW5fxzyaKEx0JuAZIKRQ4HnIfNFidB2kMg6locQbTIEz3Vf',
  timestamp: '1620621619569',
  body: '{"id":123}',
  signature: '8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2',
} as const;

/**
 * The headers of a signed POST of the vector as Node hands them to a server (lowercase names),
 * with the usual others around the three `x-tiniapp-*` ones.
 */
export function tiniappHeaders(): Record<string, string> {
  return {
    host: 'signet.example:8080',
    'user-agent': 'node',
    accept: '*/*',
    'accept-encoding': 'gzip, deflate',
    connection: 'keep-alive',
    'content-type': 'application/json',
    'content-length': String(TINIAPP_VECTOR.body.length),
    'x-tiniapp-timestamp': TINIAPP_VECTOR.timestamp,
    'x-tiniapp-client-id': TINIAPP_VECTOR.clientId,
    'x-tiniapp-signature': TINIAPP_VECTOR.signature,
  };
}

/** A sign-in message of realistic length, for the wallet rows. */
export const WALLET_MESSAGE = `Sign in to example.org\nnonce: ${CHALLENGE}`;
