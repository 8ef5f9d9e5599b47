import { keccak_256 } from '@noble/hashes/sha3.js';

/**
 * Sign-In with Ethereum (EIP-4361) in the page, through an injected EIP-1193 provider
 * (`window.ethereum`). The message is built here so that its domain and URI are the page's own
 * origin, which Signet checks against the app's origins, and its nonce is Signet's challenge.
 */

/** The one method of an EIP-1193 provider this module calls. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** The fields of an EIP-4361 message, as `createSiweMessage` writes them. */
export interface SiweFields {
  /** `host[:port]` of the page (the EIP's `domain`). */
  domain: string;
  /** EIP-55 mixed case; `createSiweMessage` checksums a lowercase address. */
  address: string;
  statement?: string;
  /** The page's URI (its origin is checked against the app's origins). */
  uri: string;
  chainId: number;
  /** Signet's challenge for an `eth` login (alphanumeric, at least 8 characters). */
  nonce: string;
  /** RFC 3339; defaults to now. */
  issuedAt?: string;
  expirationTime?: string;
  notBefore?: string;
  requestId?: string;
  resources?: string[];
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The EIP-55 checksummed spelling of an address (wallets such as MetaMask answer in lowercase,
 * and EIP-4361 requires the checksummed form).
 *
 * @example
 * toChecksumAddress('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed') // '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
 */
export function toChecksumAddress(address: string): string {
  if (typeof address !== 'string' || !ADDRESS.test(address))
    throw new TypeError('address must be 0x and 40 hex digits');
  const lower = address.slice(2).toLowerCase();
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out;
}

/**
 * Writes an EIP-4361 message ("Message Format" of the EIP).
 *
 * @example
 * createSiweMessage({ domain: location.host, address, uri: location.origin, chainId: 1, nonce: challenge })
 */
export function createSiweMessage(fields: SiweFields): string {
  if (!/^[A-Za-z0-9]{8,}$/.test(fields.nonce))
    throw new TypeError('nonce must be alphanumeric, at least 8 characters');
  if (!Number.isSafeInteger(fields.chainId) || fields.chainId < 1)
    throw new TypeError('chainId must be a positive integer');
  if (fields.statement !== undefined && /\n/.test(fields.statement))
    throw new TypeError('statement must be one line');
  const lines = [
    `${fields.domain} wants you to sign in with your Ethereum account:`,
    toChecksumAddress(fields.address),
    '',
  ];
  if (fields.statement !== undefined) lines.push(fields.statement, '');
  else lines.push('');
  lines.push(
    `URI: ${fields.uri}`,
    'Version: 1',
    `Chain ID: ${fields.chainId}`,
    `Nonce: ${fields.nonce}`,
    `Issued At: ${fields.issuedAt ?? new Date().toISOString()}`,
  );
  if (fields.expirationTime !== undefined) lines.push(`Expiration Time: ${fields.expirationTime}`);
  if (fields.notBefore !== undefined) lines.push(`Not Before: ${fields.notBefore}`);
  if (fields.requestId !== undefined) lines.push(`Request ID: ${fields.requestId}`);
  if (fields.resources !== undefined) {
    lines.push('Resources:');
    for (const r of fields.resources) lines.push(`- ${r}`);
  }
  return lines.join('\n');
}

function utf8Hex(text: string): string {
  let hex = '0x';
  for (const b of new TextEncoder().encode(text)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** The wallet's first account (asks the user to connect when needed), EIP-55 checksummed. */
export async function requestAccount(provider: Eip1193Provider): Promise<string> {
  const accounts = await provider.request({ method: 'eth_requestAccounts' });
  const first = Array.isArray(accounts) ? accounts[0] : undefined;
  if (typeof first !== 'string' || !ADDRESS.test(first)) throw new Error('the wallet returned no account');
  return toChecksumAddress(first);
}

/** A signed Sign-In with Ethereum message, ready for `POST /v1/verify` `{ type: 'eth', ... }`. */
export interface SiweProof {
  address: string;
  message: string;
  signature: string;
}

/**
 * Asks the wallet to sign a Sign-In with Ethereum message whose nonce is `nonce` (Signet's `eth`
 * challenge), for the page's own origin, on the wallet's current chain unless `chainId` is given.
 *
 * @example
 * const { challengeId, challenge } = await signet.challenge('eth');
 * const proof = await signSiweMessage(window.ethereum, { nonce: challenge });
 * await signet.verify({ type: 'eth', challengeId, ...proof });
 */
export async function signSiweMessage(
  provider: Eip1193Provider,
  input: {
    nonce: string;
    chainId?: number;
    statement?: string;
    domain?: string;
    uri?: string;
    expirationTime?: string;
  },
): Promise<SiweProof> {
  const address = await requestAccount(provider);
  let chainId = input.chainId;
  if (chainId === undefined) {
    const hex = await provider.request({ method: 'eth_chainId' });
    chainId = typeof hex === 'string' && /^0x[0-9a-fA-F]{1,13}$/.test(hex) ? Number.parseInt(hex, 16) : 1;
  }
  const message = createSiweMessage({
    domain: input.domain ?? location.host,
    address,
    uri: input.uri ?? location.origin,
    chainId,
    nonce: input.nonce,
    ...(input.statement !== undefined ? { statement: input.statement } : {}),
    ...(input.expirationTime !== undefined ? { expirationTime: input.expirationTime } : {}),
  });
  const signature = await provider.request({ method: 'personal_sign', params: [utf8Hex(message), address] });
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new Error('the wallet returned no 65-byte signature');
  }
  return { address, message, signature };
}
