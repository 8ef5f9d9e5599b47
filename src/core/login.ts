import { utf8Bytes } from '../encoding/bytes.js';
import type { ReasonCode } from '../errors/codes.js';
import { isSignetError, SignetError } from '../errors/SignetError.js';
import {
  loadDevicePublicKey,
  parseDeviceSignature,
  verifyDeviceSignature,
  type DevicePublicKey,
} from '../schemes/device/index.js';
import { parseEosPublicKey, verifyEosSignature, type EosPublicKey } from '../schemes/eos/index.js';
import { parseEthAddress, verifyPersonalSign, verifySiwe } from '../schemes/eth/index.js';
import {
  loadCredentialPublicKey,
  parseAuthenticationResponse,
  verifyAuthentication,
  type CredentialPublicKey,
} from '../schemes/webauthn/index.js';
import type { App, Credential } from '../store/types.js';
import { recordAttempt } from './audit.js';
import { consumeChallenge, LOGIN_TYPES, type LoginType } from './challenges.js';
import { checkUserId } from './credentials.js';
import type { Deps } from './deps.js';
import { createKeyCache } from './keyCache.js';
import { checkRateLimit, countFailure, limitKeys } from './rateLimit.js';
import type { TokenService } from './tokens.js';

/** A successful login (docs/api.md `POST /v1/verify` 200). */
export interface LoginSuccess {
  verified: true;
  userId: string;
  credentialId: string;
  token: string;
  expiresAt: number;
}

/** The outcome of one scheme's check, before audit, rate limits and tokens. */
type Outcome =
  | { ok: true; credential: Credential; counter: number }
  | { ok: false; reason: ReasonCode; userId: string | null; credentialId: string | null };

interface Flow<P> {
  /** Strict parse of the proof (throws `invalid_request`). */
  parse(body: Record<string, unknown>): P;
  /** The rate-limit subject: the user id, or the wallet account / address. */
  subject(proof: P): string;
  /** The user the proof claims to be (device proofs name one), for the audit of early failures. */
  claimedUser(proof: P): string | null;
  verify(deps: Deps, app: App, proof: P): Promise<Outcome>;
}

// Parsed keys per process: the store hands back key material as JSON; parsing is paid once.
const deviceKeys = createKeyCache<DevicePublicKey>();
const eosKeys = createKeyCache<EosPublicKey>();
const webauthnKeys = createKeyCache<CredentialPublicKey>();

function text(body: Record<string, unknown>, field: string, max: number): string {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    throw new SignetError('invalid_request', `${field} must be a string of 1-${max} characters`);
  }
  return v;
}

function optionalText(body: Record<string, unknown>, field: string, max: number): string | null {
  return body[field] === undefined ? null : text(body, field, max);
}

const failure = (
  reason: ReasonCode,
  userId: string | null = null,
  credentialId: string | null = null,
): Outcome => ({
  ok: false,
  reason,
  userId,
  credentialId,
});

/** Tries each of the user's keys; the first that verifies names the credential. */
function firstVerifying(
  credentials: Credential[],
  check: (c: Credential) => boolean,
  userId: string | null,
): Outcome {
  if (credentials.length === 0) return failure('credential_unknown', userId);
  for (const c of credentials) if (check(c)) return { ok: true, credential: c, counter: c.counter };
  return failure('signature_invalid', userId ?? credentials[0]!.userId);
}

/** A device challenge the app's client built itself: `${ms}-...` (the seed's sample). */
const CLIENT_CHALLENGE = /^(\d{13})(?!\d)/;

const deviceFlow: Flow<{
  userId: string;
  challengeId: string | null;
  challenge: string | null;
  signature: Uint8Array;
}> = {
  parse(body) {
    const userId = checkUserId(body['userId']);
    const challengeId = optionalText(body, 'challengeId', 64);
    const challenge = optionalText(body, 'challenge', 1024);
    if ((challengeId === null) === (challenge === null)) {
      throw new SignetError('invalid_request', 'give exactly one of challengeId and challenge');
    }
    const signature = parseDeviceSignature(body['signature']);
    if (!signature.ok) throw new SignetError('invalid_request', signature.message);
    return { userId, challengeId, challenge, signature: signature.value };
  },
  subject: (p) => p.userId,
  claimedUser: (p) => p.userId,
  async verify(deps, app, p) {
    let message: string;
    if (p.challengeId !== null) {
      const challenge = await consumeChallenge(deps, app, p.challengeId, 'device');
      if (challenge.userId !== null && challenge.userId !== p.userId)
        return failure('challenge_mismatch', p.userId);
      message = challenge.value;
    } else {
      if (!app.settings.clientChallenges)
        throw new SignetError('invalid_request', 'this app does not accept client-built challenges');
      const m = CLIENT_CHALLENGE.exec(p.challenge as string);
      if (!m)
        throw new SignetError(
          'invalid_request',
          'a client challenge must begin with a millisecond timestamp',
        );
      if (Math.abs(deps.clock() - Number(m[1])) > app.settings.skewMs)
        return failure('timestamp_skew', p.userId);
      message = p.challenge as string;
    }
    const credentials = (await deps.store.credentials.listByUser(app.id, p.userId)).filter(
      (c) => c.type === 'device',
    );
    const bytes = utf8Bytes(message);
    const outcome = firstVerifying(
      credentials,
      (c) => {
        const key = deviceKeys.get(JSON.stringify(c.publicKey), () => loadDevicePublicKey(c.publicKey));
        return key !== null && verifyDeviceSignature(key, bytes, p.signature).ok;
      },
      p.userId,
    );
    // A client-built challenge is accepted once per user and challenge string; the challenge, not
    // the signature bytes, is the replay key (signatures can be malleable). Checked after the
    // signature so that nobody can burn another user's challenge.
    if (outcome.ok && p.challengeId === null) {
      const fresh = await deps.store.replay.remember(
        `cc:${app.id}:${p.userId}:${message}`,
        2 * app.settings.skewMs,
      );
      if (!fresh) return failure('replayed', p.userId, outcome.credential.id);
    }
    return outcome;
  },
};

const eosFlow: Flow<{ challengeId: string; account: string; signature: string }> = {
  parse: (body) => ({
    challengeId: text(body, 'challengeId', 64),
    account: text(body, 'account', 13),
    signature: text(body, 'signature', 256),
  }),
  subject: (p) => `eos:${p.account}`,
  claimedUser: () => null,
  async verify(deps, app, p) {
    const challenge = await consumeChallenge(deps, app, p.challengeId, 'eos');
    const credentials = await deps.store.credentials.findByAccount(app.id, 'eos', p.account);
    const owner = challenge.userId;
    const mine = owner === null ? credentials : credentials.filter((c) => c.userId === owner);
    const bytes = utf8Bytes(challenge.value);
    return firstVerifying(
      mine,
      (c) => {
        const key = eosKeys.get(String(c.publicKey['key']), () => {
          const parsed = parseEosPublicKey(c.publicKey['key']);
          return parsed.ok ? parsed.value : null;
        });
        return key !== null && verifyEosSignature(key, bytes, p.signature).ok;
      },
      owner,
    );
  },
};

const ethFlow: Flow<{ challengeId: string; address: string; signature: string; message: string | null }> = {
  parse(body) {
    const address = parseEthAddress(body['address']);
    if (!address.ok) throw new SignetError('invalid_request', address.message);
    return {
      challengeId: text(body, 'challengeId', 64),
      address: address.value.toLowerCase(),
      signature: text(body, 'signature', 200),
      message: optionalText(body, 'message', 8192),
    };
  },
  subject: (p) => `eth:${p.address}`,
  claimedUser: () => null,
  async verify(deps, app, p) {
    const challenge = await consumeChallenge(deps, app, p.challengeId, 'eth');
    const credentials = (await deps.store.credentials.findByAccount(app.id, 'eth', p.address)).filter(
      (c) => challenge.userId === null || c.userId === challenge.userId,
    );
    if (credentials.length === 0) return failure('credential_unknown', challenge.userId);
    const credential = credentials[0]!;
    const result =
      p.message === null
        ? verifyPersonalSign(p.address, utf8Bytes(challenge.value), p.signature)
        : verifySiwe({
            message: p.message,
            signature: p.signature,
            expected: {
              address: p.address,
              origins: app.origins,
              nonce: challenge.value,
              // An empty setting means any chain (verifySiwe reads `[]` as none).
              ...(app.settings.ethChainIds.length > 0 ? { chainIds: app.settings.ethChainIds } : {}),
              now: deps.clock(),
            },
          });
    return result.ok
      ? { ok: true, credential, counter: credential.counter }
      : failure(result.code, credential.userId, credential.id);
  },
};

const webauthnFlow: Flow<{
  challengeId: string;
  response: ReturnType<typeof parseAuthenticationResponse> & { ok: true };
}> = {
  parse(body) {
    const response = parseAuthenticationResponse(body['response']);
    if (!response.ok) throw new SignetError('invalid_request', response.message);
    return { challengeId: text(body, 'challengeId', 64), response };
  },
  subject: (p) => `webauthn:${p.response.value.id}`,
  claimedUser: () => null,
  async verify(deps, app, p) {
    const challenge = await consumeChallenge(deps, app, p.challengeId, 'webauthn');
    const credential = await deps.store.credentials.get(app.id, p.response.value.id);
    if (!credential || credential.type !== 'webauthn') return failure('credential_unknown', challenge.userId);
    if (challenge.userId !== null && challenge.userId !== credential.userId) {
      return failure('credential_unknown', challenge.userId);
    }
    const key = webauthnKeys.get(JSON.stringify(credential.publicKey), () => {
      const loaded = loadCredentialPublicKey(credential.publicKey);
      return loaded.ok ? loaded.value : null;
    });
    if (!key) return failure('key_invalid', credential.userId, credential.id);
    const result = verifyAuthentication({
      response: p.response.value,
      credential: {
        id: credential.id,
        publicKey: key,
        counter: credential.counter,
        ...(typeof credential.publicKey['backupEligible'] === 'boolean'
          ? { backupEligible: credential.publicKey['backupEligible'] }
          : {}),
      },
      expected: {
        challenge: challenge.value,
        origins: app.origins,
        rpId: app.rpId ?? '',
        requireUserVerification: app.settings.requireUserVerification,
      },
    });
    return result.ok
      ? { ok: true, credential, counter: result.newCounter }
      : failure(result.code, credential.userId, credential.id);
  },
};

const FLOWS: { [K in LoginType]: Flow<never> } = {
  device: deviceFlow as Flow<never>,
  webauthn: webauthnFlow as Flow<never>,
  eos: eosFlow as Flow<never>,
  eth: ethFlow as Flow<never>,
};

/**
 * Verifies a login proof (docs/api.md `POST /v1/verify`): rate limits, then the challenge
 * (consumed whatever follows), then the signature, then counters and replay; every attempt is
 * audited with its precise reason and answered `verification_failed` on failure.
 *
 * @example
 * const ok = await verifyLogin(deps, tokens, app, { type: 'device', challengeId, userId, signature }, ip);
 */
export async function verifyLogin(
  deps: Deps,
  tokens: TokenService,
  app: App,
  body: Record<string, unknown>,
  ip: string | null,
): Promise<LoginSuccess> {
  const type = body['type'];
  if (typeof type !== 'string' || !(LOGIN_TYPES as readonly string[]).includes(type)) {
    throw new SignetError('invalid_request', `type must be one of ${LOGIN_TYPES.join(', ')}`);
  }
  const flow = FLOWS[type as LoginType] as Flow<unknown>;
  const proof = flow.parse(body);
  const keys = limitKeys(app, flow.subject(proof), ip);
  await checkRateLimit(deps, app, keys);

  let outcome: Outcome;
  try {
    outcome = await flow.verify(deps, app, proof);
  } catch (e) {
    if (isSignetError(e, 'challenge_unknown') || isSignetError(e, 'challenge_expired')) {
      await recordAttempt(deps, {
        app,
        scheme: type,
        action: 'login',
        reason: e.code,
        userId: flow.claimedUser(proof),
        credentialId: null,
        ip,
      });
      await countFailure(deps, app, keys);
    }
    throw e;
  }
  if (!outcome.ok) {
    await recordAttempt(deps, {
      app,
      scheme: type,
      action: 'login',
      reason: outcome.reason,
      userId: outcome.userId,
      credentialId: outcome.credentialId,
      ip,
    });
    await countFailure(deps, app, keys);
    throw new SignetError('verification_failed', undefined, { reason: outcome.reason });
  }
  const { credential } = outcome;
  // Compare-and-set: of two logins racing with one counter value, one wins.
  if (
    !(await deps.store.credentials.markUsed(
      app.id,
      credential.id,
      credential.counter,
      outcome.counter,
      deps.clock(),
    ))
  ) {
    await recordAttempt(deps, {
      app,
      scheme: type,
      action: 'login',
      reason: 'replayed',
      userId: credential.userId,
      credentialId: credential.id,
      ip,
    });
    throw new SignetError('verification_failed', undefined, { reason: 'replayed' });
  }
  const { token, expiresAt } = await tokens.issue({
    appId: app.id,
    userId: credential.userId,
    amr: type,
    credentialId: credential.id,
    ttlSec: app.settings.tokenTtlSec,
  });
  await recordAttempt(deps, {
    app,
    scheme: type,
    action: 'login',
    reason: null,
    userId: credential.userId,
    credentialId: credential.id,
    ip,
  });
  return { verified: true, userId: credential.userId, credentialId: credential.id, token, expiresAt };
}
