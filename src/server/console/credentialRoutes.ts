import type { FastifyInstance } from 'fastify';
import { requireApp } from '../../core/apps.js';
import { describeCredential, revokeCredential } from '../../core/credentials.js';
import type { Deps } from '../../core/deps.js';
import { credentialId, credentialView, errorResponses } from '../schemas.js';
import { appId, userId } from '../schemas.js';
import { noQuery, userParams } from './schemas.js';

/** The console's credential routes: a user's credentials, and revoking one. */
export function registerConsoleCredentialRoutes(admin: FastifyInstance, deps: () => Deps): void {
  admin.get<{ Params: { appId: string; userId: string } }>(
    '/api/apps/:appId/users/:userId/credentials',
    {
      schema: {
        hide: true,
        params: userParams,
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            properties: { credentials: { type: 'array', items: credentialView } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireApp(deps(), request.params.appId);
      const list = await deps().store.credentials.listByUser(app.id, request.params.userId);
      return { credentials: list.map(describeCredential) };
    },
  );

  admin.delete<{ Params: { appId: string; userId: string; credentialId: string } }>(
    '/api/apps/:appId/users/:userId/credentials/:credentialId',
    {
      schema: {
        hide: true,
        params: {
          type: 'object',
          properties: { appId, userId, credentialId },
          required: ['appId', 'userId', 'credentialId'],
        },
        querystring: noQuery,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const app = await requireApp(deps(), request.params.appId);
      await revokeCredential(deps(), app, request.params.userId, request.params.credentialId);
      request.log.info(
        { appId: app.id, credentialId: request.params.credentialId },
        'console: credential revoked',
      );
      return reply.status(204).send();
    },
  );
}
