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

/**
 * A webhook URL as the console shows it: its path stays (the operator tells receivers apart by
 * it), its query, where receivers put access tokens, is replaced by `?…`.
 */
export function redactWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search === '' ? '' : '?…'}`;
  } catch {
    return '(unreadable)';
  }
}

/**
 * An app as the console shows it: `describeApp` (no secret), and every URL that may carry a
 * provider's key cut down: the Ethereum RPC, the chain API and an http(s) FIDO metadata source
 * to scheme and host, the webhook URL to its path (a metadata file path stays as it is).
 */
function consoleApp(app: App): Record<string, unknown> {
  const view = describeApp(app) as { settings: Record<string, unknown> };
  const cut = (name: string, redact: (url: string) => string): string | null => {
    const value = view.settings[name];
    if (typeof value !== 'string') return null;
    return /^https?:\/\//i.test(value) ? redact(value) : value;
  };
  return {
    ...view,
    settings: {
      ...view.settings,
      ethRpc: cut('ethRpc', redactRpcUrl),
      chainApi: cut('chainApi', redactRpcUrl),
      fidoMds: cut('fidoMds', redactRpcUrl),
      webhookUrl: cut('webhookUrl', redactWebhookUrl),
    },
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
