import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import swagger from '@fastify/swagger';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../core/deps.js';
import { DEFAULT_ISSUE_LIMIT } from '../core/rateLimit.js';
import { SignetError } from '../errors/SignetError.js';
import { createTokenService } from '../core/tokens.js';
import { authenticateServerRequest, serverAuthorities } from './auth.js';
import { registerCors } from './cors.js';
import { handleError, errorBody, handleClientError, handleFrameworkError } from './errors.js';
import { registerJsonParser } from './json.js';
import type { RouteContext } from './context.js';
import { createMetrics } from './metrics.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerCredentialRoutes } from './routes/credentials.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerWebauthnRoutes } from './routes/webauthn.js';
import { registerMykeyRoutes } from './routes/mykey.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerConsoleRoutes } from './routes/console.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerDocsRoutes } from './routes/docs.js';
import { registerRelatedOriginsRoute } from './routes/relatedOrigins.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `server`: Tiniapp-signed, called by the app's backend; `public`: any client. */
    side?: 'server' | 'public';
  }
}

export interface ServerOptions {
  deps: Deps;
  /** Path prefix the server is mounted under (SIGNET_BASE_PATH), e.g. `/signet`; '' for none. */
  basePath?: string;
  /** Default body limit in bytes (64 KiB). */
  bodyLimit?: number;
  /** Fastify logger options; false in tests. */
  logger?: FastifyServerOptions['logger'];
  /**
   * Which proxies may set the client IP through X-Forwarded-For (`--trust-proxy`): false (none,
   * the default), a hop count, or proxy addresses and CIDRs (comma-separated or a list). The
   * client IP feeds the rate limits, the audit log and the console's sign-in limit.
   */
  trustProxy?: TrustProxy;
  /** The admin console's credential (SIGNET_ADMIN_TOKEN, at least 32 characters); no console when unset. */
  adminToken?: string | null;
  /** `/metrics` answers only with `Authorization: Bearer <metricsToken>`; null or unset: no `/metrics` (404). */
  metricsToken?: string | null;
  /**
   * A request whose headers and body have not all arrived this long after its first byte gets
   * its connection closed (408), ms; default 30 000 (`--request-timeout`).
   */
  requestTimeoutMs?: number;
  /** Challenges and MYKEY sessions one client IP may ask for per minute (each); 0 = no limit. */
  issueLimitPerMinute?: number;
  /**
   * More `host[:port]` values an RFC 9421 signature may name as `@authority`, besides the
   * issuer's host (`--http-signature-authority`, docs/security.md "Server API").
   */
  httpSignatureAuthorities?: string[];
}

/** `--trust-proxy`: false, a hop count, or proxy addresses / CIDRs. */
export type TrustProxy = boolean | number | string | string[];

/**
 * Fastify's `trustProxy` for our setting: a hop count trusts that many proxies nearest the
 * server (proxy-addr's hop semantics; Fastify's types take no number, its runtime does the same).
 */
function fastifyTrustProxy(
  setting: TrustProxy,
): boolean | string | string[] | ((a: string, i: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  return (_address, i) => i < setting;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this; above common load balancers' 60 s idle timeout. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Longest request target (path and query) accepted; longer answers 414 `uri_too_long`. */
export const MAX_URL_LENGTH = 4096;

export type { RouteContext } from './context.js';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Builds the Signet HTTP server (Fastify): strict JSON with raw bytes kept, one error handler,
 * schemas and a body limit on every route, Tiniapp authentication on the server API, CORS from
 * app origins, metrics, and the OpenAPI document generated from the route schemas.
 *
 * @example
 * const server = await buildServer({ deps });
 * await server.listen({ port: 8080 });
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const authOptions = {
    basePath,
    authorities: serverAuthorities(options.deps.issuer, options.httpSignatureAuthorities),
  };
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isInteger(requestTimeout) || requestTimeout < 1)
    throw new RangeError('buildServer: requestTimeoutMs must be a positive integer');
  const server = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    trustProxy: fastifyTrustProxy(options.trustProxy ?? false),
    // Slow clients (docs/api.md "Slow clients"): headers and body must arrive within the request
    // timeout; Node checks open connections against it every `connectionsCheckingInterval`.
    requestTimeout,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: requestTimeout,
      requestTimeout,
      connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(requestTimeout / 4))),
    },
    clientErrorHandler: handleClientError,
    frameworkErrors: handleFrameworkError,
    // Request logging is Signet's own (metrics and audit); Fastify's per-request lines are off.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: true,
        allErrors: false,
        allowUnionTypes: true,
      },
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  });
  const ctx: RouteContext = {
    deps: options.deps,
    tokens: createTokenService(options.deps),
    metrics: createMetrics(),
    basePath,
    adminToken: options.adminToken ?? null,
    metricsToken: options.metricsToken ?? null,
    issueLimitPerMinute: options.issueLimitPerMinute ?? DEFAULT_ISSUE_LIMIT,
  };
  // With a server logger, core's log lines (attempts and their reasons) go to it.
  const log = options.logger
    ? {
        info: (f: Record<string, unknown>, m: string) => server.log.info(f, m),
        warn: (f: Record<string, unknown>, m: string) => server.log.warn(f, m),
      }
    : options.deps.log;
  const deps: Deps = {
    ...options.deps,
    log,
    onAttempt: ctx.metrics.countAttempt,
    sleep: options.deps.sleep ?? ((ms) => sleep(ms)),
  };
  ctx.deps = deps;

  registerJsonParser(server);
  server.setErrorHandler(handleError);
  // Every route's method and path, so that a known path with another method answers 405.
  const routes: Array<{ method: string; pattern: RegExp }> = [];
  server.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = new RegExp(
      `^${route.url
        .split(/(:[A-Za-z0-9_]+)/)
        .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('')}/?$`,
    );
    for (const method of methods) routes.push({ method, pattern });
    // Server-API authentication runs on server routes only (as their first preValidation hook),
    // so public routes such as /v1/verify carry no hook for it at all.
    if ((route.config as { side?: string } | undefined)?.side === 'server') {
      const own = route.preValidation;
      route.preValidation = [
        authenticateServer,
        ...(own === undefined ? [] : Array.isArray(own) ? own : [own]),
      ];
    }
  });
  server.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].filter(
      (m) => m !== request.method,
    );
    if (allowed.length > 0 && request.method !== 'OPTIONS') {
      void reply.header('allow', allowed.join(', ')).status(405).send(errorBody('method_not_allowed'));
      return;
    }
    void reply.status(404).send(errorBody('not_found'));
  });
  // Per-request hooks are callback-style: no promise each for a check that never awaits.
  server.addHook('onRequest', (request, _reply, done) => {
    done(request.url.length > MAX_URL_LENGTH ? new SignetError('uri_too_long') : undefined);
  });
  registerCors(server, deps);

  // Server API: the signature first, before the schema or any look-up (docs/api.md "Abuse
  // resistance"). Authentication spends the signature whatever follows, so a request that then
  // fails validation cannot be sent again elsewhere; a DELETE carries no body.
  async function authenticateServer(request: FastifyRequest): Promise<void> {
    request.signetApp = await authenticateServerRequest(deps, request, authOptions);
    if (request.bodyError) throw request.bodyError;
    if (request.method === 'DELETE' && request.rawBody !== undefined && request.rawBody.length > 0)
      throw new SignetError('invalid_request', 'A DELETE request carries no body.');
  }
  server.addHook('onResponse', (request, reply, done) => {
    ctx.metrics.countRequest(
      request.routeOptions.url ?? 'unmatched',
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Signet',
        version: '1',
        description:
          'Signature-authentication server. The API in words: docs/api.md in the repository (and in the package); error codes: docs/errors.md.',
      },
      components: {
        securitySchemes: {
          tiniapp: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Tiniapp-Signature',
            description: 'HMAC-SHA256 request signature with X-Tiniapp-Timestamp and X-Tiniapp-Client-Id.',
          },
          httpSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'Signature',
            description:
              'RFC 9421 HTTP Message Signature with Signature-Input: keyid = appId, alg hmac-sha256 (app secret) or ed25519 (registered key), covering @method, @authority, @path, @query and content-digest.',
          },
        },
      },
    },
  });

  await server.register(
    async (api) => {
      registerSystemRoutes(api, ctx);
      registerCredentialRoutes(api, ctx);
      registerLoginRoutes(api, ctx);
      registerWebauthnRoutes(api, ctx);
      registerMykeyRoutes(api, ctx);
      registerAuditRoutes(api, ctx);
      registerConsoleRoutes(api, ctx);
      registerTokenRoutes(api, ctx);
      await registerDocsRoutes(api, basePath);
      registerRelatedOriginsRoute(api, ctx);
    },
    { prefix: basePath },
  );
  await server.ready();
  return server;
}
