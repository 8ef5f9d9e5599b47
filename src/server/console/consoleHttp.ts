import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignetError } from '../../errors/SignetError.js';
import { CONSOLE_CSP } from './page.js';

/** Security headers of every console answer: no framing, no caching, no inline code. */
export function secureHeaders(reply: FastifyReply): void {
  void reply.header('content-security-policy', CONSOLE_CSP);
  void reply.header('x-frame-options', 'DENY');
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('cache-control', 'no-store');
}

/**
 * Whether the browser reached Signet over https: directly, or through a TLS proxy that says so in
 * X-Forwarded-Proto. Trusting the header here is safe whatever the proxy set-up: it can only add
 * the cookie's Secure flag, which keeps the cookie off plain http.
 */
export function overHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return request.protocol === 'https' || first === 'https';
}

/**
 * A cookie rides along with any request to the console's path, so a cookie-authenticated one must
 * come from the console's own pages: SameSite=Strict already keeps the cookie off cross-site
 * requests, and the browser's Sec-Fetch-Site says the rest.
 */
export function refuseCrossSite(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new SignetError('unauthenticated', 'Cross-site console requests are refused.');
  }
}
