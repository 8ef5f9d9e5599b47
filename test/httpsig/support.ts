import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HttpSigRequest } from '../../src/schemes/httpsig/index.js';

export interface Rfc9421Vectors {
  request: HttpSigRequest & { headers: Record<string, string>; body: string };
  keys: {
    'test-shared-secret': { secretBase64: string };
    'test-key-ed25519': { privateKeyPem: string; publicKeyPem: string };
  };
  signatures: {
    section: string;
    name: string;
    label: string;
    keyid: 'test-shared-secret' | 'test-key-ed25519';
    signatureInput: string;
    signature: string;
    base: string;
  }[];
  contentDigest: { body: string; 'sha-256': string; 'sha-512': string }[];
}

export const vectors = JSON.parse(
  readFileSync(new URL('../vectors/httpsig/rfc9421.json', import.meta.url), 'utf8'),
) as Rfc9421Vectors;

export const sharedSecret = new Uint8Array(
  Buffer.from(vectors.keys['test-shared-secret'].secretBase64, 'base64'),
);
export const edPrivate: KeyObject = createPrivateKey(vectors.keys['test-key-ed25519'].privateKeyPem);
export const edPublic: KeyObject = createPublicKey(vectors.keys['test-key-ed25519'].publicKeyPem);
