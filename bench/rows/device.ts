import { verify } from 'node:crypto';
import { parseDevicePublicKey, verifyDeviceSignature } from '../../src/schemes/device/index.js';
import { p256DeviceFixture, rsaDeviceFixture, type KeyedSignature } from '../fixtures.js';
import type { MicroRow } from './types.js';

function deviceRow(id: string, title: string, f: KeyedSignature, work: string): MicroRow {
  // The key is parsed once, from the PEM a phone would register, as the server's key cache does.
  const parsed = parseDevicePublicKey(f.publicPem);
  if (!parsed.ok) throw new Error(`bench: ${id} fixture key does not parse`);
  const key = parsed.value;
  return {
    id,
    title,
    work,
    signet: {
      label: 'Signet',
      run: () => verifyDeviceSignature(key, f.message, f.signature),
      check: (r) => (r as { ok: boolean }).ok === true,
    },
    reference: {
      label: 'node:crypto',
      run: () => verify('sha256', f.message, f.publicKey, f.signature),
      check: (r) => r === true,
    },
    target: { against: 'reference', min: 0.95 },
  };
}

/** RSA-2048 PKCS#1 v1.5 SHA-256 device signature: Signet's verifier against one-shot `crypto.verify`, both with a cached key. */
export function rsaDeviceRow(): MicroRow {
  return deviceRow(
    'device-rsa2048',
    'RSA-2048 device verify',
    rsaDeviceFixture(),
    'RSASSA-PKCS1-v1_5 SHA-256 verify of the challenge bytes with a cached key',
  );
}

/** ECDSA P-256 SHA-256 device signature (DER), same comparison. */
export function p256DeviceRow(): MicroRow {
  return deviceRow(
    'device-p256',
    'P-256 device verify',
    p256DeviceFixture(),
    'ECDSA P-256 SHA-256 (DER) verify of the challenge bytes with a cached key',
  );
}
