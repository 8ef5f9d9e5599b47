import { createPrivateKey, sign as signBytes, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { SigningKey } from '../store/types.js';
import type { Deps } from './deps.js';
import { randomAlphanumeric } from './ids.js';

/** The purpose a signing key is sealed under (also read by the CLI's master-key check). */
export const KEY_PURPOSE = 'signing-key';

/** Longest token lifetime an app may set; retired keys stay in the JWKS this long (docs/api.md). */
export const MAX_TOKEN_TTL_SEC = 30 * 86_400;

/** Claims of a login token (docs/glossary.md "Token"). */
export interface LoginClaims {
  appId: string;
  userId: string;
  /** Method: the scheme name (`device`, `webauthn`, `eos`, `eth`, `mykey`). */
  amr: string;
  credentialId: string | null;
  ttlSec: number;
  /** The session family the token belongs to (`sid` claim, `src/core/sessions.ts`); none for MYKEY. */
  sessionId?: string;
  /** Unix seconds the token must not outlive (its family's end). */
  notAfterSec?: number;
  /** A signed transaction's hash, base64url(SHA-256(JCS(transaction))) (`txn` claim). */
  txn?: string;
}

export interface TokenService {
  /** Signs a login token with the active key; returns it and its expiry (ms). */
  issue(claims: LoginClaims): Promise<{ token: string; expiresAt: number }>;
  /** Public keys of the active and not-yet-expired retired keys. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Makes a new active key; the previous one stays published until its tokens have expired. */
  rotate(): Promise<{ kid: string }>;
  /**
   * Verifies a token as a relying app would (tests, CLI, introspection): signature with a key
   * still in the JWKS (never a revoked one), issuer, audience, times. `toleranceSec` accepts an
   * expired token that long after `exp` (revocation by an expired token names its family).
   */
  verify(token: string, audience: string, toleranceSec?: number): Promise<JWTPayload>;
  /**
   * Revokes a signing key (`signet keys revoke`): it leaves the JWKS at once and its tokens stop
   * verifying; when it was the active key a new one takes over. False when no such key.
   */
  revoke(kid: string): Promise<boolean>;
  /**
   * Scheduled rotation (`serve --key-rotation-days`): rotates when the active key is at least
   * `maxAgeMs` old; returns the new kid, or null when no rotation was due.
   */
  rotateIfOlderThan(maxAgeMs: number): Promise<string | null>;
}

async function newSigningKey(deps: Deps): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomAlphanumeric(deps.random, 16);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
  return {
    kid,
    alg: 'EdDSA',
    publicJwk,
    sealedPrivateJwk: deps.sealer.seal(JSON.stringify(privateJwk), KEY_PURPOSE),
    createdAt: deps.clock(),
    retiredAt: null,
    revokedAt: null,
  };
}

/** base64url of a JSON value (RFC 7515 §2, BASE64URL(UTF8(JSON))). */
function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * The token service: EdDSA (Ed25519) JWTs, keys from the store (sealed at rest), the active
 * private key imported once into an OpenSSL KeyObject and cached until a rotation is seen.
 * `jose` makes keys, publishes the JWKS and verifies; signing, on every login, is one
 * synchronous `crypto.sign` over the compact JWS input (RFC 7515 §5.1, RFC 8037 §3.1), ~3x
 * cheaper than WebCrypto and without a trip through libuv's thread pool (docs/benchmarks.md).
 *
 * @example
 * const tokens = createTokenService(deps);
 * const { token } = await tokens.issue({ appId, userId, amr: 'device', credentialId, ttlSec: 3600 });
 */
export function createTokenService(deps: Deps): TokenService {
  let cached: { kid: string; key: KeyObject; checkedAt: number } | null = null;
  /** How long a node trusts its cached active key before re-reading (another node may rotate). */
  const RECHECK_MS = 10_000;

  async function activeKey(): Promise<{ kid: string; key: KeyObject }> {
    const now = deps.clock();
    if (cached && now - cached.checkedAt < RECHECK_MS) return cached;
    let keys = await deps.store.signingKeys.list();
    let active = keys.find((k) => k.retiredAt === null);
    if (!active) {
      await deps.store.signingKeys.rotate(await newSigningKey(deps));
      keys = await deps.store.signingKeys.list();
      active = keys.find((k) => k.retiredAt === null);
      if (!active) throw new Error('no active signing key after creating one');
    }
    if (cached?.kid !== active.kid) {
      const jwk = JSON.parse(deps.sealer.open(active.sealedPrivateJwk, KEY_PURPOSE)) as JWK;
      cached = {
        kid: active.kid,
        key: createPrivateKey({ key: jwk as never, format: 'jwk' }),
        checkedAt: now,
      };
    } else {
      cached.checkedAt = now;
    }
    return cached;
  }

  async function jwks(): Promise<{ keys: JWK[] }> {
    await activeKey();
    const now = deps.clock();
    const keys = await deps.store.signingKeys.list();
    return {
      keys: keys
        .filter(
          (k) =>
            k.revokedAt === null && (k.retiredAt === null || k.retiredAt + MAX_TOKEN_TTL_SEC * 1000 > now),
        )
        .map((k) => k.publicJwk as JWK),
    };
  }

  return {
    async issue(claims) {
      const { kid, key } = await activeKey();
      const iat = Math.floor(deps.clock() / 1000);
      let exp = iat + Math.min(claims.ttlSec, MAX_TOKEN_TTL_SEC);
      if (claims.notAfterSec !== undefined) exp = Math.max(iat + 1, Math.min(exp, claims.notAfterSec));
      const header = encodeJson({ alg: 'EdDSA', kid, typ: 'JWT' });
      const payload = encodeJson({
        amr: [claims.amr],
        ...(claims.credentialId ? { cid: claims.credentialId } : {}),
        iss: deps.issuer,
        aud: claims.appId,
        sub: claims.userId,
        iat,
        exp,
        jti: randomAlphanumeric(deps.random, 22),
        ...(claims.sessionId ? { sid: claims.sessionId } : {}),
        ...(claims.txn ? { txn: claims.txn } : {}),
      });
      const input = `${header}.${payload}`;
      const signature = signBytes(null, Buffer.from(input, 'ascii'), key).toString('base64url');
      return { token: `${input}.${signature}`, expiresAt: exp * 1000 };
    },
    jwks,
    async rotate() {
      const key = await newSigningKey(deps);
      await deps.store.signingKeys.rotate(key);
      await deps.store.signingKeys.prune(deps.clock() - MAX_TOKEN_TTL_SEC * 1000);
      cached = null;
      return { kid: key.kid };
    },
    async verify(token, audience, toleranceSec = 0) {
      const set = createLocalJWKSet(await jwks());
      const { payload } = await jwtVerify(token, set, {
        issuer: deps.issuer,
        audience,
        algorithms: ['EdDSA'],
        currentDate: new Date(deps.clock()),
        clockTolerance: toleranceSec,
      });
      return payload;
    },
    async revoke(kid) {
      const keys = await deps.store.signingKeys.list();
      const key = keys.find((k) => k.kid === kid);
      if (!key) return false;
      const revoked = await deps.store.signingKeys.revoke(kid, deps.clock());
      cached = null;
      // A revoked active key leaves no active one: make its successor now, not at the next login.
      if (revoked && key.retiredAt === null) await activeKey();
      return revoked || key.revokedAt !== null;
    },
    async rotateIfOlderThan(maxAgeMs) {
      const active = (await deps.store.signingKeys.list()).find((k) => k.retiredAt === null);
      if (active && deps.clock() - active.createdAt < maxAgeMs) return null;
      if (!active) return (await activeKey()).kid;
      const key = await newSigningKey(deps);
      await deps.store.signingKeys.rotate(key);
      await deps.store.signingKeys.prune(deps.clock() - MAX_TOKEN_TTL_SEC * 1000);
      cached = null;
      return key.kid;
    },
  };
}
