import type { FastifyInstance } from 'fastify';
import { createApp, describeApp, rotateAppSecret, updateApp, type AppPatch } from '../../core/apps.js';
import type { Deps } from '../../core/deps.js';
import type { App, AppSettings } from '../../store/types.js';
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

/**
 * An Ethereum JSON-RPC URL as the console shows it: scheme, host and port only. Providers put
 * their API key in the path (`https://mainnet.infura.io/v3/<key>`) or the query, so the rest is
 * replaced by `/…`; user info is dropped.
 */
export function redactRpcUrl(url: string): string {
  try {
    const u = new URL(url);
    const rest = u.pathname !== '/' || u.search !== '' || u.username !== '' || u.password !== '';
    return rest ? `${u.origin}/…` : u.origin;
  } catch {
    return '(unreadable)';
  }
}

/** An app as the console shows it: `describeApp` (no secret), the RPC URL's key cut off. */
function consoleApp(app: App): Record<string, unknown> {
  const view = describeApp(app) as { settings: Record<string, unknown> };
  const rpc = view.settings['ethRpc'];
  return {
    ...view,
    settings: { ...view.settings, ethRpc: typeof rpc === 'string' ? redactRpcUrl(rpc) : null },
  };
}

interface AppBody {
  name: string;
  origins?: string[];
  rpId?: string | null;
  settings?: Partial<AppSettings>;
}

/**
 * The console's app routes: list, create (the secret in the answer, once), edit (name, origins,
 * rpId, lockout, TTLs, wallet proofs, chain ids; ending a rotation) and rotate the secret (the new one in the answer, once).
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
      return { apps: apps.sort((a, b) => a.createdAt - b.createdAt).map(consoleApp) };
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
      return reply.status(201).send({ app: consoleApp(app), secret });
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
      return { app: consoleApp(app) };
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
      return reply.status(201).send({ app: consoleApp(app), secret });
    },
  );
}
