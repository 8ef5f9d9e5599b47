import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeApp, requireApp } from '../../core/apps.js';
import { describeCredential, revokeCredential } from '../../core/credentials.js';
import { SignetError } from '../../errors/SignetError.js';
import { clientKey, rateLimited } from '../../core/rateLimit.js';
import type { RouteContext } from '../context.js';
import { createAdminAuth, type AdminAuth } from '../console/adminAuth.js';
import { loadConsoleScript } from '../console/assets.js';
import { chartWindow, collectAttempts } from '../console/attempts.js';
import { registerConsoleSessionRoutes } from '../console/sessions.js';
import { registerConsoleWebhookRoutes } from '../console/webhooks.js';
import { CONSOLE_CSP, CONSOLE_CSS, consolePage } from '../console/page.js';
import { appId, auditRecord, credentialId, credentialView, errorResponses, userId } from '../schemas.js';

/** Failed admin credentials one IP may present per window before 429 `rate_limited`. */
export const CONSOLE_MAX_FAILURES = 10;
export const CONSOLE_FAILURE_WINDOW_MS = 15 * 60_000;

const SMALL_BODY = 4096;

const appView = {
  type: 'object',
  properties: {
    appId: { type: 'string' },
    name: { type: 'string' },
    rpId: { type: ['string', 'null'] },
    origins: { type: 'array', items: { type: 'string' } },
    settings: { type: 'object', additionalProperties: true },
    activeSecrets: { type: 'integer' },
    createdAt: { type: 'string' },
  },
} as const;

const chartView = {
  type: 'object',
  properties: {
    from: { type: 'integer' },
    to: { type: 'integer' },
    bucketMs: { type: 'integer' },
    truncated: { type: 'boolean' },
    series: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          scheme: { type: 'string' },
          outcome: { type: 'string' },
          counts: { type: 'array', items: { type: 'integer' } },
          total: { type: 'integer' },
        },
      },
    },
  },
} as const;

const appParams = { type: 'object', properties: { appId }, required: ['appId'] } as const;
const userParams = { type: 'object', properties: { appId, userId }, required: ['appId', 'userId'] } as const;
const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

/** Security headers of every console answer: no framing, no caching, no inline code. */
function secureHeaders(reply: FastifyReply): void {
  void reply.header('content-security-policy', CONSOLE_CSP);
  void reply.header('x-frame-options', 'DENY');
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('cache-control', 'no-store');
}

/**
 * Whether the browser reached Signet over https: directly, or through a TLS proxy that says so in
 * X-Forwarded-Proto. Trusting the header here is safe whatever the proxy set-up: it can only add
 * the cookie's Secure flag, which keeps the cookie off plain http.
 */
function overHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return request.protocol === 'https' || first === 'https';
}

/**
 * A cookie rides along with any request to the console's path, so a cookie-authenticated one must
 * come from the console's own pages: SameSite=Strict already keeps the cookie off cross-site
 * requests, and the browser's Sec-Fetch-Site says the rest.
 */
function refuseCrossSite(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new SignetError('unauthenticated', 'Cross-site console requests are refused.');
  }
}

/**
 * The admin console (docs/console.md), under `<base>/console`: the page, its script and
 * stylesheet, and JSON routes under `/console/api/` for apps, a user's credentials (with
 * revoke), the audit log and the attempts chart. Registered only when an admin token is
 * configured (SIGNET_ADMIN_TOKEN); otherwise `/console` answers 404 like any unknown path.
 * Admin calls authenticate with `Authorization: Bearer <token>` or the session cookie the
 * console's sign-in sets; failed credentials are rate-limited per IP.
 */
export function registerConsoleRoutes(api: FastifyInstance, ctx: RouteContext): void {
  if (ctx.adminToken === null) return;
  const mount = `${ctx.basePath}/console`;
  const auth: AdminAuth = createAdminAuth({
    token: ctx.adminToken,
    clock: ctx.deps.clock,
    cookiePath: mount,
  });
  const deps = () => ctx.deps;

  async function checkNotLimited(request: FastifyRequest): Promise<string> {
    const key = `console:ip:${clientKey(request.ip)}`;
    if ((await deps().store.rateLimits.peek(key, CONSOLE_FAILURE_WINDOW_MS)) >= CONSOLE_MAX_FAILURES) {
      // Fixed windows: the refusal lasts until the current window ends.
      throw rateLimited((CONSOLE_FAILURE_WINDOW_MS - (deps().clock() % CONSOLE_FAILURE_WINDOW_MS)) / 1000);
    }
    return key;
  }

  async function countFailure(key: string): Promise<void> {
    await deps().store.rateLimits.hit(key, CONSOLE_FAILURE_WINDOW_MS);
  }

  /** The admin check of every protected route. */
  async function requireAdmin(request: FastifyRequest): Promise<void> {
    const key = await checkNotLimited(request);
    const proof = auth.authenticate(request.headers);
    if (proof === null) {
      // A wrong bearer token is a guess; a missing or expired cookie is a visit.
      if (typeof request.headers.authorization === 'string') await countFailure(key);
      throw new SignetError('unauthenticated', 'The admin credential is missing or wrong.');
    }
    if (proof === 'cookie') refuseCrossSite(request);
  }

  void api.register(
    async (scope) => {
      scope.addHook('onSend', async (_request, reply, payload) => {
        secureHeaders(reply);
        return payload;
      });

      scope.get('/', { schema: { hide: true, querystring: noQuery } }, async (_request, reply) =>
        reply.type('text/html; charset=utf-8').send(consolePage(mount)),
      );
      scope.get('/console.js', { schema: { hide: true, querystring: noQuery } }, async (_request, reply) =>
        reply.type('text/javascript; charset=utf-8').send(await loadConsoleScript()),
      );
      scope.get('/console.css', { schema: { hide: true, querystring: noQuery } }, async (_request, reply) =>
        reply.type('text/css; charset=utf-8').send(CONSOLE_CSS),
      );

      // Sign-in: the admin token in, an HttpOnly SameSite=Strict session cookie out.
      scope.post<{ Body: { token: string } }>(
        '/api/session',
        {
          bodyLimit: SMALL_BODY,
          schema: {
            hide: true,
            body: {
              type: 'object',
              required: ['token'],
              additionalProperties: false,
              properties: { token: { type: 'string', minLength: 1, maxLength: 1024 } },
            },
            response: { 204: { type: 'null' }, ...errorResponses },
          },
        },
        async (request, reply) => {
          refuseCrossSite(request);
          const key = await checkNotLimited(request);
          if (!auth.isAdminToken(request.body.token)) {
            await countFailure(key);
            request.log.warn({ ip: request.ip }, 'console: failed sign-in');
            throw new SignetError('unauthenticated', 'That is not the admin token.');
          }
          request.log.info({ ip: request.ip }, 'console: signed in');
          return reply
            .header('set-cookie', auth.sessionCookie(overHttps(request)))
            .status(204)
            .send();
        },
      );

      scope.delete(
        '/api/session',
        {
          schema: {
            hide: true,
            querystring: noQuery,
            response: { 204: { type: 'null' }, ...errorResponses },
          },
        },
        async (request, reply) =>
          reply
            .header('set-cookie', auth.clearCookie(overHttps(request)))
            .status(204)
            .send(),
      );

      await scope.register(async (admin) => {
        admin.addHook('preHandler', requireAdmin);
        registerConsoleSessionRoutes(admin, deps);
        registerConsoleWebhookRoutes(admin, deps);

        admin.get(
          '/api/session',
          {
            schema: {
              hide: true,
              querystring: noQuery,
              response: {
                200: { type: 'object', properties: { authenticated: { type: 'boolean' } } },
                ...errorResponses,
              },
            },
          },
          async () => ({ authenticated: true }),
        );

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

        admin.get<{
          Params: { appId: string };
          Querystring: { userId?: string; limit?: string; before?: string };
        }>(
          '/api/apps/:appId/audit',
          {
            schema: {
              hide: true,
              params: appParams,
              querystring: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  userId,
                  limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
                  before: { type: 'string', pattern: '^[0-9]{1,15}$' },
                },
              },
              response: {
                200: { type: 'object', properties: { records: { type: 'array', items: auditRecord } } },
                ...errorResponses,
              },
            },
          },
          async (request) => {
            const app = await requireApp(deps(), request.params.appId);
            const limit = Math.min(Math.max(Number(request.query.limit ?? 50), 1), 1000);
            const records = await deps().store.audit.list(app.id, {
              limit,
              ...(request.query.userId ? { userId: request.query.userId } : {}),
              ...(request.query.before ? { before: Number(request.query.before) } : {}),
            });
            return { records: records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })) };
          },
        );

        admin.get<{ Params: { appId: string }; Querystring: { hours?: string; buckets?: string } }>(
          '/api/apps/:appId/attempts',
          {
            schema: {
              hide: true,
              params: appParams,
              querystring: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  hours: { type: 'string', pattern: '^[0-9]{1,3}$' },
                  buckets: { type: 'string', pattern: '^[0-9]{1,3}$' },
                },
              },
              response: { 200: chartView, ...errorResponses },
            },
          },
          async (request) => {
            const app = await requireApp(deps(), request.params.appId);
            const hours = Number(request.query.hours ?? 24);
            const buckets = Number(request.query.buckets ?? 24);
            if (hours < 1 || hours > 720) throw new SignetError('invalid_request', 'hours must be 1-720');
            if (buckets < 1 || buckets > 200)
              throw new SignetError('invalid_request', 'buckets must be 1-200');
            return collectAttempts(
              deps().store.audit,
              app.id,
              chartWindow(deps().clock(), hours * 3600_000, buckets),
            );
          },
        );
      });
    },
    { prefix: '/console' },
  );
}
