import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { Deps } from '../core/deps.js';
import { createTokenService, type TokenService } from '../core/tokens.js';
import { authenticateServerRequest } from './auth.js';
import { registerCors } from './cors.js';
import { handleError, errorBody } from './errors.js';
import { registerJsonParser } from './json.js';
import { createMetrics, type Metrics } from './metrics.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerCredentialRoutes } from './routes/credentials.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerWebauthnRoutes } from './routes/webauthn.js';
import { registerMykeyRoutes } from './routes/mykey.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerConsoleRoutes } from './routes/console.js';
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
  /** Trust X-Forwarded-For for the client IP (behind a proxy). */
  trustProxy?: boolean;
  /** The admin console's credential (SIGNET_ADMIN_TOKEN, at least 32 characters); no console when unset. */
  adminToken?: string | null;
}

/** Everything a route needs, built once per server. */
export interface RouteContext {
  deps: Deps;
  tokens: TokenService;
  metrics: Metrics;
  basePath: string;
  /** The admin console's credential; null disables the console. */
  adminToken: string | null;
}

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
  const server = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    trustProxy: options.trustProxy ?? false,
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
  };
  // With a server logger, core's log lines (attempts and their reasons) go to it.
  const log = options.logger
    ? {
        info: (f: Record<string, unknown>, m: string) => server.log.info(f, m),
        warn: (f: Record<string, unknown>, m: string) => server.log.warn(f, m),
      }
    : options.deps.log;
  const deps: Deps = { ...options.deps, log, onAttempt: ctx.metrics.countAttempt };
  ctx.deps = deps;

  registerJsonParser(server);
  server.setErrorHandler(handleError);
  server.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send(errorBody('not_found'));
  });
  registerCors(server, deps);

  server.addHook('preHandler', async (request) => {
    if (request.routeOptions.config?.side === 'server') {
      request.signetApp = await authenticateServerRequest(deps, request, basePath);
    }
  });
  server.addHook('onResponse', async (request, reply) => {
    ctx.metrics.countRequest(
      request.routeOptions.url ?? 'unmatched',
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Signet',
        version: '1',
        description: 'Signature-authentication server (see CONTRACT.md).',
      },
      components: {
        securitySchemes: {
          tiniapp: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Tiniapp-Signature',
            description: 'HMAC-SHA256 request signature with X-Tiniapp-Timestamp and X-Tiniapp-Client-Id.',
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
      registerRelatedOriginsRoute(api, ctx);
    },
    { prefix: basePath },
  );
  await server.ready();
  return server;
}
