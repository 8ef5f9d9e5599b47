import { sha256 } from '../crypto/hash.js';
import type { ReasonCode } from '../errors/codes.js';
import { SignetError } from '../errors/SignetError.js';
import type { App, SessionFamily } from '../store/types.js';
import { recordAttempt } from './audit.js';
import { notifyApp } from './appWebhooks.js';
import { checkUserId } from './credentials.js';
import type { Deps } from './deps.js';
import { randomId } from './ids.js';
import { checkRateLimit, countFailure, limitKeys } from './rateLimit.js';
import type { TokenService } from './tokens.js';

/**
 * Sessions as refresh-token families (docs/api.md "Tokens and sessions"; OAuth 2.0 Security BCP,
 * RFC 9700 §4.14.2, refresh token rotation). A login starts a family; the family holds one valid
 * refresh token at a time, rotated on every use; a spent token presented again revokes the family
 * (someone kept a copy), except for one retry of a token spent moments ago whose replacement
 * nobody used (a lost answer, {@link REFRESH_GRACE_MS}). Access tokens carry the family id as
 * `sid`, so introspection answers inactive for every token of a revoked family. Only SHA-256
 * hashes of refresh tokens are stored.
 */

/** Default family lifetime: 30 days (docs/api.md `refreshTtl`). */
export const DEFAULT_REFRESH_TTL_SEC = 30 * 86_400;

/** Longest family lifetime an app may set: one year. */
export const MAX_REFRESH_TTL_SEC = 365 * 86_400;

/**
 * The refresh retry grace, ms (docs/tokens.md "Retry grace"): a refresh token spent at most this
 * long ago may be presented again once, as long as the token that replaced it was never used;
 * the retry gets new tokens and the replacement is spent. A phone whose network dropped the
 * answer to a refresh retries with the same token within a few seconds (a mobile HTTP client's
 * timeout and one retry fit in 10 s); a thief replaying a copy must also beat the owner's next
 * refresh, and the owner's next refresh with the replaced token is reuse and ends the family
 * anyway. 10 s keeps that second window as short as the retry needs (Okta's default grace is
 * 30 s, Auth0's reuse interval is set per tenant); 0 would restore strict single use.
 */
export const REFRESH_GRACE_MS = 10_000;

/** Refresh tokens read `srt_` + 43 base64url characters: 256 random bits. */
const REFRESH_PREFIX = 'srt_';
const REFRESH_TOKEN = /^srt_[A-Za-z0-9_-]{43}$/;

/** What a login or a refresh answers (the login adds `verified`, `userId`, `credentialId`). */
export interface SessionTokens {
  token: string;
  /** Access token expiry, Unix ms (as `POST /v1/verify` has always answered). */
  expiresAt: number;
  refreshToken: string;
  /** Family expiry, Unix seconds (docs/api.md). */
  refreshExpiresAt: number;
}

/** A session as the console and the server API show it (no token, no hash). */
export interface SessionView {
  id: string;
  userId: string;
  credentialId: string | null;
  amr: string;
  createdAt: number;
  expiresAt: number;
  refreshedAt: number | null;
}

/** The family lifetime of an app, seconds (apps stored before sessions lack the setting). */
export function refreshTtlOf(app: App): number {
  return app.settings.refreshTtlSec ?? DEFAULT_REFRESH_TTL_SEC;
}

/** The stored form of a refresh token: base64url(SHA-256(token)). */
export function hashRefreshToken(token: string): string {
  return Buffer.from(sha256(Buffer.from(token, 'utf8'))).toString('base64url');
}

function newRefreshToken(deps: Deps): string {
  return REFRESH_PREFIX + Buffer.from(deps.random(32)).toString('base64url');
}

/** True for a string shaped like a Signet refresh token (checked before any look-up). */
export function isRefreshTokenShape(value: string): boolean {
  return REFRESH_TOKEN.test(value);
}

/** The refresh token of a request body: a string of sane size; its shape is checked later. */
function readRefreshToken(body: unknown): string {
  const v = (body as { refreshToken?: unknown } | null)?.refreshToken;
  if (typeof v !== 'string' || v.length === 0 || v.length > 512)
    throw new SignetError('invalid_request', 'refreshToken must be a string of 1-512 characters');
  return v;
}

/** Access-token claims for a family. */
function accessClaims(app: App, family: SessionFamily) {
  return {
    appId: app.id,
    userId: family.userId,
    amr: family.amr,
    credentialId: family.credentialId,
    ttlSec: app.settings.tokenTtlSec,
    sessionId: family.id,
    notAfterSec: Math.floor(family.expiresAt / 1000),
  };
}

/** A session made ready for a login's unit of work: nothing of it is stored yet. */
export interface NewSession {
  family: SessionFamily;
  /** The refresh token, for the client (never stored). */
  refreshToken: string;
  /** What the store keeps of it: {@link hashRefreshToken}. */
  tokenHash: string;
}

/**
 * A new family and its first refresh token, not yet stored: the login's unit of work
 * (`store.logins.commit`, src/core/login.ts) writes it together with the login's other writes.
 *
 * @example
 * const session = newSession(deps, app, { userId, credentialId, amr: 'device' });
 */
export function newSession(
  deps: Deps,
  app: App,
  login: { userId: string; credentialId: string | null; amr: string },
): NewSession {
  const now = deps.clock();
  const refreshToken = newRefreshToken(deps);
  return {
    family: {
      id: randomId(deps.random, 'sid'),
      appId: app.id,
      userId: login.userId,
      credentialId: login.credentialId,
      amr: login.amr,
      createdAt: now,
      expiresAt: now + refreshTtlOf(app) * 1000,
      refreshedAt: null,
      revokedAt: null,
      revokedReason: null,
    },
    refreshToken,
    tokenHash: hashRefreshToken(refreshToken),
  };
}

/**
 * The access token of a family (its `sid`), signed: the first one of a login, and each refresh.
 *
 * @example
 * const { token, expiresAt } = await issueSessionToken(tokens, app, session.family);
 */
export function issueSessionToken(
  tokens: TokenService,
  app: App,
  family: SessionFamily,
): Promise<{ token: string; expiresAt: number }> {
  return tokens.issue(accessClaims(app, family));
}

/**
 * Starts a family after a successful login and issues its first access and refresh tokens (the
 * MYKEY flow; a signature login writes its session in its unit of work instead, `newSession`).
 *
 * @example
 * const { token, refreshToken } = await startSession(deps, tokens, app, { userId, credentialId, amr: 'device' });
 */
export async function startSession(
  deps: Deps,
  tokens: TokenService,
  app: App,
  login: { userId: string; credentialId: string | null; amr: string },
): Promise<SessionTokens & { sessionId: string }> {
  const { family, refreshToken, tokenHash } = newSession(deps, app, login);
  // The family's write is issued first and the token signed while it waits for its commit; the
  // tokens are handed out only once the family is durable.
  const [, { token, expiresAt }] = await Promise.all([
    deps.store.sessions.create(family, tokenHash),
    issueSessionToken(tokens, app, family),
  ]);
  return {
    token,
    expiresAt,
    refreshToken,
    refreshExpiresAt: Math.floor(family.expiresAt / 1000),
    sessionId: family.id,
  };
}

/**
 * `POST /v1/tokens/refresh`: spends the refresh token and issues a new access and refresh token
 * in the same family. Refused with 401 `verification_failed` (reason in the audit log) when the
 * token is unknown, its family revoked or expired, its credential deleted, or the token was
 * already used (outside the retry grace, {@link REFRESH_GRACE_MS}): then the whole family is
 * revoked (`refresh_reuse`). Failures count against the client IP's rate limit, as failed logins
 * do.
 *
 * @example
 * const next = await refreshSession(deps, tokens, app, { refreshToken }, request.ip);
 */
export async function refreshSession(
  deps: Deps,
  tokens: TokenService,
  app: App,
  body: unknown,
  ip: string | null,
): Promise<SessionTokens> {
  const presented = readRefreshToken(body);
  const keys = limitKeys(app, null, ip);
  await checkRateLimit(deps, app, keys);
  const fail = async (reason: ReasonCode, family: SessionFamily | null): Promise<never> => {
    // Unknown tokens come from anyone: they are logged and rate-limited, not written to the audit
    // log (an anonymous caller must not be able to grow it). Known families are audited.
    if (family === null) deps.log.info({ appId: app.id, reason }, 'refresh refused');
    else
      await recordAttempt(deps, {
        app,
        scheme: family.amr,
        action: 'refresh',
        reason,
        userId: family.userId,
        credentialId: family.credentialId,
        ip,
      });
    await countFailure(deps, app, keys);
    throw new SignetError('verification_failed', undefined, { reason });
  };
  if (!isRefreshTokenShape(presented)) return fail('refresh_unknown', null);

  const presentedHash = hashRefreshToken(presented);
  const now = deps.clock();
  // Everything that can fail is done before the token is spent, so that a failure (a store that
  // is down, a signing error) never leaves the client holding a spent token: its retry would be
  // reuse and end the session. The access token is signed first and discarded unless we win.
  const known = await deps.store.sessions.findByToken(app.id, presentedHash);
  if (known === null) return fail('refresh_unknown', null);
  // A credential deleted since the login ends its sessions (they are also revoked at deletion;
  // this covers a device key replaced by a new one with the same deviceId).
  if (known.revokedAt === null && known.credentialId !== null) {
    const credential = await deps.store.credentials.get(app.id, known.credentialId);
    if (credential === null || credential.userId !== known.userId) {
      await deps.store.sessions.revoke(app.id, known.id, 'credential_deleted', now);
      return fail('session_revoked', known);
    }
  }
  const { token, expiresAt } = await tokens.issue(accessClaims(app, known));

  const next = newRefreshToken(deps);
  const result = await deps.store.sessions.rotate(
    app.id,
    presentedHash,
    hashRefreshToken(next),
    now,
    REFRESH_GRACE_MS,
  );
  if (result.outcome === 'unknown') return fail('refresh_unknown', null);
  const { family } = result;
  if (result.outcome === 'reused') {
    deps.log.warn({ appId: app.id, sessionId: family.id }, 'refresh token reuse: session revoked');
    await notifyRevoked(deps, app, 'refresh_reuse', 1, family);
    return fail('refresh_reuse', family);
  }
  if (result.outcome === 'inactive')
    return fail(family.revokedAt !== null ? 'session_revoked' : 'session_expired', family);
  // A retry inside the grace: the token it replaced earlier is spent now (presenting it is reuse).
  if (result.retried)
    deps.log.info({ appId: app.id, sessionId: family.id }, 'refresh retried within the grace');
  await recordAttempt(deps, {
    app,
    scheme: family.amr,
    action: 'refresh',
    reason: null,
    userId: family.userId,
    credentialId: family.credentialId,
    ip,
  });
  return { token, expiresAt, refreshToken: next, refreshExpiresAt: Math.floor(family.expiresAt / 1000) };
}

/**
 * `POST /v1/logout`: revokes the family of a refresh token (spent or current: the holder of any
 * token of the family may end it). Answers the same whether or not the token was known; an
 * unknown token counts as a failure for the client IP's rate limit.
 *
 * @example
 * await logout(deps, app, { refreshToken }, request.ip);
 */
export async function logout(deps: Deps, app: App, body: unknown, ip: string | null): Promise<void> {
  const presented = readRefreshToken(body);
  const keys = limitKeys(app, null, ip);
  await checkRateLimit(deps, app, keys);
  const family = isRefreshTokenShape(presented)
    ? await deps.store.sessions.findByToken(app.id, hashRefreshToken(presented))
    : null;
  if (family === null) {
    await countFailure(deps, app, keys);
    return;
  }
  if (await deps.store.sessions.revoke(app.id, family.id, 'logout', deps.clock())) {
    await notifyRevoked(deps, app, 'logout', 1, family);
    await recordAttempt(deps, {
      app,
      scheme: family.amr,
      action: 'logout',
      reason: null,
      userId: family.userId,
      credentialId: family.credentialId,
      ip,
    });
  }
}

/** RFC 7662 §2.2 introspection answer. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      sub: string;
      aud: string;
      iss: string;
      exp: number;
      iat: number;
      jti: string;
      cid?: string;
      amr: string[];
      sid?: string;
      /** A signed transaction's approval (docs/protocols.md). */
      txn?: string;
      client_id: string;
      token_type: 'Bearer';
    };

const INACTIVE = { active: false } as const;

/**
 * `POST /v1/tokens/introspect` (RFC 7662): an access token is active when its signature verifies
 * with a key in the JWKS (a revoked key is not), `iss` is this server, `aud` is the calling app,
 * it has not expired, its family (`sid`) is not revoked, and its credential (`cid`) still exists.
 * Anything else, malformed input included, is `{ active: false }`: the answer never says why.
 *
 * @example
 * const { active } = await introspectToken(deps, tokens, app, { token });
 */
export async function introspectToken(
  deps: Deps,
  tokens: TokenService,
  app: App,
  body: unknown,
): Promise<Introspection> {
  const token = (body as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token.length === 0 || token.length > 8192)
    throw new SignetError('invalid_request', 'token must be a string of 1-8192 characters');
  let payload;
  try {
    payload = await tokens.verify(token, app.id);
  } catch {
    return INACTIVE;
  }
  const { sub, iss, exp, iat, jti } = payload;
  const sid = payload['sid'];
  const cid = payload['cid'];
  const amr = payload['amr'];
  const txn = payload['txn'];
  if (
    typeof sub !== 'string' ||
    typeof iss !== 'string' ||
    typeof exp !== 'number' ||
    typeof iat !== 'number' ||
    typeof jti !== 'string' ||
    !Array.isArray(amr) ||
    (sid !== undefined && typeof sid !== 'string') ||
    (cid !== undefined && typeof cid !== 'string') ||
    (txn !== undefined && typeof txn !== 'string')
  )
    return INACTIVE;
  if (sid !== undefined) {
    const family = await deps.store.sessions.get(app.id, sid);
    if (family === null || family.revokedAt !== null || family.userId !== sub) return INACTIVE;
  }
  if (cid !== undefined) {
    const credential = await deps.store.credentials.get(app.id, cid);
    if (credential === null || credential.userId !== sub) return INACTIVE;
  }
  return {
    active: true,
    sub,
    aud: app.id,
    iss,
    exp,
    iat,
    jti,
    ...(cid === undefined ? {} : { cid }),
    amr: amr.filter((m): m is string => typeof m === 'string'),
    ...(sid === undefined ? {} : { sid }),
    ...(txn === undefined ? {} : { txn }),
    client_id: app.id,
    token_type: 'Bearer',
  };
}

/** How long after `exp` an access token may still name its family for revocation. */
const REVOKE_BY_EXPIRED_TOKEN_SEC = 30 * 86_400;

/**
 * `POST /v1/tokens/revoke` with exactly one of `{ token }` (a refresh token, or an access token
 * of the app: its family), `{ userId }` (every session of the user) or `{ credentialId }` (every
 * session the credential started). Answers how many families were revoked (RFC 7009 §2.2: an
 * unknown or invalid token is not an error, it revokes nothing).
 *
 * @example
 * const { revoked } = await revokeSessions(deps, tokens, app, { userId: 'alice' });
 */
export async function revokeSessions(
  deps: Deps,
  tokens: TokenService,
  app: App,
  body: unknown,
): Promise<{ revoked: number }> {
  const b = (body ?? {}) as Record<string, unknown>;
  const given = (['token', 'userId', 'credentialId'] as const).filter((k) => b[k] !== undefined);
  if (given.length !== 1)
    throw new SignetError('invalid_request', 'give exactly one of token, userId and credentialId');
  const now = deps.clock();
  let revoked = 0;
  let audit: { userId: string | null; credentialId: string | null } = { userId: null, credentialId: null };
  let sessionId: string | undefined;
  if (given[0] === 'userId') {
    const userId = checkUserId(b['userId']);
    revoked = await deps.store.sessions.revokeByUser(app.id, userId, 'revoked', now);
    audit = { userId, credentialId: null };
  } else if (given[0] === 'credentialId') {
    const credentialId = b['credentialId'];
    if (typeof credentialId !== 'string' || credentialId.length === 0 || credentialId.length > 512)
      throw new SignetError('invalid_request', 'credentialId must be a string of 1-512 characters');
    revoked = await deps.store.sessions.revokeByCredential(app.id, credentialId, 'revoked', now);
    audit = { userId: null, credentialId };
  } else {
    const token = b['token'];
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192)
      throw new SignetError('invalid_request', 'token must be a string of 1-8192 characters');
    const family = await familyOfToken(deps, tokens, app, token);
    if (family !== null) {
      revoked = (await deps.store.sessions.revoke(app.id, family.id, 'revoked', now)) ? 1 : 0;
      audit = { userId: family.userId, credentialId: family.credentialId };
      sessionId = family.id;
    }
  }
  if (revoked > 0) {
    await recordAttempt(deps, { app, scheme: 'tiniapp', action: 'revoke', reason: null, ...audit, ip: null });
    await notifyRevoked(deps, app, 'revoked', revoked, { ...audit, ...(sessionId ? { id: sessionId } : {}) });
  }
  return { revoked };
}

/** The family a refresh token or an access token (its `sid`) of this app belongs to. */
async function familyOfToken(
  deps: Deps,
  tokens: TokenService,
  app: App,
  token: string,
): Promise<SessionFamily | null> {
  if (isRefreshTokenShape(token)) return deps.store.sessions.findByToken(app.id, hashRefreshToken(token));
  let sid: unknown;
  try {
    sid = (await tokens.verify(token, app.id, REVOKE_BY_EXPIRED_TOKEN_SEC))['sid'];
  } catch {
    return null;
  }
  return typeof sid === 'string' ? deps.store.sessions.get(app.id, sid) : null;
}

/**
 * Revokes the sessions a deleted credential started (called when a credential is deleted).
 *
 * @example
 * await revokeCredentialSessions(deps, app, credentialId);
 */
export async function revokeCredentialSessions(deps: Deps, app: App, credentialId: string): Promise<number> {
  return deps.store.sessions.revokeByCredential(app.id, credentialId, 'credential_deleted', deps.clock());
}

/** A user's active sessions, newest first (console). */
export async function listSessions(deps: Deps, app: App, userId: string): Promise<SessionView[]> {
  checkUserId(userId);
  const families = await deps.store.sessions.listActiveByUser(app.id, userId, deps.clock());
  return families.map((f) => ({
    id: f.id,
    userId: f.userId,
    credentialId: f.credentialId,
    amr: f.amr,
    createdAt: f.createdAt,
    expiresAt: f.expiresAt,
    refreshedAt: f.refreshedAt,
  }));
}

/** "Sign out everywhere": revokes every session of a user; returns how many. */
export async function signOutEverywhere(deps: Deps, app: App, userId: string): Promise<{ revoked: number }> {
  checkUserId(userId);
  const revoked = await deps.store.sessions.revokeByUser(app.id, userId, 'user_signed_out', deps.clock());
  if (revoked > 0) await notifyRevoked(deps, app, 'user_signed_out', revoked, { userId, credentialId: null });
  return { revoked };
}

/**
 * The `token.revoked` webhook event: which sessions (`sessionId` when one family, else the user
 * or credential whose sessions went), how many, and why (`logout`, `refresh_reuse`, `revoked`,
 * `user_signed_out`). Sessions ended by a credential deletion are in `credential.deleted`.
 */
function notifyRevoked(
  deps: Deps,
  app: App,
  reason: string,
  revoked: number,
  of: { id?: string; userId: string | null; credentialId: string | null },
): Promise<void> {
  return notifyApp(deps, app, 'token.revoked', {
    userId: of.userId,
    credentialId: of.credentialId,
    sessionId: of.id ?? null,
    revoked,
    reason,
  });
}
