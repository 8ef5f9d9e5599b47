/**
 * `signet-auth/tokens`: what a relying party needs to accept Signet's tokens, without the server, a
 * database driver or Fastify at run time: the verifier (discovery, JWKS cache, issuer, audience,
 * amr) and the Fastify / node:http middleware. See docs/tokens.md.
 *
 * @example
 * import { createSignetVerifier, signetMiddleware } from 'signet-auth/tokens';
 */
export {
  createSignetVerifier,
  resolveJwksUrl,
  type SignetDiscovery,
  type SignetTokenClaims,
  type SignetTokenFailure,
  type SignetTokenResult,
  type SignetVerifier,
  type SignetVerifierOptions,
} from './verifySignetToken.js';
export {
  authenticateRequest,
  readBearerToken,
  signetMiddleware,
  signetPreHandler,
  type SignetAuthOptions,
  type SignetRequest,
} from './signetAuth.js';
