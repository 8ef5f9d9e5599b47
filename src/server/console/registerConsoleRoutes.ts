import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../core/deps.js';
import { SignetError } from '../../errors/SignetError.js';
import { errorResponses } from '../schemas.js';
import { createAdminAuth, type AdminAuth } from './adminAuth.js';
import { registerConsoleAppRoutes } from './appRoutes.js';
import { loadConsoleScript } from './assets.js';
import { registerConsoleAuditRoutes } from './auditRoutes.js';
import { overHttps, refuseCrossSite, secureHeaders } from './consoleHttp.js';
import { registerConsoleCredentialRoutes } from './credentialRoutes.js';
import { registerConsoleSessionRoutes } from './sessions.js';
import { registerConsoleWebhookRoutes } from './webhooks.js';
import { clientKey, rateLimited } from '../../core/rateLimit.js';
import { CONSOLE_CSS, consolePage } from './page.js';
import { CONSOLE_BODY_LIMIT, noQuery } from './schemas.js';

/** Failed admin credentials one IP may present per window before 429 `rate_limited`. */
export const CONSOLE_MAX_FAILURES = 10;
export const CONSOLE_FAILURE_WINDOW_MS = 15 * 60_000;

/** What the console needs from the server that mounts it. */
export interface ConsoleOptions {
  /** The core's dependencies, read per request (the server may wrap them after registration). */
  deps: () => Deps;
  basePath: string;
  /** The admin credential; null: no console. */
  adminToken: string | null;
}

/**
 * The admin console (docs/console.md), under `<base>/console`: the page, its script and
 * stylesheet, and JSON routes under `/console/api/` for apps (list, create, edit, rotate the
 * secret), a user's credentials (with revoke), the audit log (filtered, paged) and the attempts
 * chart. Registered only when an admin token is configured (SIGNET_ADMIN_TOKEN); otherwise
 * `/console` answers 404 like any unknown path. Admin calls authenticate with
 * `Authorization: Bearer <token>` or the session cookie the console's sign-in sets; failed
 * credentials are rate-limited per IP.
 */
export function mountConsole(api: FastifyInstance, options: ConsoleOptions): void {
  if (options.adminToken === null) return;
  const mount = `${options.basePath}/console`;
  const { deps } = options;
  const auth: AdminAuth = createAdminAuth({
    token: options.adminToken,
    clock: () => deps().clock(),
    cookiePath: mount,
  });

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

  // Sign-out ends the session on every node, not only in the browser that drops its cookie (a
  // copied cookie would otherwise work until it expires): the session id is kept in the store's
  // replay set until the cookie's own expiry.
  const signedOutKey = (sessionId: string): string => `console-signout:${sessionId}`;

  /** The admin check of every protected route. */
  async function requireAdmin(request: FastifyRequest): Promise<void> {
    const key = await checkNotLimited(request);
    const proof = auth.authenticate(request.headers);
    if (proof === null) {
      // A wrong bearer token is a guess; a missing or expired cookie is a visit.
      if (typeof request.headers.authorization === 'string') await countFailure(key);
      throw new SignetError('unauthenticated', 'The admin credential is missing or wrong.');
    }
    if (proof.kind === 'cookie') {
      refuseCrossSite(request);
      if (await deps().store.replay.has(signedOutKey(proof.sessionId)))
        throw new SignetError('unauthenticated', 'This console session was signed out.');
    }
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
          bodyLimit: CONSOLE_BODY_LIMIT,
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
        async (request, reply) => {
          const session = auth.readSession(request.headers.cookie);
          if (session !== null) {
            // Only the console's own pages may end its session (a cross-site request carries no
            // cookie under SameSite=Strict anyway).
            refuseCrossSite(request);
            await deps().store.replay.remember(
              signedOutKey(session.sessionId),
              Math.max(1, session.expiresAt - deps().clock()),
            );
            request.log.info({ ip: request.ip }, 'console: signed out');
          }
          return reply
            .header('set-cookie', auth.clearCookie(overHttps(request)))
            .status(204)
            .send();
        },
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

        registerConsoleAppRoutes(admin, deps);
        registerConsoleCredentialRoutes(admin, deps);
        registerConsoleAuditRoutes(admin, deps);
      });
    },
    { prefix: '/console' },
  );
}
