import type { FastifyInstance } from 'fastify';
import { requireApp } from '../../core/apps.js';
import type { Deps } from '../../core/deps.js';
import { SignetError } from '../../errors/SignetError.js';
import type { WebhookMessage } from '../../store/types.js';
import { appId, errorResponses } from '../schemas.js';
import { appParams, isoOrNull, noQuery, pageBefore, pageLimit } from './schemas.js';

const messageParams = {
  type: 'object',
  properties: { appId, id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } },
  required: ['appId', 'id'],
} as const;

const deadView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    attempts: { type: 'integer' },
    createdAt: { type: 'string' },
    lastAttemptAt: isoOrNull,
    deadAt: isoOrNull,
    lastError: { type: ['string', 'null'] },
    /** The event body as sent (ids, scheme names and reason codes; no secret). */
    payload: { type: 'string' },
  },
} as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(m: WebhookMessage): Record<string, unknown> {
  return {
    id: m.id,
    type: m.type,
    attempts: m.attempts,
    createdAt: iso(m.createdAt),
    lastAttemptAt: iso(m.lastAttemptAt),
    deadAt: iso(m.deadAt),
    lastError: m.lastError,
    payload: m.payload,
  };
}

/**
 * The console's webhook dead letters (docs/protocols.md "Signed webhooks"): the list, newest
 * first, and "redeliver", which makes a dead message pending again in a new delivery cycle.
 * Registered on the console's admin scope, so the admin check, the cross-site check and the
 * security headers of `routes/console.ts` apply.
 *
 * @example
 * registerConsoleWebhookRoutes(admin, () => ctx.deps);
 */
export function registerConsoleWebhookRoutes(admin: FastifyInstance, deps: () => Deps): void {
  admin.get<{ Params: { appId: string }; Querystring: { limit?: string; before?: string } }>(
    '/api/apps/:appId/webhooks/dead',
    {
      schema: {
        hide: true,
        params: appParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: pageLimit,
            /** Paging: dead letters dead before this Unix ms (the last page's oldest `deadAt`). */
            before: pageBefore,
          },
        },
        response: {
          200: { type: 'object', properties: { messages: { type: 'array', items: deadView } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireApp(deps(), request.params.appId);
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      if (limit < 1 || limit > 1000) throw new SignetError('invalid_request', 'limit must be 1-1000');
      const before = request.query.before === undefined ? undefined : Number(request.query.before);
      const dead = await deps().store.webhooks.listDead(app.id, {
        limit,
        ...(before === undefined ? {} : { before }),
      });
      return { messages: dead.map(view) };
    },
  );

  admin.post<{ Params: { appId: string; id: string } }>(
    '/api/apps/:appId/webhooks/:id/redeliver',
    {
      bodyLimit: 1024,
      schema: {
        hide: true,
        params: messageParams,
        querystring: noQuery,
        response: {
          200: { type: 'object', properties: { redelivered: { type: 'boolean' }, id: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireApp(deps(), request.params.appId);
      const d = deps();
      if (!(await d.store.webhooks.redeliver(app.id, request.params.id, d.clock())))
        throw new SignetError('not_found', 'No dead webhook message by that id.');
      request.log.info({ appId: app.id, webhookId: request.params.id }, 'console: webhook redelivered');
      return { redelivered: true, id: request.params.id };
    },
  );
}
