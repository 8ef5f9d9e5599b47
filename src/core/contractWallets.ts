import { decodeHex, utf8Bytes } from '../encoding/index.js';
import { fail, type ReasonCode, type Verified } from '../errors/codes.js';
import { SignetError } from '../errors/SignetError.js';
import {
  encodeIsValidSignatureCall,
  encodeUniversalValidation,
  hashPersonalMessage,
  isEip6492Signature,
  MAX_CONTRACT_SIGNATURE_BYTES,
  parseSiweMessage,
  readIsValidSignatureAnswer,
  readUniversalValidationAnswer,
  verifyPersonalSign,
  verifySiwe,
  verifySiweClaims,
  type EthAddress,
} from '../schemes/eth/index.js';
import type { App } from '../store/types.js';
import type { Deps } from './deps.js';

/**
 * Ethereum sign-in for key wallets and contract wallets. An EOA's `personal_sign` signature is
 * checked by ECDSA recovery, with no I/O. When recovery does not give the address (a smart
 * account signs with its owner's key, or with a signature that is not 65 bytes at all) and the
 * app has an Ethereum JSON-RPC (`settings.ethRpc`), the wallet itself is asked, by `eth_call`:
 * - EIP-1271: `isValidSignature(hash, signature)` on the address; only the magic value
 *   0x1626ba7e accepts;
 * - EIP-6492: a signature ending with the 6492 suffix (a wallet not deployed yet) is checked by
 *   the EIP's `ValidateSigOffchain` creation code, which deploys the wallet inside the call and
 *   asks it (the call changes no chain state).
 * `hash` is the EIP-191 personal-message hash of what was signed (the challenge, or the SIWE
 * message text), as wallets' `signMessage` produce. The RPC is trusted for these answers
 * (docs/security.md "Contract wallets").
 */

/** True for the reasons a 503 from the app's Ethereum RPC carries (audited, not the client's fault). */
export function isRpcFailure(
  reason: ReasonCode | undefined,
): reason is 'rpc_unavailable' | 'rpc_answer_invalid' {
  return reason === 'rpc_unavailable' || reason === 'rpc_answer_invalid';
}

/** The JSON-RPC request `eth_call` for `{ to?, data }` at the latest block. */
function ethCallRequest(call: { to?: EthAddress; data: string }): unknown {
  return { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [call, 'latest'] };
}

/** A JSON-RPC error that means "the call reverted": the wallet refused. */
function isRevert(error: Record<string, unknown>): boolean {
  return error['code'] === 3 || (typeof error['message'] === 'string' && /revert/i.test(error['message']));
}

/**
 * One `eth_call` through the app's RPC. The answer's `result` is returned; a revert is `null`
 * (a refusal). An RPC that does not answer (down, time-out, HTTP error) throws
 * `store_unavailable` with reason `rpc_unavailable`; a JSON-RPC error other than a revert, or an
 * answer that is not JSON-RPC, throws `store_unavailable` with reason `rpc_answer_invalid`:
 * neither is the signer's fault, and neither is ever a 500.
 */
async function ethCall(deps: Deps, rpc: string, call: { to?: EthAddress; data: string }): Promise<unknown> {
  let answer: unknown;
  try {
    answer = await deps.chainFetch(rpc, ethCallRequest(call));
  } catch (e) {
    throw new SignetError('store_unavailable', "The app's Ethereum RPC did not answer.", {
      reason: 'rpc_unavailable',
      cause: e,
    });
  }
  const malformed = (why: string) =>
    new SignetError('store_unavailable', `The app's Ethereum RPC answered badly: ${why}.`, {
      reason: 'rpc_answer_invalid',
    });
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer))
    throw malformed('not an object');
  const o = answer as Record<string, unknown>;
  const error = o['error'];
  if (typeof error === 'object' && error !== null && !Array.isArray(error)) {
    if (isRevert(error as Record<string, unknown>)) return null;
    throw malformed(`error ${String((error as Record<string, unknown>)['code']).slice(0, 20)}`);
  }
  if (!('result' in o)) throw malformed('no result');
  return o['result'];
}

/**
 * Asks the contract wallet at `address` whether `signature` signs `hash` (EIP-1271, or
 * EIP-6492 when the signature carries the suffix). `false` for a refusal, a revert or an address
 * with no code; throws `store_unavailable` (see {@link ethCall}) when the RPC fails.
 *
 * @example
 * await isValidContractSignature(deps, 'http://127.0.0.1:8545', wallet, hash, signature) // true
 */
export async function isValidContractSignature(
  deps: Deps,
  rpc: string,
  address: EthAddress,
  hash: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (isEip6492Signature(signature)) {
    const result = await ethCall(deps, rpc, { data: encodeUniversalValidation(address, hash, signature) });
    return result !== null && requireVerdict(readUniversalValidationAnswer(result), 'not 0x00/0x01');
  }
  const result = await ethCall(deps, rpc, { to: address, data: encodeIsValidSignatureCall(hash, signature) });
  return result !== null && requireVerdict(readIsValidSignatureAnswer(result), 'not hex');
}

/**
 * A contract's answer read as a verdict; one that reads as neither is the RPC's fault, not the
 * signer's: `store_unavailable` (reason `rpc_answer_invalid`), never a quiet `false`.
 */
function requireVerdict(valid: boolean | null, expected: string): boolean {
  if (valid === null) {
    throw new SignetError('store_unavailable', `The app's Ethereum RPC answered badly: ${expected}.`, {
      reason: 'rpc_answer_invalid',
    });
  }
  return valid;
}

/** An `eth` login or registration proof: `personal_sign` over the challenge, or a SIWE message. */
export interface EthProofInput {
  /** The credential's address, lowercase. */
  address: EthAddress;
  signature: string;
  /** The SIWE message, or `null` for `personal_sign` over the challenge itself. */
  message: string | null;
  /** The issued challenge. */
  nonce: string;
}

/**
 * Verifies an `eth` proof for the app: ECDSA first; then, when that fails with
 * `signature_invalid` and the app has an Ethereum RPC, the contract wallet (signature first,
 * then the SIWE claims). A wallet that refuses is `contract_signature_invalid`.
 *
 * @example
 * const result = await verifyEthProof(deps, app, { address, signature, message: null, nonce });
 */
export async function verifyEthProof(
  deps: Deps,
  app: App,
  input: EthProofInput,
): Promise<Verified<{ contract: boolean }>> {
  const expected = {
    address: input.address,
    origins: app.origins,
    nonce: input.nonce,
    // An empty setting means any chain (verifySiwe reads `[]` as none).
    ...(app.settings.ethChainIds.length > 0 ? { chainIds: app.settings.ethChainIds } : {}),
    now: deps.clock(),
  };
  const ecdsa =
    input.message === null
      ? verifyPersonalSign(input.address, utf8Bytes(input.nonce), input.signature)
      : verifySiwe({ message: input.message, signature: input.signature, expected });
  if (ecdsa.ok) return { ok: true, contract: false };
  const rpc = app.settings.ethRpc ?? null;
  if (ecdsa.code !== 'signature_invalid' || rpc === null) return ecdsa;

  const signature = decodeHex(input.signature, {
    allowPrefix: true,
    maxLength: 2 * MAX_CONTRACT_SIGNATURE_BYTES,
  });
  if (signature === null || signature.length === 0) return fail('signature_invalid');
  if (input.message !== null) {
    // Only the wallet the proof names is asked (the message parsed: verifySiwe got past it).
    const fields = parseSiweMessage(input.message);
    if (!fields.ok) return fail('message_invalid');
    if (fields.value.address.toLowerCase() !== input.address) return fail('address_mismatch');
  }
  const signed = utf8Bytes(input.message ?? input.nonce);
  const valid = await isValidContractSignature(
    deps,
    rpc,
    input.address,
    hashPersonalMessage(signed),
    signature,
  );
  if (!valid) return fail('contract_signature_invalid');
  if (input.message !== null) {
    const claims = verifySiweClaims({ message: input.message, expected });
    if (!claims.ok) return claims;
  }
  return { ok: true, contract: true };
}
