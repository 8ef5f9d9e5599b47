import type { FastifyInstance } from 'fastify';
import { requireApp } from '../../core/apps.js';
import type { Deps } from '../../core/deps.js';
import { listSessions, signOutEverywhere } from '../../core/sessions.js';
import { errorResponses } from '../schemas.js';
import { isoOrNull, noQuery, userParams } from './schemas.js';

const sessionView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    userId: { type: 'string' },
    credentialId: { type: ['string', 'null'] },
    amr: { type: 'string' },
    createdAt: { type: 'string' },
    expiresAt: { type: 'string' },
    refreshedAt: isoOrNull,
  },
} as const;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The console's view of a user's sessions (refresh-token families, docs/tokens.md): the active
 * ones, and "sign out everywhere". Registered on the console's admin scope, so the admin check,
 * the cross-site check and the security headers of `routes/console.ts` apply.
 *
 * @example
 * registerConsoleSessionRoutes(admin, () => ctx.deps);
 */
export function registerConsoleSessionRoutes(admin: FastifyInstance, deps: () => Deps): void {
  admin.get<{ Params: { appId: string; userId: string } }>(
    '/api/apps/:appId/users/:userId/sessions',
    {
      schema: {
        hide: true,
        params: userParams,
        querystring: noQuery,
        response: {
          200: { type: 'object', properties: { sessions: { type: 'array', items: sessionView } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireApp(deps(), request.params.appId);
      const sessions = await listSessions(deps(), app, request.params.userId);
      return {
        sessions: sessions.map((s) => ({
          ...s,
          createdAt: iso(s.createdAt),
          expiresAt: iso(s.expiresAt),
          refreshedAt: s.refreshedAt === null ? null : iso(s.refreshedAt),
        })),
      };
    },
  );

  admin.delete<{ Params: { appId: string; userId: string } }>(
    '/api/apps/:appId/users/:userId/sessions',
    {
      schema: {
        hide: true,
        params: userParams,
        querystring: noQuery,
        response: {
          200: { type: 'object', properties: { revoked: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireApp(deps(), request.params.appId);
      const result = await signOutEverywhere(deps(), app, request.params.userId);
      request.log.info({ appId: app.id, revoked: result.revoked }, 'console: user signed out everywhere');
      return result;
    },
  );
}
