import type { FastifyInstance } from 'fastify';
import type { Deps } from '../core/deps.js';
import type { App } from '../store/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The app a public route resolved; its origins decide the CORS answer. */
    corsApp?: App;
  }
}

const ORIGINS_TTL_MS = 5_000;

/**
 * CORS from each app's origins (docs/api.md). A preflight carries no body, so it is allowed when
 * the origin belongs to any app; the real response then allows the origin only when it belongs
 * to the app the request named.
 */
export function registerCors(server: FastifyInstance, deps: Deps): void {
  let known: { origins: Set<string>; at: number } | null = null;
  async function anyAppOrigin(origin: string): Promise<boolean> {
    const now = deps.clock();
    if (!known || now - known.at > ORIGINS_TTL_MS) {
      const apps = await deps.store.apps.list();
      known = { origins: new Set(apps.flatMap((a) => a.origins)), at: now };
    }
    return known.origins.has(origin);
  }

  // Callback-style hooks: a request that is no preflight passes without a promise.
  server.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (request.method !== 'OPTIONS' || typeof origin !== 'string') return done();
    if (!request.headers['access-control-request-method']) return done();
    anyAppOrigin(origin).then(
      (allowed) => {
        if (allowed) {
          void reply.header('access-control-allow-origin', origin);
          void reply.header('access-control-allow-methods', 'GET, POST, DELETE');
          void reply.header('access-control-allow-headers', 'content-type, x-signet-poll-secret');
          void reply.header('access-control-max-age', '600');
          void reply.header('vary', 'Origin');
        }
        void reply.status(204).send();
      },
      (e: unknown) => done(e as Error),
    );
  });

  server.addHook('onSend', (request, reply, payload, done) => {
    const origin = request.headers.origin;
    if (typeof origin === 'string' && request.corsApp?.origins.includes(origin)) {
      void reply.header('access-control-allow-origin', origin);
      // A page told 429 can read when to come back.
      void reply.header('access-control-expose-headers', 'retry-after');
      void reply.header('vary', 'Origin');
    }
    done(null, payload);
  });
}
