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
import { parseEthAddress, parseSiweMessage, type EthAddress } from '../schemes/eth/index.js';
import {
  loadCredentialPublicKey,
  parseAuthenticationResponse,
  verifyAuthentication,
  type CredentialPublicKey,
} from '../schemes/webauthn/index.js';
import type { App, Challenge, Credential } from '../store/types.js';
import { describeLoginSuccess, logAttempt, recordAttempt, type Attempt } from './audit.js';
import { checkChallenge, consumeChallenge, LOGIN_TYPES, type LoginType } from './challenges.js';
import { isRpcFailure, verifyEthProof } from './contractWallets.js';
import { requireRpId } from './apps.js';
import type { Deps } from './deps.js';
import { createKeyCache } from './keyCache.js';
import { checkUserId, userHandleFor } from './users.js';
import { checkRateLimit, countFailure, limitKeys } from './rateLimit.js';
import { issueSessionToken, newSession } from './sessions.js';
import type { TokenService } from './tokens.js';
import { parseTransaction, transactionResource } from './transactions.js';

/** A successful login (docs/api.md `POST /v1/verify` 200). */
export interface LoginSuccess {
  verified: true;
  userId: string;
  credentialId: string;
  token: string;
  expiresAt: number;
  /**
   * Opaque, single use, rotated by `POST /v1/tokens/refresh` (src/core/sessions.ts). A signed
   * transaction is an approval, not a session: it has none.
   */
  refreshToken?: string;
  /** When the session (refresh-token family) ends, Unix seconds. */
  refreshExpiresAt?: number;
  /** A signed transaction: the transaction as given (its hash is the token's `txn` claim). */
  transaction?: Record<string, unknown>;
}

/** The outcome of one scheme's check, before audit, rate limits and tokens. */
type Outcome =
  | { ok: true; credential: Credential; counter: number }
  | { ok: false; reason: ReasonCode; userId: string | null; credentialId: string | null };

/**
 * Reads the challenge a login proof names and checks it (as `consumeChallenge` does); the login's
 * unit of work consumes it (`store.logins`), a failure spends it. `txn`: the transaction hash the
 * caller completes. `consumeFirst`: consume it now instead, before the proof is checked, for a
 * check that may cost more than a local signature verification (an RPC call).
 */
type ClaimChallenge = (
  challengeId: string,
  type: LoginType,
  txn: string | null,
  consumeFirst?: 'consumeFirst',
) => Promise<Challenge>;

interface Flow<P> {
  /** Strict parse of the proof (throws `invalid_request`). */
  parse(body: Record<string, unknown>): P;
  /** The rate-limit subject: the user id, or the wallet account / address. */
  subject(proof: P): string;
  /** The user the proof claims to be (device proofs name one), for the audit of early failures. */
  claimedUser(proof: P): string | null;
  /** `txn`: the transaction hash the caller completes, null for a plain login (`consumeChallenge`). */
  verify(deps: Deps, app: App, proof: P, txn: string | null, claim: ClaimChallenge): Promise<Outcome>;
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
  async verify(deps, app, p, txn, claim) {
    let message: string;
    // The user's keys are read beside the challenge (a read that does not depend on it: one
    // round trip less on Postgres + Redis).
    const listed = deps.store.credentials.listByUser(app.id, p.userId);
    // Settled by the awaits below; a claim that throws leaves this read's outcome unobserved.
    listed.catch(() => {});
    if (p.challengeId !== null) {
      const challenge = await claim(p.challengeId, 'device', txn);
      if (challenge.userId !== null && challenge.userId !== p.userId)
        return failure('challenge_mismatch', p.userId);
      message = challenge.value;
    } else {
      if (!app.settings.clientChallenges)
        throw new SignetError('invalid_request', 'this app does not accept client-built challenges');
      if (txn !== null)
        throw new SignetError(
          'invalid_request',
          'a transaction needs a challenge issued for it (challengeId)',
        );
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
    const credentials = (await listed).filter((c) => c.type === 'device');
    const bytes = utf8Bytes(message);
    let usable = 0;
    const outcome = firstVerifying(
      credentials,
      (c) => {
        // Stored keys are loaded through the key policy again: one it now refuses never verifies.
        const key = deviceKeys.get(JSON.stringify(c.publicKey), () => loadDevicePublicKey(c.publicKey));
        if (key !== null) usable++;
        return key !== null && verifyDeviceSignature(key, bytes, p.signature).ok;
      },
      p.userId,
    );
    if (!outcome.ok && outcome.reason === 'signature_invalid' && usable === 0)
      return failure('key_invalid', p.userId);
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

type EosProof = { challengeId: string; account: string; signature: string };
type EthProof = { challengeId: string; address: string; signature: string; message: string | null };

/**
 * A wallet flow: its signature check is separate from where the candidate credentials come
 * from, so a registration's proof of possession runs the very check a login runs, against the
 * credential being registered (see {@link verifyWalletProof}).
 */
interface WalletFlow<P> extends Flow<P> {
  /** The proof checked against `candidates` (already bound to the challenge's user). */
  check(
    deps: Deps,
    app: App,
    proof: P,
    challenge: Challenge,
    candidates: Credential[],
  ): Outcome | Promise<Outcome>;
}

/** The wallet credentials a login may name: the account's, and only the challenge user's. */
async function walletCandidates(
  deps: Deps,
  app: App,
  type: 'eos' | 'eth',
  account: string,
  challenge: Challenge,
): Promise<Credential[]> {
  const found = await deps.store.credentials.findByAccount(app.id, type, account);
  return challenge.userId === null ? found : found.filter((c) => c.userId === challenge.userId);
}

const eosFlow: WalletFlow<EosProof> = {
  parse: (body) => ({
    challengeId: text(body, 'challengeId', 64),
    account: text(body, 'account', 13),
    signature: text(body, 'signature', 256),
  }),
  subject: (p) => `eos:${p.account}`,
  claimedUser: () => null,
  async verify(deps, app, p, txn, claim) {
    const challenge = await claim(p.challengeId, 'eos', txn);
    return eosFlow.check(
      deps,
      app,
      p,
      challenge,
      await walletCandidates(deps, app, 'eos', p.account, challenge),
    );
  },
  check(_deps, _app, p, challenge, candidates) {
    const bytes = utf8Bytes(challenge.value);
    return firstVerifying(
      candidates,
      (c) => {
        const key = eosKeys.get(String(c.publicKey['key']), () => {
          const parsed = parseEosPublicKey(c.publicKey['key']);
          return parsed.ok ? parsed.value : null;
        });
        return key !== null && verifyEosSignature(key, bytes, p.signature).ok;
      },
      challenge.userId,
    );
  },
};

const ethFlow: WalletFlow<EthProof> = {
  parse(body) {
    const address = parseEthAddress(body['address']);
    if (!address.ok) throw new SignetError('invalid_request', address.message);
    return {
      challengeId: text(body, 'challengeId', 64),
      address: address.value.toLowerCase(),
      // 65 bytes for a key; a contract wallet's (EIP-1271 / EIP-6492) up to the edge's 4096 characters.
      signature: text(body, 'signature', 4096),
      message: optionalText(body, 'message', 8192),
    };
  },
  subject: (p) => `eth:${p.address}`,
  claimedUser: () => null,
  async verify(deps, app, p, txn, claim) {
    // A contract wallet's check is an RPC call to the app's node (src/core/contractWallets.ts):
    // the challenge is consumed before it, so one issued challenge pays for at most one call
    // (were it only read, several concurrent copies of one proof could each make one).
    const challenge = await claim(p.challengeId, 'eth', txn, 'consumeFirst');
    return ethFlow.check(
      deps,
      app,
      p,
      challenge,
      await walletCandidates(deps, app, 'eth', p.address, challenge),
    );
  },
  async check(deps, app, p, challenge, candidates) {
    if (candidates.length === 0) return failure('credential_unknown', challenge.userId);
    const credential = candidates[0]!;
    // ECDSA, then the contract wallet through the app's RPC (src/core/contractWallets.ts).
    const result = await verifyEthProof(deps, app, {
      address: p.address as EthAddress,
      signature: p.signature,
      message: p.message,
      nonce: challenge.value,
    });
    if (!result.ok) return failure(result.code, credential.userId, credential.id);
    // A transaction signed as SIWE names it among the Resources too, so the wallet shows it
    // (the nonce already commits to it: `challengeValue`).
    const txn = challenge.data?.['txn'];
    if (typeof txn === 'string' && p.message !== null) {
      const siwe = parseSiweMessage(p.message);
      if (!siwe.ok || !(siwe.value.resources ?? []).includes(transactionResource(txn)))
        return failure('transaction_mismatch', credential.userId, credential.id);
    }
    return { ok: true, credential, counter: credential.counter };
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
  async verify(deps, app, p, txn, claim) {
    const challenge = await claim(p.challengeId, 'webauthn', txn);
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
      // WebAuthn L3 §7.2 step 6: the handle is the owner's, derived as at registration.
      requireUserHandle: challenge.userId === null,
      credential: {
        id: credential.id,
        publicKey: key,
        counter: credential.counter,
        userHandle: userHandleFor(credential.userId),
        ...(typeof credential.publicKey['backupEligible'] === 'boolean'
          ? { backupEligible: credential.publicKey['backupEligible'] }
          : {}),
      },
      expected: {
        challenge: challenge.value,
        origins: app.origins,
        rpId: requireRpId(app),
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
  eos: eosFlow as unknown as Flow<never>,
  eth: ethFlow as unknown as Flow<never>,
};

/**
 * Verifies a login proof (docs/api.md `POST /v1/verify`): rate limits, then the challenge, then
 * the signature, then counters and replay; every attempt is audited with its precise reason and
 * answered `verification_failed` on failure. The challenge is single-use whatever the outcome: a
 * failed attempt spends it; a successful one consumes it in its unit of work.
 *
 * A success is one store-level unit of work (`store.logins.commit`): the challenge consume, the
 * counter compare-and-set, the session (family + refresh-token hash), the audit record and the
 * webhook event commit together, or, when the consume or the compare-and-set loses to a
 * concurrent login, none of them (the loser writes only its failure audit). The token is signed
 * while the unit commits, and nothing is answered before the unit is durable.
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
  // A signed transaction names its transaction again; it must be the challenge's (see consumeChallenge).
  let transaction: { value: Record<string, unknown>; txn: string } | null = null;
  if (body['transaction'] !== undefined) {
    const tx = parseTransaction(body['transaction']);
    if (!tx.ok) throw new SignetError('invalid_request', tx.message);
    transaction = { value: tx.value.transaction, txn: tx.value.hash };
  }
  const keys = limitKeys(app, flow.subject(proof), ip);
  await checkRateLimit(deps, app, keys);

  // The challenge the proof names, once read: the unit of work consumes it, a failure spends it.
  let claimed: string | null = null;
  const claim: ClaimChallenge = async (challengeId, challengeType, txn, consumeFirst) => {
    if (consumeFirst) return consumeChallenge(deps, app, challengeId, challengeType, txn);
    const challenge = await deps.store.logins.claim(app.id, challengeId);
    if (challenge !== null) claimed = challengeId;
    return checkChallenge(deps, challenge, challengeType, txn);
  };
  const spendClaimed = (): Promise<void> | undefined =>
    claimed === null ? undefined : deps.store.logins.spend(app.id, claimed);

  let outcome: Outcome;
  try {
    outcome = await flow.verify(deps, app, proof, transaction?.txn ?? null, claim);
  } catch (e) {
    const spent = spendClaimed();
    // An RPC that did not answer (contract wallets) is audited with its reason, not counted.
    const rpcDown = isSignetError(e, 'store_unavailable') && isRpcFailure(e.reason);
    if (
      isSignetError(e, 'challenge_unknown') ||
      isSignetError(e, 'challenge_expired') ||
      (isSignetError(e, 'verification_failed') && e.reason !== undefined) ||
      rpcDown
    ) {
      const audited = recordAttempt(deps, {
        app,
        scheme: type,
        action: 'login',
        reason:
          e.code === 'verification_failed'
            ? (e.reason as ReasonCode)
            : rpcDown
              ? (e.reason ?? e.code)
              : e.code,
        userId: flow.claimedUser(proof),
        credentialId: null,
        ip,
      });
      // The audit record, the failure counters and the spent challenge are independent writes:
      // issued together, they share one group commit on SQLite (and run side by side on
      // Postgres / Redis).
      await Promise.all([audited, rpcDown ? undefined : countFailure(deps, app, keys), spent]);
    } else {
      // Another error (a store that is down...) answers as it is; the challenge is spent if it can be.
      await spent?.catch(() => {});
    }
    throw e;
  }
  if (!outcome.ok) {
    await Promise.all([
      recordAttempt(deps, {
        app,
        scheme: type,
        action: 'login',
        reason: outcome.reason,
        userId: outcome.userId,
        credentialId: outcome.credentialId,
        ip,
      }),
      countFailure(deps, app, keys),
      spendClaimed(),
    ]);
    throw new SignetError('verification_failed', undefined, { reason: outcome.reason });
  }
  const { credential } = outcome;
  const attempt: Attempt & { reason: null } = {
    app,
    scheme: type,
    action: 'login',
    reason: null,
    userId: credential.userId,
    credentialId: credential.id,
    ip,
  };
  // Each login starts a session (refresh-token family); its id is the token's `sid`. A signed
  // transaction is a one-off approval: its token carries `txn` and no session.
  const session =
    transaction === null
      ? newSession(deps, app, { userId: credential.userId, credentialId: credential.id, amr: type })
      : null;
  const { record, event } = describeLoginSuccess(deps, attempt);
  // The token is signed while the unit commits; it is handed out only if the unit committed.
  const signing =
    session !== null
      ? issueSessionToken(tokens, app, session.family)
      : tokens.issue({
          appId: app.id,
          userId: credential.userId,
          amr: type,
          credentialId: credential.id,
          ttlSec: app.settings.tokenTtlSec,
          txn: (transaction as { txn: string }).txn,
        });
  // Settled below when the unit commits; after a loss its outcome is not needed.
  signing.catch(() => {});
  const committed = await deps.store.logins.commit({
    challengeId: claimed,
    // Compare-and-set: of two logins racing with one counter value, one wins.
    credential: {
      appId: app.id,
      id: credential.id,
      expected: credential.counter,
      counter: outcome.counter,
      at: record.at,
    },
    session: session === null ? null : { family: session.family, tokenHash: session.tokenHash },
    audit: record,
    webhook: event,
  });
  if (committed === 'challenge_lost') {
    // A concurrent login with this challenge committed first: answered as a spent challenge.
    await Promise.all([
      recordAttempt(deps, {
        app,
        scheme: type,
        action: 'login',
        reason: 'challenge_unknown',
        userId: flow.claimedUser(proof),
        credentialId: null,
        ip,
      }),
      countFailure(deps, app, keys),
    ]);
    throw new SignetError('challenge_unknown');
  }
  if (committed === 'counter_lost') {
    await recordAttempt(deps, { ...attempt, reason: 'replayed' });
    throw new SignetError('verification_failed', undefined, { reason: 'replayed' });
  }
  logAttempt(deps, attempt);
  const issued = await signing;
  return {
    verified: true,
    userId: credential.userId,
    credentialId: credential.id,
    token: issued.token,
    expiresAt: issued.expiresAt,
    ...(session !== null
      ? { refreshToken: session.refreshToken, refreshExpiresAt: Math.floor(session.family.expiresAt / 1000) }
      : {}),
    ...(transaction !== null ? { transaction: transaction.value } : {}),
  };
}

const WALLET_FLOWS = { eos: eosFlow, eth: ethFlow } as const;

/** Why a wallet proof failed, for the audit record and the server API's `reason`. */
export type WalletProofResult = { ok: true } | { ok: false; reason: ReasonCode };

/**
 * Proof of possession for an `eos` / `eth` registration (docs/api.md "Identity binding"): the
 * `proof` (`{ challengeId, signature, message? }`) is checked exactly as a login with it would
 * be, by the same flow, against the credential being registered: the challenge must have been
 * issued for that scheme (else `challenge_unknown`) and for that user (else a
 * `challenge_mismatch` outcome), and is consumed whatever follows. Malformed proofs throw
 * `invalid_request`; a proof that does not verify is an outcome, for the caller to audit.
 *
 * @example
 * const result = await verifyWalletProof(deps, app, draft, body.proof);
 * if (!result.ok) throw new SignetError('verification_failed', undefined, { reason: result.reason });
 */
export async function verifyWalletProof(
  deps: Deps,
  app: App,
  credential: Credential & { type: 'eos' | 'eth' },
  proof: unknown,
): Promise<WalletProofResult> {
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof)) {
    throw new SignetError('invalid_request', 'proof must be an object { challengeId, signature, message? }');
  }
  const p = proof as Record<string, unknown>;
  const extra = Object.keys(p).filter((k) => k !== 'challengeId' && k !== 'signature' && k !== 'message');
  if (extra.length > 0) throw new SignetError('invalid_request', `proof has an unknown field '${extra[0]}'`);
  if (credential.type === 'eos' && p['message'] !== undefined) {
    throw new SignetError('invalid_request', 'an eos proof has no message');
  }
  const flow = WALLET_FLOWS[credential.type] as WalletFlow<unknown>;
  // The login body the same proof would be: the account comes from the credential itself.
  const parsed = flow.parse({
    challengeId: p['challengeId'],
    signature: p['signature'],
    ...(p['message'] === undefined ? {} : { message: p['message'] }),
    ...(credential.type === 'eos' ? { account: credential.account } : { address: credential.account }),
  });
  const challenge = await consumeChallenge(
    deps,
    app,
    (parsed as { challengeId: string }).challengeId,
    credential.type,
  );
  // The challenge names who may register: a proof made for another user (or for none) is not
  // this user's consent to link the wallet.
  if (challenge.userId !== credential.userId) return { ok: false, reason: 'challenge_mismatch' };
  const outcome = await flow.check(deps, app, parsed, challenge, [credential]);
  return outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason };
}
