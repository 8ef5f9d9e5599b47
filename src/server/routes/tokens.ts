import type { FastifyInstance } from 'fastify';
import { introspectToken, logout, refreshSession, revokeSessions } from '../../core/sessions.js';
import type { RouteContext } from '../context.js';
import { requireAppForPublic } from '../publicApp.js';
import {
  appId,
  credentialId,
  errorResponses,
  sessionTokenFields,
  tiniappSecurity,
  userId,
} from '../schemas.js';

const refreshToken = { type: 'string', minLength: 1, maxLength: 512 } as const;
const jwt = { type: 'string', minLength: 1, maxLength: 8192 } as const;

const sessionTokens = { type: 'object', properties: sessionTokenFields } as const;

/** The body of a refresh and of a logout: the app and the refresh token. */
const refreshTokenBody = {
  type: 'object',
  required: ['appId', 'refreshToken'],
  additionalProperties: false,
  properties: { appId, refreshToken },
} as const;

/** The issuer's metadata (RFC 8414 §2; OpenID Connect Discovery 1.0 §3), absolute URLs under `iss`. */
export function discoveryDocument(issuer: string): Record<string, unknown> {
  const base = issuer.replace(/\/+$/, '');
  return {
    issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    token_endpoint: `${base}/v1/tokens/refresh`,
    introspection_endpoint: `${base}/v1/tokens/introspect`,
    revocation_endpoint: `${base}/v1/tokens/revoke`,
    grant_types_supported: ['refresh_token'],
    token_endpoint_auth_methods_supported: ['none'],
    // Both server-API signatures: Tiniapp headers, or RFC 9421 (no registered name for either).
    introspection_endpoint_auth_methods_supported: ['tiniapp_signature', 'http_message_signature'],
    revocation_endpoint_auth_methods_supported: ['tiniapp_signature', 'http_message_signature'],
    id_token_signing_alg_values_supported: ['EdDSA'],
    subject_types_supported: ['public'],
    claims_supported: ['iss', 'aud', 'sub', 'amr', 'cid', 'sid', 'txn', 'iat', 'exp', 'jti'],
  };
}

/**
 * Tokens and sessions (docs/api.md): refresh and logout (public, rate-limited per client IP like
 * `/v1/verify`), introspection and revocation (server API, Tiniapp-signed), and the discovery
 * documents that tell a relying party the issuer and where everything is.
 */
export function registerTokenRoutes(api: FastifyInstance, ctx: RouteContext): void {
  api.post<{ Body: { appId: string; refreshToken: string } }>(
    '/v1/tokens/refresh',
    {
      config: { side: 'public' },
      schema: {
        summary: 'Rotate a refresh token: a new access token and a new refresh token',
        body: refreshTokenBody,
        response: { 200: sessionTokens, ...errorResponses },
      },
    },
    async (request) => {
      const app = await requireAppForPublic(ctx.deps, request, request.body.appId);
      return refreshSession(ctx.deps, ctx.tokens, app, request.body, request.ip);
    },
  );

  api.post<{ Body: { appId: string; refreshToken: string } }>(
    '/v1/logout',
    {
      config: { side: 'public' },
      schema: {
        summary: 'End the session a refresh token belongs to',
        body: refreshTokenBody,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const app = await requireAppForPublic(ctx.deps, request, request.body.appId);
      await logout(ctx.deps, app, request.body, request.ip);
      return reply.status(204).send();
    },
  );

  api.post<{ Body: { token: string } }>(
    '/v1/tokens/introspect',
    {
      config: { side: 'server' },
      schema: {
        summary: 'Is this access token active? (RFC 7662)',
        security: tiniappSecurity,
        body: {
          type: 'object',
          required: ['token'],
          additionalProperties: false,
          properties: { token: jwt },
        },
        response: {
          200: {
            type: 'object',
            required: ['active'],
            properties: {
              active: { type: 'boolean' },
              sub: { type: 'string' },
              aud: { type: 'string' },
              iss: { type: 'string' },
              exp: { type: 'integer' },
              iat: { type: 'integer' },
              jti: { type: 'string' },
              cid: { type: 'string' },
              amr: { type: 'array', items: { type: 'string' } },
              sid: { type: 'string' },
              txn: { type: 'string' },
              client_id: { type: 'string' },
              token_type: { type: 'string' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => introspectToken(ctx.deps, ctx.tokens, request.signetApp!, request.body),
  );

  api.post<{ Body: { token?: string; userId?: string; credentialId?: string } }>(
    '/v1/tokens/revoke',
    {
      config: { side: 'server' },
      schema: {
        summary: 'Revoke sessions by token, user or credential',
        security: tiniappSecurity,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
          properties: { token: jwt, userId, credentialId },
        },
        response: {
          200: { type: 'object', properties: { revoked: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => revokeSessions(ctx.deps, ctx.tokens, request.signetApp!, request.body),
  );

  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
    api.get(
      path,
      {
        config: { side: 'public' },
        schema: {
          summary: 'Discovery: the issuer and its endpoints',
          response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
        },
      },
      async (_request, reply) => {
        void reply.header('cache-control', 'public, max-age=3600');
        // Always the configured issuer, never one built from the Host header: every token's `iss`
        // is this value, whichever name the caller used to reach the server.
        return discoveryDocument(ctx.deps.issuer);
      },
    );
  }
}
