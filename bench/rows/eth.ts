import { Wallet, verifyMessage } from 'ethers';
import { verifyPersonalSign } from '../../src/schemes/eth/index.js';
import { WALLET_MESSAGE } from '../fixtures.js';
import type { MicroRow } from './types.js';

/**
 * Ethereum EIP-191 `personal_sign`: from the 65-byte hex signature and the message bytes to
 * "was it this address". Both sides parse the hex signature, hash the prefixed message with
 * Keccak-256, recover the secp256k1 public key, derive its address and compare it with the
 * expected one (ethers returns the EIP-55 checksummed address; Signet checks the expected
 * address's checksum). Signet recovers through libsecp256k1, ethers through @noble/curves.
 */
export function ethRow(): MicroRow {
  const wallet = Wallet.createRandom();
  const message = new Uint8Array(Buffer.from(WALLET_MESSAGE, 'utf8'));
  const signature = wallet.signMessageSync(message);
  const address = wallet.address;
  return {
    id: 'eth-eip191',
    title: 'Ethereum EIP-191 recover',
    work: 'parse hex signature, keccak256 of the prefixed message, recover, address, compare',
    signet: {
      label: 'Signet',
      run: () => verifyPersonalSign(address, message, signature),
      check: (r) => (r as { ok: boolean }).ok === true,
    },
    peer: {
      label: 'ethers',
      run: () => verifyMessage(message, signature) === address,
      check: (r) => r === true,
    },
    target: { against: 'peer', min: 20 },
  };
}
