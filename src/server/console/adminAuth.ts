import { randomBytes } from 'node:crypto';
import { equalHexMac, hmacSha256, hmacSha256Hex } from '../../crypto/hmac.js';

/** Shortest admin token accepted at start-up (a generated 32-byte base64url token has 43). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** Lifetime of a console session cookie: a working day. */
export const CONSOLE_SESSION_TTL_MS = 8 * 3600_000;

export const CONSOLE_COOKIE = 'signet_console';

export interface AdminAuthOptions {
  /** The admin credential (SIGNET_ADMIN_TOKEN). */
  token: string;
  /** Unix milliseconds (sessions expire by it). */
  clock: () => number;
  /** The cookie's Path: the console's mount point, e.g. `/signet/console`. */
  cookiePath: string;
  sessionTtlMs?: number;
}

/**
 * How a request proved it is the admin: the bearer token, or a console session cookie (its id
 * and expiry, so that the caller can check it was not signed out and sign it out).
 */
export type AdminProof = { kind: 'bearer' } | { kind: 'cookie'; sessionId: string; expiresAt: number };

export interface AdminAuth {
  /** True when `candidate` is the admin token (constant time, whatever the lengths). */
  isAdminToken(candidate: string): boolean;
  /** How the request is authenticated, from its Authorization and Cookie headers; null when it is not. */
  authenticate(headers: {
    authorization?: string | undefined;
    cookie?: string | undefined;
  }): AdminProof | null;
  /** A Set-Cookie value opening a session (HttpOnly, SameSite=Strict, Secure on https). */
  sessionCookie(secure: boolean): string;
  /** A Set-Cookie value removing the session cookie. */
  clearCookie(secure: boolean): string;
  /** The session a Cookie header carries when its MAC and expiry hold; null otherwise. */
  readSession(cookie: string | undefined): { sessionId: string; expiresAt: number } | null;
}

/** Reads one cookie's value from a Cookie header (RFC 6265 §5.4 pairs, first match wins). */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * The admin console's credential check (docs/console.md). The admin token is compared through an
 * HMAC under a per-process random key, so the comparison takes the same time whatever the
 * candidate's length or content. A login in the console's form opens a session: the cookie holds
 * a random session id, an expiry and their HMAC under a key derived from the admin token, so that
 * sessions work on every node of a deployment and all end when the token changes; the token
 * itself never leaves the login request. Signing out is the caller's to record (the console
 * keeps signed-out session ids in the store's replay set until they expire), since a cookie the
 * browser dropped may have been copied. Options are checked when the factory runs, not per request.
 *
 * @example
 * const auth = createAdminAuth({ token: process.env.SIGNET_ADMIN_TOKEN!, clock: Date.now, cookiePath: '/console' });
 * auth.authenticate({ authorization: `Bearer ${token}` }) // { kind: 'bearer' }
 */
export function createAdminAuth(options: AdminAuthOptions): AdminAuth {
  if (typeof options.token !== 'string' || options.token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new TypeError(`the admin token must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  }
  if (/[\s\u0000-\u001f\u007f]/.test(options.token))
    throw new TypeError('the admin token must not contain spaces or control characters');
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(options.cookiePath))
    throw new TypeError('cookiePath must be a URL path');
  const ttl = options.sessionTtlMs ?? CONSOLE_SESSION_TTL_MS;
  const compareKey = randomBytes(32);
  const expected = hmacSha256Hex(compareKey, options.token);
  const sessionKey = hmacSha256(options.token, 'signet-console-session-v1');
  const sessionMac = (expiresAt: number, sessionId: string): string =>
    hmacSha256Hex(sessionKey, `console-session:v2:${expiresAt}:${sessionId}`);

  const isAdminToken = (candidate: string): boolean =>
    equalHexMac(expected, hmacSha256Hex(compareKey, candidate));

  function readSession(cookie: string | undefined): { sessionId: string; expiresAt: number } | null {
    const value = readCookie(cookie, CONSOLE_COOKIE);
    const m = value === null ? null : /^v2\.(\d{13,15})\.([A-Za-z0-9_-]{22})\.([0-9a-f]{64})$/.exec(value);
    if (!m) return null;
    const expiresAt = Number(m[1]);
    const sessionId = m[2]!;
    const valid =
      equalHexMac(sessionMac(expiresAt, sessionId), m[3]!) &&
      expiresAt > options.clock() &&
      expiresAt <= options.clock() + ttl;
    return valid ? { sessionId, expiresAt } : null;
  }

  const attributes = (secure: boolean) =>
    `Path=${options.cookiePath}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

  return {
    isAdminToken,
    authenticate(headers) {
      const auth = headers.authorization;
      if (typeof auth === 'string' && /^Bearer /i.test(auth))
        return isAdminToken(auth.slice(7).trim()) ? { kind: 'bearer' } : null;
      const session = readSession(headers.cookie);
      return session === null ? null : { kind: 'cookie', ...session };
    },
    sessionCookie(secure) {
      const expiresAt = options.clock() + ttl;
      const sessionId = randomBytes(16).toString('base64url');
      return `${CONSOLE_COOKIE}=v2.${expiresAt}.${sessionId}.${sessionMac(expiresAt, sessionId)}; Max-Age=${Math.floor(ttl / 1000)}; ${attributes(secure)}`;
    },
    clearCookie(secure) {
      return `${CONSOLE_COOKIE}=; Max-Age=0; ${attributes(secure)}`;
    },
    readSession,
  };
}
