import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { mountConsole } from '../console/registerConsoleRoutes.js';

export { CONSOLE_FAILURE_WINDOW_MS, CONSOLE_MAX_FAILURES } from '../console/registerConsoleRoutes.js';

/**
 * The admin console's entry for buildServer: everything else lives in `src/server/console/`
 * (docs/console.md). Registered only when an admin token is configured.
 */
export function registerConsoleRoutes(api: FastifyInstance, ctx: RouteContext): void {
  mountConsole(api, { deps: () => ctx.deps, basePath: ctx.basePath, adminToken: ctx.adminToken });
}
