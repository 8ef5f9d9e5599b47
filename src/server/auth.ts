import type { FastifyRequest } from 'fastify';
import { openAppSecrets } from '../core/apps.js';
import type { Deps } from '../core/deps.js';
import { recordAttempt } from '../core/audit.js';
import type { ReasonCode } from '../errors/codes.js';
import { SignetError } from '../errors/SignetError.js';
import {
  parseHttpSigPublicKey,
  verifyHttpSignature,
  type HttpSigVerifyKey,
} from '../schemes/httpsig/index.js';
import { normalizeAuthority } from '../schemes/httpsig/signatureBase.js';
import { TINIAPP_CLIENT_ID, verifyTiniappRequest } from '../schemes/tiniapp/index.js';
import type { App } from '../store/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The app whose signature (Tiniapp or RFC 9421) authenticated this server-API request. */
    signetApp?: App;
  }
}

/** How the server API authenticates: the base path and the authorities it answers on. */
export interface ServerAuthOptions {
  basePath: string;
  /**
   * The `@authority` values an RFC 9421 signature may name, normalised (lowercase, no default
   * port): the issuer's host and `--http-signature-authority`. The `Host` a request arrives with
   * is what the signature base uses, and it must be one of these: a signature made for another
   * server (or a Host the client merely claims) is refused as `authority_mismatch`.
   */
  authorities: ReadonlySet<string>;
}

/**
 * The authorities a server answers on for RFC 9421 `@authority`: the issuer URL's host plus each
 * configured one (`host[:port]`, or a URL whose host is taken), normalised as RFC 9421 §2.2.3.
 *
 * @example
 * serverAuthorities('https://auth.example.com', ['127.0.0.1:8080']) // Set { 'auth.example.com', '127.0.0.1:8080' }
 */
export function serverAuthorities(issuer: string, extra: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  const add = (value: string): void => {
    const v = value.trim();
    if (v === '') return;
    let url: URL;
    try {
      url = new URL(v.includes('://') ? v : `http://${v}`);
    } catch {
      throw new RangeError(`http-signature authority '${v.slice(0, 100)}' is not host[:port] or a URL`);
    }
    if (url.pathname !== '/' || url.search || url.hash || url.username || url.password)
      throw new RangeError(
        `http-signature authority '${v.slice(0, 100)}' must be host[:port] or scheme://host[:port]`,
      );
    // URL already drops the scheme's default port and lowercases the host.
    out.add(url.host);
  };
  add(issuer);
  for (const a of extra) add(a);
  return out;
}

/**
 * Authenticates a server-API request (docs/api.md): by its RFC 9421 HTTP message signature when
 * it carries `Signature-Input` (see {@link authenticateHttpSignature}), else by its Tiniapp
 * signature (a body request signs the exact bytes received, a body-less one its path and query
 * as sent, less the base path). Any failure answers 401 `unauthenticated` (or `timestamp_skew`);
 * the precise reason goes to the audit log.
 */
export async function authenticateServerRequest(
  deps: Deps,
  request: FastifyRequest,
  options: ServerAuthOptions,
): Promise<App> {
  // RFC 9421 when the request carries Signature-Input (or a Signature without Tiniapp headers);
  // a Tiniapp request that happens to carry some other `Signature` header stays Tiniapp.
  if (
    request.headers['signature-input'] !== undefined ||
    (request.headers['signature'] !== undefined && request.headers['x-tiniapp-signature'] === undefined)
  )
    return authenticateHttpSignature(deps, request, options);
  const clientId = request.headers['x-tiniapp-client-id'];
  if (typeof clientId !== 'string' || !TINIAPP_CLIENT_ID.test(clientId))
    throw new SignetError('unauthenticated');
  const app = await deps.store.apps.get(clientId);
  if (!app) throw new SignetError('unauthenticated');
  const hasBody = request.rawBody !== undefined && request.rawBody.length > 0;
  const result = await verifyTiniappRequest({
    headers: request.headers,
    ...(hasBody
      ? { body: request.rawBody as Uint8Array }
      : { path: request.url, basePath: options.basePath }),
    secrets: openAppSecrets(deps, app),
    now: deps.clock(),
    skewMs: app.settings.skewMs,
    replay: deps.store.replay,
  });
  if (!result.ok) await refuse(deps, request, app, 'tiniapp', result.code);
  return app;
}

/** Audits a refused server-API call and throws its 401. */
async function refuse(
  deps: Deps,
  request: FastifyRequest,
  app: App,
  scheme: 'tiniapp' | 'http-signature',
  reason: ReasonCode,
): Promise<never> {
  await recordAttempt(deps, {
    app,
    scheme,
    action: 'server_api',
    reason,
    userId: null,
    credentialId: null,
    ip: request.ip,
  });
  throw new SignetError(reason === 'timestamp_skew' ? 'timestamp_skew' : 'unauthenticated', undefined, {
    reason,
  });
}

/** The `keyid` parameter of the only signature in `Signature-Input`, read cheaply; null if none. */
function readKeyid(signatureInput: string): string | null {
  const m = /;\s*keyid="([A-Za-z0-9_-]{1,128})"/.exec(signatureInput);
  return m ? m[1]! : null;
}

/**
 * RFC 9421 authentication (docs/api.md "HTTP Message Signatures"): `keyid` names the app, whose
 * keys are its secrets (`hmac-sha256`, both during a rotation) and its registered Ed25519 key
 * (`ed25519`). The signature base is built from the request as received: the method, the `Host`
 * header as `@authority` (which must be one of `options.authorities`), the raw target and the
 * exact body bytes. Coverage, digest, `created` within the app's skew, `expires`, and the replay
 * record (shared by every node) are checked by `verifyHttpSignature`, in that order, so a forged
 * request never spends a replay entry.
 */
async function authenticateHttpSignature(
  deps: Deps,
  request: FastifyRequest,
  options: ServerAuthOptions,
): Promise<App> {
  const input = request.headers['signature-input'];
  const keyid = typeof input === 'string' ? readKeyid(input) : null;
  if (keyid === null || !TINIAPP_CLIENT_ID.test(keyid)) throw new SignetError('unauthenticated');
  const app = await deps.store.apps.get(keyid);
  if (!app) throw new SignetError('unauthenticated');
  const host = request.headers.host;
  if (typeof host !== 'string' || !options.authorities.has(normalizeAuthority(host, request.protocol)))
    return refuse(deps, request, app, 'http-signature', 'authority_mismatch');
  const hasBody = request.rawBody !== undefined && request.rawBody.length > 0;
  const result = await verifyHttpSignature({
    request: {
      method: request.method,
      authority: host,
      target: request.raw.url ?? request.url,
      scheme: request.protocol,
      headers: request.headers,
      ...(hasBody ? { body: request.rawBody as Uint8Array } : {}),
    },
    // The keyid the verifier reads is the one looked up above (its parser is the strict one; a
    // different keyid in a crafted header finds no keys and fails).
    resolveKeys: (id) => (id === app.id ? appHttpSignatureKeys(deps, app) : []),
    now: deps.clock(),
    skewMs: app.settings.skewMs,
    replay: deps.store.replay,
  });
  if (!result.ok) return refuse(deps, request, app, 'http-signature', result.code);
  return app;
}

/** The keys an app's RFC 9421 signatures may use: its active secrets and its Ed25519 key. */
function appHttpSignatureKeys(deps: Deps, app: App): HttpSigVerifyKey[] {
  const keys: HttpSigVerifyKey[] = openAppSecrets(deps, app).map((secret) => ({
    alg: 'hmac-sha256' as const,
    secret,
  }));
  const pem = app.settings.httpSignatureKey;
  if (typeof pem === 'string') {
    const key = parseHttpSigPublicKey(pem);
    if (key.ok) keys.push({ alg: 'ed25519', publicKey: key.value });
  }
  return keys;
}
