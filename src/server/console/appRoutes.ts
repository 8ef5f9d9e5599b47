import type { FastifyInstance } from 'fastify';
import { createApp, describeApp, rotateAppSecret, updateApp, type AppPatch } from '../../core/apps.js';
import type { Deps } from '../../core/deps.js';
import type { AppSettings } from '../../store/types.js';
import { errorResponses } from '../schemas.js';
import {
  appParams,
  appView,
  appWithSecret,
  CONSOLE_BODY_LIMIT,
  createAppBody,
  noQuery,
  updateAppBody,
} from './schemas.js';

interface AppBody {
  name: string;
  origins?: string[];
  rpId?: string | null;
  settings?: Partial<AppSettings>;
}

/**
 * The console's app routes: list, create (the secret in the answer, once), edit (name, origins,
 * rpId, lockout, TTLs; ending a rotation) and rotate the secret (the new one in the answer, once).
 * Secrets are never logged and no other answer carries one.
 */
export function registerConsoleAppRoutes(admin: FastifyInstance, deps: () => Deps): void {
  admin.get(
    '/api/apps',
    {
      schema: {
        hide: true,
        querystring: noQuery,
        response: {
          200: { type: 'object', properties: { apps: { type: 'array', items: appView } } },
          ...errorResponses,
        },
      },
    },
    async () => {
      const apps = await deps().store.apps.list();
      return { apps: apps.sort((a, b) => a.createdAt - b.createdAt).map(describeApp) };
    },
  );

  admin.post<{ Body: AppBody }>(
    '/api/apps',
    {
      bodyLimit: CONSOLE_BODY_LIMIT,
      schema: {
        hide: true,
        querystring: noQuery,
        body: createAppBody,
        response: { 201: appWithSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, origins, rpId, settings } = request.body;
      const { app, secret } = await createApp(deps(), {
        name,
        ...(origins ? { origins } : {}),
        ...(rpId !== undefined ? { rpId } : {}),
        ...(settings ? { settings } : {}),
      });
      request.log.info({ appId: app.id }, 'console: app created');
      return reply.status(201).send({ app: describeApp(app), secret });
    },
  );

  admin.patch<{ Params: { appId: string }; Body: AppBody & { dropOldSecret?: boolean } }>(
    '/api/apps/:appId',
    {
      bodyLimit: CONSOLE_BODY_LIMIT,
      schema: {
        hide: true,
        params: appParams,
        querystring: noQuery,
        body: updateAppBody,
        response: { 200: { type: 'object', properties: { app: appView } }, ...errorResponses },
      },
    },
    async (request) => {
      const { name, origins, rpId, settings, dropOldSecret } = request.body;
      const patch: AppPatch = {
        ...(name !== undefined ? { name } : {}),
        ...(origins !== undefined ? { origins } : {}),
        ...(rpId !== undefined ? { rpId } : {}),
        ...(settings !== undefined ? { settings } : {}),
        ...(dropOldSecret ? { dropOldSecret } : {}),
      };
      const app = await updateApp(deps(), request.params.appId, patch);
      request.log.info(
        { appId: app.id, fields: Object.keys(request.body), settings: Object.keys(settings ?? {}) },
        'console: app updated',
      );
      return { app: describeApp(app) };
    },
  );

  admin.post<{ Params: { appId: string } }>(
    '/api/apps/:appId/secrets',
    {
      bodyLimit: CONSOLE_BODY_LIMIT,
      schema: {
        hide: true,
        params: appParams,
        querystring: noQuery,
        response: { 201: appWithSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { app, secret } = await rotateAppSecret(deps(), request.params.appId);
      request.log.info({ appId: app.id }, 'console: app secret rotated');
      return reply.status(201).send({ app: describeApp(app), secret });
    },
  );
}
