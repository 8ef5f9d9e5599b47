import type { FastifyInstance } from 'fastify';
import { relatedOriginsFor } from '../../core/relatedOrigins.js';
import { SignetError } from '../../errors/SignetError.js';
import type { RouteContext } from '../context.js';
import { errorResponses } from '../schemas.js';

/**
 * `GET /.well-known/webauthn` (WebAuthn L3 §5.11.1): `{ "origins": [...] }` for the app whose
 * rpId is the host this request was sent to (the Host header, or X-Forwarded-Host through a
 * trusted proxy). Public; 404 `not_found` when no app has that rpId.
 */
export function registerRelatedOriginsRoute(api: FastifyInstance, ctx: RouteContext): void {
  api.get(
    '/.well-known/webauthn',
    {
      config: { side: 'public' },
      schema: {
        summary: 'WebAuthn Related Origin Requests: the origins allowed to use this host as rpId',
        response: {
          200: {
            type: 'object',
            required: ['origins'],
            properties: { origins: { type: 'array', items: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const host = request.hostname;
      const origins = host && host.length <= 253 ? await relatedOriginsFor(ctx.deps, host) : null;
      if (origins === null) throw new SignetError('not_found', 'No app has this host as its rpId.');
      void reply.header('cache-control', 'public, max-age=300');
      return { origins };
    },
  );
}
