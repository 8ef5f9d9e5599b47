import type { FastifyRequest } from 'fastify';
import { openAppSecrets } from '../core/apps.js';
import type { Deps } from '../core/deps.js';
import { recordAttempt } from '../core/audit.js';
import { SignetError } from '../errors/SignetError.js';
import { TINIAPP_CLIENT_ID, verifyTiniappRequest } from '../schemes/tiniapp/index.js';
import type { App } from '../store/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The app whose Tiniapp signature authenticated this server-API request. */
    signetApp?: App;
  }
}

/**
 * Authenticates a server-API request by its Tiniapp signature (docs/api.md): a body request signs
 * the exact bytes received, a body-less one its path and query as sent, less the base path.
 * Any failure answers 401 `unauthenticated`; the precise reason goes to the audit log.
 */
export async function authenticateServerRequest(
  deps: Deps,
  request: FastifyRequest,
  basePath: string,
): Promise<App> {
  const clientId = request.headers['x-tiniapp-client-id'];
  if (typeof clientId !== 'string' || !TINIAPP_CLIENT_ID.test(clientId))
    throw new SignetError('unauthenticated');
  const app = await deps.store.apps.get(clientId);
  if (!app) throw new SignetError('unauthenticated');
  const hasBody = request.rawBody !== undefined && request.rawBody.length > 0;
  const result = await verifyTiniappRequest({
    headers: request.headers,
    ...(hasBody ? { body: request.rawBody as Uint8Array } : { path: request.url, basePath }),
    secrets: openAppSecrets(deps, app),
    now: deps.clock(),
    skewMs: app.settings.skewMs,
    replay: deps.store.replay,
  });
  if (!result.ok) {
    await recordAttempt(deps, {
      app,
      scheme: 'tiniapp',
      action: 'server_api',
      reason: result.code,
      userId: null,
      credentialId: null,
      ip: request.ip,
    });
    throw new SignetError(
      result.code === 'timestamp_skew' ? 'timestamp_skew' : 'unauthenticated',
      undefined,
      {
        reason: result.code,
      },
    );
  }
  return app;
}
