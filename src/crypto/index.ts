export { sha256, ripemd160, keccak256 } from './hash.js';
export { SIGNATURE_ALGORITHMS, verifySignature, type SignatureAlgorithm } from './algorithms.js';
export {
  importSpki,
  importPkcs1,
  importPem,
  importJwk,
  importEcPoint,
  rsaModulusBits,
  MIN_RSA_BITS,
} from './keys.js';
export { checkPublicKeyPolicy, MAX_RSA_BITS, type KeyPolicyResult } from './keyPolicy.js';
export {
  secp256k1,
  nativeSecp256k1,
  nobleSecp256k1,
  secp256k1Verify,
  secp256k1Recover,
  secp256k1SignatureFromDer,
  secp256k1ConvertKey,
  isHighS,
  type Secp256k1Backend,
} from './secp256k1.js';
export { hmacSha256, hmacSha256Hex, equalHexMac } from './hmac.js';
export {
  parseCertificate,
  parseCertificates,
  verifyCertificateChain,
  MAX_CHAIN_LENGTH,
} from './certificateChain.js';
