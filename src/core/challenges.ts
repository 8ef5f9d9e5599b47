import { decodeBase64Url, encodeBase64Url } from '../encoding/base64.js';
import { SignetError } from '../errors/SignetError.js';
import type { App, Challenge } from '../store/types.js';
import type { Deps } from './deps.js';
import { randomAlphanumeric, randomId } from './ids.js';
import { readBoundTransaction } from './transactions.js';

export type LoginType = 'device' | 'webauthn' | 'eos' | 'eth';
export const LOGIN_TYPES: readonly LoginType[] = ['device', 'webauthn', 'eos', 'eth'];

/**
 * The value of a challenge. Plain: 32 random bytes as base64url, or for `eth` (whose challenge
 * doubles as an EIP-4361 nonce) 32 alphanumeric characters. A transaction challenge commits to
 * the transaction's hash `txn` (its SHA-256), so whatever signs the challenge signs the
 * transaction too: base64url(32 random bytes ‖ SHA-256) (86 characters) for device, webauthn and
 * eos, and for eth 22 alphanumeric characters followed by the SHA-256 in lowercase hex (86
 * alphanumeric characters, still a valid SIWE nonce). A wallet or phone holding the transaction
 * checks the tail before it signs (docs/protocols.md "Signed transactions").
 */
export function challengeValue(
  deps: Pick<Deps, 'random'>,
  type: Challenge['type'],
  txn: string | null,
): string {
  if (txn === null)
    return type === 'eth' ? randomAlphanumeric(deps.random, 32) : encodeBase64Url(deps.random(32));
  const hash = decodeBase64Url(txn);
  if (hash === null || hash.length !== 32)
    throw new TypeError('challengeValue: txn must be a base64url SHA-256');
  if (type === 'eth') return randomAlphanumeric(deps.random, 22) + Buffer.from(hash).toString('hex');
  const bytes = new Uint8Array(64);
  bytes.set(deps.random(32), 0);
  bytes.set(hash, 32);
  return encodeBase64Url(bytes);
}

/**
 * Issues a single-use challenge bound to the app, the scheme and (when given) the user
 * (docs/glossary.md "Challenge"), its value made by {@link challengeValue}: 32 random bytes as
 * base64url, except for `eth`, whose challenge doubles as an EIP-4361 nonce and so is
 * alphanumeric; when `data` holds a bound transaction (`transactionChallengeData`) the value
 * commits to its hash.
 *
 * @example
 * const ch = await issueChallenge(deps, app, 'device', 'user-1');
 */
export async function issueChallenge(
  deps: Deps,
  app: App,
  type: Challenge['type'],
  userId: string | null,
  data: Record<string, unknown> | null = null,
): Promise<Challenge> {
  const challenge: Challenge = {
    id: randomId(deps.random, 'ch'),
    appId: app.id,
    type,
    value: challengeValue(deps, type, typeof data?.['txn'] === 'string' ? data['txn'] : null),
    userId,
    data,
    expiresAt: deps.clock() + app.settings.challengeTtlMs,
  };
  await deps.store.challenges.put(challenge);
  return challenge;
}

/**
 * Consumes a challenge: it is gone after this call whatever the outcome of the verification
 * that follows (docs/api.md). Unknown, already used, or issued for another scheme:
 * `challenge_unknown`; past its lifetime: `challenge_expired`. `txn` is the transaction hash
 * the caller completes (null: a plain login or registration): a transaction challenge
 * completes only its own transaction and a plain challenge none, else `verification_failed`
 * with the reason `transaction_mismatch`; a challenge whose stored transaction does not match
 * its stored hash completes nothing (`challenge_unknown`).
 */
export async function consumeChallenge(
  deps: Deps,
  app: App,
  challengeId: string,
  type: Challenge['type'],
  txn: string | null = null,
): Promise<Challenge> {
  return checkChallenge(deps, await deps.store.challenges.consume(app.id, challengeId), type, txn);
}

/**
 * The checks {@link consumeChallenge} makes on a challenge it got, for a challenge got another
 * way (a login reads it with `store.logins.claim` and consumes it in its unit of work).
 *
 * @example
 * const challenge = checkChallenge(deps, await deps.store.logins.claim(app.id, id), 'device', null);
 */
export function checkChallenge(
  deps: Deps,
  challenge: Challenge | null,
  type: Challenge['type'],
  txn: string | null = null,
): Challenge {
  if (!challenge || challenge.type !== type) throw new SignetError('challenge_unknown');
  if (challenge.expiresAt <= deps.clock()) throw new SignetError('challenge_expired');
  const bound = readBoundTransaction(challenge.data);
  if (bound === 'invalid') throw new SignetError('challenge_unknown');
  if ((bound?.txn ?? null) !== txn)
    throw new SignetError('verification_failed', undefined, { reason: 'transaction_mismatch' });
  return challenge;
}
