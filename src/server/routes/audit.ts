import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { auditRecord, errorResponses, tiniappSecurity, userId } from '../schemas.js';

/** Server API: the app's latest verification attempts, newest first. */
export function registerAuditRoutes(api: FastifyInstance, ctx: RouteContext): void {
  api.get<{ Querystring: { userId?: string; limit?: string } }>(
    '/v1/audit',
    {
      config: { side: 'server' },
      schema: {
        summary: 'Latest verification attempts, newest first',
        security: tiniappSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { userId, limit: { type: 'string', pattern: '^[0-9]{1,4}$' } },
        },
        response: {
          200: { type: 'object', properties: { records: { type: 'array', items: auditRecord } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = Math.min(Math.max(Number(request.query.limit ?? 50), 1), 1000);
      const records = await ctx.deps.store.audit.list(request.signetApp!.id, {
        ...(request.query.userId ? { userId: request.query.userId } : {}),
        limit,
      });
      return { records: records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })) };
    },
  );
}
