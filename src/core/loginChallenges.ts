import { decodeBase64Url, encodeBase64Url } from '../encoding/base64.js';
import { SignetError } from '../errors/SignetError.js';
import { authenticationOptions } from '../schemes/webauthn/index.js';
import type { App } from '../store/types.js';
import { issueChallenge, LOGIN_TYPES, type LoginType } from './challenges.js';
import { checkUserId } from './users.js';
import type { Deps } from './deps.js';
import { requireRpId } from './apps.js';
import { parseTransaction, transactionChallengeData } from './transactions.js';

/**
 * Credential-id lengths (bytes) of common authenticators: Android and Google Password Manager
 * 16, Apple 20, Windows Hello 32, security keys 64.
 */
const DECOY_ID_LENGTHS = [16, 20, 32, 64] as const;

/**
 * The `allowCredentials` id that stands in for a user without a passkey (WebAuthn L3 §14.6.2,
 * username enumeration): stable for the app and user (MACs under the master key), and as long
 * as a common authenticator's id, the length picked by the MAC, so that the length of the answer
 * does not tell a decoy from a real passkey. (A fixed 32-byte decoy did: a 16- or 20-byte id
 * meant a user with a passkey.) Two or more ids still mean a real user: docs/security.md.
 *
 * @example
 * decoyCredentialIds(deps, app.id, 'nobody') // ['q3v…'] (16, 20, 32 or 64 bytes, base64url)
 */
export function decoyCredentialIds(deps: Pick<Deps, 'sealer'>, appId: string, userId: string): string[] {
  const bytes = new Uint8Array(64);
  bytes.set(decodeBase64Url(deps.sealer.mac(`decoy:${appId}:${userId}`)) as Uint8Array, 0);
  bytes.set(decodeBase64Url(deps.sealer.mac(`decoy:${appId}:${userId}:tail`)) as Uint8Array, 32);
  const pick = decodeBase64Url(deps.sealer.mac(`decoy:${appId}:${userId}:length`)) as Uint8Array;
  const length = DECOY_ID_LENGTHS[(pick[0] as number) % DECOY_ID_LENGTHS.length] as number;
  return [encodeBase64Url(bytes.subarray(0, length))];
}

export interface IssuedChallenge {
  challengeId: string;
  challenge: string;
  expiresAt: number;
  options?: Record<string, unknown>;
  /** A transaction challenge: base64url(SHA-256(JCS(transaction))), which the challenge ends with. */
  txn?: string;
}

/**
 * `POST /v1/challenges`: a login challenge. Issued the same way whether or not the user exists
 * (docs/api.md): for a webauthn challenge naming a user with no passkey, `allowCredentials`
 * holds a decoy id derived from the user id under the master key, stable across calls and as
 * long as a real authenticator's ({@link decoyCredentialIds}), so the answer does not reveal who
 * has a passkey. With a `transaction` (a JSON object of at most
 * 4 KiB canonical, `parseTransaction`) the challenge is bound to it: stored with its hash, its
 * value committing to the hash (`challengeValue`), completed only by a `/v1/verify` naming the
 * same transaction.
 */
export async function issueLoginChallenge(
  deps: Deps,
  app: App,
  type: unknown,
  userIdInput: unknown,
  transactionInput?: unknown,
): Promise<IssuedChallenge> {
  if (typeof type !== 'string' || !(LOGIN_TYPES as readonly string[]).includes(type)) {
    throw new SignetError('invalid_request', `type must be one of ${LOGIN_TYPES.join(', ')}`);
  }
  const userId = userIdInput === undefined ? null : checkUserId(userIdInput);
  // Checked before the challenge is stored: a refused request leaves nothing behind.
  const rpId = type === 'webauthn' ? requireRpId(app) : null;
  let data: Record<string, unknown> | null = null;
  if (transactionInput !== undefined) {
    const tx = parseTransaction(transactionInput);
    if (!tx.ok) throw new SignetError('invalid_request', tx.message);
    data = { ...transactionChallengeData(tx.value) };
  }
  const challenge = await issueChallenge(deps, app, type as LoginType, userId, data);
  const issued: IssuedChallenge = {
    challengeId: challenge.id,
    challenge: challenge.value,
    expiresAt: challenge.expiresAt,
    ...(data !== null ? { txn: data['txn'] as string } : {}),
  };
  if (rpId !== null) {
    let allow: string[] | undefined;
    if (userId !== null) {
      const passkeys = (await deps.store.credentials.listByUser(app.id, userId)).filter(
        (c) => c.type === 'webauthn',
      );
      allow = passkeys.length > 0 ? passkeys.map((c) => c.id) : decoyCredentialIds(deps, app.id, userId);
    }
    issued.options = authenticationOptions({
      rpId,
      challenge: challenge.value,
      ...(allow ? { allowCredentials: allow.map((id) => ({ id, type: 'public-key' as const })) } : {}),
      userVerification: app.settings.requireUserVerification ? 'required' : 'preferred',
      timeout: app.settings.challengeTtlMs,
    }) as unknown as Record<string, unknown>;
  }
  return issued;
}
