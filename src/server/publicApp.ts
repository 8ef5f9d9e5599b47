import type { FastifyRequest } from 'fastify';
import type { Deps } from '../core/deps.js';
import { SignetError } from '../errors/SignetError.js';
import type { App } from '../store/types.js';

/**
 * Resolves the app a public request names and marks it for CORS. An unknown app answers
 * 404 `not_found` (app ids are public; user existence is what the API never reveals).
 */
export async function requireAppForPublic(deps: Deps, request: FastifyRequest, appId: string): Promise<App> {
  const app = await deps.store.apps.get(appId);
  if (!app) throw new SignetError('not_found', 'No such app.');
  request.corsApp = app;
  return app;
}
