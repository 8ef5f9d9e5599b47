import { SignetError } from '../errors/SignetError.js';
import {
  parseRegistrationResponse,
  registrationOptions,
  verifyRegistration,
} from '../schemes/webauthn/index.js';
import type { App, Credential } from '../store/types.js';
import { recordAttempt } from './audit.js';
import { notifyCredentialCreated } from './appWebhooks.js';
import { consumeChallenge, issueChallenge } from './challenges.js';
import { MAX_CREDENTIALS_PER_USER } from './credentials.js';
import { checkNewUserId, userHandleFor } from './users.js';
import { requireRpId } from './apps.js';
import { attestationConveyance, attestationPolicyFor } from './passkeyPolicy.js';
import type { Deps } from './deps.js';

export { userHandleFor };

/** `POST /v1/webauthn/registration/options` (server API). */
export async function startPasskeyRegistration(
  deps: Deps,
  app: App,
  input: { userId: unknown; userName: unknown; displayName?: unknown },
): Promise<{ challengeId: string; options: Record<string, unknown> }> {
  const userId = checkNewUserId(input.userId);
  const userName = input.userName;
  if (typeof userName !== 'string' || userName.length < 1 || userName.length > 256) {
    throw new SignetError('invalid_request', 'userName must be 1-256 characters');
  }
  const displayName = typeof input.displayName === 'string' ? input.displayName : userName;
  const rpId = requireRpId(app);
  const existing = (await deps.store.credentials.listByUser(app.id, userId)).filter(
    (c) => c.type === 'webauthn',
  );
  const challenge = await issueChallenge(deps, app, 'webauthn-registration', userId, {
    userName,
    displayName,
  });
  const options = registrationOptions({
    rpId,
    rpName: app.name,
    userId: userHandleFor(userId),
    userName,
    displayName,
    challenge: challenge.value,
    excludeCredentials: existing.map((c) => ({
      id: c.id,
      transports: Array.isArray(c.publicKey['transports']) ? (c.publicKey['transports'] as string[]) : [],
    })),
    userVerification: app.settings.requireUserVerification ? 'required' : 'preferred',
    timeout: app.settings.challengeTtlMs,
    attestation: attestationConveyance(app),
  });
  return { challengeId: challenge.id, options: options as unknown as Record<string, unknown> };
}

/**
 * `POST /v1/webauthn/registration/verify` (server API): consumes the registration challenge,
 * verifies the attestation and stores the passkey. The precise reason of a refusal is in the
 * answer (server API) and the audit log.
 */
export async function finishPasskeyRegistration(
  deps: Deps,
  app: App,
  input: { challengeId: string; response: unknown },
  ip: string | null,
): Promise<Credential> {
  const parsed = parseRegistrationResponse(input.response);
  if (!parsed.ok) throw new SignetError('invalid_request', parsed.message);
  // Before the challenge is consumed: a BLOB that cannot be had (503) leaves nothing half-done.
  const policy = await attestationPolicyFor(deps, app);
  const challenge = await consumeChallenge(deps, app, input.challengeId, 'webauthn-registration');
  const userId = challenge.userId as string;
  const result = await verifyRegistration({
    response: parsed.value,
    expected: {
      challenge: challenge.value,
      origins: app.origins,
      rpId: requireRpId(app),
      requireUserVerification: app.settings.requireUserVerification,
    },
    now: deps.clock(),
    policy,
  });
  if (!result.ok) {
    await recordAttempt(deps, {
      app,
      scheme: 'webauthn',
      action: 'register',
      reason: result.code,
      userId,
      credentialId: null,
      ip,
    });
    throw new SignetError('verification_failed', undefined, { reason: result.code });
  }
  const c = result.credential;
  if ((await deps.store.credentials.listByUser(app.id, userId)).length >= MAX_CREDENTIALS_PER_USER) {
    throw new SignetError('conflict', `a user holds at most ${MAX_CREDENTIALS_PER_USER} credentials`);
  }
  const label = (challenge.data?.['userName'] as string | undefined) ?? null;
  const credential: Credential = {
    id: c.id,
    appId: app.id,
    userId,
    type: 'webauthn',
    label,
    deviceId: null,
    account: null,
    publicKey: {
      ...c.publicKey,
      transports: c.transports,
      aaguid: c.aaguid,
      fmt: c.fmt,
      backupEligible: c.backupEligible,
      backupState: c.backupState,
    },
    counter: c.counter,
    createdAt: deps.clock(),
    lastUsedAt: null,
  };
  await deps.store.credentials.create(credential);
  await notifyCredentialCreated(deps, app, credential);
  await recordAttempt(deps, {
    app,
    scheme: 'webauthn',
    action: 'register',
    reason: null,
    userId,
    credentialId: c.id,
    ip,
  });
  return credential;
}
