import { Bytes, PrivateKey, PublicKey, Signature } from '@wharfkit/antelope';
import { parseEosPublicKey, verifyEosSignature } from '../../src/schemes/eos/index.js';
import { WALLET_MESSAGE } from '../fixtures.js';
import type { MicroRow } from './types.js';

/**
 * EOS K1 message verification. Both sides hold the account's public key already parsed (a
 * server parses it once, when the credential is loaded) and get the message bytes and the
 * `SIG_K1_...` text as a login request carries it: each call parses the signature text
 * (base58 + RIPEMD-160 checksum), hashes the message with SHA-256 and verifies secp256k1.
 */
export function eosRow(): MicroRow {
  const privateKey = PrivateKey.generate('K1');
  const message = Bytes.from(WALLET_MESSAGE, 'utf8');
  const signatureText = privateKey.signMessage(message).toString();
  const wharfKey = PublicKey.from(privateKey.toPublic().toString());
  const parsed = parseEosPublicKey(wharfKey.toString());
  if (!parsed.ok) throw new Error('bench: EOS fixture key does not parse');
  const signetKey = parsed.value;
  const messageBytes = new Uint8Array(message.array);
  return {
    id: 'eos-k1',
    title: 'EOS K1 verify',
    work: 'parse SIG_K1_ text, SHA-256(message), secp256k1 verify against a parsed key',
    signet: {
      label: 'Signet',
      run: () => verifyEosSignature(signetKey, messageBytes, signatureText),
      check: (r) => (r as { ok: boolean }).ok === true,
    },
    peer: {
      label: '@wharfkit/antelope',
      run: () => Signature.from(signatureText).verifyMessage(message, wharfKey),
      check: (r) => r === true,
    },
    target: { against: 'peer', min: 20 },
  };
}
