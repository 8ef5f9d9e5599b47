import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { errorBody } from '../errors.js';
import { errorResponses } from '../schemas.js';
import { sha256 } from '../../crypto/index.js';
import { equalBytes, utf8Bytes } from '../../encoding/bytes.js';
import { SignetError } from '../../errors/SignetError.js';

/** Liveness, readiness, metrics, OpenAPI and JWKS (all public, no app). */
export function registerSystemRoutes(api: FastifyInstance, ctx: RouteContext): void {
  api.get(
    '/healthz',
    {
      config: { side: 'public' },
      schema: {
        summary: 'Liveness',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  api.get(
    '/readyz',
    {
      config: { side: 'public' },
      schema: {
        summary: 'Readiness: every store answers',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (_request, reply) => {
      try {
        await ctx.deps.store.ping();
        return { status: 'ready' };
      } catch {
        return reply.status(503).send(errorBody('store_unavailable'));
      }
    },
  );

  // Private (docs/api.md "Metrics are private"): failure reasons per scheme would tell which
  // users exist. Without a token there is no route at all (404 like any unknown path).
  const metricsToken = ctx.metricsToken;
  if (metricsToken !== null) {
    const expected = sha256(utf8Bytes(`Bearer ${metricsToken}`));
    api.get(
      '/metrics',
      { config: { side: 'public' }, schema: { summary: 'Prometheus metrics', hide: true } },
      async (request, reply) => {
        const given = request.headers.authorization;
        // Digests of equal length, compared in constant time: nothing leaks the token's length.
        if (typeof given !== 'string' || !equalBytes(sha256(utf8Bytes(given)), expected))
          throw new SignetError('unauthenticated', 'The metrics bearer token is missing or wrong.');
        return reply
          .header('cache-control', 'no-store')
          .type('text/plain; version=0.0.4')
          .send(ctx.metrics.render());
      },
    );
  }

  api.get('/openapi.json', { config: { side: 'public' }, schema: { hide: true } }, async () => api.swagger());

  api.get(
    '/.well-known/jwks.json',
    {
      config: { side: 'public' },
      schema: {
        summary: 'Token verification keys (JWKS)',
        response: {
          200: {
            type: 'object',
            properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
          },
          ...errorResponses,
        },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return ctx.tokens.jwks();
    },
  );
}
