export {
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
  type Base64Options,
} from './base64.js';
export { decodeHex, encodeHex } from './hex.js';
export { decodeBase58, encodeBase58 } from './base58.js';
export { utf8Bytes, utf8Text, concatBytes, equalBytes } from './bytes.js';
export { canonicalizeJson, JCS_MAX_DEPTH } from './jcs.js';
