import { verify } from 'node:crypto';
import { verifySignature } from '../../src/crypto/index.js';
import { ed25519Fixture } from '../fixtures.js';
import type { MicroRow } from './types.js';

/**
 * Ed25519 through Signet's algorithm table (`verifySignature('EdDSA', ...)`: what WebAuthn -8
 * credentials and Signet's own EdDSA token keys go through) against one-shot `crypto.verify`
 * with the same cached KeyObject.
 */
export function ed25519Row(): MicroRow {
  const f = ed25519Fixture();
  return {
    id: 'ed25519',
    title: 'Ed25519 verify',
    work: 'Ed25519 verify of the challenge with a cached KeyObject',
    signet: {
      label: 'Signet',
      run: () => verifySignature('EdDSA', f.publicKey, f.message, f.signature),
      check: (r) => r === true,
    },
    reference: {
      label: 'node:crypto',
      run: () => verify(null, f.message, f.publicKey, f.signature),
      check: (r) => r === true,
    },
    target: { against: 'reference', min: 0.95 },
  };
}
