import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {
  SignetTokenClaims,
  SignetTokenFailure,
  SignetTokenResult,
  SignetVerifier,
} from './verifySignetToken.js';

/**
 * Small adapters that make an app's own API require a Signet token in a few lines: a Fastify
 * `preHandler` and a `(req, res, next)` middleware for `node:http`, Express and Connect. Both read
 * `Authorization: Bearer <token>` (RFC 6750 §2.1), verify it with a {@link SignetVerifier}, and
 * put the claims on the request; a refused token gets a generic 401 (503 when Signet cannot be
 * reached) while the precise reason goes to `onReject`, for the app's log (never to the client).
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified Signet token's claims (set by `signetPreHandler`). */
    signetToken?: SignetTokenClaims;
  }
}

export interface SignetAuthOptions {
  /** Called with the precise reason of every refusal (log it; do not send it). */
  onReject?: (reason: SignetTokenFailure | 'token_missing', cause: unknown) => void;
}

/** The bearer token of an Authorization header value, or null. */
export function readBearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i.exec(header);
  return m ? m[1]! : null;
}

interface Refusal {
  status: 401 | 503;
  headers: Record<string, string>;
  body: { error: { code: string; message: string } };
}

function refusal(reason: SignetTokenFailure | 'token_missing'): Refusal {
  if (reason === 'signet_unavailable')
    return {
      status: 503,
      headers: { 'retry-after': '5' },
      body: {
        error: { code: 'store_unavailable', message: 'Token verification is unavailable; try again.' },
      },
    };
  return {
    status: 401,
    headers: {
      'www-authenticate':
        reason === 'token_missing' ? 'Bearer realm="signet"' : 'Bearer realm="signet", error="invalid_token"',
    },
    body: { error: { code: 'unauthenticated', message: 'A valid Signet token is required.' } },
  };
}

/** Verifies the request's bearer token: the result, with `token_missing` when there is none. */
export async function authenticateRequest(
  verifier: SignetVerifier,
  headers: IncomingMessage['headers'],
): Promise<SignetTokenResult | { ok: false; reason: 'token_missing' }> {
  const token = readBearerToken(headers.authorization);
  if (token === null) return { ok: false, reason: 'token_missing' };
  return verifier.verify(token);
}

function checkVerifier(verifier: SignetVerifier): void {
  if (typeof verifier?.verify !== 'function')
    throw new TypeError('pass a verifier from createSignetVerifier(...)');
}

/**
 * A Fastify `preHandler` that requires a Signet token; the claims land on `request.signetToken`.
 *
 * @example
 * const signet = createSignetVerifier({ url: process.env.SIGNET_URL!, audience: appId });
 * app.get('/api/me', { preHandler: signetPreHandler(signet) }, async (req) => ({ user: req.signetToken!.sub }));
 */
export function signetPreHandler(
  verifier: SignetVerifier,
  options: SignetAuthOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  checkVerifier(verifier);
  return async (request, reply) => {
    const result = await authenticateRequest(verifier, request.headers);
    if (result.ok) {
      request.signetToken = result.claims;
      return;
    }
    options.onReject?.(result.reason, 'cause' in result ? result.cause : undefined);
    const r = refusal(result.reason);
    await reply.status(r.status).headers(r.headers).send(r.body);
  };
}

/** A `node:http` request after {@link signetMiddleware}. */
export type SignetRequest = IncomingMessage & { signetToken?: SignetTokenClaims };

/**
 * A `(req, res, next)` middleware (Express, Connect, or plain `node:http` by calling it yourself)
 * that requires a Signet token; the claims land on `req.signetToken`.
 *
 * @example
 * const requireSignet = signetMiddleware(createSignetVerifier({ url, audience: appId }));
 * app.get('/api/me', requireSignet, (req, res) => res.json({ user: req.signetToken.sub }));
 */
export function signetMiddleware(
  verifier: SignetVerifier,
  options: SignetAuthOptions = {},
): (req: SignetRequest, res: ServerResponse, next: (error?: unknown) => void) => void {
  checkVerifier(verifier);
  return (req, res, next) => {
    authenticateRequest(verifier, req.headers).then(
      (result) => {
        if (result.ok) {
          req.signetToken = result.claims;
          next();
          return;
        }
        options.onReject?.(result.reason, 'cause' in result ? result.cause : undefined);
        const r = refusal(result.reason);
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(JSON.stringify(r.body));
      },
      (error: unknown) => next(error),
    );
  };
}
