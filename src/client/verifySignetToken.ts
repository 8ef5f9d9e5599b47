import { createHash } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { canonicalizeJson } from '../encoding/jcs.js';

/**
 * A relying party's verifier for Signet's access tokens, on `jose` only: it reads Signet's
 * discovery document, takes the issuer from it (never from the URL it was given, so `localhost`
 * and `127.0.0.1` are the same Signet), caches the JWKS, and checks signature, `iss`, `aud` (the
 * appId), times and, when asked, `amr`. This is the offline check: a revoked session's tokens
 * stay valid here until `exp`; ask `POST /v1/tokens/introspect` when that matters (docs/tokens.md).
 */

/** The discovery document fields this verifier reads (RFC 8414 / OpenID Connect Discovery). */
export interface SignetDiscovery {
  issuer: string;
  jwks_uri: string;
  token_endpoint?: string;
  introspection_endpoint?: string;
  revocation_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
}

/** Claims of a verified Signet token (docs/api.md "token"). */
export interface SignetTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  amr: string[];
  /** The credential that signed the login. */
  cid?: string;
  /** The session (refresh-token family). */
  sid?: string;
  /** A signed transaction's approval: base64url(SHA-256(JCS(transaction))). */
  txn?: string;
}

/** Why a token was refused: a value, never an exception (the reason goes to logs, not clients). */
export type SignetTokenFailure =
  /** Missing, malformed, badly signed, wrong issuer or audience. */
  | 'token_invalid'
  | 'token_expired'
  /** The login method is not one the caller accepts. */
  | 'amr_not_allowed'
  /**
   * The token approves a transaction (`txn`) and none was expected (an approval is not a
   * login), or it approves another transaction than the one given.
   */
  | 'transaction_mismatch'
  /** Signet's discovery document or JWKS could not be fetched: answer 503, not 401. */
  | 'signet_unavailable';

export type SignetTokenResult =
  { ok: true; claims: SignetTokenClaims } | { ok: false; reason: SignetTokenFailure; cause?: unknown };

export interface SignetVerifierOptions {
  /** Signet's base URL as this app reaches it (with its base path), e.g. `http://localhost:8080`. */
  url: string;
  /** The app's id: every token must name it in `aud`. */
  audience: string;
  /**
   * Pins the issuer: the discovery document must name exactly this one (else every token is
   * refused as `signet_unavailable`, a configuration error to fix). Unset: the discovered issuer.
   */
  issuer?: string;
  /** Accepted login methods (`device`, `webauthn`, `eos`, `eth`, `mykey`); any when unset. */
  amr?: readonly string[];
  /** Seconds of clock skew allowed on `exp` / `iat` (default 5). */
  clockToleranceSec?: number;
  /**
   * How long fetched keys are trusted before the JWKS is fetched again, ms (default 300 000,
   * matching Signet's `cache-control`). A revoked signing key stops verifying here within this.
   */
  jwksCacheMaxAgeMs?: number;
  /** For tests: the fetch to use (default the global one). */
  fetch?: typeof fetch;
}

export interface SignetVerifier {
  /**
   * Verifies a token; resolves to a result, never rejects for a bad token. Without `expect`, or
   * without `expect.transaction`, it is a login token and one carrying `txn` is refused; with
   * `expect.transaction` the token must approve exactly that transaction (its `txn` is
   * base64url(SHA-256(RFC 8785 JSON))). A transaction that is not I-JSON throws `TypeError`.
   */
  verify(token: unknown, expect?: { transaction?: unknown }): Promise<SignetTokenResult>;
  /** The discovery document (fetched once, then cached; fetched again after a failure). */
  discovery(): Promise<SignetDiscovery>;
}

const MAX_TOKEN_LENGTH = 8192;

function checkUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${what} must be an absolute http(s) URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`${what} must be an http(s) URL, got ${JSON.stringify(text)}`);
  return url;
}

function parseDiscovery(value: unknown): SignetDiscovery {
  const v = value as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null) throw new Error('the discovery document is not an object');
  if (typeof v['issuer'] !== 'string' || v['issuer'].length === 0)
    throw new Error('the discovery document has no issuer');
  if (typeof v['jwks_uri'] !== 'string') throw new Error('the discovery document has no jwks_uri');
  checkUrl(v['jwks_uri'], 'jwks_uri');
  return v as unknown as SignetDiscovery;
}

/**
 * Where to fetch the JWKS: the discovery's `jwks_uri`, moved onto the URL this app used to reach
 * Signet when it lies under the issuer. The keys then come from the same server as the discovery
 * document (the one the app was configured to trust), even when the issuer's host name is one this
 * app cannot resolve (a public name behind a proxy, `127.0.0.1` vs `localhost`).
 */
export function resolveJwksUrl(discovery: SignetDiscovery, signetUrl: string): URL {
  const issuer = discovery.issuer.replace(/\/+$/, '');
  if (discovery.jwks_uri.startsWith(issuer + '/'))
    return new URL(signetUrl.replace(/\/+$/, '') + discovery.jwks_uri.slice(issuer.length));
  return new URL(discovery.jwks_uri);
}

/**
 * Builds a verifier. Options are checked now (a `TypeError` for a bad URL or audience), the
 * network is touched at the first `verify`.
 *
 * @example
 * const signet = createSignetVerifier({ url: 'http://localhost:8080', audience: appId, amr: ['webauthn'] });
 * const result = await signet.verify(token);
 * if (result.ok) console.log(result.claims.sub);
 */
export function createSignetVerifier(options: SignetVerifierOptions): SignetVerifier {
  checkUrl(options.url, 'url');
  if (typeof options.audience !== 'string' || options.audience.length === 0)
    throw new TypeError('audience must be the app id');
  if (options.amr !== undefined && (!Array.isArray(options.amr) || options.amr.length === 0))
    throw new TypeError('amr must be a non-empty list of login methods');
  const doFetch = options.fetch ?? fetch;
  const base = options.url.replace(/\/+$/, '');
  const tolerance = options.clockToleranceSec ?? 5;
  const cacheMaxAge = options.jwksCacheMaxAgeMs ?? 300_000;

  let discovered: Promise<{ doc: SignetDiscovery; keys: ReturnType<typeof createRemoteJWKSet> }> | null =
    null;

  function load() {
    discovered ??= (async () => {
      const response = await doFetch(`${base}/.well-known/openid-configuration`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`discovery answered ${response.status}`);
      const doc = parseDiscovery(await response.json());
      if (options.issuer !== undefined && doc.issuer !== options.issuer)
        throw new Error(
          `Signet's discovery names the issuer ${doc.issuer}, not the pinned ${options.issuer}`,
        );
      const keys = createRemoteJWKSet(resolveJwksUrl(doc, base), {
        cacheMaxAge,
        cooldownDuration: Math.min(30_000, cacheMaxAge),
        ...(options.fetch ? { [customFetch]: options.fetch } : {}),
      });
      return { doc, keys };
    })().catch((e: unknown) => {
      discovered = null;
      throw e;
    });
    return discovered;
  }

  return {
    async discovery() {
      return (await load()).doc;
    },
    async verify(token, expect) {
      // The caller's own transaction: hashed first, so that misuse throws whatever the token.
      const txn =
        expect?.transaction === undefined
          ? null
          : createHash('sha256').update(canonicalizeJson(expect.transaction), 'utf8').digest('base64url');
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
        return { ok: false, reason: 'token_invalid' };
      let loaded;
      try {
        loaded = await load();
      } catch (cause) {
        return { ok: false, reason: 'signet_unavailable', cause };
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, loaded.keys, {
          issuer: loaded.doc.issuer,
          audience: options.audience,
          algorithms: ['EdDSA'],
          clockTolerance: tolerance,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        }));
      } catch (cause) {
        if (cause instanceof joseErrors.JWTExpired) return { ok: false, reason: 'token_expired', cause };
        // A JWKS fetch that failed (network, timeout, non-200, not a JWKS: jose's generic error)
        // is Signet being away, not a bad token; everything else jose says is about the token.
        const away =
          !(cause instanceof joseErrors.JOSEError) ||
          cause.code === 'ERR_JOSE_GENERIC' ||
          cause instanceof joseErrors.JWKSTimeout ||
          cause instanceof joseErrors.JWKSInvalid;
        return { ok: false, reason: away ? 'signet_unavailable' : 'token_invalid', cause };
      }
      const amr = payload['amr'];
      if (!Array.isArray(amr) || !amr.every((m) => typeof m === 'string'))
        return { ok: false, reason: 'token_invalid' };
      if (options.amr && !amr.some((m) => options.amr!.includes(m)))
        return { ok: false, reason: 'amr_not_allowed' };
      if ((payload['txn'] ?? null) !== txn) return { ok: false, reason: 'transaction_mismatch' };
      return { ok: true, claims: payload as SignetTokenClaims };
    },
  };
}
