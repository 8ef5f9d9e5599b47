import { encodeBase64Url } from '../encoding/base64.js';
import { SignetError } from '../errors/SignetError.js';
import type { App, Challenge } from '../store/types.js';
import type { Deps } from './deps.js';
import { randomAlphanumeric, randomId } from './ids.js';

export type LoginType = 'device' | 'webauthn' | 'eos' | 'eth';
export const LOGIN_TYPES: readonly LoginType[] = ['device', 'webauthn', 'eos', 'eth'];

/**
 * Issues a single-use challenge bound to the app, the scheme and (when given) the user
 * (docs/glossary.md "Challenge"). The value is 32 random bytes as base64url, except for `eth`,
 * whose challenge doubles as an EIP-4361 nonce and so is 32 alphanumeric characters.
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
    value: type === 'eth' ? randomAlphanumeric(deps.random, 32) : encodeBase64Url(deps.random(32)),
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
 * `challenge_unknown`; past its lifetime: `challenge_expired`.
 */
export async function consumeChallenge(
  deps: Deps,
  app: App,
  challengeId: string,
  type: Challenge['type'],
): Promise<Challenge> {
  const challenge = await deps.store.challenges.consume(app.id, challengeId);
  if (!challenge || challenge.type !== type) throw new SignetError('challenge_unknown');
  if (challenge.expiresAt <= deps.clock()) throw new SignetError('challenge_expired');
  return challenge;
}
