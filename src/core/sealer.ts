import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from '../encoding/base64.js';
import { decodeHex } from '../encoding/hex.js';
import { SignetError } from '../errors/SignetError.js';

/**
 * Encrypts app secrets and token signing keys at rest (AES-256-GCM under the master key,
 * `SIGNET_MASTER_KEY`). A sealed value is `v1.<iv>.<ciphertext>.<tag>` in base64url; the
 * purpose (`app-secret`, `signing-key`) is bound as additional data, so one sealed value
 * cannot be replayed as the other.
 */
export interface Sealer {
  seal(plaintext: string, purpose: string): string;
  /**
   * Throws `SignetError('store_unavailable')` when the value was sealed under another key or was
   * changed: the server cannot use what it stored (a master key that is not the store's), which is
   * the operator's to fix, never the caller's fault, so requests answer 503 in the error shape.
   */
  open(sealed: string, purpose: string): string;
  /** A deterministic keyed MAC (base64url) under a key derived from the master key, e.g. for decoy ids. */
  mac(data: string): string;
}

/**
 * Turns the configured master key text into 32 key bytes: 64 hex characters or 43 base64url
 * characters are used as they are; any other text is treated as a passphrase and stretched with
 * scrypt (fixed salt: the result must be the same on every node).
 *
 * @example
 * const sealer = createSealer(deriveMasterKey(process.env.SIGNET_MASTER_KEY!));
 */
export function deriveMasterKey(text: string): Uint8Array {
  if (text.length === 0) throw new RangeError('the master key is empty');
  const hex = /^[0-9a-fA-F]{64}$/.test(text) ? decodeHex(text) : null;
  if (hex) return hex;
  const b64 = /^[A-Za-z0-9_-]{43}=?$/.test(text) ? decodeBase64Url(text.replace(/=$/, '')) : null;
  if (b64 && b64.length === 32) return b64;
  return scryptSync(text, 'signet-master-key-v1', 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 });
}

/** A fresh random master key in the text form `deriveMasterKey` reads directly. */
export function generateMasterKey(): string {
  return encodeBase64Url(randomBytes(32));
}

/** Builds a sealer from 32 key bytes. */
export function createSealer(key: Uint8Array): Sealer {
  if (key.length !== 32) throw new RangeError('the master key must be 32 bytes');
  const k = Buffer.from(key);
  const macKey = createHmac('sha256', k).update('signet-mac-key-v1').digest();
  return {
    mac(data) {
      return encodeBase64Url(createHmac('sha256', macKey).update(data, 'utf8').digest());
    },
    seal(plaintext, purpose) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      cipher.setAAD(Buffer.from(purpose, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', encodeBase64Url(iv), encodeBase64Url(ct), encodeBase64Url(cipher.getAuthTag())].join('.');
    },
    open(sealed, purpose) {
      const [version, ivText, ctText, tagText] = sealed.split('.');
      const iv = ivText === undefined ? null : decodeBase64Url(ivText);
      const ct = ctText === undefined ? null : decodeBase64Url(ctText);
      const tag = tagText === undefined ? null : decodeBase64Url(tagText);
      if (version !== 'v1' || !iv || !ct || !tag || iv.length !== 12 || tag.length !== 16) {
        throw new SignetError('store_unavailable', 'A stored secret is malformed.');
      }
      const decipher = createDecipheriv('aes-256-gcm', k, iv);
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      } catch {
        throw new SignetError(
          'store_unavailable',
          'A stored secret does not open with this master key (check SIGNET_MASTER_KEY).',
        );
      }
    },
  };
}
